"""What retention deletes (pure): only the bot's own snapshots, never a pinned one, never the newest pre-election
snapshot of an election whose window has not ended, never the newest pre-cutover snapshot for 7 days; of the rest
the newest K stay, and so does everything younger than D days. A snapshot still being created is left alone.

Automated snapshots, other people's and anything without both the bot's tag and its name prefix are not even
candidates: the plan lists only what it would delete and, of the bot's, what it keeps and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbot.snapshots.model import Snapshot

KEEP_NEWEST = 14
MIN_AGE = timedelta(days=7)
CUTOVER_HOLD = timedelta(days=7)


@dataclass(frozen=True)
class Decision:
    snapshot: Snapshot
    why: str


@dataclass(frozen=True)
class RetentionPlan:
    delete: tuple[Decision, ...]
    keep: tuple[Decision, ...]

    @property
    def freed(self) -> int:
        return len(self.delete)


def plan(
    snapshots: Iterable[Snapshot],
    db: str,
    now: datetime,
    *,
    windows_close: Mapping[str, datetime],
    keep_newest: int = KEEP_NEWEST,
    min_age: timedelta = MIN_AGE,
) -> RetentionPlan:
    """``windows_close``: election slug -> when its window closes (an election no longer on the calendar has ended)."""
    ours = sorted(
        (s for s in snapshots if s.kind == "manual" and s.is_ours(db)),
        key=lambda s: (s.created or now, s.identifier),
        reverse=True,
    )
    held = _held(ours, now, windows_close)
    delete, keep = [], []
    for rank, snapshot in enumerate(ours):
        age = now - (snapshot.created or now)
        if snapshot.status != "available":
            keep.append(Decision(snapshot, f"{snapshot.status}, not available"))
        elif snapshot.pinned:
            keep.append(Decision(snapshot, "pinned (opsbot:keep=true)"))
        elif snapshot.identifier in held:
            keep.append(Decision(snapshot, held[snapshot.identifier]))
        elif rank < keep_newest:
            keep.append(Decision(snapshot, f"among the newest {keep_newest}"))
        elif age < min_age:
            keep.append(Decision(snapshot, f"younger than {min_age.days} days"))
        else:
            delete.append(Decision(snapshot, f"{age.days} days old, not among the newest {keep_newest}"))
    return RetentionPlan(tuple(delete), tuple(keep))


def _held(ours: list[Snapshot], now: datetime, windows_close: Mapping[str, datetime]) -> dict[str, str]:
    """The newest pre-election snapshot of each election still to end, the newest pre-cutover one for 7 days."""
    held: dict[str, str] = {}
    seen_elections: set[str] = set()
    cutover_seen = False
    for snapshot in ours:  # newest first
        kind, _, name = snapshot.reason.partition(":")
        if kind == "pre-election" and name not in seen_elections:
            seen_elections.add(name)
            closes = windows_close.get(name)
            if closes is not None and closes > now:
                held[snapshot.identifier] = f"the newest pre-election snapshot of {name}; its window has not ended"
        elif kind == "pre-cutover" and not cutover_seen:
            cutover_seen = True
            if snapshot.created is not None and now - snapshot.created < CUTOVER_HOLD:
                held[snapshot.identifier] = "the newest pre-cutover snapshot, kept for 7 days"
    return held
