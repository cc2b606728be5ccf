"""The election calendar: load and validate it (naming the entry and the key that are wrong), apply each entry's
overrides to its kind's profile, merge the repository's calendar with the entries added from Slack, and turn an
election into its windows in UTC. Pure: no AWS, no clock (``now`` is passed in).

The document (``calendar.yaml`` in this package, replaceable by an SSM parameter like the runbooks)::

    profiles:            # optional: replaces the shipped profile of a kind, phase by phase list
      by-election: [...]
    elections:
      - slug: ward-52-2027-02
        name: "City of Cape Town ward 52 by-election"
        kind: by-election
        polling_date: 2027-02-17
        special_votes: [2027-02-16]   # optional
        phases:                       # optional: override values of the kind's phases, by phase name
          polling: {min: 6, max: 16}

A phase is ``{name, day, at, min, max, suspend_scale_in}`` (``day`` relative to polling day, ``at`` a local
``HH:MM``), or ``{name, anchor: special-votes, at, until, min, max}``; the closing phase has no ``min``/``max``.
Local times go through ``zoneinfo`` (``local_instant``); nothing assumes the zone has no daylight saving.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsbot.elections.model import HOME_ZONE, KINDS, SPECIAL_VOTES, Election, Phase, Window
from opsbot.errors import ConfigError
from opsbot.logic.last_good import LastGood

SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")  # no double or trailing hyphen; no ':', '/' or '|'
MAX_SLUG = 48
MAX_NAME = 80
MAX_SPECIAL_VOTE_DAYS = 7  # special votes are cast in the days just before polling day
_PHASE_KEYS = frozenset({"name", "day", "at", "min", "max", "suspend_scale_in", "anchor", "until"})
_OVERRIDE_KEYS = _PHASE_KEYS - {"name", "anchor"}
_ENTRY_KEYS = frozenset({"slug", "name", "kind", "polling_date", "special_votes", "phases", "zone"})
# Slack mentions, channel links and URLs in a display name would ping people or hide a link in every report.
_MARKUP = re.compile(r"[<>]|@(?:here|channel|everyone)\b|https?://", re.IGNORECASE)


def _phase(name: str, day: int, at: str, low: int | None, high: int | None, **extra: Any) -> Phase:
    return Phase(name=name, day=day, at=time.fromisoformat(at), min=low, max=high, **extra)


def _special_votes(low: int, high: int) -> Phase:
    # Special votes are cast 09:00-17:00 on the days before polling day; capacity comes up an hour earlier.
    return _phase(SPECIAL_VOTES, 0, "08:00", low, high, anchor=SPECIAL_VOTES, until=time(17, 30))


_LARGE = (
    _phase("build-up", -2, "06:00", 4, 12),
    _special_votes(6, 16),
    _phase("polling", 0, "05:30", 8, 20, suspend_scale_in=True),  # polls open 07:00-21:00
    _phase("results", 0, "21:00", 6, 16),
    _phase("end", 1, "12:00", None, None),
)
DEFAULT_PROFILES: Mapping[str, tuple[Phase, ...]] = {
    "national": _LARGE,
    "provincial": _LARGE,
    "municipal": _LARGE,
    "by-election": (
        _phase("build-up", -1, "06:00", 3, 10),
        _special_votes(3, 10),
        _phase("polling", 0, "05:30", 4, 12, suspend_scale_in=True),
        _phase("results", 0, "21:00", 3, 10),
        _phase("end", 1, "09:00", None, None),
    ),
}


def load_calendar(document: Any, *, ceiling: int, source: str = "calendar") -> tuple[Election, ...]:
    """Every election of a parsed calendar document, validated; raises ``ConfigError`` naming the entry and key."""
    if not isinstance(document, Mapping):
        raise ConfigError("election calendar: expected a mapping with `elections` (and optionally `profiles`)")
    _no_unknown(document, {"profiles", "elections"}, "the document")
    profiles = dict(DEFAULT_PROFILES)
    for kind, phases in (document.get("profiles") or {}).items():
        if kind not in KINDS:
            raise ConfigError(f"election calendar: profile for unknown kind {kind!r}; expected one of {KINDS}")
        profiles[kind] = _profile(phases, f"profile {kind}", ceiling)
    entries = document.get("elections") or []
    if not isinstance(entries, list):
        raise ConfigError("election calendar: `elections` must be a list")
    elections = [_election(entry, index, profiles, ceiling, source) for index, entry in enumerate(entries)]
    seen: set[str] = set()
    for election in elections:
        if election.slug in seen:
            raise ConfigError(f"election calendar: slug {election.slug!r} appears twice")
        seen.add(election.slug)
    return tuple(elections)


def load_default_text() -> str:
    """The calendar shipped in this package (``calendar.yaml``)."""
    from importlib import resources

    return resources.files("opsbot.elections").joinpath("calendar.yaml").read_text(encoding="utf-8")


def parse_calendar_text(text: str, *, ceiling: int, source: str = "calendar") -> tuple[Election, ...]:
    import yaml  # only where a calendar is read: the Slack ack path never pays for it

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"election calendar: not valid YAML{where}") from exc
    return load_calendar(document, ceiling=ceiling, source=source)


def calendar_source(read: Callable[[], str], *, ceiling: int, origin: str) -> LastGood[tuple[Election, ...]]:
    """The calendar in force, from the repository's text or an SSM parameter: a broken replacement keeps the last
    good calendar (and says so in the logs) instead of dropping every election's capacity."""
    return LastGood(read, lambda text: parse_calendar_text(text, ceiling=ceiling), "election calendar", origin)


