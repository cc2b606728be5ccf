"""The database migration at PRE_SCALE_UP (issue 11, optional): off unless configured; it needs a fresh snapshot
first; the task is started once (the hook execution's id is RunTask's clientToken), polled through IN_PROGRESS, and
its exit code decides — a non-zero exit fails the deployment with the task's stopped reason."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from opsbot.cutover import analysis, hook
from opsbot.cutover.migration import TaskState
from tests.snapshot_fakes import NOW
from tests.unit.test_cutover_core import CONFIG, _payload, _ports


@dataclass
class FakeTasks:
    snapshot_at: datetime | None = NOW - timedelta(hours=1)
    states: list[TaskState] = field(default_factory=lambda: [TaskState("RUNNING", None, "")])
    runs: list[tuple[tuple[str, ...], str]] = field(default_factory=list)

    def latest_snapshot_time(self) -> datetime | None:
        return self.snapshot_at

    def run(self, command: Any, client_token: str) -> str:
        self.runs.append((tuple(command), client_token))
        return "arn:aws:ecs:af-south-1:123456789012:task/mycandidate/5a1b2c3d"

    def task(self, task_arn: str) -> TaskState:
        return self.states.pop(0)


MIGRATING = replace(CONFIG, migration=("flask", "db", "upgrade"))


def _hook(tasks: FakeTasks, details: Any = None, config: hook.HookConfig = MIGRATING) -> hook.Decision:
    ports = replace(_ports(analysis.Sample(500, 0, 0.2)), migration=tasks, clock=lambda: NOW)
    return hook.decide(_payload("PRE_SCALE_UP", details, executionId="e8d5a28f-eb01"), config, ports)


def test_without_a_migration_configured_pre_scale_up_passes_and_runs_nothing() -> None:
    tasks = FakeTasks()
    assert _hook(tasks, config=CONFIG).status == "SUCCEEDED"
    assert tasks.runs == []


def test_the_migration_runs_once_and_its_exit_code_decides() -> None:
    tasks = FakeTasks(states=[TaskState("RUNNING", None, ""), TaskState("STOPPED", 0, "Essential container exited")])
    first = _hook(tasks)
    assert (first.status, first.response["callBackDelay"]) == ("IN_PROGRESS", 15)
    assert tasks.runs == [(("flask", "db", "upgrade"), "e8d5a28f-eb01")]
    running = _hook(tasks, first.response["hookDetails"])
    assert running.status == "IN_PROGRESS"
    assert "is RUNNING" in running.reason
    done = _hook(tasks, running.response["hookDetails"])
    assert (done.status, done.reason) == ("SUCCEEDED", "migration task 5a1b2c3d finished (exit 0)")
    assert len(tasks.runs) == 1


def test_a_failed_migration_fails_the_deployment_with_the_stopped_reason() -> None:
    tasks = FakeTasks(states=[TaskState("STOPPED", 3, "Essential container in task exited")])
    first = _hook(tasks)
    failed = _hook(tasks, first.response["hookDetails"])
    assert failed.status == "FAILED"
    assert failed.reason == "migration task 5a1b2c3d failed (exit 3): Essential container in task exited"


@pytest.mark.parametrize("taken", [None, NOW - timedelta(hours=7)])
def test_no_migration_without_a_fresh_snapshot(taken: datetime | None) -> None:
    tasks = FakeTasks(snapshot_at=taken)
    decision = _hook(tasks)
    assert decision.status == "FAILED"
    assert "needs a database snapshot younger than 6:00:00" in decision.reason
    assert tasks.runs == []


def test_migration_state_the_bot_did_not_write_is_refused() -> None:
    tasks = FakeTasks()
    decision = _hook(tasks, {"opsbot": {"migration": {"task": "arn:aws:s3:::not-a-task"}}})
    assert decision.status == "FAILED"
    assert "no task the bot started" in decision.reason
    assert tasks.runs == []
