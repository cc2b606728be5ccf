"""The offline stack's containers (moto and the Slack recorder) on the ``opsbot-e2e`` docker network.

Used by the e2e tier (tests/e2e/conftest.py) and the Lambda-like cold-start benchmark (devtools/coldstart). Images
and the network come from scripts/e2e/prepare.sh. Each container publishes its port 5000 on 127.0.0.1 for the
host and is reached by name from other containers on the network, e.g. ``http://opsbot-e2e-moto-1234:5000``.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

NETWORK = "opsbot-e2e"
MOTO_IMAGE = "opsbot-e2e-moto:latest"
RECORDER_IMAGE = "opsbot-e2e-recorder:latest"
CONTAINER_PORT = 5000


class DockerError(RuntimeError):
    """A docker command failed or a container did not come up; the message says which and why."""


def docker(*args: str, timeout: float = 60, check: bool = True) -> str:
    cmd = ["docker", *args]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DockerError(f"timed out after {timeout}s: {shlex.join(cmd)}") from exc
    if check and done.returncode != 0:
        raise DockerError(f"failed (rc={done.returncode}): {shlex.join(cmd)}\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


@dataclass(frozen=True)
class Container:
    """A container on the network with port 5000 published on 127.0.0.1."""

    name: str
    host_url: str  # from the host, e.g. http://127.0.0.1:32768
    network_url: str  # from other containers, e.g. http://opsbot-e2e-moto-1234:5000

    def logs(self) -> str:
        return docker("logs", "--tail", "200", self.name, timeout=30, check=False)


def start_container(name: str, image: str, *aliases: str) -> Container:
    docker("rm", "-f", name, check=False)  # a leftover from a crashed run with the same pid
    alias_args = [arg for alias in aliases for arg in ("--network-alias", alias)]
    publish = f"127.0.0.1::{CONTAINER_PORT}"
    docker("run", "-d", "--rm", "--name", name, "--network", NETWORK, *alias_args, "-p", publish, image)
    mapping = docker("port", name, f"{CONTAINER_PORT}/tcp").splitlines()
    hostport = next((m for m in mapping if m.startswith("127.0.0.1:")), None)
    if hostport is None:
        raise DockerError(f"no 127.0.0.1 port published for {name}: {mapping}")
    return Container(name=name, host_url=f"http://{hostport}", network_url=f"http://{name}:{CONTAINER_PORT}")


def remove_containers(*names: str) -> None:
    for name in names:
        docker("rm", "-f", name, timeout=60, check=False)


def wait_http(url: str, timeout: float = 60) -> None:
    """Wait until something answers HTTP at ``url`` (any status counts)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:  # URLError, connection reset while the server is still starting, timeouts
            last = exc
            time.sleep(0.25)
    raise DockerError(f"{url} did not answer within {timeout}s: {last}")
