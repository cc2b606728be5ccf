"""The replica keeps time: scheduled actions fall due, the desired count follows [min, max], tasks start, and
one-time Scheduler schedules are delivered.

Everything the replica sends goes through boto3 clients to the moto server, so botocore validates each request
against the service model before it leaves (ECS task counts, which no API sets, are the one backend-level write).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.local_stack import OPERATOR, LocalStack, running_stack

START = datetime(2030, 11, 4, 6, 0, tzinfo=UTC)
DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with running_stack(start=START, frozen=True) as running:
        running.settle()  # the seeded tasks start: the first sight of the service
        running.advance(timedelta(minutes=2))
        yield running


def service(stack: LocalStack) -> dict[str, Any]:
    found: dict[str, Any] = stack.client("ecs").describe_services(
        cluster=stack.settings.cluster, services=[stack.settings.service]
    )["services"][0]
    return found


def counts(stack: LocalStack) -> tuple[int, int, int]:
    """(desired, pending, running) as DescribeServices shows them."""
    found = service(stack)
    return int(found["desiredCount"]), int(found["pendingCount"]), int(found["runningCount"])


def put_action(stack: LocalStack, name: str, at: str, timezone: str | None = None, **target: int) -> None:
    extra = {"Timezone": timezone} if timezone else {}
    stack.client("application-autoscaling").put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName=name,
        ResourceId=stack.settings.scalable_resource_id,
        ScalableDimension=DIMENSION,
        Schedule=f"at({at})",
        ScalableTargetAction=target,
        **extra,
    )


def register(stack: LocalStack, low: int, high: int) -> None:
    stack.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=stack.settings.scalable_resource_id,
        ScalableDimension=DIMENSION,
        MinCapacity=low,
        MaxCapacity=high,
    )


def create_schedule(stack: LocalStack, name: str, at: str, payload: dict[str, Any], after: str) -> None:
    stack.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=f"at({at})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion=after,
        Target={
            "Arn": "arn:aws:lambda:af-south-1:123456789012:function:election",
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps(payload),
        },
    )


def schedule_names(stack: LocalStack) -> list[str]:
    return sorted(s["Name"] for s in stack.client("scheduler").list_schedules()["Schedules"])


# ------------------------------------------------------------------------------------------------- tests


def test_the_seeded_service_runs_its_tasks_once_started(stack: LocalStack) -> None:
    # Given the seeded replica two minutes after it started; Then its two tasks are running
    assert counts(stack) == (2, 0, 2)
    assert stack.clock() == START + timedelta(minutes=2)


def test_a_scheduled_action_raises_the_bounds_and_the_desired_count_then_the_tasks_start(stack: LocalStack) -> None:
    # Given an action at 06:30 raising the service to 6..12
    put_action(stack, "raise", "2030-11-04T06:30:00", MinCapacity=6, MaxCapacity=12)

    # When time passes to 06:29: nothing happens yet
    stack.advance_to(datetime(2030, 11, 4, 6, 29, tzinfo=UTC))
    assert stack.capacity() == (2, 10)
    assert counts(stack) == (2, 0, 2)

    # When it passes 06:30 by ten seconds: min/max raised, desired moved up, four tasks pending
    stack.advance_to(datetime(2030, 11, 4, 6, 30, 10, tzinfo=UTC))
    assert stack.capacity() == (6, 12)
    assert counts(stack) == (6, 4, 2)

    # Then after the start delay the new tasks run; the executed one-time action stays listed, as in AWS
    stack.advance(timedelta(minutes=1))
    assert counts(stack) == (6, 0, 6)
    assert [a["ScheduledActionName"] for a in stack.scheduled_actions()] == ["raise"]


def test_actions_apply_in_time_order_and_only_the_fields_they_give(stack: LocalStack) -> None:
    # Given a later action setting only the minimum and an earlier one setting both bounds
    put_action(stack, "later", "2030-11-04T08:00:00", MinCapacity=3)
    put_action(stack, "earlier", "2030-11-04T07:00:00", MinCapacity=5, MaxCapacity=8)

    # When both fall due
    stack.advance(timedelta(hours=3))

    # Then the later one wins the minimum and keeps the earlier maximum; desired stays inside the bounds
    assert stack.capacity() == (3, 8)
    assert counts(stack) == (5, 0, 5)


def test_an_action_in_its_own_timezone_falls_due_at_that_local_time(stack: LocalStack) -> None:
    # Given an action at 09:00 Johannesburg time (07:00 UTC)
    put_action(stack, "sast", "2030-11-04T09:00:00", timezone="Africa/Johannesburg", MinCapacity=4)

    # When time reaches 06:59 UTC, then 07:00 UTC
    stack.advance_to(datetime(2030, 11, 4, 6, 59, tzinfo=UTC))
    before = stack.capacity()
    stack.advance_to(datetime(2030, 11, 4, 7, 0, tzinfo=UTC))

    # Then it applied at 07:00 UTC, not before
    assert before == (2, 10)
    assert stack.capacity() == (4, 10)


def test_an_action_already_run_does_not_run_again(stack: LocalStack) -> None:
    # Given an action that raised the minimum, after which someone lowered it by hand
    put_action(stack, "raise", "2030-11-04T06:30:00", MinCapacity=5)
    stack.advance(timedelta(hours=1))
    register(stack, 2, 10)

    # When more time passes
    stack.advance(timedelta(days=1))

    # Then the old action does not put its minimum back
    assert stack.capacity() == (2, 10)


def test_raising_the_minimum_above_the_desired_count_moves_it_up_at_once(stack: LocalStack) -> None:
    # Given the service at 2 tasks; When the minimum is registered as 4 and the replica settles
    register(stack, 4, 10)
    stack.settle()

    # Then the desired count is 4, two tasks pending, running after the start delay
    assert counts(stack) == (4, 2, 2)
    stack.advance(timedelta(seconds=60))
    assert counts(stack) == (4, 0, 4)


def test_lowering_the_maximum_below_the_desired_count_moves_it_down(stack: LocalStack) -> None:
    # Given the service at 5 running tasks
    register(stack, 5, 10)
    stack.settle()
    stack.advance(timedelta(minutes=1))

    # When the bounds become 1..3
    register(stack, 1, 3)
    stack.settle()

    # Then desired and running fall to 3 at once
    assert counts(stack) == (3, 0, 3)


def test_a_due_one_time_schedule_is_delivered_once_and_deleted_after_completion(stack: LocalStack) -> None:
    # Given two wake-ups: one deleting itself after completion, one kept, and one not yet due
    create_schedule(stack, "lift", "2030-11-04T07:00:00", {"kind": "lift", "slug": "by-2030"}, "DELETE")
    create_schedule(stack, "apply", "2030-11-04T06:45:00", {"kind": "apply", "slug": "by-2030"}, "NONE")
    create_schedule(stack, "tomorrow", "2030-11-05T06:00:00", {"kind": "apply"}, "DELETE")

    # When time passes 07:00
    stack.advance_to(datetime(2030, 11, 4, 8, 0, tzinfo=UTC))

    # Then both due ones were delivered in time order with their input, the DELETE one is gone
    assert stack.delivered == [
        ("apply", {"kind": "apply", "slug": "by-2030"}),
        ("lift", {"kind": "lift", "slug": "by-2030"}),
    ]
    assert schedule_names(stack) == ["apply", "tomorrow"]

    # When time passes again (not yet tomorrow): nothing is delivered twice
    stack.advance(timedelta(hours=12))
    assert len(stack.delivered) == 2


def test_a_delivery_can_change_capacity_which_then_settles_at_the_same_instant(stack: LocalStack) -> None:
    # Given a wake-up whose handler raises the minimum (as the election function would, through AAS)
    create_schedule(stack, "wake", "2030-11-04T07:00:00", {"min": 7}, "DELETE")
    stack.on_schedule = lambda name, payload: register(stack, int(payload["min"]), 10)

    # When it falls due
    stack.advance_to(datetime(2030, 11, 4, 7, 0, tzinfo=UTC))

    # Then the desired count was moved up at that instant and the tasks are starting
    assert counts(stack) == (7, 5, 2)


def test_a_temporary_raise_from_slack_is_settled_at_once_and_reverted_on_time(stack: LocalStack) -> None:
    # Given the bot of the stack, on the replica's clock
    bot = stack.bot()
    assert bot.clock is stack.clock

    # When an operator raises the service to 6 for 6 hours
    bot.command("scale 6 for 6h", OPERATOR, response_url=f"{stack.recorder.url}/response/raise")

    # Then, once the request is handled, the desired count is already at the raised minimum, tasks starting
    assert stack.capacity() == (6, 10)
    assert counts(stack) == (6, 4, 2)

    # When six hours pass: the revert action has run and the bounds are back; the six tasks started in between and
    # stay (only target tracking, which the replica does not simulate, would scale in inside [min, max])
    stack.advance(timedelta(hours=6, minutes=1))
    assert stack.capacity() == (2, 10)
    assert counts(stack) == (6, 0, 6)


def test_the_stack_clock_runs_with_real_time_and_never_goes_back() -> None:
    # Given a running replica clock (what the stack uses by default)
    from devtools.replica.clock import ReplicaClock

    clock = ReplicaClock(START)
    first = clock()

    # When it is advanced by an hour
    clock.advance(timedelta(hours=1))
    later = clock()

    # Then time only went forward, by at least the hour, and the clock is aware UTC
    assert first >= START
    assert later >= START + timedelta(hours=1)
    assert clock() >= later
    assert clock().tzinfo is UTC
