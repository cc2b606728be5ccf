"""The `schedule` commands (issue 9, item 7): add validates like the calendar and stores once, sync applies and
a second sync changes nothing, the listing shows each scheduled change's live state and who drives it, a foreign
action against a window is reported and left alone, remove asks first, and only the right roles may act."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.config import Role
from opsbot.elections.calendar import load_calendar
from opsbot.ports import ScheduledAction
from opsbot.slack.blocks import violations
from opsbot.slack.views import render
from tests.fakes import World

NOW = datetime(2027, 2, 10, 12, tzinfo=UTC)


def _text(outcome: object) -> str:
    message = render(outcome)  # type: ignore[arg-type]
    assert violations(message) == []
    return message["text"] + str(message.get("blocks", []))


def _add(world: World, text: str, role: Role = Role.ADMIN) -> object:
    return execute_command(f"schedule add {text}", world.context(role=role, now=NOW))


def test_add_stores_a_validated_entry_with_a_slug_from_name_and_date() -> None:
    world = World()
    outcome = _add(world, "“Ward 52 by-election” 2027-02-17 min=5 max=14")
    assert outcome.audit is not None
    assert outcome.audit.result == "ok"
    (entry,) = world.entries.entries()
    assert entry["slug"] == "ward-52-by-election-2027-02-17"
    assert entry["phases"] == {"polling": {"min": 5, "max": 14}}
    assert "schedule sync" in _text(outcome)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('"Ward 52" 2027-02-30', "2027-02-30"),
        ('"Ward 52" 2027-02-01', "in the past"),
        ('"Ward 52" 2027-02-17 kind=referendum', "referendum"),
        ('"Ward 52" 2027-02-17 min=9 max=4', "min"),
        ('"Ward 52" 2027-02-17 max=99', "ceiling"),
        ('"Ward 52 <!here>" 2027-02-17', "plain text"),
        ('"See https://evil.example" 2027-02-17', "plain text"),
        ("Ward 52 2027-02-17", "quotes"),
        ('"Ward 52" 17/02/2027', "17/02/2027"),
        ('"Ward 52" 2027-02-17 colour=red', "colour=red"),
    ],
)
def test_bad_input_is_named_and_nothing_is_stored(text: str, named: str) -> None:
    world = World()
    outcome = _add(world, text)
    assert outcome.audit is not None
    assert outcome.audit.decision in {"invalid", "refused"}
    assert named in outcome.view.message  # type: ignore[attr-defined]
    assert world.entries.entries() == []


def test_a_slug_clash_is_refused() -> None:
    world = World()
    _add(world, '"Ward 52" 2027-02-17')
    again = _add(world, '"Ward 52" 2027-02-17 max=12')
    assert "on the calendar already" in again.view.message  # type: ignore[attr-defined]
    assert len(world.entries.entries()) == 1


def test_add_dry_run_stores_nothing_and_only_admins_add() -> None:
    world = World()
    dry = _add(world, '"Ward 52" 2027-02-17 --dry-run')
    assert "dry run" in _text(dry)
    refused = _add(world, '"Ward 52" 2027-02-17', role=Role.OPERATOR)
    assert refused.audit is not None
    assert refused.audit.decision == "refused"
    assert world.entries.entries() == []


def test_sync_applies_then_a_second_sync_changes_nothing() -> None:
    world = World()
    _add(world, '"Ward 52" 2027-02-17')
    dry = execute_command("schedule sync --dry-run", world.context(role=Role.OPERATOR, now=NOW))
    assert "dry run" in _text(dry)
    assert world.capacity.mutating_calls == []
    applied = execute_command("schedule sync", world.context(role=Role.OPERATOR, now=NOW))
    assert applied.audit is not None
    assert applied.audit.result == "ok"
    assert "create 4" in _text(applied)
    world.capacity.calls.clear()
    again = execute_command("schedule sync", world.context(role=Role.OPERATOR, now=NOW))
    assert "already in force" in _text(again)
    assert world.capacity.mutating_calls == []
    viewer = execute_command("schedule sync", world.context(role=Role.VIEWER, now=NOW))
    assert viewer.audit is not None
    assert viewer.audit.decision == "refused"


def test_a_throttled_sync_is_reported_failed_and_put_back() -> None:
    world = World()
    _add(world, '"Ward 52" 2027-02-17')
    world.capacity.fail_on = {"PutScheduledAction"}
    failed = execute_command("schedule sync", world.context(role=Role.OPERATOR, now=NOW))
    assert failed.audit is not None
    assert failed.audit.result == "failed"
    assert "Throttling" in failed.view.message  # type: ignore[attr-defined]
    assert world.intents.items == {}  # the intents were put back: the next run converges
    world.capacity.fail_on = set()
    retried = execute_command("schedule sync", world.context(role=Role.OPERATOR, now=NOW))
    assert retried.audit is not None
    assert retried.audit.result == "ok"


def test_schedule_shows_live_states_drivers_and_foreign_conflicts() -> None:
    world = World()
    _add(world, '"Ward 52" 2027-02-17')
    execute_command("schedule sync", world.context(role=Role.OPERATOR, now=NOW))
    names = sorted(world.capacity.actions)
    del world.capacity.actions[names[0]]  # deleted by hand
    world.capacity.actions[names[1]] = world.capacity.actions[names[1]]._replace(max=3)  # changed by hand
    polling_noon = datetime(2027, 2, 17, 10, tzinfo=UTC)
    world.capacity.actions["peoples-own"] = ScheduledAction("peoples-own", "at(...)", polling_noon, None, 4)
    shown = _text(execute_command("schedule", world.context(role=Role.VIEWER, now=NOW)))
    assert ":x: missing" in shown
    assert ":warning: drifted" in shown
    assert ":white_check_mark: ok" in shown
    assert "`election:ward-52-2027-02-17`" in shown
    assert "peoples-own" in shown
    assert "left alone" in shown
    assert world.capacity.actions["peoples-own"].max == 4  # never touched


def test_remove_asks_first_and_a_forged_confirmation_is_refused() -> None:
    world = World()
    _add(world, '"Ward 52" 2027-02-17')
    asked = execute_command("schedule remove ward-52-2027-02-17", world.context(role=Role.ADMIN, now=NOW))
    confirmation = asked.view.confirmation_id  # type: ignore[attr-defined]
    assert world.entries.entries() != []
    forged = execute_action("schedule_remove_confirm", "not-a-confirmation", world.context(role=Role.ADMIN, now=NOW))
    assert forged.audit is not None
    assert forged.audit.decision == "invalid"
    operator = execute_action("schedule_remove_confirm", confirmation, world.context(role=Role.OPERATOR, now=NOW))
    assert operator.audit is not None
    assert operator.audit.decision == "refused"
    done = execute_action("schedule_remove_confirm", confirmation, world.context(role=Role.ADMIN, now=NOW))
    assert done.audit is not None
    assert done.audit.result == "ok"
    assert world.entries.entries() == []


def test_elections_of_the_repository_calendar_are_removed_there() -> None:
    world = World()
    world.calendar_elections = load_calendar(
        {"elections": [{"slug": "lge-2027", "name": "LGE", "kind": "municipal", "polling_date": "2027-11-03"}]},
        ceiling=20,
    )
    refused = execute_command("schedule remove lge-2027", world.context(role=Role.ADMIN, now=NOW))
    assert "repository's calendar" in refused.view.message  # type: ignore[attr-defined]
    unknown = execute_command("schedule remove ward-99", world.context(role=Role.ADMIN, now=NOW))
    assert "no election `ward-99`" in unknown.view.message  # type: ignore[attr-defined]
