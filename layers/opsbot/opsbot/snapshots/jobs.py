"""The snapshots function's jobs: follow a snapshot in Slack (one message, updated in place), act on RDS's snapshot
events, take a snapshot for another part of the bot (the election reconciler's pre-election snapshot), and the
nightly run (snapshot, prune, residency).

RDS's events are best effort and there is none for a failed manual snapshot, so a followed snapshot is also
polled with botocore's waiter, bounded by ``Settings.snapshot_wait``: whichever comes first updates the message,
and the later one finds it already final. Taking and pruning are operations of the runner as the system actor
``snapshots:<job>`` (audited, under the database's snapshot lock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from opsbot.config import Settings
from opsbot.errors import OpsbotError
from opsbot.observability import logger
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.operations.runner import OperationRunner
from opsbot.ports import IncidentNotifierPort
from opsbot.snapshots import preflight, service
from opsbot.snapshots.model import Followed, Snapshot
from opsbot.snapshots.ports import RdsSnapshotsPort

CREATING, CREATED, DELETED = "RDS-EVENT-0040", "RDS-EVENT-0042", "RDS-EVENT-0041"
EVENTS = (CREATING, CREATED, DELETED)


class ProgressPort(Protocol):
    def record(self, followed: Followed) -> bool: ...
    def get(self, identifier: str) -> Followed | None: ...


class MovesPort(Protocol):
    """One-time schedules for a nightly run moved out of a backup or maintenance window."""

    def create(self, name: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class JobPorts:
    rds: RdsSnapshotsPort
    progress: ProgressPort
    notifier: Callable[[str], IncidentNotifierPort]  # for a channel
    windows_close: Callable[[], Mapping[str, datetime]]
    moves: MovesPort | None = None


@dataclass(frozen=True)
class Render:
    progress: Callable[[Snapshot, datetime, datetime, str], dict[str, Any]]
    report: Callable[[str, list[str]], dict[str, Any]]  # (headline, lines) for the ops channel


class SnapshotJobs:
    def __init__(
        self, runner: OperationRunner, ports: JobPorts, settings: Settings, clock: Callable[[], datetime],
        render: Render,
    ) -> None:  # fmt: skip
        self._runner = runner
        self._ports = ports
        self._settings = settings
        self._clock = clock
        self._render = render

    # following ---------------------------------------------------------------------------------------------------
    def follow(self, identifier: str, channel: str, by: str) -> dict[str, Any]:
        ports, now = self._ports, self._clock()
        snapshot = ports.rds.snapshot(identifier)
        if snapshot is None or not snapshot.is_ours(ports.rds.db):
            return {"ignored": f"{identifier} is not a snapshot of the bot's"}
        followed = ports.progress.get(identifier)
        if followed is None:
            posted_in, ts = ports.notifier(channel).post(self._render.progress(snapshot, now, now, by))
            followed = Followed(identifier, posted_in, ts, now, by)
            if not ports.progress.record(followed):  # a retried delivery posted first: follow that message
                followed = ports.progress.get(identifier) or followed
        final = snapshot
        if snapshot.status == "creating":
            final = ports.rds.wait_available(identifier, int(self._settings.snapshot_wait.total_seconds()))
        self._update(followed, final)
        return {"followed": identifier, "status": final.status}

    def on_event(self, identifier: str, event_id: str) -> dict[str, Any]:
        followed = self._ports.progress.get(identifier)
        if followed is None:
            return {"ignored": f"no message follows {identifier}"}
        snapshot = self._ports.rds.snapshot(identifier)
        if snapshot is None:
            snapshot = Snapshot(identifier, self._ports.rds.db, "manual", "deleted", None)
        self._update(followed, snapshot)
        return {"updated": identifier, "status": snapshot.status, "event": event_id}

    def _update(self, followed: Followed, snapshot: Snapshot) -> None:
        message = self._render.progress(snapshot, followed.started, self._clock(), followed.by)
        self._ports.notifier(followed.channel).update(followed.channel, followed.ts, message)

    # taking ------------------------------------------------------------------------------------------------------
    def take(self, reason: str, by: str, channel: str, key: str, lock_owner: str) -> dict[str, Any]:
        """A snapshot for ``reason`` as the system actor ``snapshots:<reason kind>``, then followed in ``channel``."""
        ports, now = self._ports, self._clock()
        actor = Actor.system("snapshots", reason.split(":", 1)[0], channel)
        operation = Operation(key=key, verb="snapshot", arguments=reason, actor=actor, lock_owner=lock_owner)
        taken: list[service.Taken] = []

        def body() -> Outcome:
            result = service.take(
                ports.rds, reason=reason, requested_by=by, note="", now=now, windows_close=ports.windows_close(),
                keep=self._retention,
            )  # fmt: skip
            taken.append(result)
            after = {"snapshot": result.snapshot.identifier, "started": result.started}
            return Outcome(
                view=None, audit=AuditOutcome(after=after) if result.started else AuditOutcome(result="noop")
            )

        outcome = self._runner.run(operation, body, options=RunOptions(lock=self._lock, report=False))
        if isinstance(outcome.view, ErrorView):
            return {"failed": outcome.view.message}
        snapshot = taken[0].snapshot
        summary: dict[str, Any] = {"snapshot": snapshot.identifier, "started": taken[0].started}
        if taken[0].warnings:
            summary["warnings"] = list(taken[0].warnings)
        if taken[0].started:
            try:
                summary.update(self.follow(snapshot.identifier, channel, by))
            except OpsbotError as exc:  # the snapshot is taken and audited; only its progress message is lost
                logger.warning("snapshot progress not followed", extra={"snapshot": snapshot.identifier,
                                                                        "error": str(exc)})  # fmt: skip
                summary["follow_failed"] = str(exc)
        return summary

    @property
    def _retention(self) -> service.Retention:
        return service.Retention.of(self._settings)

    @property
    def _lock(self) -> str:
        return f"snapshots:{self._settings.db_instance}"

    # the nightly run -----------------------------------------------------------------------------------------------
    def nightly(self, key: str, lock_owner: str) -> dict[str, Any]:
        ports, now, ops = self._ports, self._clock(), self._settings.slack_channel
        summary: dict[str, Any] = {}
        at, moved = preflight.outside_windows(now, ports.rds.instance())
        if moved and ports.moves is not None:
            ports.moves.create(f"opsbot-snapshot-{at:%Y%m%dT%H%M%S}Z", at)
            self._report(f":crescent_moon: Nightly snapshot {moved}", [])
            return {"moved": at.isoformat()}
        summary["snapshot"] = self.take("nightly", "snapshots:nightly", ops, key, lock_owner)
        if "failed" in summary["snapshot"]:
            # No prune without tonight's snapshot: the retention would delete old ones with no new one to replace
            # them. The failure is audited; the channel hears it (the next night, or `snapshot`, tries again).
            self._report(f":x: Nightly snapshot failed: {summary['snapshot']['failed']}; nothing was pruned", [])
            return summary
        summary["prune"] = self._prune(now, f"{key}-prune", lock_owner)
        try:
            violations = service.residency_check(ports.rds, self._settings.region)
        except OpsbotError as exc:  # snapshot and prune are done: a retry of the whole run would repeat them
            self._report(f":warning: Nightly residency check could not run: {exc}", [])
            summary["residency_failed"] = str(exc)
            return summary
        summary["residency_violations"] = len(violations)
        if violations:
            self._report(
                f":red_circle: Residency: {len(violations)} violation(s) for {self._settings.db_instance}",
                [f"{v.what} — {v.fix}" for v in violations],
            )
        return summary

    def _prune(self, now: datetime, key: str, lock_owner: str) -> dict[str, Any]:
        ports = self._ports
        actor = Actor.system("snapshots", "nightly", self._settings.slack_channel)
        operation = Operation(key=key, verb="snapshot prune", arguments="nightly", actor=actor, lock_owner=lock_owner)
        done: list[service.Pruned] = []

        def body() -> Outcome:
            pruned = service.prune(
                ports.rds, now=now, windows_close=ports.windows_close(), dry_run=False, keep=self._retention
            )
            done.append(pruned)
            after = {"deleted": list(pruned.deleted), "planned": len(pruned.plan.delete)}
            if pruned.failed:
                return Outcome(view=None, audit=AuditOutcome(result="failed", after=after, error=pruned.failed))
            return Outcome(
                view=None, audit=AuditOutcome(after=after) if pruned.deleted else AuditOutcome(result="noop")
            )

        outcome = self._runner.run(operation, body, options=RunOptions(lock=self._lock, report=False))
        if isinstance(outcome.view, ErrorView):
            self._report(f":x: Nightly prune failed: {outcome.view.message}", [])
            return {"failed": outcome.view.message}
        pruned = done[0]
        if pruned.failed:
            self._report(
                f":x: Nightly prune stopped after {len(pruned.deleted)} deletion(s): {pruned.failed}",
                [f"deleted {i}" for i in pruned.deleted],
            )
        return {"deleted": len(pruned.deleted), "failed": pruned.failed}

    def _report(self, headline: str, lines: list[str]) -> None:
        try:
            self._ports.notifier(self._settings.slack_channel).post(self._render.report(headline, lines))
        except OpsbotError as exc:  # the audit trail and this log keep what happened
            logger.warning("snapshot report not delivered", extra={"headline": headline[:200], "error": str(exc)})
