"""The election calendar (issue 9, part 1): elections as data, validated with messages that name the entry and the
key, profiles per kind with overrides, local times through zoneinfo, and the merge with entries added from Slack."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from opsbot.elections.calendar import (
    DEFAULT_PROFILES,
    calendar_source,
    ensure_future,
    load_calendar,
    load_default_text,
    merge,
    parse_calendar_text,
    upcoming,
    window_span,
    windows,
)
from opsbot.elections.model import KINDS
from opsbot.errors import ConfigError

CEILING = 20


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "slug": "ward-52-2027-02",
        "name": "Ward 52 by-election",
        "kind": "by-election",
        "polling_date": "2027-02-17",
    }
    entry.update(overrides)
    return entry


def _one(**overrides: Any) -> Any:
    (election,) = load_calendar({"elections": [_entry(**overrides)]}, ceiling=CEILING)
    return election


def test_the_shipped_calendar_loads_and_every_kind_has_a_profile() -> None:
    assert parse_calendar_text(load_default_text(), ceiling=CEILING) == ()
    assert set(DEFAULT_PROFILES) == set(KINDS)


def test_a_by_election_becomes_its_phases_in_utc_from_south_african_time() -> None:
    # Given a by-election on 17 February 2027 with special votes the day before (SAST is UTC+2)
    election = _one(special_votes=["2027-02-16"])
    # Then its windows are the profile's phases, each until the next begins, in UTC
    spans = [(w.phase, w.start, w.end, w.min, w.max, w.suspend_scale_in) for w in windows(election)]
    assert spans == [
        ("build-up", datetime(2027, 2, 16, 4, 0, tzinfo=UTC), datetime(2027, 2, 17, 3, 30, tzinfo=UTC), 3, 10, False),
        (
            "special-votes 02-16",
            datetime(2027, 2, 16, 6, tzinfo=UTC),
            datetime(2027, 2, 16, 15, 30, tzinfo=UTC),
            3,
            10,
            False,
        ),
        ("polling", datetime(2027, 2, 17, 3, 30, tzinfo=UTC), datetime(2027, 2, 17, 19, 0, tzinfo=UTC), 4, 12, True),
        ("results", datetime(2027, 2, 17, 19, 0, tzinfo=UTC), datetime(2027, 2, 18, 7, 0, tzinfo=UTC), 3, 10, False),
    ]
    assert {w.owner for w in windows(election)} == {"election:ward-52-2027-02"}
    assert window_span(election) == (datetime(2027, 2, 16, 4, tzinfo=UTC), datetime(2027, 2, 18, 7, tzinfo=UTC))


def test_the_results_phase_crosses_midnight_into_the_next_local_day() -> None:
    results = next(w for w in windows(_one(kind="national")) if w.phase == "results")
    # 21:00 SAST on polling day until 12:00 SAST the next day
    assert (results.start, results.end) == (
        datetime(2027, 2, 17, 19, tzinfo=UTC),
        datetime(2027, 2, 18, 10, tzinfo=UTC),
    )


def test_local_times_follow_the_zones_daylight_saving_rules() -> None:
    # A zone with daylight saving: London moves from GMT to BST on 28 March 2027
    before = _one(zone="Europe/London", polling_date="2027-03-27")
    after = _one(zone="Europe/London", polling_date="2027-04-03")
    polling_before = next(w for w in windows(before) if w.phase == "polling")
    polling_after = next(w for w in windows(after) if w.phase == "polling")
    assert polling_before.start == datetime(2027, 3, 27, 5, 30, tzinfo=UTC)  # 05:30 GMT
    assert polling_after.start == datetime(2027, 4, 3, 4, 30, tzinfo=UTC)  # 05:30 BST
    # And a phase at a wall time inside the gap (01:30 on 28 March does not exist) moves forward by the gap
    gap = _one(zone="Europe/London", polling_date="2027-03-28", phases={"polling": {"at": "01:30"}})
    polling_gap = next(w for w in windows(gap) if w.phase == "polling")
    assert polling_gap.start == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 BST, the first valid reading


def test_an_entry_overrides_any_value_of_its_kinds_profile() -> None:
    election = _one(phases={"polling": {"min": 6, "max": 16, "at": "05:00"}, "end": {"day": 2, "at": "08:00"}})
    polling = next(w for w in windows(election) if w.phase == "polling")
    assert (polling.min, polling.max, polling.start) == (6, 16, datetime(2027, 2, 17, 3, tzinfo=UTC))
    assert window_span(election)[1] == datetime(2027, 2, 19, 6, tzinfo=UTC)


def test_a_calendar_profile_replaces_the_shipped_one_for_its_kind() -> None:
    document = {
        "profiles": {
            "by-election": [
                {"name": "polling", "day": 0, "at": "06:00", "min": 5, "max": 9, "suspend_scale_in": True},
                {"name": "end", "day": 0, "at": 1320},  # YAML 1.1 reads an unquoted 22:00 as 1320 minutes
            ]
        },
        "elections": [_entry()],
    }
    (election,) = load_calendar(document, ceiling=CEILING)
    assert [(w.phase, w.min, w.max) for w in windows(election)] == [("polling", 5, 9)]
    assert window_span(election)[1] == datetime(2027, 2, 17, 20, tzinfo=UTC)


def test_entries_added_from_slack_win_on_a_slug_clash_and_the_merge_is_ordered_by_polling_day() -> None:
    calendar = load_calendar(
        {"elections": [_entry(), _entry(slug="national-2029", kind="national", polling_date="2029-05-29")]},
        ceiling=CEILING,
    )
    from_slack = load_calendar(
        {"elections": [_entry(name="Ward 52 (moved)", polling_date="2027-02-24")]}, ceiling=CEILING, source="slack"
    )
    merged = merge(calendar, from_slack)
    assert [(e.slug, e.name, e.source) for e in merged] == [
        ("ward-52-2027-02", "Ward 52 (moved)", "slack"),
        ("national-2029", "Ward 52 by-election", "calendar"),
    ]
    assert merged[0].polling_date == date(2027, 2, 24)


def test_past_elections_are_ignored_and_an_ongoing_window_is_kept() -> None:
    election = _one()
    assert upcoming([election], datetime(2027, 2, 17, 12, tzinfo=UTC)) == (election,)  # polling day
    assert upcoming([election], datetime(2027, 2, 18, 7, tzinfo=UTC)) == ()  # the window has closed
    with pytest.raises(ConfigError, match="2027-02-17 is in the past"):
        ensure_future(election, datetime(2027, 2, 18, 1, tzinfo=UTC))
    ensure_future(election, datetime(2027, 2, 16, 23, tzinfo=UTC))  # 01:00 on polling day in South Africa


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"polling_date": "2027-02-30"}, r"election 'ward-52-2027-02': polling_date: '2027-02-30' is not a date"),
        ({"kind": "referendum"}, r"kind 'referendum' is not one of national, provincial, municipal, by-election"),
        ({"phases": {"polling": {"min": 9, "max": 4}}}, r"phase polling: min 9 > max 4"),
        ({"phases": {"polling": {"max": 21}}}, r"phase polling: max 21 is above the ceiling 20"),
        ({"phases": {"polling": {"minimum": 4}}}, r"phase polling: unknown key\(s\) minimum"),
        ({"phases": {"voting": {"min": 4}}}, r"no phase 'voting' in the profile"),
        ({"phases": {"polling": {"at": "25:00"}}}, r"phase polling: at: '25:00' is not a local time"),
        ({"phases": {"polling": {"min": None, "max": None}}}, r"the last phase, and only it, must close"),
        ({"phases": {"polling": {"min": 4}, "results": {"at": "05:30"}}}, r"two phases start at the same time"),
        ({"slug": "Ward 52"}, r"slug must be lower-case letters"),
        ({"slug": "ward--52"}, r"slug must be lower-case letters"),
        ({"slug": "ward:52"}, r"slug must be lower-case letters"),
        ({"name": "Ward <@U123> by-election"}, r"name must be plain text"),
        ({"name": "see https://example.com"}, r"name must be plain text"),
        ({"name": "@channel vote"}, r"name must be plain text"),
        ({"special_votes": ["2027-02-17"]}, r"special vote 2027-02-17 must be 1-7 days before polling"),
        ({"zone": "Mars/Olympus"}, r"unknown time zone 'Mars/Olympus'"),
        ({"colour": "blue"}, r"election 'ward-52-2027-02': unknown key\(s\) colour"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry_and_the_key(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _one(**overrides)


def test_a_slug_clash_and_a_missing_key_and_bad_yaml_are_refused() -> None:
    with pytest.raises(ConfigError, match="slug 'ward-52-2027-02' appears twice"):
        load_calendar({"elections": [_entry(), _entry()]}, ceiling=CEILING)
    entry = _entry()
    del entry["kind"]
    with pytest.raises(ConfigError, match=r"election 'ward-52-2027-02': `kind` is required"):
        load_calendar({"elections": [entry]}, ceiling=CEILING)
    with pytest.raises(ConfigError, match="not valid YAML at line 3"):
        parse_calendar_text("elections:\n  - slug: [unclosed\n", ceiling=CEILING)
    with pytest.raises(ConfigError, match=r"the document: unknown key\(s\) election"):
        load_calendar({"election": []}, ceiling=CEILING)
    no_time = {"profiles": {"by-election": [{"name": "polling", "day": 0, "min": 4, "max": 8}]}, "elections": []}
    with pytest.raises(ConfigError, match=r"profile by-election: phase polling: `at` is required"):
        load_calendar(no_time, ceiling=CEILING)


def test_yaml_dates_and_times_are_read_as_written() -> None:
    text = (
        "elections:\n"
        "  - {slug: ward-9, name: Ward 9, kind: by-election, polling_date: 2027-03-10,\n"
        "     special_votes: [2027-03-09], phases: {polling: {at: '05:00'}}}\n"
    )
    (election,) = parse_calendar_text(text, ceiling=CEILING)
    assert election.polling_date == date(2027, 3, 10)
    assert election.special_votes == (date(2027, 3, 9),)
    assert next(p for p in election.phases if p.name == "polling").at == time(5, 0)


def test_a_broken_calendar_override_keeps_the_last_good_calendar(caplog: pytest.LogCaptureFixture) -> None:
    good = "elections:\n  - {slug: ward-9, name: Ward 9, kind: by-election, polling_date: 2027-03-10}\n"
    override = {"text": good}
    source = calendar_source(lambda: override["text"], ceiling=CEILING, origin="SSM parameter /opsbot/calendar")
    assert [e.slug for e in source()] == ["ward-9"]
    # When the parameter is replaced by a calendar with a mistake
    override["text"] = good.replace("by-election", "bye-election")
    # Then the elections keep their capacity, and the log says what is wrong
    assert [e.slug for e in source()] == ["ward-9"]
    (logged,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.getMessage() == "election calendar override rejected; still using the last good election calendar"
    assert logged.origin == "SSM parameter /opsbot/calendar"  # type: ignore[attr-defined]
    assert "kind 'bye-election' is not one of" in logged.problem  # type: ignore[attr-defined]


def test_a_broken_calendar_with_no_good_one_before_fails_loudly() -> None:
    source = calendar_source(lambda: "elections: [{slug: x1}]", ceiling=CEILING, origin="the repository")
    with pytest.raises(ConfigError, match=r"election 'x1': `name` is required"):
        source()
