"""Capacity as intents: the pure timeline and ``CapacityCore`` against the in-memory ports.

Effective capacity = the newest setting (or the baseline) raised by every active raise, capped at the ceiling; it is
materialised as ``opsbot-capacity-<time>`` one-time scheduled actions (one per change point) plus the bounds now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from opsbot.capacity import timeline as tl
from opsbot.capacity.core import CapacityCore
from opsbot.capacity.model import Generation, Intent
from opsbot.commands.base import new_audit_key
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.config import Settings
from opsbot.errors import ActionFailed, ChangeInProgress
from opsbot.logic.scaling import Capacity
from opsbot.ports import ScheduledAction
from opsbot.slack.views import render
from tests.fakes import NOW, RBAC, FakeCapacity, FakeIntents, World

BASELINE = Capacity(2, 10)
CEILING = 20
ALARM = "alarm:mycandidate-ecs-cpu-high"
NIGHTLY = ScheduledAction("nightly-scale-in", "cron(0 1 * * ? *)", None, 2, 6)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


_serial = 0


def intent(
    kind: str,
    low: int,
    high: int,
    *,
    owner: str = "U0OPS",
    start: datetime = NOW,
    hours: float | None = None,
) -> Intent:
    """An intent as a command or an action would write it; ``hours`` after ``start`` it expires (None: never)."""
    global _serial
    _serial += 1
    return Intent(
        id=new_audit_key(start, f"{_serial:08x}"),
        owner=owner,
        kind="setting" if kind == "setting" else "raise",
        min=low,
        max=high,
        start=start,
        expires=None if hours is None else start + timedelta(hours=hours),
        reason=f"test {kind}",
    )


def schedule(capacity: FakeCapacity) -> list[tuple[datetime | None, int | None, int | None]]:
    """The bot's own scheduled actions, in time order, as (when, min, max)."""
    own = [a for a in capacity.actions.values() if a.name.startswith(tl.ACTION_PREFIX)]
    return sorted(((a.at, a.min, a.max) for a in own), key=lambda x: x[0] or NOW)


@dataclass
class Bench:
    capacity: FakeCapacity = field(default_factory=FakeCapacity)
    intents: FakeIntents = field(default_factory=FakeIntents)
    settings: Settings = field(default_factory=lambda: Settings(rbac=RBAC))

    def core(self) -> CapacityCore:
        return CapacityCore(self.settings, self.capacity, self.intents)

    def add(self, *intents: Intent, now: datetime = NOW, by: str = "U0OPS") -> None:
        self.core().change(now, operation=intents[0].id, by=by, summary="test", add=intents)


# the timeline ---------------------------------------------------------------------------------------------------


def test_overlapping_raises_give_the_highest_and_the_longer_one_outlives_the_shorter() -> None:
    # Given a person's 6 from 05:00 until 11:00 and an alarm's 8 from 06:00 until 08:00
    person = intent("raise", 6, 6, hours=6)
    alarm = intent("raise", 8, 8, owner=ALARM, start=at(1), hours=2)
    # When the timeline is worked out at 05:00
    plan = tl.timeline([person, alarm], BASELINE, CEILING, NOW)
    # Then capacity is 6 now, 8 while both hold, 6 again when the alarm's raise ends, and the baseline at 11:00
    assert plan.now == Capacity(6, 10)
    assert [(a.name, a.at, a.capacity) for a in plan.actions] == [
        ("opsbot-capacity-20260529T060000Z", at(1), Capacity(8, 10)),
        ("opsbot-capacity-20260529T080000Z", at(3), Capacity(6, 10)),
        ("opsbot-capacity-20260529T110000Z", at(6), Capacity(2, 10)),
    ]
    # And at any moment the effective minimum is the highest active one, never the latest written
    assert tl.effective([person, alarm], BASELINE, CEILING, at(2)) == Capacity(8, 10)
    assert tl.effective([alarm, person], BASELINE, CEILING, at(2)) == Capacity(8, 10)
    assert tl.effective([person, alarm], BASELINE, CEILING, at(5.99)) == Capacity(6, 10)


