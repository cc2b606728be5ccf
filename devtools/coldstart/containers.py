"""One Lambda-like run: the built artifact in the python3.13 image, as Lambda runs it, timed from container start.

What makes it Lambda-like (issue 8): the function's artifact at /var/task and its layers merged at /opt, both
read-only, nothing writable but /tmp (so no bytecode can be cached at run time), CPU limited to the share Lambda
gives the memory size (1,769 MB = one vCPU, proportional below) and memory limited to it, and the same
``PYTHONPATH`` as the runtime's bootstrap (function, layers, runtime). The clock starts when the container's
first process runs (its shell prints the time, then execs python3.13) and stops when the handler returns: the
INIT phase plus the first invocation, which is what Slack waits for on a cold start. Container creation by docker
is not counted; Lambda's own sandbox start is not emulated either.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.coldstart.driver import RESULT_PREFIX
from devtools.containers import NETWORK, DockerError

IMAGE = "public.ecr.aws/lambda/python:3.13-x86_64"
ONE_VCPU_MB = 1769
PYTHONPATH = "/var/task:/opt/python:/var/runtime"
_STARTED = "OPSBOT-BENCH-STARTED "
DRIVER = Path(__file__).with_name("driver.py")


def cpus_for(memory_mb: int) -> float:
    """The vCPU share Lambda gives ``memory_mb`` (docker's --cpus)."""
    return round(memory_mb / ONE_VCPU_MB, 3)


@dataclass(frozen=True)
class Artifact:
    """Host folders for /var/task and /opt."""

    task: Path
    opt: Path


@dataclass
class Staging:
    """Copies of the `sam build` output laid out as Lambda mounts them, with and without bytecode."""

    build: Path
    root: Path
    artifacts: dict[str, Artifact] = field(default_factory=dict)

    def stage(self, name: str, function: str | None, *, bytecode: bool) -> Artifact:
        key = f"{name}-{'pyc' if bytecode else 'py'}"
        if key in self.artifacts:
            return self.artifacts[key]
        opt = self.root / f"opt-{'pyc' if bytecode else 'py'}"
        if not opt.exists():  # Lambda extracts each layer into /opt in order; ours do not overlap
            for layer in ("OpsbotLayer", "DependenciesLayer"):
                _copy(self._built(layer), opt, bytecode=bytecode)
        task = self.root / f"task-{key}"
        task.mkdir(parents=True, exist_ok=True)
        if function:
            _copy(self._built(function), task, bytecode=bytecode)
        self.artifacts[key] = Artifact(task=task, opt=opt)
        return self.artifacts[key]

    def bench_dir(self) -> Path:
        folder = self.root / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(DRIVER, folder / "driver.py")
        return folder

    def _built(self, logical_id: str) -> Path:
        folder = self.build / logical_id
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing: run `sam build` first (make bench does)")
        if not any(folder.rglob("*.cpython-313.pyc")):
            raise SystemExit(
                f"{folder} has no python3.13 bytecode (built before the python3.13 image existed?): "
                "run scripts/e2e/prepare.sh, then `sam build --no-cached`"
            )
        return folder


def _copy(source: Path, target: Path, *, bytecode: bool) -> None:
    ignore = None if bytecode else shutil.ignore_patterns("__pycache__")
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=ignore)


@dataclass(frozen=True)
class Measurement:
    cold_ms: float  # container's first process -> first answer
    warm_ms: list[float]  # each further invocation in the same container
    responses: list[Any]
    aws_calls: int = 0  # AWS calls made by the first invocation
    aws_ms: float = 0.0  # and the time spent in them, round trips included


def run_once(
    artifact: Artifact, bench: Path, job: dict[str, Any], *, memory_mb: int, env: dict[str, str], timeout: float
) -> Measurement:
    job_file = bench / f"job-{time.monotonic_ns()}.json"
    job_file.write_text(json.dumps(job))
    env_args = [arg for key, value in {**env, "PYTHONPATH": PYTHONPATH}.items() for arg in ("-e", f"{key}={value}")]
    script = f'echo "{_STARTED}$(date +%s.%N)"; exec /var/lang/bin/python3.13 /bench/driver.py /bench/{job_file.name}'
    cmd = [
        "docker", "run", "--rm", "--network", NETWORK,
        "--cpus", str(cpus_for(memory_mb)), "--memory", f"{memory_mb}m", "--memory-swap", f"{memory_mb}m",
        "--read-only", "--tmpfs", "/tmp:rw,size=512m",
        "-v", f"{artifact.task}:/var/task:ro", "-v", f"{artifact.opt}:/opt:ro", "-v", f"{bench}:/bench:ro",
        "-w", "/var/task", *env_args,
        "--entrypoint", "/bin/sh", IMAGE, "-c", script,
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DockerError(f"timed out after {timeout}s: {shlex.join(cmd[:12])} …") from exc
    finally:
        job_file.unlink(missing_ok=True)
    started = _line(done.stdout, _STARTED)
    result = _line(done.stdout, RESULT_PREFIX)
    if done.returncode != 0 or started is None or result is None:
        raise DockerError(
            f"the function did not answer (rc={done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    answer = json.loads(result)
    return Measurement(
        cold_ms=(float(answer["answered_at"]) - float(started)) * 1000,
        warm_ms=[float(ms) for ms in answer["warm_ms"]],
        responses=answer["responses"],
        aws_calls=int(answer.get("aws_calls", 0)),
        aws_ms=float(answer.get("aws_ms", 0.0)),
    )


def _line(stdout: str, prefix: str) -> str | None:
    return next((line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix)), None)
