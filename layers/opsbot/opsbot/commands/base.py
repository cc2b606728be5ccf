"""What every command module shares: the context it runs in and the shape of its outcome."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from opsbot.config import Role, Settings
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Outcome, RunOptions

if TYPE_CHECKING:  # annotations only: acknowledging a command must not pay for the adapters' data types
    from opsbot.capacity.core import CapacityCore
    from opsbot.cutover.ports import DeploymentsPort
    from opsbot.elections.ports import (
        CalendarPort,
        ElectionEntriesPort,
        HoldsPort,
        ReadinessReadsPort,
        SuspensionPort,
    )
    from opsbot.ports import (
        AlarmsPort,
        AuditPort,
        CapacityPort,
        ConfirmationPort,
        IntentStorePort,
        LockPort,
        RemediationStatePort,
        ServicePort,
        SnapshotsPort,
    )
    from opsbot.snapshots.ports import RdsSnapshotsPort, SnapshotJobsPort

__all__ = ["Actor", "AuditOutcome", "ErrorView", "Outcome", "RunOptions"]  # shared with the operations core

# Audit keys sort by when the bot decided; the tag makes them unique (a random hex for people, ``alarm-<hex>`` for a
# remediation). Undo buttons carry them, so they are also validated against this shape when a button comes back.
AUDIT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#(?:alarm-)?[0-9a-f]{8}")


def new_audit_key(now: datetime, tag: str) -> str:
    """``tag``: 8 hex digits, optionally prefixed ``alarm-``."""
    return f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}"


class Ports(NamedTuple):
    """Adapters a command may use; built by ``opsbot.dependencies`` or handed in by tests."""

    capacity: CapacityPort
    service: ServicePort
    alarms: AlarmsPort
    snapshots: SnapshotsPort
    audit: AuditPort
    locks: LockPort
    confirmations: ConfirmationPort
    intents: IntentStorePort
    remediation: RemediationStatePort | None = None  # kill switch and mutes, for the remediation commands
    calendar: CalendarPort | None = None  # the election calendar in force (opsbot.elections.sources)
    elections: ElectionEntriesPort | None = None  # the entries added from Slack
    holds: HoldsPort | None = None  # the gated scale-down's decisions
    suspension: SuspensionPort | None = None  # the scalable target's scale-in suspension (shown by `status`)
    readiness: ReadinessReadsPort | None = None  # what only the readiness report reads (cache, metrics, quota)
    rds: RdsSnapshotsPort | None = None  # the instance and its snapshots (opsbot.snapshots)
    snapshot_jobs: SnapshotJobsPort | None = None  # hands a snapshot to the snapshots function to follow
    deployments: DeploymentsPort | None = None  # ECS and ECR for `deploy` (opsbot.cutover)


class CommandContext(NamedTuple):
    """``actor`` may be a person or a system actor (``alarm:<name>``); ``request_id`` owns the change lock."""

    actor: Actor
    settings: Settings
    ports: Ports
    now: datetime
    request_id: str  # Slack trigger_id (or action id): the idempotency key and lock owner
    audit_key: str  # where this attempt is recorded; Undo buttons point here


class CommandSpec(NamedTuple):
    """A command module's declaration. Its module docstring is the help text (first line = summary)."""

    name: str
    usage: str
    required_role: Role
    parse: Callable[[list[str]], Any]
    run: Callable[[Any, CommandContext], Outcome]
    mutating: bool = False
    doc: str = ""
    locks: bool = False  # runs under the per-service change lock (capacity changes)
    # Read-only guardrail check, run before anything is recorded or locked: raises ``GuardrailViolation`` (the
    # body checks again under the lock, where the state may have moved).
    guard: Callable[[Any, CommandContext], None] | None = None
    lock_on: str = "service"  # the change lock's resource: "service" (capacity) or "snapshots" (the database's)
    report: bool = True  # an applied change is a report for the team (False: the feature posts its own message)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name


def lock_resource(spec: CommandSpec, settings: Settings) -> str | None:
    if not spec.locks:
        return None
    return f"snapshots:{settings.db_instance}" if spec.lock_on == "snapshots" else settings.service_key


def put_back(ctx: CommandContext, confirmation_id: str, payload: dict[str, Any], ttl: timedelta | None = None) -> None:
    """A confirmation taken for a change that then failed with nothing changed goes back, so the same button tries
    again instead of answering "already used". If even that fails, the failure being raised is still reported (the
    person then asks again), so this one is only logged."""
    from opsbot.errors import AwsOperationError
    from opsbot.observability import logger

    try:
        ctx.ports.confirmations.put(confirmation_id, payload, ctx.now, ttl=ttl)
    except AwsOperationError as exc:
        logger.warning("confirmation not put back after a failed change", extra={"code": exc.code})


def capacity_core(ctx: CommandContext) -> CapacityCore:
    from opsbot.capacity.core import CapacityCore

    return CapacityCore(ctx.settings, ctx.ports.capacity, ctx.ports.intents)