def test_a_shorter_raise_added_later_does_not_shorten_the_longer_one_on_the_service() -> None:
    # Given a person's raise to 6 until 11:00, materialised
    bench = Bench()
    bench.add(intent("raise", 6, 6, hours=6))
    # When at 06:00 an alarm adds a raise to 9 for 2h
    bench.add(intent("raise", 9, 9, owner=ALARM, start=at(1), hours=2), now=at(1), by=ALARM)
    # Then the service runs at least 9 now, 6 from 08:00 and the baseline only from 11:00
    assert bench.capacity.capacity == Capacity(9, 10)
    assert schedule(bench.capacity) == [(at(3), 6, 10), (at(6), 2, 10)]


def test_equal_raises_add_no_change_point_when_one_of_them_ends() -> None:
    # Given two owners asking for 6, one until 07:00 and one until 09:00
    first = intent("raise", 6, 6, hours=2)
    second = intent("raise", 6, 6, owner=ALARM, hours=4)
    # Then nothing changes at 07:00, so no scheduled action is planned for it
    plan = tl.timeline([first, second], BASELINE, CEILING, NOW)
    assert [(a.at, a.capacity) for a in plan.actions] == [(at(4), Capacity(2, 10))]


def test_a_setting_below_the_baseline_lowers_capacity_and_a_raise_ends_back_at_the_setting() -> None:
    # Given a baseline of 4..12 and the service at it
    world = World(settings=Settings(rbac=RBAC, baseline_min=4, baseline_max=12))
    world.capacity.capacity = Capacity(4, 12)
    # When an operator sets min 2 / max 6 (a quiet night), then raises to 5 for an hour
    execute_command("scale min=2 max=6", world.context())
    assert world.capacity.capacity == Capacity(2, 6)
    execute_command("scale 5 for 1h", world.context())
    # Then the setting replaced the baseline, and the raise ends back at the setting, not at the baseline
    assert world.capacity.capacity == Capacity(5, 6)
    assert schedule(world.capacity) == [(at(1), 2, 6)]


def test_the_newest_setting_replaces_an_older_one_even_if_it_is_lower() -> None:
    older = intent("setting", 6, 12, start=NOW - timedelta(days=1))
    newer = intent("setting", 3, 8, start=NOW - timedelta(hours=1))
    assert tl.effective([older, newer], BASELINE, CEILING, NOW) == Capacity(3, 8)


def test_an_expired_raise_no_longer_counts_and_its_action_is_not_created_again() -> None:
    # Given `scale 6 for 2h` at 05:00, with its return to the baseline scheduled for 07:00
    bench = Bench()
    bench.add(intent("raise", 6, 6, hours=2))
    assert schedule(bench.capacity) == [(at(2), 2, 10)]
    # And at 07:00 Application Auto Scaling ran that action (it is still listed)
    bench.capacity.capacity = Capacity(2, 10)
    # When at 08:00 capacity is looked at and someone raises for an hour
    later = at(3)
    core = bench.core()
    assert core.intents(later) == []
    assert core.effective(core.intents(later), later) == BASELINE
    bench.capacity.calls.clear()
    bench.add(intent("raise", 4, 4, start=later, hours=1), now=later)
    # Then the expired raise plays no part: only the new raise's return is scheduled, the 07:00 action is not
    # put again (it is removed as stale), and the minimum is the new raise's
    assert bench.capacity.capacity == Capacity(4, 10)
    assert schedule(bench.capacity) == [(at(4), 2, 10)]
    assert "opsbot-capacity-20260529T070000Z" not in bench.capacity.actions
    assert bench.capacity.mutating_calls.count("PutScheduledAction") == 1
    # And materialising again once the raise is over changes nothing it already did
    bench.capacity.calls.clear()
    result = core.materialise(at(3.5))
    assert result.calls == ()
    assert bench.capacity.mutating_calls == []


