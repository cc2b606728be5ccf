"""What RDS says about a snapshot operation that was cut short (``opsbot.operations.sweeper``).

The bot's snapshots carry who asked (``opsbot:requested-by``, a person) or why (``opsbot:reason``, a job): one of
them made during the operation's run is its snapshot; none means it never got as far as ``CreateDBSnapshot``.
"""

from __future__ import annotations

from datetime import timedelta

from opsbot.config import MAX_LAMBDA_RUN
from opsbot.ports import AuditEntry
from opsbot.snapshots.model import Snapshot
from opsbot.snapshots.ports import RdsSnapshotsPort

_CLOCK_SKEW = timedelta(minutes=2)  # RDS stamps the snapshot with its own clock


def snapshot_evidence(rds: RdsSnapshotsPort, entry: AuditEntry) -> tuple[str, str]:
    """``(result, summary)`` for the outcome record: ``ok`` with the snapshot that exists, else ``failed``."""
    earliest, latest = entry.at - _CLOCK_SKEW, entry.at + MAX_LAMBDA_RUN
    taken = [
        s for s in rds.snapshots()
        if s.is_ours(rds.db) and s.created is not None and earliest <= s.created <= latest
        and _made_by(s, entry)
    ]  # fmt: skip
    if not taken:
        return "failed", "cut short before the snapshot was started; RDS has none from it — take it again"
    snapshot = min(taken, key=lambda s: s.created or entry.at)
    return "ok", f"the snapshot {snapshot.identifier} was started ({snapshot.status}); see `snapshots`"


def _made_by(snapshot: Snapshot, entry: AuditEntry) -> bool:
    if entry.actor.startswith("snapshots:"):  # a job: its reason (e.g. ``pre-election:lge-2026``) is the arguments
        return bool(entry.arguments) and snapshot.reason == entry.arguments
    return bool(entry.actor) and snapshot.requested_by == entry.actor
