"""The election change freeze (issue 9, items 3 and 5): during a window `scale` may only add capacity; a
reduction or a request below the window's minimum needs an admin's `--override "<reason>"`, which is audited;
a temporary raise or an alarm's scale-out inside a window never ends below the window's minimum; `status` shows
the window, the freeze and the suspension; `help` states the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsbot.capacity.model import Intent
from opsbot.capacity.timeline import effective, timeline
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.config import Role
from opsbot.elections.calendar import load_calendar
from opsbot.elections.plan import wanted_intents
from opsbot.logic.scaling import Capacity
from opsbot.slack.blocks import violations
from opsbot.slack.views import render
from tests.fakes import World

ENTRY = {"slug": "ward-52", "name": "Ward 52 & 53 by-election", "kind": "by-election", "polling_date": "2027-02-17"}
(ELECTION,) = load_calendar({"elections": [ENTRY]}, ceiling=20)
POLLING_NOON = datetime(2027, 2, 17, 10, tzinfo=UTC)  # 12:00 SAST: polling phase, min 4 max 12
OUTSIDE = datetime(2027, 3, 10, 10, tzinfo=UTC)


def _world() -> World:
    world = World(calendar_elections=(ELECTION,))
    for intent in wanted_intents([ELECTION], datetime(2027, 2, 10, tzinfo=UTC)):
        world.intents.put_intent(intent)
    world.capacity.capacity = Capacity(4, 12)
    return world


def _scale(world: World, text: str, role: Role = Role.OPERATOR, now: datetime = POLLING_NOON) -> object:
    return execute_command(f"scale {text}", world.context(role=role, now=now))


def test_scale_below_the_window_minimum_is_refused_naming_the_window() -> None:
    world = _world()
    refused = _scale(world, "2")
    assert refused.audit is not None
    assert refused.audit.decision == "refused"
    message = refused.view.message  # type: ignore[attr-defined]
    assert "Ward 52 & 53 by-election" in message
    assert "at least 4 tasks" in message
    assert "--override" in message
    assert world.capacity.mutating_calls == []


def test_a_reduction_is_refused_during_the_freeze_and_a_raise_is_allowed() -> None:
    world = _world()
    reset = _scale(world, "reset")
    assert "change freeze" in reset.view.message  # type: ignore[attr-defined]
    lower_max = _scale(world, "max=8")
    assert lower_max.audit is not None
    assert lower_max.audit.decision == "refused"
    raised = _scale(world, "6 for 2h")
    assert raised.audit is not None
    assert raised.audit.result == "ok"


def test_an_admin_override_is_applied_and_audited_with_its_reason() -> None:
    world = _world()
    done = _scale(world, '3 --override "results delayed, count restarts tomorrow"', role=Role.ADMIN)
    assert done.audit is not None
    assert done.audit.result == "ok"
    (record,) = [e for e in world.store.entries.values() if e.verb == "scale" and e.phase == "outcome"]
    assert "results delayed, count restarts tomorrow" in record.arguments


def test_an_override_needs_an_admin_and_a_reason() -> None:
    world = _world()
    operator = _scale(world, '2 --override "because"')
    assert "only an admin" in operator.view.message  # type: ignore[attr-defined]
    empty = _scale(world, '2 --override ""', role=Role.ADMIN)
    assert "needs a reason" in empty.view.message  # type: ignore[attr-defined]
    bare = _scale(world, "2 --override", role=Role.ADMIN)
    assert "needs a reason" in bare.view.message  # type: ignore[attr-defined]
    assert world.capacity.mutating_calls == []


def test_undoing_a_raise_during_the_window_is_refused_by_the_freeze() -> None:
    world = _world()
    raised = _scale(world, "8 for 2h")
    assert world.capacity.capacity == Capacity(8, 12)
    undone = execute_action("scale_undo", raised.view.undo_key, world.context(now=POLLING_NOON))  # type: ignore[attr-defined]
    assert undone.audit is not None
    assert undone.audit.decision == "refused"
    assert "change freeze" in undone.view.message  # type: ignore[attr-defined]
    assert world.capacity.capacity == Capacity(8, 12)


def test_outside_any_window_scale_behaves_as_before() -> None:
    world = World(calendar_elections=(ELECTION,))
    done = _scale(world, "3", now=OUTSIDE)
    assert done.audit is not None
    assert done.audit.result == "ok"
    reset = _scale(world, "reset", now=OUTSIDE)
    assert reset.audit is not None
    assert reset.audit.result == "ok"


def test_raises_inside_a_window_never_end_below_its_minimum() -> None:
    window = wanted_intents([ELECTION], datetime(2027, 2, 10, tzinfo=UTC))
    person = Intent("p", "U0OPS", "raise", 6, 12, POLLING_NOON, POLLING_NOON + timedelta(hours=2), "scale 6 for 2h")
    alarm = Intent("a", "alarm:cpu-high", "raise", 8, 16, POLLING_NOON, POLLING_NOON + timedelta(hours=1), "cpu")
    intents = [*window, person, alarm]
    assert effective(intents, Capacity(2, 10), 20, POLLING_NOON) == Capacity(8, 16)
    for action in timeline(intents, Capacity(2, 10), 20, POLLING_NOON).actions:
        if action.at < datetime(2027, 2, 17, 19, tzinfo=UTC):  # still polling (until 21:00 SAST)
            assert action.capacity.min >= 4
    after_both = POLLING_NOON + timedelta(hours=3)
    assert effective(intents, Capacity(2, 10), 20, after_both) == Capacity(4, 12)


def test_status_shows_the_window_the_freeze_and_help_states_the_rule() -> None:
    world = _world()
    status = render(execute_command("status", world.context(role=Role.VIEWER, now=POLLING_NOON)))
    assert violations(status) == []
    text = str(status["blocks"])
    assert "Ward 52 &amp; 53 by-election" in text
    assert "polling until" in text
    assert "change freeze on" in text
    before = render(execute_command("status", world.context(role=Role.VIEWER, now=datetime(2027, 2, 1, tzinfo=UTC))))
    assert "next: Ward 52 &amp; 53 by-election" in str(before["blocks"])
    helped = render(execute_command("help", world.context(role=Role.VIEWER)))
    assert "Change freeze" in str(helped["blocks"])