def test_scale_reset_removes_peoples_intents_but_keeps_the_alarms_raise() -> None:
    # Given an alarm's raise to 4 until 07:00, a person's raise to 6 for 6h and a person's setting
    world = World()
    world.intents.put_intent(intent("raise", 4, 4, owner=ALARM, hours=2))
    execute_command("scale 6 for 6h", world.context())
    execute_command("scale min=3 max=12", world.context(user="U0ADMIN"))
    assert world.capacity.capacity == Capacity(6, 12)
    # When an operator runs `scale reset`
    outcome = execute_command("scale reset", world.context())
    # Then the people's intents are gone and the alarm's raise still holds until it ends
    assert [(i.owner, i.min) for i in world.intents.intents()] == [(ALARM, 4)]
    assert world.capacity.capacity == Capacity(4, 10)
    assert schedule(world.capacity) == [(at(2), 2, 10)]
    # And the reply says what was removed and what still holds capacity up
    assert outcome.view.kind == "applied"
    assert "removed 2 earlier intent(s) of U0ADMIN, U0OPS" in outcome.view.note
    assert f"{ALARM} keeps min 4 until 07:00 UTC" in outcome.view.note


@dataclass
class NamingCapacity(FakeCapacity):
    """Records which scheduled action each mutating call touched."""

    touched: list[str] = field(default_factory=list)

    def put_action(self, name: str, at: datetime, capacity: Capacity) -> None:
        self.touched.append(name)
        super().put_action(name, at, capacity)

    def delete_action(self, name: str) -> None:
        self.touched.append(name)
        super().delete_action(name)


def test_a_persons_own_scheduled_actions_survive_every_materialisation() -> None:
    # Given a person's nightly cron action and another tool's one-time action on the same scalable target
    capacity = NamingCapacity()
    release = ScheduledAction("release-day-raise", "at(2026-05-29T09:00:00)", at(4), 5, 12)
    capacity.actions = {NIGHTLY.name: NIGHTLY, release.name: release}
    world = World(capacity=capacity)
    core = CapacityCore(world.settings, world.capacity, world.intents)
    # When the bot raises, overlaps, sets, undoes, resets and re-materialises, now and later
    execute_command("scale 6 for 6h", world.context())
    execute_command("scale 8 for 2h", world.context())
    setting = execute_command("scale min=4 max=12", world.context())
    execute_action("scale_undo", setting.view.undo_key, world.context())
    execute_command("scale reset", world.context())
    core.materialise(NOW)
    core.materialise(at(3))
    # Then the foreign actions are exactly as they were and no call ever named them
    assert capacity.actions[NIGHTLY.name] == NIGHTLY
    assert capacity.actions[release.name] == release
    assert {NIGHTLY.name, release.name}.isdisjoint(capacity.touched)
    assert core.foreign_actions() == [NIGHTLY, release]
    # And the bot did act on its own actions meanwhile (the test is not vacuous)
    assert capacity.touched
    assert all(name.startswith(tl.ACTION_PREFIX) for name in capacity.touched)


def test_materialising_what_is_already_in_place_makes_no_mutating_call() -> None:
    # Given a setting, two overlapping raises and a person's cron action, all materialised
    bench = Bench()
    bench.capacity.actions[NIGHTLY.name] = NIGHTLY
    bench.add(intent("setting", 3, 12, start=NOW - timedelta(days=1)))
    bench.add(intent("raise", 6, 6, hours=6))
    bench.add(intent("raise", 8, 8, owner=ALARM, start=at(1), hours=2))
    assert bench.capacity.capacity == Capacity(6, 12)
    assert len(schedule(bench.capacity)) == 3
    # When nothing has changed and capacity is materialised again, now and half an hour later
    bench.capacity.calls.clear()
    first = bench.core().materialise(NOW)
    second = bench.core().materialise(at(0.5))
    # Then AWS is only read, never written
    assert first.calls == second.calls == ()
    assert bench.capacity.mutating_calls == []
    assert bench.capacity.calls  # it did look


