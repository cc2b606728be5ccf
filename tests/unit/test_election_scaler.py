"""The election reconciler's run (issue 9): capacity through the core, scale-in suspended on polling day and
lifted after, wake-ups at the boundaries, a drift put back and reported, the gated scale-down question asked
once, and the hold after a window that the team's answer moves."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbot.capacity.core import CapacityCore
from opsbot.capacity.drift import compare
from opsbot.capacity.timeline import effective
from opsbot.elections.calendar import load_calendar, window_span
from opsbot.elections.model import Election
from opsbot.elections.plan import plan
from opsbot.elections.scaler import ElectionScaler, ScalerPorts
from opsbot.elections.sources import Calendar
from opsbot.elections.suspension import suspending, wake_up_name, wake_ups
from opsbot.errors import AwsOperationError
from opsbot.logic.scaling import Capacity
from opsbot.operations.runner import OperationRunner
from opsbot.ports import IncidentDeliveryError
from opsbot.slack.blocks import violations
from opsbot.slack.election_reports import render
from tests.fakes import FakeElectionEntries, FakeHolds, World

WARD_52 = {"slug": "ward-52", "name": "Ward 52 & 53 by-election", "kind": "by-election"}
POLLING = "2027-02-17"
BEFORE = datetime(2027, 2, 10, 12, tzinfo=UTC)
POLLING_NOON = datetime(2027, 2, 17, 10, tzinfo=UTC)  # 12:00 SAST
AFTER_CLOSE = datetime(2027, 2, 18, 8, tzinfo=UTC)  # the by-election window closes T+1 09:00 SAST = 07:00 UTC


def _election(**overrides: Any) -> Election:
    (election,) = load_calendar({"elections": [{**WARD_52, "polling_date": POLLING, **overrides}]}, ceiling=20)
    return election


@dataclass
class FakeSuspension:
    on: bool = False
    calls: list[bool] = field(default_factory=list)

    def suspended(self) -> bool:
        return self.on

    def set_scale_in(self, suspended: bool) -> None:
        self.calls.append(suspended)
        self.on = suspended


@dataclass
class FakeWakeUps:
    schedules: dict[str, datetime] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    configured: bool = True

    def names(self) -> set[str]:
        return set(self.schedules)

    def create(self, name: str, at: datetime) -> None:
        self.created.append(name)
        self.schedules[name] = at

    def delete(self, name: str) -> None:
        self.schedules.pop(name, None)


@dataclass
class FakeNotifier:
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail: int = 0

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        if self.fail:
            self.fail -= 1
            raise IncidentDeliveryError("Slack said no", "ratelimited")
        self.posts.append(message)
        return "C0OPS", f"{len(self.posts)}.0"

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None: ...
    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None: ...


@dataclass
class Scene:
    world: World = field(default_factory=World)
    suspension: FakeSuspension = field(default_factory=FakeSuspension)
    wake: FakeWakeUps = field(default_factory=FakeWakeUps)
    holds: FakeHolds = field(default_factory=FakeHolds)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    elections: tuple[Election, ...] = ()
    runs: int = 0
    readiness: Any = None  # (election, calendar, now, trigger) -> report
    snapshots: Any = None  # asks for the pre-election snapshot

    def scaler(self) -> ElectionScaler:
        world = self.world
        calendar = Calendar(
            lambda: self.elections, FakeElectionEntries(), ceiling=20, holds=self.holds, grace=timedelta(hours=6)
        )
        ports = ScalerPorts(
            core=CapacityCore(world.settings, world.capacity, world.intents),
            calendar=calendar,
            suspension=self.suspension,
            wake_ups=self.wake,
            holds=self.holds,
            notifier=self.notifier,
            scheduled_actions=world.capacity.scheduled_actions,
            readiness=self.readiness,
            snapshots=self.snapshots,
        )
        runner = OperationRunner(world.settings, world.store, world.store, clock=lambda: BEFORE)
        return ElectionScaler(runner, ports, service="mycandidate/web", channel="C0OPS", render=render)

    def run(self, now: datetime) -> Any:
        self.runs += 1
        key = f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#{self.runs:08x}"
        return self.scaler().run(now, key, key)


def test_a_second_run_with_nothing_changed_makes_no_mutating_call() -> None:
    scene = Scene(elections=(_election(),))
    first = scene.run(BEFORE)
    assert first.intents_added == 4  # three phases and the hold after the window
    assert first.wake_ups_created == 3  # polling opens (suspend), results (lift), window closes (question)
    scene.world.capacity.calls.clear()
    scene.wake.created.clear()
    second = scene.run(BEFORE + timedelta(hours=1))
    assert (second.intents_added, second.intents_removed, second.calls) == (0, 0, 0)
    assert scene.world.capacity.mutating_calls == []
    assert scene.wake.created == []
    assert scene.suspension.calls == []


def test_scale_in_is_suspended_on_polling_day_and_lifted_after() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    during = scene.run(POLLING_NOON)
    assert (during.suspension, scene.suspension.on) == ("on", True)
    results = datetime(2027, 2, 17, 19, 30, tzinfo=UTC)  # 21:30 SAST: the results phase does not suspend
    after = scene.run(results)
    assert (after.suspension, scene.suspension.on) == ("off", False)
    # And both changes are audited as the calendar's system actor
    suspension_records = [e for e in scene.world.store.entries.values() if "scale-in suspension" in e.arguments]
    assert {e.actor for e in suspension_records} == {"election:calendar"}


def test_wake_ups_sit_on_the_suspension_boundaries_and_the_close() -> None:
    election = _election()
    expected = [
        datetime(2027, 2, 17, 3, 30, tzinfo=UTC),  # polling 05:30 SAST
        datetime(2027, 2, 17, 19, 0, tzinfo=UTC),  # results 21:00 SAST
        datetime(2027, 2, 18, 7, 0, tzinfo=UTC),  # window closes 09:00 SAST
    ]
    assert list(wake_ups([election], BEFORE)) == expected
    assert wake_up_name(expected[0]) == "opsbot-election-20270217T033000Z"
    assert suspending([election], POLLING_NOON) == ("ward-52",)
    assert suspending([election], BEFORE) == ()


def test_a_bot_action_changed_by_hand_is_put_back_and_reported_once() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    name, action = next(iter(scene.world.capacity.actions.items()))
    scene.world.capacity.actions[name] = action._replace(min=1)  # someone edited it in the console
    repaired = scene.run(BEFORE + timedelta(hours=1))
    assert repaired.drift_repaired == 1
    assert scene.world.capacity.actions[name].min == action.min
    (post,) = scene.notifier.posts
    assert "drifted and were put back" in post["text"]
    assert f"{name} was changed to min 1" in str(post["blocks"])
    quiet = scene.run(BEFORE + timedelta(hours=2))
    assert quiet.drift_repaired == 0
    assert len(scene.notifier.posts) == 1


def test_the_window_ended_question_is_asked_once_with_both_buttons() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    scene.run(AFTER_CLOSE)
    scene.run(AFTER_CLOSE + timedelta(hours=1))
    (question,) = scene.notifier.posts
    buttons = [e["action_id"] for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["election_scale_down", "election_keep"]
    assert "Ward 52 &amp; 53 by-election" in question["text"]  # escaped: Slack shows what the calendar says
    assert violations(question) == []


def test_a_failed_post_is_asked_again_on_the_next_run() -> None:
    scene = Scene(elections=(_election(),), notifier=FakeNotifier(fail=1))
    scene.run(BEFORE)
    first = scene.run(AFTER_CLOSE)
    assert first.failed == ["post window-ended#ward-52: ratelimited"]
    assert scene.notifier.posts == []
    scene.run(AFTER_CLOSE + timedelta(hours=1))
    assert len(scene.notifier.posts) == 1


def test_the_hold_keeps_the_last_capacity_until_the_fallback_then_the_baseline() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    core = CapacityCore(scene.world.settings, scene.world.capacity, scene.world.intents)
    intents = core.intents(BEFORE)
    closes = window_span(_election())[1]
    assert effective(intents, Capacity(2, 10), 20, closes + timedelta(hours=5)) == Capacity(3, 10)
    assert effective(intents, Capacity(2, 10), 20, closes + timedelta(hours=6)) == Capacity(2, 10)
    # And the fallback is a scheduled action at close + 6 h, so capacity returns even if the bot is down
    fallback = closes + timedelta(hours=6)
    assert any(a.at == fallback and (a.min, a.max) == (2, 10) for a in scene.world.capacity.actions.values())


def test_scale_down_now_moves_the_fallback_forward() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    scene.holds.hold("ward-52", AFTER_CLOSE, "U0OPS", AFTER_CLOSE)  # "Scale down now" pressed
    after = scene.run(AFTER_CLOSE)
    assert after.intents_removed == 1  # the hold to close + 6 h is gone
    assert scene.world.capacity.capacity == Capacity(2, 10)


def test_past_elections_and_elections_without_a_hold_plan_no_hold() -> None:
    election = replace(_election(), hold_until=None)
    planned = plan([], [election], baseline=Capacity(2, 10), ceiling=20, now=BEFORE)
    assert [i.reason for i in planned.add] == [
        "Ward 52 & 53 by-election: build-up",
        "Ward 52 & 53 by-election: polling",
        "Ward 52 & 53 by-election: results",
    ]
    long_after = datetime(2027, 3, 1, tzinfo=UTC)
    assert plan([], [_election()], baseline=Capacity(2, 10), ceiling=20, now=long_after).add == ()


def test_compare_names_missing_drifted_and_unexpected_actions() -> None:
    scene = Scene(elections=(_election(),))
    scene.run(BEFORE)
    core = CapacityCore(scene.world.settings, scene.world.capacity, scene.world.intents)
    planned = core.plan(core.intents(BEFORE), BEFORE).actions
    live = list(scene.world.capacity.actions.values())
    live = [live[0]._replace(max=99), *live[2:], live[1]._replace(name="opsbot-capacity-stray")]
    states = {s.name: s.state for s in compare(planned, live)}
    assert states[planned[0].name] == "drifted"
    assert states[planned[1].name] == "missing"
    assert states["opsbot-capacity-stray"] == "unexpected"
    assert [s for n, s in states.items() if n not in {planned[0].name, planned[1].name, "opsbot-capacity-stray"}] == [
        "ok"
    ] * (len(planned) - 2)


def test_a_capacity_sync_that_aws_refuses_is_told_in_the_channel_once_per_run_with_the_code() -> None:
    # Given Application Auto Scaling refusing the scheduled actions
    scene = Scene(elections=(_election(),))
    scene.world.capacity.fail_on.add("PutScheduledAction")
    # When the hourly run (and Lambda's redelivery of the same run) cannot schedule the election's capacity
    first = scene.run(BEFORE)
    scene.run(BEFORE)
    # Then the ops channel hears it once, with the AWS operation and code, and what to do
    assert first.failed
    assert first.failed[0].startswith("capacity:")
    (posted,) = scene.notifier.posts
    assert "capacity could not be brought in line" in posted["text"]
    shown = str(posted["blocks"])
    assert "PutScheduledAction" in shown
    assert "schedule sync" in shown
    assert violations(posted) == []


def test_wake_ups_that_cannot_be_created_are_told_with_what_was_done_before() -> None:
    # Given Scheduler creating the first wake-up, then refusing
    scene = Scene(elections=(_election(),))

    def create(name: str, at: datetime) -> None:
        if scene.wake.created:
            raise AwsOperationError("CreateSchedule", "AccessDeniedException", "the bot's IAM role is not allowed")
        scene.wake.created.append(name)
        scene.wake.schedules[name] = at

    scene.wake.create = create  # type: ignore[method-assign]
    # When the hourly run schedules the election's wake-ups
    scene.run(BEFORE)
    # Then the channel hears that this part stopped, with the code and the one wake-up already made
    (posted,) = scene.notifier.posts
    assert "scale-in suspension and wake-ups could not be brought in line" in posted["text"]
    shown = str(posted["blocks"])
    assert "AccessDeniedException" in shown
    assert "1 wake-up(s) created" in shown
