"""Complete the record of operations that were cut short (Lambda stopped between acting and the outcome record).

An operation whose ``pending`` record is older than ``Settings.sweep_after`` (longer than any function's
timeout) and has no outcome was stopped part-way. The sweeper works out from AWS what happened, writes the missing
outcome record (the pending one is never rewritten), and says so in Slack:

- a capacity change (``scale``, ``undo``, an alarm's ``scale_out``, or any operation that left a marker): the
  intents, the generation and a marker naming the operation are committed in one transaction before AWS is
  changed. With the marker ``applied`` the
  change happened: the sweeper materialises the intents under the change lock, so AWS matches them, and records
  ``ok``; with ``put back`` AWS refused it and it was undone: ``failed``; with no marker nothing changed: ``failed``;
- a verb with ``evidence`` (a snapshot: RDS's tags; a deploy: ECS's service deployments, and for a prod approval's
  button whether its approval is still there; a gate's Promote or Roll back: whether the deployment still waits at
  its pause; ``opsbot.snapshots.sweep`` and ``opsbot.cutover.sweep``): what AWS shows decides ``ok`` or
  ``failed`` (``unknown`` when it cannot);
- anything else (replace tasks, a rollback, a mute): AWS keeps no trace that names the operation, so the outcome is
  ``unknown`` and the message asks a person to check ``status``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from opsbot.capacity.core import PUT_BACK, CapacityCore
from opsbot.config import Settings
from opsbot.observability import logger
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.operations.runner import OperationRunner
from opsbot.ports import AuditEntry, AuditPort, CapacityPort, IntentStorePort, LockPort

_LOOK_BACK = timedelta(days=2)  # pending records older than this are beyond help and only wait for their TTL
_CAPACITY_VERBS = {"scale", "undo"}
# Buttons that answer a one-time confirmation (``opsbot.commands.dispatch.ACTIONS``): the audit arguments start
# with the action id.
_ONE_TIME_BUTTONS = {"scale_confirm", "scale_undo_confirm", "schedule_remove_confirm"}


# How AWS shows what a cut-short operation of one verb did: ``(result, summary)``, result ``ok`` or ``failed``.
Evidence = Callable[[AuditEntry], tuple[str, str]]


class Swept(NamedTuple):
    entry: AuditEntry
    result: str  # ok | failed | unknown
    summary: str  # for Slack and the outcome record


class Sweeper:
    def __init__(
        self,
        settings: Settings,
        audit: AuditPort,
        locks: LockPort,
        capacity: CapacityPort,
        intents: IntentStorePort,
        clock: Callable[[], datetime],
        report: Callable[[Swept], None] | None = None,
        evidence: Mapping[str, Evidence] | None = None,
    ) -> None:
        self._settings = settings
        self._audit = audit
        self._core = CapacityCore(settings, capacity, intents)
        self._runner = OperationRunner(settings, audit, locks, clock)
        self._clock = clock
        self._report = report
        self._evidence = evidence or {}

    def sweep(self) -> list[Swept]:
        now = self._clock()
        stale = self._audit.unfinished(now - _LOOK_BACK, now - self._settings.sweep_after)
        swept = [item for item in (self._complete(entry, now) for entry in stale) if item is not None]
        for item in swept:
            if self._report is not None:
                try:
                    self._report(item)
                except Exception:  # the record is written; a lost message must not stop the next one
                    logger.exception("sweep report not delivered", extra={"operation": item.entry.key})
        return swept

    def _complete(self, entry: AuditEntry, now: datetime) -> Swept | None:
        """``None`` when AWS could not be asked, or the outcome could not be written (another sweep, or the operation
        itself, got there)."""
        try:
            swept = self._what_happened(entry, now)
        except Exception as exc:  # AWS (or the table) could not be asked: try again at the next sweep, never guess
            logger.warning("cut-short operation not completed yet", extra={"operation": entry.key,
                           "error": type(exc).__name__})  # fmt: skip
            return None
        operation = Operation(
            key=entry.key,
            verb=entry.verb,
            arguments=entry.arguments,
            actor=Actor(entry.actor, entry.channel),
            lock_owner="",
        )
        audit = AuditOutcome(
            decision="allowed",
            result=swept.result,
            before=entry.before,
            after={"completed_by": "sweeper"},
            error=f"completed by the sweeper: {swept.summary}",
        )
        if self._runner.record(operation, Outcome(view=None, audit=audit)).warning:
            return None
        logger.warning("operation cut short completed", extra={"operation": entry.key, "result": swept.result})
        return swept

    def _what_happened(self, entry: AuditEntry, now: datetime) -> Swept:
        # A capacity change of any verb (`schedule sync`, an election run) committed a marker with its intents.
        marker = self._core.marker(entry.key)
        if _changes_capacity(entry) or marker is not None:
            return self._capacity(entry, marker, now)
        evidence = self._evidence.get(entry.verb)
        if evidence is not None:
            return Swept(entry, *evidence(entry))
        summary = "cut short; AWS keeps no trace of whether it happened — check `status`"
        if _one_time_button(entry):  # e.g. `schedule remove`'s Confirm
            summary += "; its button no longer works (used or expired), so if it did not happen, run the command again"
        return Swept(entry, "unknown", summary)

    def _capacity(self, entry: AuditEntry, marker: str | None, now: datetime) -> Swept:
        if marker is None:
            summary = "cut short before it changed anything; capacity is as it was"
            if _one_time_button(entry):
                summary += "; its button no longer works (used or expired), so run the command again"
            return Swept(entry, "failed", summary)
        if marker == PUT_BACK:
            return Swept(entry, "failed", "AWS refused it and the previous capacity was put back")
        tag = hashlib.sha256(entry.key.encode()).hexdigest()[:8]
        operation = Operation(
            key=f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}",
            verb="sweep",
            arguments=f"materialise after {entry.key}",
            actor=Actor.system("sweeper", "operations"),
            lock_owner=f"sweeper-{tag}",
        )
        outcome = self._runner.run(
            operation,
            lambda: _materialised(self._core, now),
            options=RunOptions(lock=self._settings.service_key, report=False),
        )
        if isinstance(outcome.view, ErrorView):
            return Swept(entry, "ok", f"the change was made, but bringing AWS in line failed: {outcome.view.message}")
        return Swept(entry, "ok", f"the change was made; capacity is now {outcome.view}")


def _one_time_button(entry: AuditEntry) -> bool:
    """A button that took its one-time confirmation before the change. The confirmation outlives no sweep (its TTL
    is shorter than ``sweep_after``): whether the stop came before or after the take, the button no longer works."""
    return entry.arguments.split(" ", 1)[0] in _ONE_TIME_BUTTONS


def _changes_capacity(entry: AuditEntry) -> bool:
    if entry.verb in _CAPACITY_VERBS:
        return True
    words = entry.arguments.split()
    return entry.verb == "remediate" and len(words) > 1 and words[1] == "scale_out"


def _materialised(core: CapacityCore, now: datetime) -> Outcome:
    result = core.materialise(now)
    audit = AuditOutcome(
        result="ok" if result.calls else "noop",
        before=result.before.state(),
        after={**result.after.state(), "calls": len(result.calls)},
    )
    return Outcome(view=result.after, audit=audit)