def test_a_change_that_changes_nothing_writes_nothing() -> None:
    bench = Bench()
    bench.add(intent("raise", 6, 6, hours=6))
    generation = bench.intents.generation()
    bench.capacity.calls.clear()
    change = bench.core().change(NOW, operation="op", by="U0OPS", summary="nothing", remove=lambda i: False)
    assert not change.changed
    assert bench.capacity.mutating_calls == []
    assert bench.intents.generation() == generation


def test_a_change_that_began_before_the_last_commit_keeps_that_commits_setting_in_force() -> None:
    # Given a person's `scale 5` committed at NOW + 2 s, while the reconciler's run began at NOW (found by a race
    # of real threads on the offline stack: the run's instant is older than the change it follows)
    bench = Bench()
    person = intent("setting", 5, 10, start=NOW + timedelta(seconds=2))
    bench.add(person, now=NOW + timedelta(seconds=2))
    # When the reconciler's change, planned at NOW, commits after it
    bench.add(intent("raise", 3, 10, owner="election:ward-52", start=at(24), hours=6), now=NOW, by="election:ward-52")
    # Then the person's minimum stays in force: not put back to the baseline until a scheduled action catches up
    assert bench.capacity.capacity == Capacity(5, 10)
    assert all(when is not None and when >= at(24) for when, _, _ in schedule(bench.capacity))


def test_the_ceiling_caps_every_intent_now_and_later() -> None:
    # Given an election raise asking for 30 tasks for 2h over a person's setting of 4..10, with a ceiling of 20
    bench = Bench()
    bench.add(intent("setting", 4, 10, start=NOW - timedelta(days=1)))
    election = intent("raise", 30, 30, owner="election:lge-2026", hours=2)
    # When it is materialised
    bench.add(election, by="election:lge-2026")
    # Then the service never goes above the ceiling, and returns to the setting when the raise ends
    assert bench.capacity.capacity == Capacity(20, 20)
    assert schedule(bench.capacity) == [(at(2), 4, 10)]
    # And a setting above the ceiling is capped too
    assert tl.effective([intent("setting", 25, 40)], BASELINE, CEILING, NOW) == Capacity(20, 20)


def test_an_aws_failure_part_way_puts_the_previous_intents_back_and_says_so() -> None:
    # Given a person's raise to 6 until 11:00, materialised (generation 1)
    bench = Bench()
    bench.add(intent("raise", 6, 6, hours=6))
    before_intents = bench.intents.intents()
    before_actions = dict(bench.capacity.actions)
    assert bench.intents.generation().number == 1
    # When an alarm's raise to 8 is added and Application Auto Scaling refuses the new bounds (after the new
    # scheduled action went in)
    bench.capacity.fail_on = {"RegisterScalableTarget"}
    with pytest.raises(ActionFailed) as failed:
        bench.add(intent("raise", 8, 8, owner=ALARM, hours=2), by=ALARM)
    # Then it says what failed and where capacity was left
    message = str(failed.value)
    assert "AWS RegisterScalableTarget failed" in message
    assert "capacity was put back to min 6 / max 10" in message
    assert failed.value.now == {"min": 6, "max": 10}
    # And the intents, the bounds and the schedule are as they were (the half-made action is gone again)
    assert bench.intents.intents() == before_intents
    assert bench.capacity.capacity == Capacity(6, 10)
    assert bench.capacity.actions == before_actions
    # And the generation moved on consistently: the put-back is a generation of its own that the next change
    # builds on
    generation = bench.intents.generation()
    assert generation.number == 3
    assert generation.summary == "put back: ThrottlingException"
    bench.capacity.fail_on = set()
    bench.add(intent("raise", 8, 8, owner=ALARM, hours=2), by=ALARM)
    assert bench.intents.generation().number == 4
    assert bench.capacity.capacity == Capacity(8, 10)


