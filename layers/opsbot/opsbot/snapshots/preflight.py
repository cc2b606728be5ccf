"""Before a snapshot is taken (pure): the instance must be available, no snapshot of it already being created
(that one is reported instead of starting another), and room in the manual-snapshot quota — a warning from 80 %,
a refusal at 100 % saying what a prune would free. The nightly run moves itself out of the instance's backup and
maintenance windows when it would fall inside one, and says so."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbot.errors import GuardrailViolation
from opsbot.snapshots.model import Instance, Quota, Snapshot

QUOTA_WARN = 0.8
WINDOW_MARGIN = timedelta(minutes=15)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_WEEKLY = re.compile(r"([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})")


@dataclass(frozen=True)
class Preflight:
    """Go ahead (``running`` is None), with ``warnings``; or report ``running``, the snapshot being created."""

    warnings: tuple[str, ...] = ()
    running: Snapshot | None = None


def check(instance: Instance, snapshots: Iterable[Snapshot], quota: Quota | None, freed_by_prune: int) -> Preflight:
    if instance.status != "available":
        raise GuardrailViolation(
            f"the database `{instance.identifier}` is {instance.status}; RDS takes a snapshot only of an available"
            " instance — try again when it is available"
        )
    running = [s for s in snapshots if s.instance == instance.identifier and s.status == "creating"]
    if running:
        return Preflight(running=running[0])
    warnings: list[str] = []
    if quota is not None and quota.max:
        figure = f"{quota.used} of {quota.max} manual snapshots"
        if quota.used >= quota.max:
            raise GuardrailViolation(
                f"the manual-snapshot quota is full ({figure}); `snapshot prune --dry-run` would free"
                f" {freed_by_prune} — prune, or ask AWS for a higher quota"
            )
        if quota.share >= QUOTA_WARN:
            warnings.append(f"the manual-snapshot quota is at {quota.share:.0%} ({figure})")
    return Preflight(warnings=tuple(warnings))


def outside_windows(planned: datetime, instance: Instance) -> tuple[datetime, str]:
    """``planned`` (UTC), moved past the end of a backup or maintenance window it falls into (plus a margin);
    and what was done, in words ("" when nothing moved)."""
    at, said = planned, ""
    for _ in range(3):  # moving out of one window can land in the other
        moved = False
        for name, window in (("backup", _backup(instance.backup_window, at)),
                             ("maintenance", _maintenance(instance.maintenance_window, at))):  # fmt: skip
            if window is not None and window[0] - WINDOW_MARGIN <= at < window[1] + WINDOW_MARGIN:
                at = window[1] + WINDOW_MARGIN
                span = f"{window[0]:%H:%M}-{window[1]:%H:%M} UTC"
                said = f"moved to {at:%H:%M} UTC, out of the instance's {name} window ({span})"
                moved = True
        if not moved:
            break
    return at, said


def _backup(text: str, around: datetime) -> tuple[datetime, datetime] | None:
    match = _DAILY.fullmatch(text or "")
    if not match:
        return None
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    for day in (around.date() - timedelta(days=1), around.date()):
        start = datetime(day.year, day.month, day.day, h1, m1, tzinfo=around.tzinfo)
        end = start.replace(hour=h2, minute=m2) + (timedelta(days=1) if (h2, m2) <= (h1, m1) else timedelta())
        if start - WINDOW_MARGIN <= around < end + WINDOW_MARGIN:
            return start, end
    return None


def _maintenance(text: str, around: datetime) -> tuple[datetime, datetime] | None:
    match = _WEEKLY.fullmatch((text or "").lower())
    if not match:
        return None
    d1, h1, m1, d2, h2, m2 = match.groups()
    if d1 not in _DAYS or d2 not in _DAYS:
        return None
    for weeks in (-1, 0):
        monday = around.date() - timedelta(days=around.weekday()) + timedelta(weeks=weeks)
        start_day = monday + timedelta(days=_DAYS.index(d1))
        start = datetime(start_day.year, start_day.month, start_day.day, int(h1), int(m1), tzinfo=around.tzinfo)
        span = (_DAYS.index(d2) - _DAYS.index(d1)) % 7
        end_day = start_day + timedelta(days=span)
        end = datetime(end_day.year, end_day.month, end_day.day, int(h2), int(m2), tzinfo=around.tzinfo)
        if end <= start:
            end += timedelta(days=7)
        if start - WINDOW_MARGIN <= around < end + WINDOW_MARGIN:
            return start, end
    return None
