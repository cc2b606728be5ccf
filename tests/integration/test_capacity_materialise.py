"""Capacity intents materialised on a real (moto) scalable target, through the real adapters.

``ScalableTargetGateway`` (Application Auto Scaling) and ``IntentStore`` (the operations table) with ``CapacityCore``:
the bot's actions are one-time ``at(...)`` schedules in UTC, a second materialisation only reads, a foreign action is
never touched, and the capacity generation is a conditional write.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import boto3
import pytest
from moto import mock_aws

from devtools.local_stack import create_bot_resources
from opsbot.aws.capacity import ScalableTargetGateway
from opsbot.aws.intents import IntentStore
from opsbot.capacity.core import CapacityCore
from opsbot.capacity.model import Generation, Intent
from opsbot.config import Settings
from opsbot.errors import ChangeInProgress
from opsbot.logic.scaling import Capacity

REGION = "af-south-1"
RESOURCE = "service/mycandidate/web"
DIMENSION: Final = "ecs:service:DesiredCount"
NOW = datetime(2026, 5, 29, 5, 0, tzinfo=UTC)
ALARM = "alarm:mycandidate-ecs-cpu-high"


@dataclass
class Target:
    """The moto account: the scalable target's client, the bot's adapters over it, and its mutating calls."""

    autoscaling: Any
    gateway: ScalableTargetGateway
    store: IntentStore
    settings: Settings
    calls: list[str] = field(default_factory=list)

    def core(self) -> CapacityCore:
        return CapacityCore(self.settings, self.gateway, self.store)

    @property
    def mutating_calls(self) -> list[str]:
        return [c for c in self.calls if not c.startswith("Describe")]

    def actions(self) -> dict[str, dict[str, Any]]:
        listed = self.autoscaling.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=RESOURCE)
        return {a["ScheduledActionName"]: a for a in listed["ScheduledActions"]}

    def bounds(self) -> Capacity:
        (target,) = self.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])[
            "ScalableTargets"
        ]
        return Capacity(int(target["MinCapacity"]), int(target["MaxCapacity"]))


@pytest.fixture
def target() -> Iterator[Target]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        settings = Settings()
        create_bot_resources(session, None, settings)
        ecs = session.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName="mycandidate")
        ecs.register_task_definition(
            family="mycandidate-web", containerDefinitions=[{"name": "web", "image": "web:v1", "memory": 512}]
        )
        ecs.create_service(cluster="mycandidate", serviceName="web", taskDefinition="mycandidate-web", desiredCount=2)
        autoscaling = session.client("application-autoscaling", region_name=REGION)
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, MinCapacity=2, MaxCapacity=10
        )
        bench = Target(
            autoscaling=autoscaling,
            gateway=ScalableTargetGateway(autoscaling, RESOURCE),
            store=IntentStore(session.client("dynamodb", region_name=REGION), settings.operations_table, RESOURCE),
            settings=settings,
        )

        def count(event_name: str, **_: Any) -> None:
            # before-call.application-autoscaling.<Operation>
            bench.calls.append(event_name.rsplit(".", 1)[-1])

        autoscaling.meta.events.register("before-call.application-autoscaling.*", count)
        yield bench


def raise_(low: int, hours: float, owner: str = "U0OPS", start: datetime = NOW, tag: str = "0000aaaa") -> Intent:
    return Intent(
        id=f"{start:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}",
        owner=owner,
        kind="raise",
        min=low,
        max=low,
        start=start,
        expires=start + timedelta(hours=hours),
        reason="test raise",
    )


def test_a_raise_materialises_one_time_actions_in_utc_and_raises_the_bounds(target: Target) -> None:
    # Given a person's raise to 6 until 11:00 and an alarm's raise to 8 from 06:00 until 08:00
    person = raise_(6, 6)
    alarm = raise_(8, 2, owner=ALARM, start=NOW + timedelta(hours=1), tag="alarm-0000bbbb")
    # When each is added through the capacity core
    target.core().change(NOW, operation=person.id, by="U0OPS", summary="scale 6 for 6h", add=[person])
    target.core().change(NOW, operation=alarm.id, by=ALARM, summary="remediate", add=[alarm])
    # Then the bounds are the person's now, and every later change point is a one-time action in UTC
    assert target.bounds() == Capacity(6, 10)
    actions = target.actions()
    assert {name: (a["Schedule"], a.get("Timezone"), a["ScalableTargetAction"]) for name, a in actions.items()} == {
        "opsbot-capacity-20260529T060000Z": ("at(2026-05-29T06:00:00)", "UTC", {"MinCapacity": 8, "MaxCapacity": 10}),
        "opsbot-capacity-20260529T080000Z": ("at(2026-05-29T08:00:00)", "UTC", {"MinCapacity": 6, "MaxCapacity": 10}),
        "opsbot-capacity-20260529T110000Z": ("at(2026-05-29T11:00:00)", "UTC", {"MinCapacity": 2, "MaxCapacity": 10}),
    }
    assert all(a["ScalableDimension"] == DIMENSION for a in actions.values())
    # And the intents are stored and read back as written
    assert sorted(target.store.intents(), key=lambda i: i.id) == sorted([person, alarm], key=lambda i: i.id)


def test_a_second_materialisation_with_nothing_changed_only_reads(target: Target) -> None:
    # Given two overlapping raises, materialised
    person = raise_(6, 6)
    alarm = raise_(8, 2, owner=ALARM, start=NOW + timedelta(hours=1), tag="alarm-0000bbbb")
    first = target.core().change(NOW, operation=person.id, by="U0OPS", summary="x", add=[person, alarm])
    assert target.mutating_calls.count("PutScheduledAction") == 3
    assert "RegisterScalableTarget" in target.mutating_calls
    assert first.calls  # the first one did change AWS
    # When capacity is materialised again from what the operations table holds
    target.calls.clear()
    again = target.core().materialise(NOW)
    # Then no mutating call is made: what is listed by AWS compares equal to the plan
    assert again.calls == ()
    assert target.mutating_calls == []
    assert set(target.calls) == {"DescribeScalableTargets", "DescribeScheduledActions"}


def test_a_foreign_action_on_the_target_is_never_touched(target: Target) -> None:
    # Given a person's own nightly scale-in on the same scalable target
    target.autoscaling.put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName="nightly-scale-in",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        Schedule="cron(0 1 * * ? *)",
        Timezone="Africa/Johannesburg",
        ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 6},
    )
    foreign = target.actions()["nightly-scale-in"]
    target.calls.clear()
    # When the bot raises, then drops the raise, then materialises again
    person = raise_(6, 2)
    target.core().change(NOW, operation=person.id, by="U0OPS", summary="raise", add=[person])
    target.core().change(NOW, operation="undo", by="U0OPS", summary="undo", remove=lambda i: i.id == person.id)
    target.core().materialise(NOW)
    # Then the foreign action is exactly as it was, and the bot's calls only ever named its own actions
    assert target.actions() == {"nightly-scale-in": foreign}
    assert target.bounds() == Capacity(2, 10)
    assert [a.name for a in target.core().foreign_actions()] == ["nightly-scale-in"]
    assert "DeleteScheduledAction" in target.mutating_calls  # the bot did clean up its own action


def test_the_generation_bump_is_a_conditional_write(target: Target) -> None:
    store = target.store

    def bump(expected: int, new: Generation) -> None:
        store.commit(expected, new, put=(), delete=(), marker="applied")

    # Given no generation yet: the first bump must expect none
    assert store.generation() == Generation()
    first = Generation(1, "op-1", "U0OPS", "scale 4", NOW)
    bump(0, first)
    assert store.generation() == first
    # When another writer expects 0 again (it read before the first one committed)
    with pytest.raises(ChangeInProgress):
        bump(0, Generation(1, "op-2", "U0ADMIN", "scale 5", NOW))
    # Or expects a number that is not the current one
    with pytest.raises(ChangeInProgress):
        bump(5, Generation(6, "op-3", "U0ADMIN", "scale 5", NOW))
    # Then the first write stands, and the writer that expected the current number succeeds
    assert store.generation() == first
    second = Generation(2, "op-4", "U0ADMIN", "scale 6", NOW + timedelta(minutes=1))
    bump(1, second)
    assert store.generation() == second


def test_a_change_that_loses_the_generation_race_writes_no_intent_and_makes_no_aws_call(target: Target) -> None:
    # Given a change read generation 0, and another change committed generation 1 meanwhile
    store = target.store
    stale = store.generation()

    class Late:
        """The operations table as the late change sees it: the generation it read before the other commit."""

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def generation(self) -> Generation:
            return stale

    store.commit(0, Generation(1, "other", "U0ADMIN", "scale 5", NOW), put=(), delete=(), marker="applied")
    target.calls.clear()
    core = CapacityCore(target.settings, target.gateway, Late())  # type: ignore[arg-type]
    # When the late change tries to add its raise
    with pytest.raises(ChangeInProgress):
        core.change(NOW, operation="late", by="U0OPS", summary="late", add=[raise_(6, 2)])
    # Then nothing of it is stored and AWS was not changed
    assert store.intents() == []
    assert target.mutating_calls == []
    assert target.bounds() == Capacity(2, 10)


def test_a_change_is_one_transaction_and_leaves_a_marker_for_the_sweeper(target: Target) -> None:
    # Given a raise committed through the real store
    store = target.store
    person = raise_(6, 2)
    target.core().change(NOW, operation=person.id, by="U0OPS", summary="scale 6 for 2h", add=[person])
    # Then the intent, the generation and the operation's marker are all there
    assert [i.id for i in store.intents()] == [person.id]
    assert store.generation().operation == person.id
    assert store.marker(person.id) == "applied"
    assert store.marker("never-happened") is None
    # And a commit that loses the race writes none of its items
    late = raise_(8, 1, tag="0000bbbb")
    with pytest.raises(ChangeInProgress):
        store.commit(
            0, Generation(1, late.id, "U0ADMIN", "late", NOW), put=[late], delete=[person.id], marker="applied"
        )
    assert [i.id for i in store.intents()] == [person.id]
    assert store.marker(late.id) is None