def test_when_even_the_put_back_fails_it_says_capacity_could_not_be_put_back_and_the_next_run_repairs_it() -> None:
    # Given a person's raise to 6 until 11:00, materialised
    bench = Bench()
    bench.add(intent("raise", 6, 6, hours=6))
    before_intents = bench.intents.intents()
    # When a second raise fails on the bounds, and removing its half-made action fails as well
    bench.capacity.fail_on = {"RegisterScalableTarget", "DeleteScheduledAction"}
    with pytest.raises(ActionFailed) as failed:
        bench.add(intent("raise", 8, 8, owner=ALARM, hours=2), by=ALARM)
    # Then the message does not pretend all is well: it says where capacity is and what to run
    message = str(failed.value)
    assert "capacity could NOT be put back (ThrottlingException), it is min 6 / max 10" in message
    assert "`scale reset`" in message
    # And the intents (the truth) are the previous ones, so once AWS answers, materialising removes the stray
    assert bench.intents.intents() == before_intents
    assert "opsbot-capacity-20260529T070000Z" in bench.capacity.actions
    bench.capacity.fail_on = set()
    repaired = bench.core().materialise(NOW)
    assert repaired.calls == ("DeleteScheduledAction opsbot-capacity-20260529T070000Z",)
    assert schedule(bench.capacity) == [(at(6), 2, 10)]


def test_a_failed_scale_is_reported_with_the_capacity_it_was_put_back_to() -> None:
    # Given an operator's raise to 6 for 6h
    world = World()
    execute_command("scale 6 for 6h", world.context())
    # When the next raise fails part-way in AWS
    world.capacity.fail_on = {"RegisterScalableTarget"}
    outcome = execute_command("scale 8 for 1h", world.context())
    # Then the operator reads that it failed and where capacity is; the audit trail says the same
    assert outcome.view.kind == "failed"
    assert "capacity was put back to min 6 / max 10" in outcome.view.message
    entry = world.audit()[-1]
    assert (entry.result, entry.after) == ("failed", {"min": 6, "max": 10})
    assert [i.min for i in world.intents.intents()] == [6]


class RacingIntents(FakeIntents):
    """Another operation (say, one whose change lock expired) commits right after this one read the generation."""

    raced = False

    def generation(self) -> Generation:
        seen = self.current
        if not self.raced:
            self.raced = True
            self.current = Generation(seen.number + 1, "other-op", "U0ADMIN", "scale 5", NOW)
        return seen


def test_a_change_that_loses_the_generation_race_changes_neither_the_intents_nor_aws() -> None:
    # Given a person's raise in place, and another change committing concurrently
    bench = Bench(intents=RacingIntents())
    existing = intent("raise", 6, 6, hours=6)
    bench.intents.put_intent(existing)
    bench.capacity.capacity = Capacity(6, 10)
    # When a change tries to add a raise and remove the existing one
    added = intent("raise", 8, 8, hours=1)
    with pytest.raises(ChangeInProgress, match="changed by another operation"):
        bench.core().change(NOW, operation=added.id, by="U0OPS", summary="x", add=[added], remove=lambda i: True)
    # Then the loser wrote nothing: the intents are the winner's, and AWS was not touched
    assert bench.intents.intents() == [existing]
    assert bench.capacity.mutating_calls == []


def test_a_scale_that_loses_the_generation_race_is_refused_and_changes_nothing() -> None:
    world = World(intents=RacingIntents())
    outcome = execute_command("scale 4", world.context())
    assert outcome.view.kind == "refused"
    assert "try again" in outcome.view.message
    assert world.intents.intents() == []
    assert world.capacity.mutating_calls == []


# status -----------------------------------------------------------------------------------------------------------


