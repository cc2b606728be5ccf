"""Plain data every operation shares: who asks (a person or a named system actor) and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from opsbot.config import Role

# System actors are named ``<kind>:<name>`` (``alarm:mycandidate-web-cpu-high``, ``election:lge-2026``). Each kind
# may run only the verbs listed here, whatever a person's role would allow; there is no fabricated admin.
SYSTEM_PERMISSIONS: dict[str, frozenset[str]] = {
    "alarm": frozenset({"remediate"}),
    "election": frozenset({"capacity"}),
    "sweeper": frozenset({"sweep"}),
    "snapshots": frozenset({"snapshot", "snapshot prune"}),  # the nightly run and the pre-election snapshot
}


class Actor(NamedTuple):
    user_id: str  # a Slack user ID, or ``<kind>:<name>`` for a system actor
    channel_id: str
    role: Role = Role.NONE

    @property
    def system_kind(self) -> str:
        """``alarm`` for ``alarm:<name>``; empty for a person (Slack IDs never contain a colon)."""
        kind, colon, _ = self.user_id.partition(":")
        return kind if colon else ""

    @classmethod
    def system(cls, kind: str, name: str, channel_id: str = "") -> Actor:
        if kind not in SYSTEM_PERMISSIONS:
            raise ValueError(f"unknown system actor kind {kind!r}")
        return cls(user_id=f"{kind}:{name}", channel_id=channel_id, role=Role.NONE)


@dataclass(frozen=True)
class AuditOutcome:
    decision: str = "allowed"
    result: str = "ok"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    """An operation's result: ``view`` is rendered by the caller (``opsbot.slack.views`` for commands, the incident
    for a remediation); ``audit`` is recorded by the runner."""

    view: Any
    audit: AuditOutcome | None = field(default_factory=AuditOutcome)
    public: bool = False  # posted to the channel (response_type in_channel), not only to the requester
    warning: str = ""  # shown under the result, e.g. when the audit trail could not be written
    # A report of a change the bot applied (or tried to apply and failed part-way): set by the runner, which also
    # decides ``public`` from ``Settings.results``; the Slack layer routes it to the ops channel when so configured.
    report: bool = False
    by: str = ""  # who made the change, named in the report since others read it


class ErrorView(NamedTuple):
    kind: str  # usage | refused | failed
    message: str
    usage: str = ""
    cause: str = ""  # the domain exception's name (``ChangeInProgress``…), for callers that treat causes apart


class Operation(NamedTuple):
    """One attempt to change something. ``key`` is its operation id: both audit records carry it, Undo points
    at it. ``lock_owner`` identifies the attempt to the change lock (the Slack trigger, the alarm delivery)."""

    key: str
    verb: str
    arguments: str
    actor: Actor
    lock_owner: str


@dataclass(frozen=True)
class RunOptions:
    mutating: bool = True  # False: a read; recorded once, no pending record, no lock
    dry_run: bool = False  # recorded once, no pending record, no lock; the body changes nothing
    lock: str | None = None  # the resource to serialise on (the service key); None: no change lock
    lock_wait: float | None = None  # seconds; None: the actor kind's policy (people 0 s, system actors 20 s)
    report: bool = True  # mark an applied change as a report the team sees (``Settings.results``)