def merge(calendar: Iterable[Election], from_slack: Iterable[Election]) -> tuple[Election, ...]:
    """One election per slug, ordered by polling date; an entry added from Slack replaces the calendar's."""
    merged = {election.slug: election for election in calendar}
    merged.update({election.slug: election for election in from_slack})
    return tuple(sorted(merged.values(), key=lambda e: (e.polling_date, e.slug)))


def windows(election: Election) -> tuple[Window, ...]:
    """The election's phases as UTC intervals, in order of start (special-vote windows interleaved)."""
    zone = ZoneInfo(election.zone)
    sequence = [p for p in election.phases if not p.anchor]
    found: list[Window] = []
    for phase, following in pairwise(sequence):
        if phase.min is None or phase.max is None:
            continue
        start = local_instant(election.polling_date + timedelta(days=phase.day), phase.at, zone)
        end = local_instant(election.polling_date + timedelta(days=following.day), following.at, zone)
        found.append(Window(election.slug, phase.name, start, end, phase.min, phase.max, phase.suspend_scale_in))
    for phase in (p for p in election.phases if p.anchor == SPECIAL_VOTES):
        if phase.min is None or phase.max is None or phase.until is None:
            continue
        for day in election.special_votes:
            start, end = local_instant(day, phase.at, zone), local_instant(day, phase.until, zone)
            found.append(Window(election.slug, f"{phase.name} {day:%m-%d}", start, end, phase.min, phase.max, False))
    return tuple(sorted(found, key=lambda w: (w.start, w.phase)))


def window_span(election: Election) -> tuple[datetime, datetime]:
    """When the election's window opens and closes (UTC)."""
    spans = windows(election)
    return min(w.start for w in spans), max(w.end for w in spans)


def windows_close(elections: Iterable[Election]) -> dict[str, datetime]:
    """slug -> when the election's window closes (what snapshot retention holds pre-election snapshots for)."""
    return {election.slug: window_span(election)[1] for election in elections}


def upcoming(elections: Iterable[Election], now: datetime) -> tuple[Election, ...]:
    """Elections whose window has not closed by ``now`` (past elections are ignored)."""
    return tuple(e for e in elections if window_span(e)[1] > now)


