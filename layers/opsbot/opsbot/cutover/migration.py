"""The database migration at ``PRE_SCALE_UP`` (optional, off unless ``MigrationCommand`` is configured), pure given
its port: before the green revision starts, the new task definition runs once as a standalone Fargate task with the
migration command, in the service's network configuration; the hook polls it through ``IN_PROGRESS`` callbacks and
fails the deployment on a non-zero exit with the task's stopped reason.

A migration changes the database, so it needs the pre-cutover snapshot: without a snapshot younger than the
configured age (``deploy`` ensures one; a pipeline's deployment may not have), the hook fails before it runs
anything. ``RunTask`` carries the hook execution's id as ``clientToken``, so an invocation ECS retries does not start
a second task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

POLL_S = 15  # callBackDelay while the task runs: migrations are short, and each poll is one DescribeTasks


@dataclass(frozen=True)
class TaskState:
    status: str  # lastStatus: PROVISIONING … RUNNING … STOPPED
    exit_code: int | None  # the migration container's, once stopped
    stopped_reason: str


class MigrationPort(Protocol):
    def latest_snapshot_time(self) -> datetime | None: ...
    def run(self, command: Sequence[str], client_token: str) -> str:
        """``RunTask`` of the service's current (target) task definition; the task's ARN."""
        ...

    def task(self, task_arn: str) -> TaskState: ...


@dataclass(frozen=True)
class Step:
    status: str  # IN_PROGRESS | SUCCEEDED | FAILED
    reason: str
    state: dict[str, Any]  # carried in hookDetails.opsbot.migration while IN_PROGRESS


def step(
    carried: Mapping[str, Any] | None, command: Sequence[str], execution_id: str, port: MigrationPort,
    now: datetime, snapshot_max_age: timedelta,
) -> Step:  # fmt: skip
    if not carried:
        taken = port.latest_snapshot_time()
        if taken is None or now - taken > snapshot_max_age:
            when = f"the newest is from {taken:%Y-%m-%d %H:%M} UTC" if taken else "there is none"
            return Step("FAILED", f"migration not run: it needs a database snapshot younger than {snapshot_max_age}"
                        f" and {when}", {})  # fmt: skip
        task = port.run(command, execution_id[:64])
        return Step("IN_PROGRESS", f"migration task {task.rsplit('/', 1)[-1]} started", {"task": task})
    task = str(carried.get("task", ""))
    if ":task/" not in task:
        return Step("FAILED", "hookDetails.opsbot.migration has no task the bot started", {})
    found = port.task(task)
    short = task.rsplit("/", 1)[-1]
    if found.status != "STOPPED":
        return Step("IN_PROGRESS", f"migration task {short} is {found.status}", {"task": task})
    if found.exit_code == 0:
        return Step("SUCCEEDED", f"migration task {short} finished (exit 0)", {})
    code = "no exit code" if found.exit_code is None else f"exit {found.exit_code}"
    return Step("FAILED", f"migration task {short} failed ({code}): {found.stopped_reason[:300] or 'no reason'}", {})
