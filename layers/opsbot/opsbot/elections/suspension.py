"""Scale-in suspension and the reconciler's wake-ups (pure).

A scheduled action cannot suspend scale-in: only ``RegisterScalableTarget`` carries ``SuspendedState``. So while
a phase with ``suspend_scale_in`` is in force the reconciler sets ``DynamicScalingInSuspended`` and lifts it
after; to do that on time it leaves itself one-time EventBridge Scheduler schedules at every phase boundary
where the suspension changes and at every window's close (when the gated scale-down question is asked). The
hourly run is the safety net when a one-time schedule is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from opsbot.elections.calendar import window_span, windows
from opsbot.elections.model import Election

WAKE_UP_PREFIX = "opsbot-election-"  # Scheduler names: [0-9a-zA-Z-_.]+, at most 64 characters
WAKE_UP_HORIZON = timedelta(days=35)  # schedules are kept only for what is near; the hourly run adds the rest
_TOO_SOON = timedelta(minutes=1)  # an at() that would be past by the time Scheduler gets it: this run covers it


def suspending(elections: Iterable[Election], at: datetime) -> tuple[str, ...]:
    """The slugs of the elections whose phase at ``at`` suspends scale-in."""
    return tuple(
        sorted({e.slug for e in elections for w in windows(e) if w.suspend_scale_in and w.start <= at < w.end})
    )


def wake_ups(elections: Iterable[Election], now: datetime) -> tuple[datetime, ...]:
    """When the reconciler must run next, within the horizon: suspension boundaries and window closes."""
    found: set[datetime] = set()
    for election in elections:
        for window in windows(election):
            if window.suspend_scale_in:
                found.update((window.start, window.end))
        found.add(window_span(election)[1])
    return tuple(sorted(t for t in found if now + _TOO_SOON < t <= now + WAKE_UP_HORIZON))


def wake_up_name(at: datetime) -> str:
    return f"{WAKE_UP_PREFIX}{at.astimezone(UTC):%Y%m%dT%H%M%S}Z"