def ensure_future(election: Election, now: datetime) -> None:
    """For an entry added from Slack: its polling day must not have passed (in its own zone)."""
    today = now.astimezone(ZoneInfo(election.zone)).date()
    if election.polling_date < today:
        raise ConfigError(f"election {election.slug}: polling date {election.polling_date} is in the past")


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at wall time ``at`` in ``zone``, as an aware UTC datetime. Read with the offset in force before any
    transition that day (PEP 495 ``fold=0``): an ambiguous time is its first occurrence, and a time inside a
    daylight-saving gap moves forward by the gap (02:30 in a 02:00→03:00 gap is 03:30)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def _election(entry: Any, index: int, profiles: Mapping[str, tuple[Phase, ...]], ceiling: int, source: str) -> Election:
    where = f"election #{index + 1}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"election calendar: {where} must be a mapping")
    slug = entry.get("slug")
    if isinstance(slug, str):
        where = f"election {slug!r}"
    _no_unknown(entry, _ENTRY_KEYS, where)
    for key in ("slug", "name", "kind", "polling_date"):
        if key not in entry:
            raise ConfigError(f"election calendar: {where}: `{key}` is required")
    election = Election(
        slug=check_slug(entry["slug"], where),
        name=check_name(entry["name"], where),
        kind=_kind(entry["kind"], where),
        polling_date=_date(entry["polling_date"], f"{where}: polling_date"),
        special_votes=tuple(_date(day, f"{where}: special_votes") for day in _list(entry.get("special_votes"), where)),
        phases=(),
        zone=_zone(entry.get("zone", HOME_ZONE), where),
        source=source,
    )
    for day in election.special_votes:
        if not timedelta(0) < election.polling_date - day <= timedelta(days=MAX_SPECIAL_VOTE_DAYS):
            raise ConfigError(
                f"election calendar: {where}: special vote {day} must be 1-{MAX_SPECIAL_VOTE_DAYS} days before polling"
            )
    phases = _apply_overrides(profiles[election.kind], entry.get("phases") or {}, where)
    _check_capacities(phases, where, ceiling)
    return replace(election, phases=phases)


