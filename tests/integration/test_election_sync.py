"""The election reconcile against the moto server (issue 9, part 1): the calendar's windows become scheduled
actions through the capacity core, a second run makes no mutating call, a bot action deleted by hand is put back,
a person's own action is never touched, a dry run changes nothing, and every run is audited as the system actor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.local_stack import LocalStack, running_stack
from opsbot import dependencies
from opsbot.capacity.core import CapacityCore
from opsbot.commands.base import new_audit_key
from opsbot.elections.calendar import load_calendar
from opsbot.elections.model import Election
from opsbot.elections.reconcile import SyncView, sync
from opsbot.operations.runner import OperationRunner

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with running_stack() as stack:
        stack.client("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=stack.settings.scalable_resource_id,
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=2,
            MaxCapacity=10,
        )
        yield stack


def _calendar(days_ahead: int = 3, **overrides: Any) -> tuple[Election, ...]:
    polling = (NOW + timedelta(days=days_ahead)).date().isoformat()
    entry = {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": polling}
    return load_calendar({"elections": [{**entry, **overrides}]}, ceiling=20)


def _sync(stack: LocalStack, elections: tuple[Election, ...], tag: str, dry_run: bool = False) -> Any:
    ports = dependencies.build_ports(stack.settings)
    runner = OperationRunner(stack.settings, ports.audit, ports.locks, clock=lambda: NOW)
    core = CapacityCore(stack.settings, ports.capacity, ports.intents)
    return sync(
        runner,
        core,
        lambda: elections,
        now=NOW,
        operation_key=new_audit_key(NOW, tag),
        lock_owner=f"test-{tag}",
        service=stack.settings.service_key,
        dry_run=dry_run,
    )


def _own(stack: LocalStack) -> dict[str, dict[str, Any]]:
    return {
        a["ScheduledActionName"]: a for a in stack.scheduled_actions() if a["ScheduledActionName"].startswith("opsbot-")
    }


def test_the_calendar_becomes_scheduled_actions_and_a_second_run_makes_no_mutating_call(stack: LocalStack) -> None:
    # When the calendar with one by-election three days ahead is synced
    first = _sync(stack, _calendar(), "0000aaa1")
    view: SyncView = first.view
    # Then each change point of its windows is a bot-owned scheduled action, with both bounds
    own = _own(stack)
    assert len(own) == view.plan.actions == 4
    polling = sorted(own.values(), key=lambda a: a["Schedule"])[1]
    assert polling["ScalableTargetAction"] == {"MinCapacity": 4, "MaxCapacity": 12}
    assert all(a["Schedule"].startswith("at(") for a in own.values())
    assert [call.split()[0] for call in view.calls] == ["PutScheduledAction"] * 4
    # And a second run with nothing changed makes no mutating call
    again = _sync(stack, _calendar(), "0000aaa2")
    assert again.view.calls == ()
    assert not again.view.plan.changes


def test_a_bot_action_deleted_by_hand_is_put_back_and_a_persons_own_action_is_left_alone(stack: LocalStack) -> None:
    _sync(stack, _calendar(), "0000bbb1")
    autoscaling = stack.client("application-autoscaling")
    gone = sorted(_own(stack))[0]
    autoscaling.delete_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName=gone,
        ResourceId=stack.settings.scalable_resource_id,
        ScalableDimension="ecs:service:DesiredCount",
    )
    autoscaling.put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName="ops-team-friday-peak",
        ResourceId=stack.settings.scalable_resource_id,
        ScalableDimension="ecs:service:DesiredCount",
        Schedule="cron(0 16 ? * FRI *)",
        ScalableTargetAction={"MinCapacity": 3, "MaxCapacity": 10},
    )
    repaired = _sync(stack, _calendar(), "0000bbb2")
    assert repaired.view.calls == (f"PutScheduledAction {gone}",)
    assert gone in _own(stack)
    names = {a["ScheduledActionName"] for a in stack.scheduled_actions()}
    assert "ops-team-friday-peak" in names


def test_a_changed_phase_moves_only_its_actions_and_a_dry_run_changes_nothing(stack: LocalStack) -> None:
    _sync(stack, _calendar(), "0000ccc1")
    before = _own(stack)
    bigger = _calendar(phases={"polling": {"min": 6, "max": 16}})
    preview = _sync(stack, bigger, "0000ccc2", dry_run=True)
    assert preview.view.dry_run
    assert [(i.min, i.max) for i in preview.view.plan.add] == [(6, 16)]
    assert _own(stack) == before
    applied = _sync(stack, bigger, "0000ccc3")
    assert applied.view.calls  # the polling phase's action now carries 6-16
    assert {
        (a["ScalableTargetAction"]["MinCapacity"], a["ScalableTargetAction"]["MaxCapacity"])
        for a in _own(stack).values()
    } >= {(6, 16)}


def test_every_sync_is_audited_as_the_calendar_actor(stack: LocalStack) -> None:
    _sync(stack, _calendar(), "0000ddd1")
    (record,) = [i for i in stack.audit_items() if i.get("verb", {}).get("S") == "capacity"]
    assert record["actor"]["S"] == "election:calendar"
    assert record["result"]["S"] == "ok"
