"""End-to-end fixtures: ``sam build`` + ``sam local invoke`` against moto and the Slack recorder in containers.

``scripts/e2e/prepare.sh`` provides docker, the Lambda emulation image (built offline when it cannot be pulled),
the ``opsbot-e2e-moto`` / ``opsbot-e2e-recorder`` images and the user-defined network ``opsbot-e2e``
(see README.md, "Offline sam local invoke"). This module starts one moto and one recorder container per test
session on that network, publishes their port 5000 on 127.0.0.1 for the test process, and removes them at the end.
Lambda containers reach them by container name, e.g. ``http://opsbot-e2e-moto-<pid>:5000``.

Fixtures (all session-scoped):

* ``offline_stack`` -> :class:`OfflineStack` (moto and recorder :class:`Container` s, recorder helpers)
* ``sam_build`` -> path of ``.aws-sam/build/template.yaml`` (``sam build`` runs once)
* ``sam_invoke`` -> ``(logical_id, event, env=None, *, timeout=180, parameter_overrides=None) -> InvokeResult``
* ``moto_session`` -> ``boto3.session.Session`` (af-south-1, dummy credentials)
* ``aws_client`` -> ``(service) -> client`` pointed at moto's published port
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
import pytest

from devtools.containers import (
    MOTO_IMAGE,
    NETWORK,
    RECORDER_IMAGE,
    Container,
    DockerError,
    remove_containers,
    start_container,
    wait_http,
)
from devtools.slack_recorder import RecordedCall, clear_calls, fetch_calls

REPO_ROOT = Path(__file__).resolve().parents[2]
PREPARE_SCRIPT = REPO_ROOT / "scripts" / "e2e" / "prepare.sh"
BUILT_TEMPLATE = REPO_ROOT / ".aws-sam" / "build" / "template.yaml"
REGION = "af-south-1"
# Lambda always has a session token (the secrets extension checks it): so do the e2e runs.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing-session-token",
}

PREPARE_TIMEOUT_S = 1800
BUILD_TIMEOUT_S = 900
READY_TIMEOUT_S = 60


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is an ``e2e`` test (``make e2e`` selects ``-m e2e``)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------------------------------- helpers


def _run(
    cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` from the repo root without stdin; if ``check``, fail the test loudly (with output) on error."""
    try:
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"timed out after {timeout}s: {shlex.join(cmd)}\n{exc.stdout!r}\n{exc.stderr!r}", pytrace=False)
    if check and proc.returncode != 0:
        pytest.fail(
            f"command failed (rc={proc.returncode}): {shlex.join(cmd)}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )
    return proc


def _sam_executable() -> str:
    """The ``sam`` installed next to the running interpreter (the project's venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / "sam"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("sam")
    if not found:
        pytest.fail(f"sam CLI not found next to {sys.executable} or on PATH (pip install aws-sam-cli)", pytrace=False)
    return found


def _sam_env() -> dict[str, str]:
    """Environment for SAM CLI: no telemetry, dummy credentials (SAM passes them into the function container)."""
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}}
    env.update(DUMMY_CREDENTIALS)
    env.update(SAM_CLI_TELEMETRY="0", AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
    return env


# --------------------------------------------------------------------------------------------------- stack


@dataclass(frozen=True)
class OfflineStack:
    """moto and the Slack recorder, as seen from the tests (``host_url``) and from functions (``network_url``)."""

    moto: Container
    recorder: Container

    @property
    def slack_api_url(self) -> str:
        """Slack Web API base URL for functions (``SLACK_API_URL``)."""
        return self.recorder.network_url + "/api/"

    def function_env(self) -> dict[str, str]:
        """Defaults for every ``sam local invoke``: all AWS calls to moto, Lambda Invoke and Slack to the recorder."""
        return {
            "AWS_ENDPOINT_URL": self.moto.network_url,
            "OPSBOT_AWS_ENDPOINT_URL": self.moto.network_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.recorder.network_url,
            "OPSBOT_AWS_ENDPOINT_URL_LAMBDA": self.recorder.network_url,
            "SLACK_API_URL": self.slack_api_url,
        }

    def recorder_calls(self) -> list[RecordedCall]:
        return fetch_calls(self.recorder.host_url)

    def clear_recorder(self) -> None:
        clear_calls(self.recorder.host_url)


def _start_container(name: str, image: str, *aliases: str) -> Container:
    try:
        container = start_container(name, image, *aliases)
        wait_http(container.host_url + ("/_calls" if image == RECORDER_IMAGE else "/"), timeout=READY_TIMEOUT_S)
    except DockerError as exc:
        pytest.fail(str(exc), pytrace=False)
    return container


@pytest.fixture(scope="session")
def e2e_prepared() -> None:
    """Run scripts/e2e/prepare.sh (docker, images, network). Fails loudly rather than skipping."""
    proc = _run(["bash", str(PREPARE_SCRIPT)], timeout=PREPARE_TIMEOUT_S, env={**os.environ, "CI": "true"})
    sys.stderr.write(proc.stdout)


@pytest.fixture(scope="session")
def offline_stack(e2e_prepared: None) -> Iterator[OfflineStack]:
    """One moto and one recorder container for the session, removed at the end."""
    pid = os.getpid()
    names = [f"opsbot-e2e-moto-{pid}", f"opsbot-e2e-recorder-{pid}"]
    try:
        moto = _start_container(names[0], MOTO_IMAGE)
        # The sample events in events/ carry response_url=http://slack-recorder:5000/response/<name>.
        recorder = _start_container(names[1], RECORDER_IMAGE, "slack-recorder")
        yield OfflineStack(moto=moto, recorder=recorder)
    finally:
        remove_containers(*names)


# --------------------------------------------------------------------------------------------------- sam


@pytest.fixture(scope="session")
def sam_build(e2e_prepared: None) -> Path:
    """``sam build`` once per session (samconfig.toml: cached, parallel); returns the built template."""
    _run([_sam_executable(), "build"], timeout=BUILD_TIMEOUT_S, env=_sam_env())
    assert BUILT_TEMPLATE.is_file(), f"sam build did not produce {BUILT_TEMPLATE}"
    return BUILT_TEMPLATE


@dataclass(frozen=True)
class InvokeResult:
    """Outcome of one ``sam local invoke``."""

    returncode: int
    payload: Any  # the function's JSON response (usually a dict), or None if stdout was not JSON
    stdout: str
    stderr: str  # SAM's own output and the function's logs

    @property
    def status(self) -> int | None:
        """``statusCode`` of an API Gateway-style response, if any."""
        if isinstance(self.payload, dict) and isinstance(self.payload.get("statusCode"), int):
            return int(self.payload["statusCode"])
        return None

    @property
    def body(self) -> Any:
        """``body`` of an API Gateway-style response, JSON-decoded when possible."""
        body = self.payload.get("body") if isinstance(self.payload, dict) else None
        if isinstance(body, str):
            try:
                return json.loads(body)
            except ValueError:
                return body
        return body

    @property
    def error(self) -> str | None:
        """``errorType: errorMessage`` when the handler raised."""
        if isinstance(self.payload, dict) and "errorType" in self.payload:
            return f"{self.payload['errorType']}: {self.payload.get('errorMessage')}"
        return None


def _parse_payload(stdout: str) -> Any:
    text = stdout.strip()
    for candidate in (text, *reversed(text.splitlines())):
        if candidate.strip():
            try:
                return json.loads(candidate)
            except ValueError:
                continue
    return None


class SamInvoke(Protocol):
    def __call__(
        self,
        logical_id: str,
        event: dict[str, Any],
        env: dict[str, str] | None = None,
        *,
        timeout: float = 180,
        parameter_overrides: dict[str, str] | None = None,
    ) -> InvokeResult: ...


@pytest.fixture(scope="session")
def sam_invoke(sam_build: Path, offline_stack: OfflineStack, tmp_path_factory: pytest.TempPathFactory) -> SamInvoke:
    """Run ``sam local invoke`` of a built function on the opsbot-e2e network.

    ``env`` is layered over :meth:`OfflineStack.function_env` and passed with ``--env-vars``; only variables
    declared in the function's ``Environment`` (template Globals included) reach the function.
    """
    sam = _sam_executable()
    counter = iter(range(1, 1_000_000))

    def invoke(
        logical_id: str,
        event: dict[str, Any],
        env: dict[str, str] | None = None,
        *,
        timeout: float = 180,
        parameter_overrides: dict[str, str] | None = None,
    ) -> InvokeResult:
        workdir = tmp_path_factory.mktemp(f"invoke-{next(counter)}-{logical_id}")
        event_file = workdir / "event.json"
        env_file = workdir / "env.json"
        event_file.write_text(json.dumps(event))
        env_file.write_text(json.dumps({logical_id: {**offline_stack.function_env(), **(env or {})}}))
        cmd = [
            sam, "local", "invoke", logical_id,
            "-e", str(event_file),
            "--env-vars", str(env_file),
            "--skip-pull-image",
            "--docker-network", NETWORK,
            "--template", str(sam_build.relative_to(REPO_ROOT)),
            "--region", REGION,
        ]  # fmt: skip
        if parameter_overrides:
            cmd += ["--parameter-overrides", " ".join(f"{k}={v}" for k, v in parameter_overrides.items())]
        # SAM CLI asks STS for the account id before each invoke; offline that costs seconds of DNS retries
        # before it falls back to the default. moto answers at once, with that same default account.
        env = {**_sam_env(), "AWS_ENDPOINT_URL_STS": offline_stack.moto.host_url}
        proc = _run(cmd, timeout=timeout, env=env, check=False)
        return InvokeResult(proc.returncode, _parse_payload(proc.stdout), proc.stdout, proc.stderr)

    return invoke


# --------------------------------------------------------------------------------------------------- boto3


@pytest.fixture(scope="session")
def moto_session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


@pytest.fixture(scope="session")
def aws_client(offline_stack: OfflineStack, moto_session: boto3.session.Session) -> Callable[[str], Any]:
    """``aws_client("dynamodb")``: a client for the moto container (via its published 127.0.0.1 port)."""

    def client(service: str) -> Any:
        return moto_session.client(service, endpoint_url=offline_stack.moto.host_url)  # type: ignore[call-overload]

    return client