def _apply_overrides(profile: Sequence[Phase], overrides: Any, where: str) -> tuple[Phase, ...]:
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"election calendar: {where}: `phases` must map phase names to overrides")
    by_name = {phase.name: phase for phase in profile}
    for name, values in overrides.items():
        if name not in by_name:
            raise ConfigError(f"election calendar: {where}: no phase {name!r} in the profile ({', '.join(by_name)})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"election calendar: {where}: phase {name}: expected a mapping of values")
        _no_unknown(values, _OVERRIDE_KEYS, f"{where}: phase {name}")
        by_name[name] = _phase_values(by_name[name], values, f"{where}: phase {name}")
    return _ordered(list(by_name.values()), where)


def _profile(phases: Any, where: str, ceiling: int) -> tuple[Phase, ...]:
    if not isinstance(phases, list) or not phases:
        raise ConfigError(f"election calendar: {where}: expected a non-empty list of phases")
    built = []
    for index, raw in enumerate(phases):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise ConfigError(f"election calendar: {where}: phase #{index + 1} needs a `name`")
        _no_unknown(raw, _PHASE_KEYS, f"{where}: phase {raw['name']}")
        anchor = raw.get("anchor", "")
        if anchor not in ("", SPECIAL_VOTES):
            raise ConfigError(f"election calendar: {where}: phase {raw['name']}: anchor must be {SPECIAL_VOTES}")
        required = ("at", "until") if anchor else ("day", "at")
        missing = [key for key in required if key not in raw]
        if missing:
            raise ConfigError(f"election calendar: {where}: phase {raw['name']}: `{missing[0]}` is required")
        blank = Phase(name=raw["name"], day=0, at=time(0), min=None, max=None, anchor=anchor)
        built.append(_phase_values(blank, raw, f"{where}: phase {raw['name']}"))
    ordered = _ordered(built, where)
    _check_capacities(ordered, where, ceiling)
    return ordered


def _phase_values(phase: Phase, values: Mapping[str, Any], where: str) -> Phase:
    changes: dict[str, Any] = {}
    if "day" in values:
        changes["day"] = _int(values["day"], f"{where}: day", low=-30, high=30)
    for key in ("at", "until"):
        if key in values:
            changes[key] = _time(values[key], f"{where}: {key}")
    for key in ("min", "max"):
        if key in values:
            changes[key] = None if values[key] is None else _int(values[key], f"{where}: {key}", low=0, high=10_000)
    if "suspend_scale_in" in values:
        if not isinstance(values["suspend_scale_in"], bool):
            raise ConfigError(f"election calendar: {where}: suspend_scale_in must be true or false")
        changes["suspend_scale_in"] = values["suspend_scale_in"]
    updated = replace(phase, **changes)
    if updated.anchor == SPECIAL_VOTES and (updated.until is None or updated.until <= updated.at):
        raise ConfigError(f"election calendar: {where}: a special-votes phase needs `until` later than `at`")
    if (updated.min is None) != (updated.max is None):
        raise ConfigError(f"election calendar: {where}: set both min and max, or neither (the closing phase)")
    return updated


def _ordered(phases: list[Phase], where: str) -> tuple[Phase, ...]:
    sequence = sorted((p for p in phases if not p.anchor), key=lambda p: (p.day, p.at))
    starts = [(p.day, p.at) for p in sequence]
    if len(set(starts)) != len(starts):
        raise ConfigError(f"election calendar: {where}: two phases start at the same time")
    if not sequence or not sequence[-1].closes or any(p.closes for p in sequence[:-1]):
        raise ConfigError(f"election calendar: {where}: the last phase, and only it, must close the window")
    if len(sequence) < 2:
        raise ConfigError(f"election calendar: {where}: a window needs a phase with capacity before it closes")
    return (*sequence, *(p for p in phases if p.anchor))


def _check_capacities(phases: Sequence[Phase], where: str, ceiling: int) -> None:
    for phase in phases:
        if phase.min is None or phase.max is None:
            continue
        if phase.min > phase.max:
            raise ConfigError(f"election calendar: {where}: phase {phase.name}: min {phase.min} > max {phase.max}")
        if phase.max > ceiling:
            raise ConfigError(
                f"election calendar: {where}: phase {phase.name}: max {phase.max} is above the ceiling {ceiling}"
            )
        if phase.min < 1:
            raise ConfigError(f"election calendar: {where}: phase {phase.name}: min must be at least 1")


def _no_unknown(values: Mapping[Any, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(map(str, set(values) - set(allowed)))
    if unknown:
        raise ConfigError(f"election calendar: {where}: unknown key(s) {', '.join(unknown)}")


def check_slug(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_SLUG or not SLUG.fullmatch(value):
        raise ConfigError(
            f"election calendar: {where}: slug must be lower-case letters, digits and single hyphens, starting with a"
            f" letter, at most {MAX_SLUG} characters"
        )
    return value


def check_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise ConfigError(f"election calendar: {where}: name must be 1-{MAX_NAME} characters")
    if _MARKUP.search(value) or any(ord(ch) < 32 for ch in value):
        raise ConfigError(f"election calendar: {where}: name must be plain text (no mentions, links or `<`/`>`)")
    return " ".join(value.split())


def _kind(value: Any, where: str) -> str:
    if value not in KINDS:
        raise ConfigError(f"election calendar: {where}: kind {value!r} is not one of {', '.join(KINDS)}")
    return str(value)


def _zone(value: Any, where: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"election calendar: {where}: unknown time zone {value!r}") from exc
    return str(value)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2027-02-17 as a date
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"election calendar: {where}: {value!r} is not a date (YYYY-MM-DD) that exists") from exc


def _time(value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads an unquoted 06:00 as 360
        value = f"{value // 60:02d}:{value % 60:02d}"
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"election calendar: {where}: {value!r} is not a local time (HH:MM)") from exc
    return parsed.replace(second=0, microsecond=0)


def _int(value: Any, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"election calendar: {where}: expected a whole number from {low} to {high}, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"election calendar: {where}: special_votes must be a list of dates")
    return value
