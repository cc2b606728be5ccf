"""The election function against the moto server (issue 9): a Slack entry of the calendar becomes the bot's
scheduled actions and one-time wake-up schedules, scale-in is suspended on polling day and lifted after, a
retried delivery of the same schedule does nothing, and a second hourly run makes no mutating call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import LocalStack, running_stack
from opsbot import dependencies
from opsbot.aws.elections import ElectionEntries
from opsbot.elections import entry

ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-election-scaler"
GROUP = "mycandidate-opsbot-elections"
ROLE = "arn:aws:iam::123456789012:role/mycandidate-opsbot-ElectionScheduleRole"
DLQ = "arn:aws:sqs:af-south-1:123456789012:mycandidate-opsbot-election-dlq"
NOW = datetime.now(UTC).replace(microsecond=0)
POLLING = (NOW + timedelta(days=3)).date()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    with running_stack() as stack:
        monkeypatch.setenv("OPSBOT_ELECTION_SCHEDULE_GROUP", GROUP)
        monkeypatch.setenv("OPSBOT_ELECTION_SCHEDULE_ROLE_ARN", ROLE)
        monkeypatch.setenv("OPSBOT_ELECTION_SCHEDULE_DLQ_ARN", DLQ)
        dependencies.settings.cache_clear()
        entry._runtime.cache_clear()
        stack.client("scheduler").create_schedule_group(Name=GROUP)
        stack.client("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=stack.settings.scalable_resource_id,
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=2,
            MaxCapacity=10,
        )
        ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(
            {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": str(POLLING)},
            by="U0ADMIN",
            now=NOW,
        )
        yield stack
        entry._runtime.cache_clear()
        dependencies.settings.cache_clear()


def _run(scheduled_at: str, now: datetime, reason: str = "hourly") -> dict[str, Any]:
    event = {"opsbot": "election-sync", "scheduled_at": scheduled_at, "reason": reason}
    return entry.handle(event, FakeLambdaContext(function_name="election-scaler", invoked_function_arn=ARN), now=now)


def _wake_ups(stack: LocalStack) -> dict[str, dict[str, Any]]:
    scheduler = stack.client("scheduler")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=GROUP)["Schedules"]]
    return {name: scheduler.get_schedule(Name=name, GroupName=GROUP) for name in names}


def _suspended(stack: LocalStack) -> bool:
    (target,) = stack.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[stack.settings.scalable_resource_id]
    )["ScalableTargets"]
    return bool(target.get("SuspendedState", {}).get("DynamicScalingInSuspended"))


def test_the_hourly_run_schedules_capacity_and_its_own_wake_ups(stack: LocalStack) -> None:
    first = _run("2026-12-02T18:00:00Z", NOW)
    assert first["intents_added"] == 4  # build-up, polling, results and the hold after the window
    own = [a for a in stack.scheduled_actions() if a["ScheduledActionName"].startswith("opsbot-capacity-")]
    assert own, "the bot's scheduled actions are in place"
    for action in own:  # both bounds always sent
        assert set(action["ScalableTargetAction"]) == {"MinCapacity", "MaxCapacity"}
    wake_ups = _wake_ups(stack)
    assert len(wake_ups) == 3
    for schedule in wake_ups.values():
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["Target"]["Arn"] == ARN
        # A wake-up Scheduler cannot deliver is kept in the election queue, not dropped
        assert schedule["Target"]["DeadLetterConfig"] == {"Arn": DLQ}
        assert schedule["ScheduleExpression"].startswith("at(")
    # A retried delivery of the same schedule returns the first summary and does nothing
    again = _run("2026-12-02T18:00:00Z", NOW)
    assert again["duplicate"] is True
    # The next hour: nothing to change, no mutating call
    second = _run("2026-12-02T19:00:00Z", NOW + timedelta(hours=1))
    assert (second["intents_added"], second["intents_removed"], second["calls"]) == (0, 0, 0)
    assert (second["wake_ups_created"], second["suspension"]) == (0, "")


def test_scale_in_is_suspended_while_polls_are_open(stack: LocalStack) -> None:
    _run("2026-12-02T18:00:00Z", NOW)
    assert _suspended(stack) is False
    polling_noon = datetime.combine(POLLING, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    during = _run(f"{polling_noon:%Y-%m-%dT%H:%M:%SZ}", polling_noon, reason="boundary")
    assert during["suspension"] == "on"
    assert _suspended(stack) is True
    # The capacity bounds are unchanged by the suspension (RegisterScalableTarget got only SuspendedState)
    assert stack.capacity() == (4, 12)
    evening = polling_noon + timedelta(hours=10)  # 22:00 SAST: results, no suspension
    after = _run(f"{evening:%Y-%m-%dT%H:%M:%SZ}", evening, reason="boundary")
    assert after["suspension"] == "off"
    assert _suspended(stack) is False


def test_a_malformed_event_is_rejected_by_name(stack: LocalStack) -> None:
    assert entry.handle({"opsbot": "election-sync", "scheduled_at": "noon"}, FakeLambdaContext()) == {
        "rejected": "`scheduled_at` is not an ISO 8601 time: 'noon'"
    }
    assert entry.handle({"hello": 1}, FakeLambdaContext())["rejected"].startswith("not an election-sync event")
