"""Elections as plain data: an entry of the calendar, its capacity profile, and the windows it occupies in UTC.

A profile is an ordered list of phases. A phase starts at a local wall time on a day relative to polling day and
lasts until the next phase starts; the last phase has no capacity and marks the end of the window. A special-votes
phase instead repeats on each special-vote date, from ``at`` to ``until``. Each window becomes one capacity intent
owned by ``election:<slug>``; where windows overlap (special votes, or two elections) the capacity core combines
them, the larger minimum and maximum winning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

KINDS = ("national", "provincial", "municipal", "by-election")
HOME_ZONE = "Africa/Johannesburg"
SPECIAL_VOTES = "special-votes"  # the anchor of a phase that repeats on each special-vote date
SOURCES = ("calendar", "slack")


@dataclass(frozen=True)
class Phase:
    """One phase of a profile. ``day`` is relative to polling day (-2 = two days before); ``min``/``max`` are None
    only for the closing phase, which ends the window. A special-votes phase has ``anchor`` set and an ``until``."""

    name: str
    day: int
    at: time
    min: int | None
    max: int | None
    suspend_scale_in: bool = False
    anchor: str = ""  # "" (relative to polling day) or SPECIAL_VOTES
    until: time | None = None

    @property
    def closes(self) -> bool:
        return self.min is None


@dataclass(frozen=True)
class Election:
    slug: str  # [a-z0-9-]: used in intent owners and scheduled-action names
    name: str
    kind: str
    polling_date: date  # a local date in ``zone``
    phases: tuple[Phase, ...]  # the profile with the entry's overrides applied, in order
    special_votes: tuple[date, ...] = ()
    zone: str = HOME_ZONE
    source: str = "calendar"  # or "slack": entries added from Slack win on a slug clash
    # The gated scale-down: until when the window's last capacity is held after the window closes (the fallback
    # the team's "Scale down now" / "Keep for 6 h" answer moves). Set by the calendar in force
    # (``opsbot.elections.sources``); ``None``: no hold, capacity returns to the baseline when the window closes.
    hold_until: datetime | None = None


@dataclass(frozen=True)
class Window:
    """A phase of an election as an interval in UTC: what becomes one capacity intent."""

    slug: str
    phase: str
    start: datetime
    end: datetime
    min: int
    max: int
    suspend_scale_in: bool

    @property
    def owner(self) -> str:
        return f"election:{self.slug}"
