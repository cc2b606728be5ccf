"""The small interfaces logic depends on, and the plain data they exchange.

Production implementations live in ``opsbot.aws``; tests hand in fakes or moto-backed adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from opsbot.capacity.model import Generation, Intent
from opsbot.errors import OpsbotError
from opsbot.logic.scaling import Capacity


class Deployment(NamedTuple):
    id: str
    status: str
    rollout_state: str
    task_definition: str


class ServiceState(NamedTuple):
    desired: int
    running: int
    pending: int
    task_definition: str  # family:revision
    image_tag: str
    deployments: tuple[Deployment, ...] = ()
    task_vcpu: float = 0.0  # the task definition's CPU in vCPU (0: not stated)

    @property
    def deployment_in_progress(self) -> Deployment | None:
        for deployment in self.deployments:
            if deployment.rollout_state == "IN_PROGRESS":
                return deployment
        return None


class ScheduledAction(NamedTuple):
    name: str
    schedule: str
    at: datetime | None
    min: int | None
    max: int | None


class AlarmSummary(NamedTuple):
    name: str
    metric: str
    since: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """One attempt, whatever its outcome. ``key`` identifies it for Undo."""

    key: str
    at: datetime
    actor: str
    channel: str
    verb: str
    arguments: str
    decision: str  # allowed | refused | invalid | dry-run | awaiting-confirmation | cancelled | not-run
    result: str  # ok | failed | refused | noop | pending
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    # ``pending`` is written before a change is attempted, ``outcome`` after: two records, each written once.
    phase: str = "outcome"


class CapacityPort(Protocol):
    def get_capacity(self) -> Capacity: ...
    def set_capacity(self, capacity: Capacity) -> None: ...
    def put_action(self, name: str, at: datetime, capacity: Capacity) -> None: ...
    def delete_action(self, name: str) -> None: ...
    def scheduled_actions(self) -> list[ScheduledAction]: ...


class IntentStorePort(Protocol):
    """The service's capacity intents, its generation number and the marker each change leaves
    (``opsbot.capacity``)."""

    def intents(self) -> list[Intent]: ...
    def generation(self) -> Generation: ...
    def commit(self, expected: int, new: Generation, put: Sequence[Intent], delete: Sequence[str], marker: str) -> None:
        """In one transaction: write generation ``new`` if it is still ``expected`` (else raise
        ``ChangeInProgress`` and write nothing), put and delete intents, and mark ``new.operation`` with ``marker``."""
        ...

    def marker(self, operation: str) -> str | None: ...
    def put_intent(self, intent: Intent) -> None:
        """Outside a change (seeding, tools); changes go through ``commit``."""
        ...


class ServicePort(Protocol):
    def describe(self) -> ServiceState: ...


class AlarmsPort(Protocol):
    def firing(self) -> list[AlarmSummary]: ...


class SnapshotsPort(Protocol):
    def latest_snapshot_time(self) -> datetime | None: ...


class AuditPort(Protocol):
    def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` (conditional put: a record that exists is never overwritten)."""
        ...

    def get(self, key: str) -> AuditEntry | None:
        """The operation's outcome record, or its pending record when it has no outcome yet."""
        ...

    def latest(self, limit: int) -> list[AuditEntry]: ...
    def unfinished(self, since: datetime, until: datetime) -> list[AuditEntry]:
        """Pending records written in [since, until) that have no outcome record."""
        ...


class LockPort(Protocol):
    def acquire(self, resource: str, owner: str, now: datetime) -> None: ...
    def release(self, resource: str, owner: str) -> None: ...


class ConfirmationPort(Protocol):
    def put(
        self, confirmation_id: str, payload: dict[str, Any], now: datetime, ttl: timedelta | None = None
    ) -> None: ...
    def take(self, confirmation_id: str, now: datetime) -> dict[str, Any] | None: ...
    def waiting(self, confirmation_id: str) -> bool: ...


class Incident(NamedTuple):
    """The Slack message of an alarm's open episode (entering ALARM until OK), so a new ALARM of the same episode
    and the recovery update it in place. ``opened_at`` is when the episode began; ``last_alarm_at`` the ALARM the
    message shows now; ``alarms`` how many times the episode entered ALARM."""

    alarm: str
    channel: str
    ts: str
    opened_at: datetime
    summary: str
    last_alarm_at: datetime | None = None
    alarms: int = 1

    @property
    def shown_alarm_at(self) -> datetime:
        return self.last_alarm_at or self.opened_at


class Waiting(NamedTuple):
    """An alarm left in ALARM with "no action because …"; ``changed_at`` identifies the episode's state change."""

    alarm: str
    changed_at: datetime
    reason: str
    since: datetime


class RemediationStatePort(Protocol):
    def autoremediation_enabled(self) -> bool: ...
    def set_autoremediation(self, enabled: bool, by: str, now: datetime) -> None: ...
    def muted_until(self, alarm: str, now: datetime) -> datetime | None: ...
    def mutes(self, alarms: Sequence[str], now: datetime) -> dict[str, datetime]:
        """The bot's mutes of ``alarms`` still in force at ``now``: alarm → muted until (one batched read)."""
        ...

    def mute(self, alarm: str, until: datetime, by: str) -> None: ...
    def unmute(self, alarm: str) -> None: ...
    def claim_cooldown(self, scope: str, until: datetime, now: datetime) -> datetime | None: ...
    def release_cooldown(self, scope: str) -> None: ...
    def count_action(self, service: str, limit: int, now: datetime) -> bool: ...
    def refund_action(self, service: str, now: datetime) -> None: ...
    def mark_latest(self, alarm: str, at: datetime) -> bool: ...
    def record_transition(self, alarm: str, at: datetime, state: str) -> int: ...
    def open_incident(self, incident: Incident) -> None: ...
    def close_incident(self, alarm: str) -> Incident | None: ...
    def get_incident(self, alarm: str) -> Incident | None: ...
    def note_waiting(self, waiting: Waiting) -> None: ...
    def clear_waiting(self, alarm: str) -> None: ...
    def waiting(self) -> list[Waiting]: ...


class DeploymentsPort(Protocol):
    def in_progress_deployment(self, created_by: datetime | None = None, moving: bool = False) -> str | None: ...
    def stop_deployment(self, deployment_arn: str) -> None: ...
    def force_new_deployment(self) -> None: ...


class AlarmSilencePort(Protocol):
    def silenced(self, alarm: str, composite: bool) -> str | None:
        """Why CloudWatch keeps this alarm's actions quiet right now (mute rule, suppressor), or ``None``."""
        ...


class IncidentDeliveryError(OpsbotError):
    """An incident message could not be delivered (after retries). ``code`` is the chat service's error code or
    the failure's kind (``ratelimited``, ``channel_not_found``, ``URLError``, ``credentials_unavailable``)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class IncidentNotifierPort(Protocol):
    """Each method raises ``IncidentDeliveryError`` when the message was not delivered."""

    def post(self, message: dict[str, Any]) -> tuple[str, str]: ...
    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None: ...
    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None: ...
