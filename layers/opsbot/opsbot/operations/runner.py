"""The one sequence every change runs: authorise -> guardrails -> pending audit record -> change lock -> act ->
outcome record -> release.

Slash commands, buttons and alarm remediation (and later calendar reconciles, snapshots and deploys) all call
``OperationRunner.run``; none of them keeps its own copy of the order. The audit trail is append-only: a change
leaves a ``pending`` record before anything happens and an outcome record after, two records linked by the
operation id, each written once. A crash between the two leaves the pending record for the sweeper
(``opsbot.operations.sweeper``) to complete from what AWS says.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from opsbot.config import Role, Settings
from opsbot.errors import (
    ActionFailed,
    AwsOperationError,
    ChangeInProgress,
    ConfirmationExpired,
    GuardrailViolation,
    NotAuthorised,
    OpsbotError,
    UsageError,
)
from opsbot.logic.rbac import authorise
from opsbot.logic.text import echo
from opsbot.observability import logger
from opsbot.operations.model import SYSTEM_PERMISSIONS, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.ports import AuditEntry, AuditPort, LockPort

# A concurrent change (another alarm's action, a person's `scale`) usually finishes well under a second. A system
# actor waits for it rather than dropping its action; a person is told at once and can try again.
SYSTEM_LOCK_WAIT_SECONDS = 20.0
_REFUSALS = (UsageError, GuardrailViolation, ChangeInProgress, ConfirmationExpired, NotAuthorised)


class OperationRunner:
    def __init__(
        self,
        settings: Settings,
        audit: AuditPort,
        locks: LockPort,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._audit = audit
        self._locks = locks
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic

    def run(
        self,
        operation: Operation,
        body: Callable[[], Outcome],
        *,
        role: Role = Role.OPERATOR,
        options: RunOptions | None = None,
        guard: Callable[[], None] | None = None,
    ) -> Outcome:
        """Run ``body`` as ``operation``. ``role`` is what a person needs; a system actor needs the verb in its
        kind's permissions. ``guard`` raises ``GuardrailViolation`` to refuse before anything is recorded as
        pending. Refusals and failures become outcomes (with an ``ErrorView``), never exceptions."""
        options = options or RunOptions()
        try:
            self.authorise(operation, role)
            if guard is not None:
                guard()
        except _REFUSALS as exc:
            return self.record(operation, refusal(exc))
        except OpsbotError as exc:  # the guardrails could not even be read: nothing was attempted
            return self.record(operation, _failure(operation, exc))
        if not options.mutating or options.dry_run:
            return self.record(operation, self._attempt(operation, body))
        try:
            self._write(operation, AuditOutcome(result="pending"), phase="pending")
        except OpsbotError as exc:  # no trace, no action
            message = f"the audit trail is unavailable, so nothing was changed: {exc}"
            return Outcome(view=ErrorView(kind="failed", message=message), audit=None)
        outcome = self._attempt(operation, body) if options.lock is None else self._locked(operation, options, body)
        if options.report:
            outcome = self._as_report(operation, outcome)
        return self.record(operation, outcome)

    def authorise(self, operation: Operation, role: Role) -> None:
        actor = operation.actor
        kind = actor.system_kind
        if kind:
            if operation.verb not in SYSTEM_PERMISSIONS.get(kind, frozenset()):
                raise NotAuthorised(f"`{echo(operation.verb)}` is not something a {kind} may do")
            return
        authorise(actor.role, actor.channel_id, role, self._settings.rbac, operation.verb)

    def record(self, operation: Operation, outcome: Outcome) -> Outcome:
        """Write the outcome record. If that fails the outcome still reaches the user, with a warning: what was
        done was done, and saying "nothing changed" would be a lie."""
        if outcome.audit is None:
            return outcome
        try:
            self._write(operation, outcome.audit, phase="outcome")
        except OpsbotError as exc:
            logger.error("audit entry not written", extra={"verb": operation.verb, "audit_key": operation.key})
            return replace(outcome, warning=f"this was not recorded in the audit trail ({exc})")
        return outcome

    # steps ----------------------------------------------------------------------------------------------------
    def _locked(self, operation: Operation, options: RunOptions, body: Callable[[], Outcome]) -> Outcome:
        assert options.lock is not None
        wait = options.lock_wait
        if wait is None:
            wait = SYSTEM_LOCK_WAIT_SECONDS if operation.actor.system_kind else 0.0
        try:
            self._acquire(options.lock, operation.lock_owner, wait)
        except ChangeInProgress as exc:
            return refusal(exc)
        except OpsbotError as exc:
            return _failure(operation, exc)
        try:
            return self._attempt(operation, body)
        finally:
            try:
                self._locks.release(options.lock, operation.lock_owner)
            except AwsOperationError as exc:  # it expires by itself; raising would hide what happened
                logger.warning("change lock not released; it will expire", extra={"code": exc.code})

    def _acquire(self, resource: str, owner: str, wait: float) -> None:
        deadline = self._monotonic() + wait
        while True:
            try:
                self._locks.acquire(resource, owner, self._clock())
                return
            except ChangeInProgress:
                if self._monotonic() >= deadline:
                    raise
                self._sleep(0.05 + random.random() * 0.1)

    def _attempt(self, operation: Operation, body: Callable[[], Outcome]) -> Outcome:
        try:
            return body()
        except _REFUSALS as exc:
            return refusal(exc)
        except ActionFailed as exc:
            logger.warning("action failed part-way", extra={"verb": operation.verb})
            audit = AuditOutcome(result="failed", before=dict(exc.before), after=dict(exc.now), error=str(exc))
            return Outcome(view=ErrorView(kind="failed", message=str(exc)), audit=audit)
        except OpsbotError as exc:  # AWS failures and anything else the bot could not do
            return _failure(operation, exc)
        except Exception as exc:  # a bug or an SDK without the operation: the user and the audit trail still hear
            logger.exception("operation failed unexpectedly", extra={"verb": operation.verb})
            message = f"unexpected {type(exc).__name__} inside the bot; something may have changed — check `status`"
            return Outcome(
                view=ErrorView(kind="failed", message=message), audit=AuditOutcome(result="failed", error=message)
            )

    def _as_report(self, operation: Operation, outcome: Outcome) -> Outcome:
        """An allowed change that recorded a state change (applied, undone, or failed part-way with something
        moved) is a report the team should see; ``Settings.results`` says whether it is posted. Refusals, usage
        errors, dry runs, confirmation prompts, cancellations, no-ops and reads stay with the requester."""
        audit = outcome.audit
        changed = (
            audit is not None
            and audit.decision == "allowed"
            and audit.result in {"ok", "failed"}
            and bool(audit.before or audit.after)
        )
        if not changed:
            return outcome
        public = outcome.public or self._settings.results != "private"
        return replace(outcome, report=True, public=public, by=operation.actor.user_id)

    def _write(self, operation: Operation, audit: AuditOutcome, phase: str) -> None:
        self._audit.record(
            AuditEntry(
                key=operation.key,
                at=self._clock(),
                actor=operation.actor.user_id,
                channel=operation.actor.channel_id,
                verb=echo(operation.verb),
                arguments=operation.arguments[:200],
                decision=audit.decision,
                result=audit.result,
                before=audit.before,
                after=audit.after,
                error=audit.error[:500],
                phase=phase,
            )
        )


def refusal(exc: OpsbotError) -> Outcome:
    return Outcome(
        view=ErrorView(kind="refused", message=str(exc), usage=getattr(exc, "usage", ""), cause=type(exc).__name__),
        audit=AuditOutcome(decision="refused", result="refused", error=str(exc)),
    )


def _failure(operation: Operation, exc: OpsbotError) -> Outcome:
    if isinstance(exc, AwsOperationError):
        logger.warning("operation failed", extra={"verb": operation.verb, "operation": exc.operation, "code": exc.code})
    return Outcome(view=ErrorView(kind="failed", message=str(exc)), audit=AuditOutcome(result="failed", error=str(exc)))