def test_status_lists_the_active_intents_and_what_each_contributes() -> None:
    # Given an older setting replaced by a newer one, an alarm's raise, a person's raise below it, and a raise
    # that ended an hour ago
    world = World()
    old = intent("setting", 3, 8, owner="U0ADMIN", start=NOW - timedelta(days=2))
    setting = intent("setting", 4, 12, owner="U0ADMIN", start=NOW - timedelta(days=1))
    alarm = intent("raise", 8, 8, owner=ALARM, start=NOW - timedelta(minutes=10), hours=2)
    person = intent("raise", 6, 6, start=NOW - timedelta(minutes=5), hours=6)
    ended = intent("raise", 9, 9, start=NOW - timedelta(hours=3), hours=2)
    for each in (old, setting, alarm, person, ended):
        world.intents.put_intent(each)
    # When a viewer asks for the status
    outcome = execute_command("status", world.context(user="U0VIEW"))
    # Then it lists the intents in force, newest first, each with what it holds now
    contributions = outcome.view.intents.value
    assert [(c.intent.id, c.sets_min, c.sets_max) for c in contributions] == [
        (person.id, False, False),
        (alarm.id, True, False),
        (setting.id, False, True),
    ]
    # And the rendered status names the owners, their bounds, their ends and what each holds
    text = json.dumps(render(outcome), ensure_ascii=False)
    assert "baseline min 2 / max 10" in text
    assert f"`{ALARM}` raise min 8 / max 8 until 05-29 06:50 UTC — holds the min" in text
    assert "`U0ADMIN` setting min 4 / max 12 — holds the max" in text
    assert "`U0OPS` raise min 6 / max 6 until 05-29 10:55 UTC\\n" in text
    assert "min 9" not in text  # the ended raise
    assert "min 3 / max 8" not in text  # the replaced setting


def test_status_with_no_intents_says_baseline_only() -> None:
    outcome = execute_command("status", World().context(user="U0VIEW"))
    assert outcome.view.intents.value == []
    assert "baseline only" in json.dumps(render(outcome))


def test_status_shows_a_raise_above_the_ceiling_holding_both_bounds() -> None:
    # Given an election raise asking for more than the ceiling allows
    election = intent("raise", 30, 30, owner="election:lge-2026", hours=2)
    # Then status says it is what holds the minimum and the maximum (both at the ceiling)
    (contribution,) = tl.contributions([election], BASELINE, CEILING, NOW)
    assert (contribution.sets_min, contribution.sets_max) == (True, True)


def test_an_intent_round_trips_through_its_stored_form() -> None:
    for each in (intent("raise", 6, 6, owner=ALARM, hours=2), intent("setting", 3, 12)):
        assert Intent.from_dict(json.loads(json.dumps(each.to_dict()))) == each


def test_a_person_intent_and_a_system_intent_are_told_apart() -> None:
    assert intent("raise", 4, 4).owner_kind == "person"
    assert intent("raise", 4, 4, owner=ALARM).owner_kind == "alarm"
    assert replace(intent("raise", 4, 4), owner="election:lge-2026").owner_kind == "election"


# undo against the intents --------------------------------------------------------------------------------------------


def test_undo_of_a_setting_puts_back_the_setting_it_replaced() -> None:
    world = World()
    execute_command("scale 4", world.context())
    second = execute_command("scale 6", world.context())
    undone = execute_action("scale_undo", second.view.undo_key, world.context())
    assert undone.view.kind == "undone"
    assert world.capacity.capacity == Capacity(4, 10)
    assert [(i.kind, i.min) for i in world.intents.intents()] == [("setting", 4)]


def test_undo_of_a_setting_that_a_newer_setting_replaced_has_nothing_to_undo() -> None:
    # Given `scale 4`, then `scale 6` (replacing it), then `scale 8` (replacing that)
    world = World()
    execute_command("scale 4", world.context())
    middle = execute_command("scale 6", world.context())
    execute_command("scale 8", world.context(user="U0ADMIN"))
    kept = world.intents.intents()
    world.capacity.calls.clear()
    # When Undo is pressed on `scale 6`
    undo = execute_action("scale_undo", middle.view.undo_key, world.context())
    # Then there is nothing to undo: putting back `scale 4` under `scale 8` would change nothing
    assert undo.view.kind == "refused"
    assert "nothing to undo" in undo.view.message
    assert world.intents.intents() == kept
    assert world.capacity.capacity == Capacity(8, 10)
    assert world.capacity.mutating_calls == []


