"""Where the calendar stands at a moment (pure): the windows open now, the next one, and the change freeze.

A window is *open* from the start of an election's first phase to the end of its last one. While any window is
open the change freeze holds: commands that reduce capacity or change the service are refused unless an admin
overrides, and capacity may not be set below the open windows' minimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from opsbot.elections.calendar import window_span, windows
from opsbot.elections.model import Election, Window


@dataclass(frozen=True)
class ElectionWindow:
    """One election's window and, at the moment asked about, its phase (``None`` before it opens)."""

    election: Election
    opens: datetime
    closes: datetime
    phase: Window | None = None


@dataclass(frozen=True)
class Freeze:
    """The change freeze in force: the open windows, the minimum they hold and when the last one closes."""

    windows: tuple[ElectionWindow, ...]
    minimum: int
    until: datetime

    @property
    def names(self) -> str:
        return ", ".join(w.election.name for w in self.windows)


def phase_at(election: Election, at: datetime) -> Window | None:
    """The election's phase in force at ``at`` (the larger minimum wins where special votes overlap)."""
    active = [w for w in windows(election) if w.start <= at < w.end]
    return max(active, key=lambda w: (w.min, w.max, w.start)) if active else None


def open_windows(elections: Iterable[Election], at: datetime) -> tuple[ElectionWindow, ...]:
    found = []
    for election in elections:
        opens, closes = window_span(election)
        if opens <= at < closes:
            found.append(ElectionWindow(election, opens, closes, phase_at(election, at)))
    return tuple(sorted(found, key=lambda w: (w.opens, w.election.slug)))


def next_window(elections: Iterable[Election], at: datetime) -> ElectionWindow | None:
    """The first window that opens after ``at``."""
    later = [(window_span(e), e) for e in elections]
    ahead = sorted(((span, e) for span, e in later if span[0] > at), key=lambda item: (item[0][0], item[1].slug))
    if not ahead:
        return None
    (opens, closes), election = ahead[0]
    return ElectionWindow(election, opens, closes)


def freeze(elections: Sequence[Election], at: datetime) -> Freeze | None:
    """The change freeze at ``at``, or ``None`` when no window is open."""
    open_now = open_windows(elections, at)
    if not open_now:
        return None
    minimum = max((w.phase.min for w in open_now if w.phase is not None), default=0)
    return Freeze(windows=open_now, minimum=minimum, until=max(w.closes for w in open_now))
