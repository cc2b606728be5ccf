"""The election plan (issue 9, part 1): windows become election-owned raise intents, a second plan with nothing
changed finds nothing to do, only election intents are ever touched, overlaps combine, and the scheduled-action
budget is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from opsbot.capacity.model import Intent
from opsbot.capacity.timeline import effective, timeline
from opsbot.elections.calendar import load_calendar
from opsbot.elections.model import Election
from opsbot.elections.plan import ACTIONS_BUDGET, plan, wanted_intents
from opsbot.errors import GuardrailViolation
from opsbot.logic.scaling import Capacity

BASELINE = Capacity(2, 10)
CEILING = 20
BEFORE = datetime(2027, 2, 10, 12, tzinfo=UTC)


def _elections(*entries: dict[str, Any]) -> tuple[Election, ...]:
    base = {"name": "By-election", "kind": "by-election"}
    return load_calendar({"elections": [{**base, **entry} for entry in entries]}, ceiling=CEILING)


WARD_52 = {"slug": "ward-52", "polling_date": "2027-02-17"}


def _plan(stored: list[Intent], elections: tuple[Election, ...], now: datetime = BEFORE) -> Any:
    return plan(stored, elections, baseline=BASELINE, ceiling=CEILING, now=now)


def test_each_window_becomes_a_raise_owned_by_the_election() -> None:
    first = _plan([], _elections(WARD_52))
    assert [(i.owner, i.kind, i.min, i.max, i.reason) for i in first.add] == [
        ("election:ward-52", "raise", 3, 10, "By-election: build-up"),
        ("election:ward-52", "raise", 4, 12, "By-election: polling"),
        ("election:ward-52", "raise", 3, 10, "By-election: results"),
    ]
    assert first.remove == ()
    # And on polling day at noon South African time the service has the polling phase's capacity
    polling_noon = datetime(2027, 2, 17, 10, tzinfo=UTC)
    assert effective(first.add, BASELINE, CEILING, polling_noon) == Capacity(4, 12)


def test_a_second_plan_with_nothing_changed_has_nothing_to_do() -> None:
    elections = _elections(WARD_52)
    stored = list(_plan([], elections).add)
    again = _plan(stored, elections)
    assert not again.changes
    assert len(again.unchanged) == 3


def test_a_changed_phase_replaces_only_that_intent() -> None:
    stored = list(_plan([], _elections(WARD_52)).add)
    changed = _plan(stored, _elections({**WARD_52, "phases": {"polling": {"min": 6, "max": 16}}}))
    assert [(i.reason, i.min, i.max) for i in changed.add] == [("By-election: polling", 6, 16)]
    assert [(i.reason, i.min, i.max) for i in changed.remove] == [("By-election: polling", 4, 12)]


def test_an_election_taken_off_the_calendar_has_its_intents_removed_and_nobody_elses() -> None:
    person = Intent("op-1", "U0OPERATOR", "raise", 5, 12, BEFORE, BEFORE + timedelta(hours=6), "launch")
    stored = [*_plan([], _elections(WARD_52)).add, person]
    emptied = _plan(stored, ())
    assert {i.owner for i in emptied.remove} == {"election:ward-52"}
    assert person not in emptied.remove
    assert emptied.add == ()


def test_an_ongoing_window_applies_from_the_current_phase_and_past_ones_are_dropped() -> None:
    during_polling = datetime(2027, 2, 17, 10, tzinfo=UTC)
    wanted = wanted_intents(_elections(WARD_52), during_polling)
    assert [i.reason for i in wanted] == ["By-election: polling", "By-election: results"]
    assert wanted_intents(_elections(WARD_52), datetime(2027, 2, 19, tzinfo=UTC)) == ()


def test_overlapping_elections_combine_the_larger_minimum_and_maximum_winning() -> None:
    national = {"slug": "national-2027", "kind": "national", "polling_date": "2027-02-17"}
    wanted = _plan([], _elections(WARD_52, national)).add
    assert effective(wanted, BASELINE, CEILING, datetime(2027, 2, 17, 10, tzinfo=UTC)) == Capacity(8, 20)
    # And the evening before, the by-election's build-up (3-10) is combined with the national build-up (4-12)
    assert effective(wanted, BASELINE, CEILING, datetime(2027, 2, 16, 18, tzinfo=UTC)) == Capacity(4, 12)


def test_five_years_of_monthly_by_elections_plan_the_coming_year_within_the_scheduled_action_budget() -> None:
    entries = [
        {"slug": f"ward-{n}", "polling_date": (date(2027, 1, 13) + timedelta(weeks=4 * n)).isoformat()}
        for n in range(60)
    ]
    now = datetime(2027, 1, 1, tzinfo=UTC)
    first = _plan([], _elections(*entries), now=now)
    # The 13 by-elections of the coming year (3 windows each); later ones come in as the horizon moves
    assert {i.owner for i in first.add} == {f"election:ward-{n}" for n in range(13)}
    assert len(first.add) == 39
    assert first.actions == len(timeline(first.add, BASELINE, CEILING, now).actions) == 52
    assert first.actions <= ACTIONS_BUDGET
    a_year_on = _plan(list(first.add), _elections(*entries), now=now + timedelta(days=365))
    assert "election:ward-13" in {i.owner for i in a_year_on.add}


def test_a_calendar_needing_more_actions_than_the_budget_is_refused() -> None:
    entries = [
        {"slug": f"ward-{n}", "polling_date": (date(2027, 1, 13) + timedelta(days=3 * n)).isoformat()}
        for n in range(60)
    ]
    with pytest.raises(GuardrailViolation, match=r"needs \d+ scheduled actions from now on; the bot keeps to 150"):
        _plan([], _elections(*entries), now=datetime(2027, 1, 1, tzinfo=UTC))


def test_the_plan_ignores_expired_election_intents() -> None:
    old = replace(_plan([], _elections(WARD_52)).add[0], expires=BEFORE - timedelta(days=1))
    assert _plan([old], ()).remove == ()