def test_undo_of_a_reset_after_a_new_setting_puts_back_the_raise_but_not_the_replaced_setting() -> None:
    # Given `scale 4`, `scale 6 for 2h`, `scale reset`, then a new setting `scale 3`
    world = World()
    execute_command("scale 4", world.context())
    execute_command("scale 6 for 2h", world.context())
    reset = execute_command("scale reset", world.context())
    execute_command("scale 3", world.context(user="U0ADMIN"))
    # When Undo of the reset is pressed and confirmed (capacity changed since, so it asks)
    asked = execute_action("scale_undo", reset.view.undo_key, world.context())
    assert asked.view.kind == "confirm-undo"
    undone = execute_action("scale_undo_confirm", asked.view.confirmation_id, world.context())
    # Then the raise the reset removed is back until it ends, over the new setting, which stays
    assert undone.view.kind == "undone"
    assert sorted((i.kind, i.min) for i in world.intents.intents()) == [("raise", 6), ("setting", 3)]
    assert world.capacity.capacity == Capacity(6, 10)
    assert schedule(world.capacity) == [(at(2), 3, 10)]


def test_a_persons_raise_covered_by_an_alarms_raise_is_kept_and_outlives_its_undo() -> None:
    # Given an alarm's raise to 10 until 07:00, recorded as the operation the incident's Undo points at
    world = World()
    core = CapacityCore(world.settings, world.capacity, world.intents)
    alarm_raise = intent("raise", 10, 10, owner=ALARM, hours=2)
    core.change(NOW, operation=alarm_raise.id, by=ALARM, summary="remediate", add=[alarm_raise])
    # When a person asks for 8 until 06:00, which the alarm's raise covers for now
    outcome = execute_command("scale 8 for 1h", world.context())
    # Then the person's raise is stored all the same, and the reply says who holds capacity above it
    assert outcome.view.kind == "applied"
    assert "alarm:mycandidate-ecs-cpu-high keeps min 10 until 07:00 UTC" in outcome.view.note
    assert sorted(i.owner for i in world.intents.intents()) == ["U0OPS", ALARM]
    # And when the alarm's raise goes (removed as its Undo would), the person's 8 holds until 06:00
    core.change(NOW, operation="undo", by="U0ADMIN", summary="undo", remove=lambda i: i.id == alarm_raise.id)
    assert world.capacity.capacity == Capacity(8, 10)
    assert [(a.at, a.min) for a in world.capacity.actions.values()] == [(at(1), 2)]


def test_the_same_raise_by_the_same_person_twice_is_a_noop() -> None:
    world = World()
    execute_command("scale 6 for 2h", world.context())
    again = execute_command("scale 6 for 1h", world.context())
    assert again.view.kind == "noop"
    assert len(world.intents.intents()) == 1


def test_change_points_with_fractions_of_a_second_still_materialise_idempotently() -> None:
    # Given a raise whose expiry is not on a whole second (a future intent source may produce one)
    world = World()
    core = CapacityCore(world.settings, world.capacity, world.intents)
    odd = replace(intent("raise", 6, 6, hours=1), expires=at(1) + timedelta(milliseconds=250))
    core.change(NOW, operation=odd.id, by="U0OPS", summary="raise", add=[odd])
    (action,) = world.capacity.actions.values()
    # Then its action is at the next whole second, when the raise has really ended
    assert action.at == at(1) + timedelta(seconds=1)
    assert action.min == 2
    # And a second materialisation makes no call
    world.capacity.calls.clear()
    core.materialise(NOW)
    assert world.capacity.mutating_calls == []
