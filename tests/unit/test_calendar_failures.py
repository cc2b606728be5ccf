"""What the fault and crash campaigns found on the calendar's paths (issue 12): a gated scale-down press whose
change fails takes its answer back (or the next hourly run would carry out what the person was told had failed),
the sweeper takes back the answer of a press cut short before its change, and `schedule remove`'s Confirm keeps
its one-time confirmation when the removal fails and names the spent button when it is cut short."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from opsbot.commands.base import new_audit_key
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.commands.scale_down import scale_down_evidence
from opsbot.config import Role
from opsbot.logic.scaling import Capacity
from opsbot.operations.sweeper import Sweeper, Swept
from opsbot.ports import AuditEntry
from opsbot.slack.operations import render_swept
from tests.fakes import NOW, FakeHolds, World
from tests.unit.test_remediation import Bench
from tests.unit.test_scale_down_buttons import AFTER, _world_with_the_window_held
from tests.unit.test_watch_and_sweeper import swept_after_a_stop


def test_a_scale_down_whose_change_fails_takes_its_answer_back() -> None:
    # Given the window's capacity held after the close, and the capacity change's transaction throttled
    world = _world_with_the_window_held()
    world.intents.fail_commits = 1
    # When Scale down now is pressed
    outcome = execute_action("election_scale_down", "ward-52", world.context(role=Role.OPERATOR, now=AFTER))
    # Then it is reported failed, capacity is as it was, and no answer is left for the next hourly run to act on
    assert outcome.audit is not None
    assert outcome.audit.result == "failed"
    assert world.capacity.capacity == Capacity(3, 10)
    assert world.holds.decided == {}


def test_a_keep_whose_change_fails_puts_the_earlier_answer_back() -> None:
    world = _world_with_the_window_held()
    world.holds.hold("ward-52", AFTER + timedelta(hours=2), "U0OPS", AFTER)  # an earlier Keep
    world.intents.fail_commits = 1
    outcome = execute_action(
        "election_keep", "ward-52", world.context(role=Role.OPERATOR, now=AFTER + timedelta(hours=1))
    )
    assert outcome.audit is not None
    assert outcome.audit.result == "failed"
    assert world.holds.decided == {"ward-52": AFTER + timedelta(hours=2)}


def test_a_press_cut_short_after_recording_its_answer_is_taken_back_by_the_sweeper() -> None:
    # Given a Scale down now whose function stopped after it recorded the answer, before the capacity change
    bench = Bench()
    holds = FakeHolds()
    key = new_audit_key(NOW, "0000d0wn")
    holds.hold("ward-52", NOW, "U0OPS", NOW, operation=key, previous=None)
    entry = AuditEntry(
        key, NOW, "U0OPS", "C0OPS", "scale-down", "election_scale_down ward-52", "allowed", "pending", phase="pending"
    )
    bench.world.store.record(entry)
    bench.now = NOW + timedelta(minutes=20)
    world = bench.world
    reports: list[Swept] = []
    evidence = {"scale-down": partial(scale_down_evidence, holds)}
    Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now, reports.append,
        evidence,
    ).sweep()  # fmt: skip
    # Then the answer is gone (the hourly run keeps the fallback) and the channel hears to press again
    (swept,) = reports
    assert swept.result == "failed"
    assert holds.decided == {}
    assert "press the button again" in render_swept(swept)["text"]


def test_the_sweeper_leaves_an_answer_another_press_recorded() -> None:
    holds = FakeHolds()
    holds.hold("ward-52", NOW, "U0OPS", NOW, operation="someone-else", previous=None)
    entry = AuditEntry(
        new_audit_key(NOW, "0000d0wn"), NOW, "U0OPS", "C0OPS", "scale-down", "election_scale_down ward-52",
        "allowed", "pending", phase="pending",
    )  # fmt: skip
    assert scale_down_evidence(holds, entry)[0] == "failed"
    assert holds.decided == {"ward-52": NOW}


def _removal_asked(world: World) -> str:
    execute_command('schedule add "Ward 52" 2027-02-17', world.context(role=Role.ADMIN, now=NOW))
    asked = execute_command("schedule remove ward-52-2027-02-17", world.context(role=Role.ADMIN, now=NOW))
    return str(asked.view.confirmation_id)  # type: ignore[attr-defined]


def test_a_removal_that_fails_keeps_its_confirmation_so_the_same_button_tries_again() -> None:
    world = World()
    confirmation = _removal_asked(world)
    world.entries.fail_removes = 1
    failed = execute_action("schedule_remove_confirm", confirmation, world.context(role=Role.ADMIN, now=NOW))
    assert failed.audit is not None
    assert failed.audit.result == "failed"
    assert world.entries.entries() != []
    again = execute_action("schedule_remove_confirm", confirmation, world.context(role=Role.ADMIN, now=NOW))
    assert again.audit is not None
    assert again.audit.result == "ok"
    assert world.entries.entries() == []


def test_a_removal_cut_short_after_taking_its_confirmation_says_the_button_is_used_up() -> None:
    reports = swept_after_a_stop(Bench(), "U0ADMIN", "schedule remove", "schedule_remove_confirm c0ffee")
    (swept,) = reports
    assert swept.result == "unknown"
    said = "its button no longer works (used or expired), so if it did not happen, run the command again"
    assert said in render_swept(swept)["text"]
