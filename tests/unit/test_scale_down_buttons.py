"""The gated scale-down's buttons (issue 9, item 6): after an election window closed, Scale down now returns
capacity to the baseline at once, Keep for 6 h moves the fallback six hours on; both are operator actions under
the change lock, refused before the window ends and with forged values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsbot.commands.dispatch import execute_action
from opsbot.config import Role
from opsbot.elections.calendar import load_calendar, window_span
from opsbot.elections.plan import plan
from opsbot.logic.scaling import Capacity
from opsbot.slack.views import render
from tests.fakes import World

ENTRY = {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": "2027-02-17"}
(ELECTION,) = load_calendar({"elections": [ENTRY]}, ceiling=20)
CLOSES = window_span(ELECTION)[1]
AFTER = CLOSES + timedelta(hours=1)


def _world_with_the_window_held() -> World:
    world = World(calendar_elections=(ELECTION,))
    core_now = datetime(2027, 2, 10, tzinfo=UTC)
    elections = world.calendar().elections()
    planned = plan([], elections, baseline=Capacity(2, 10), ceiling=20, now=core_now)
    for intent in planned.add:
        world.intents.put_intent(intent)
    world.capacity.capacity = Capacity(3, 10)  # the results phase's capacity, held after the close
    return world


def test_scale_down_now_returns_capacity_to_the_baseline() -> None:
    world = _world_with_the_window_held()
    outcome = execute_action("election_scale_down", "ward-52", world.context(role=Role.OPERATOR, now=AFTER))
    assert outcome.audit is not None
    assert outcome.audit.result == "ok"
    assert world.capacity.capacity == Capacity(2, 10)
    assert world.holds.decided["ward-52"] == AFTER
    assert "scaled back now" in render(outcome)["text"]


def test_keep_for_six_hours_moves_the_fallback() -> None:
    world = _world_with_the_window_held()
    outcome = execute_action("election_keep", "ward-52", world.context(role=Role.OPERATOR, now=AFTER))
    assert outcome.audit is not None
    assert outcome.audit.result == "ok"
    assert world.capacity.capacity == Capacity(3, 10)
    fallback = AFTER + timedelta(hours=6)
    assert any(a.at == fallback and (a.min, a.max) == (2, 10) for a in world.capacity.actions.values())
    assert "kept until" in render(outcome)["text"]


def test_the_buttons_are_refused_before_the_window_ends_and_for_viewers_and_forged_values() -> None:
    world = _world_with_the_window_held()
    early = execute_action(
        "election_scale_down", "ward-52", world.context(role=Role.OPERATOR, now=CLOSES - timedelta(hours=1))
    )
    assert early.audit is not None
    assert early.audit.decision == "refused"
    assert "has not ended yet" in early.view.message
    viewer = execute_action("election_scale_down", "ward-52", world.context(role=Role.VIEWER, now=AFTER))
    assert viewer.audit is not None
    assert viewer.audit.decision == "refused"
    forged = execute_action("election_keep", "ward-52<!here>", world.context(role=Role.OPERATOR, now=AFTER))
    assert forged.audit is not None
    assert forged.audit.decision == "invalid"
    unknown = execute_action("election_keep", "ward-99", world.context(role=Role.OPERATOR, now=AFTER))
    assert "not on the election calendar" in unknown.view.message
    assert world.holds.decided == {}
