"""The snapshot steps, applied through the RDS port: take (after the pre-flight), prune (the retention plan), pin and
unpin, the residency check, and "ensure a fresh snapshot" for the cutover. Each is one call for whichever runner
operation holds the snapshot lock (a person's command, the nightly run, the reconciler, a remediation); the
decisions themselves are the pure modules beside this one."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbot.config import Settings
from opsbot.errors import GuardrailViolation, OpsbotError, UsageError
from opsbot.snapshots import naming, preflight, residency, retention
from opsbot.snapshots.model import KEEP, Snapshot
from opsbot.snapshots.ports import RdsSnapshotsPort


@dataclass(frozen=True)
class Taken:
    snapshot: Snapshot
    started: bool  # False: one was already being created, and that one is reported instead
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pruned:
    plan: retention.RetentionPlan
    dry_run: bool
    deleted: tuple[str, ...] = ()
    failed: str = ""  # the deletion that failed (the rest of the plan was not attempted)


@dataclass(frozen=True)
class Retention:
    keep_newest: int = retention.KEEP_NEWEST
    min_age: timedelta = retention.MIN_AGE

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        return cls(settings.snapshot_keep_newest, settings.snapshot_min_age)


def take(
    rds: RdsSnapshotsPort, *, reason: str, requested_by: str, note: str, now: datetime,
    windows_close: Mapping[str, datetime], keep: Retention = Retention(),
) -> Taken:  # fmt: skip
    instance, snapshots, quota = rds.instance(), rds.snapshots(), rds.quota()
    freed = retention.plan(
        snapshots, rds.db, now, windows_close=windows_close, keep_newest=keep.keep_newest, min_age=keep.min_age
    ).freed
    checked = preflight.check(instance, snapshots, quota, freed)
    if checked.running is not None:
        return Taken(checked.running, started=False, warnings=checked.warnings)
    identifier = naming.identifier(rds.db, reason, now)
    created = rds.create(identifier, naming.tags(reason, requested_by, note))
    return Taken(created, started=True, warnings=checked.warnings)


def prune(
    rds: RdsSnapshotsPort, *, now: datetime, windows_close: Mapping[str, datetime], dry_run: bool,
    keep: Retention = Retention(),
) -> Pruned:  # fmt: skip
    plan = retention.plan(
        rds.snapshots(), rds.db, now, windows_close=windows_close, keep_newest=keep.keep_newest, min_age=keep.min_age
    )
    if dry_run:
        return Pruned(plan, dry_run=True)
    deleted: list[str] = []
    for decision in plan.delete:
        try:
            rds.delete(decision.snapshot.identifier)
        except OpsbotError as exc:  # stop: the report says which went and which did not
            return Pruned(plan, False, tuple(deleted), f"{decision.snapshot.identifier}: {exc}")
        deleted.append(decision.snapshot.identifier)
    return Pruned(plan, False, tuple(deleted))


def pin(rds: RdsSnapshotsPort, identifier: str, *, keep: bool) -> Snapshot:
    """Pin (``opsbot:keep=true``) or unpin one of the bot's snapshots; anyone else's is refused."""
    if len(identifier) > naming.MAX_IDENTIFIER or not naming.IDENTIFIER.fullmatch(identifier):
        raise UsageError(f"`{identifier[:80]}` is not a snapshot identifier (letters, digits and single hyphens)")
    found = rds.snapshot(identifier)
    if found is None:
        raise GuardrailViolation(f"there is no snapshot `{identifier}`")
    if not found.is_ours(rds.db):
        raise GuardrailViolation(
            f"`{identifier}` was not made by the bot (it lacks the bot's tag or name prefix); pin it in RDS yourself"
        )
    if keep:
        rds.set_tag(found.arn, KEEP, "true")
    else:
        rds.remove_tag(found.arn, KEEP)
    return found


def residency_check(rds: RdsSnapshotsPort, region: str) -> list[residency.Violation]:
    instance, snapshots = rds.instance(), rds.snapshots()
    manual = [s.identifier for s in snapshots if s.kind == "manual"]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(manual))), thread_name_prefix="residency") as pool:
        shared = dict(zip(manual, pool.map(rds.shared_with, manual), strict=True))
    return residency.violations(instance, snapshots, shared, region, rds.db)


def ensure_recent(
    rds: RdsSnapshotsPort, *, max_age: timedelta, reason: str, requested_by: str, now: datetime, wait_s: int,
    windows_close: Mapping[str, datetime],
) -> Snapshot:  # fmt: skip
    """An available snapshot of the instance younger than ``max_age``: one that exists, else one taken now (or the
    one already being created), waited for at most ``wait_s``. Raises when none is available by then."""
    fresh = [
        s for s in rds.snapshots()
        if s.status == "available" and s.created is not None and now - s.created < max_age
    ]  # fmt: skip
    if fresh:
        return max(fresh, key=lambda s: s.created or now)
    taken = take(rds, reason=reason, requested_by=requested_by, note="", now=now, windows_close=windows_close)
    done = rds.wait_available(taken.snapshot.identifier, wait_s)
    if done.status != "available":
        raise GuardrailViolation(f"snapshot {done.identifier} is {done.status} after {wait_s} s; not going ahead")
    return done
