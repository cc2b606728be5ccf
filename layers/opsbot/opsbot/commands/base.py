"""What every command module shares: the context it runs in and the shape of its outcome."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from opsbot.config import Role, Settings
from opsbot.ports import (
    AlarmsPort,
    AuditPort,
    CapacityPort,
    ConfirmationPort,
    LockPort,
    RemediationStatePort,
    ServicePort,
    SnapshotsPort,
)

# Audit keys sort by when the bot decided; the tag makes them unique (a random hex for people, ``alarm-<hex>`` for a
# remediation). Undo buttons carry them, so they are also validated against this shape when a button comes back.
AUDIT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#(?:alarm-)?[0-9a-f]{8}")


def new_audit_key(now: datetime, tag: str) -> str:
    """``tag``: 8 hex digits, optionally prefixed ``alarm-``."""
    return f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}"


class Actor(NamedTuple):
    user_id: str
    channel_id: str
    role: Role = Role.NONE


class Ports(NamedTuple):
    """Adapters a command may use; built by ``opsbot.dependencies`` or handed in by tests."""

    capacity: CapacityPort
    service: ServicePort
    alarms: AlarmsPort
    snapshots: SnapshotsPort
    audit: AuditPort
    locks: LockPort
    confirmations: ConfirmationPort
    remediation: RemediationStatePort | None = None  # kill switch and mutes, for the remediation commands


class CommandContext(NamedTuple):
    actor: Actor
    settings: Settings
    ports: Ports
    now: datetime
    request_id: str  # Slack trigger_id (or action id): the idempotency key and lock owner
    audit_key: str  # where this attempt is recorded; Undo buttons point here


@dataclass(frozen=True)
class AuditOutcome:
    decision: str = "allowed"
    result: str = "ok"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    """A command's result: ``view`` is rendered by ``opsbot.slack.views``; ``audit`` is recorded by dispatch."""

    view: Any
    audit: AuditOutcome | None = field(default_factory=AuditOutcome)
    public: bool = False  # posted to the channel (response_type in_channel), not only to the requester
    warning: str = ""  # shown under the result, e.g. when the audit trail could not be written
    # A report of a change the bot applied (or tried to apply and failed part-way): set by dispatch, which also
    # decides ``public`` from ``Settings.results``; the Slack layer routes it to the ops channel when so configured.
    report: bool = False
    by: str = ""  # the Slack user who made the change, named in the report since others read it


class CommandSpec(NamedTuple):
    """A command module's declaration. Its module docstring is the help text (first line = summary)."""

    name: str
    usage: str
    required_role: Role
    parse: Callable[[list[str]], Any]
    run: Callable[[Any, CommandContext], Outcome]
    mutating: bool = False
    doc: str = ""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name
