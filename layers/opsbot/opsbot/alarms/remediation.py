"""Apply the right runbook to one alarm state change, inside the guardrails, and tell Slack.

Order of decisions for an alarm entering ALARM: scope (account, region, service, dimensions) -> runbook match ->
silenced by CloudWatch (actions suppressed or disabled, an active alarm mute rule: recorded, no action, no
incident) -> mute -> kill switch -> flapping -> choose action (rollback falls through when no deployment is in
progress) -> dry run -> cooldown -> budget (any rolling hour) -> the action (``opsbot.alarms.actions``, one
module each) run by the operation runner as the system actor ``alarm:<name>`` (pending record -> change lock ->
act -> outcome record) -> Slack incident (``opsbot.alarms.reporting``). A scale-out is a capacity intent of its
own (``opsbot.capacity``), so it never shortens another owner's raise.
Incidents follow the alarm's *episode*, from entering ALARM until OK: one Slack message per episode, updated in
place by every later ALARM of it (ALARM -> INSUFFICIENT_DATA -> ALARM) with what was done that time, and by the
recovery (with the duration since the episode began). A Slack message that cannot be delivered is audited.
INSUFFICIENT_DATA <-> OK is noise and ignored.
Exactly-once across paths and retries is the caller's job (idempotency on ``AlarmTransition.dedupe_key``);
cooldowns and the budget are conditional writes, so even a concurrent double delivery cannot act twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from opsbot.alarms.actions import REGISTRY
from opsbot.alarms.actions.base import ActionContext, ActionResult, FallThrough, RunbookAction
from opsbot.alarms.model import AlarmKind, AlarmTransition, Decision, Rejection
from opsbot.alarms.reporting import IncidentReporter, transition_audit_key
from opsbot.alarms.runbooks import Runbook, match
from opsbot.commands.base import Ports
from opsbot.config import Settings
from opsbot.errors import OpsbotError
from opsbot.logic.durations import format_duration
from opsbot.observability import logger
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.operations.runner import SYSTEM_LOCK_WAIT_SECONDS, OperationRunner
from opsbot.ports import (
    AlarmSilencePort,
    DeploymentsPort,
    Incident,
    IncidentNotifierPort,
    RemediationStatePort,
    Waiting,
)


@dataclass(frozen=True)
class RemediationPorts:
    commands: Ports  # capacity, audit, locks, the database's snapshots… shared with the Slack commands
    deployments: DeploymentsPort
    state: RemediationStatePort
    notifier: IncidentNotifierPort | None
    silence: AlarmSilencePort


class Remediator:
    def __init__(
        self,
        settings: Settings,
        runbooks: Sequence[Runbook] | Callable[[], Sequence[Runbook]],  # a callable is asked on every alarm
        ports: RemediationPorts,
        clock: Callable[[], datetime],
        render: Callable[[Decision], dict[str, Any]],
        render_recovery: Callable[[Incident, AlarmTransition], dict[str, Any]],
        lock_wait: float = SYSTEM_LOCK_WAIT_SECONDS,
        render_reply: Callable[[Incident, AlarmTransition], dict[str, Any]] | None = None,
    ) -> None:
        self._lock_wait = lock_wait
        self._settings = settings
        self._runbooks: Callable[[], Sequence[Runbook]] = runbooks if callable(runbooks) else (lambda: runbooks)
        self._ports = ports
        self._clock = clock
        self._runner = OperationRunner(settings, ports.commands.audit, ports.commands.locks, clock)
        self._incidents = IncidentReporter(
            settings,
            ports.state,
            ports.notifier,
            ports.commands.audit,
            clock,
            render,
            render_recovery,
            render_reply or (lambda incident, t: {"text": render_recovery(incident, t)["text"]}),
        )

    @property
    def ports(self) -> RemediationPorts:
        return self._ports

    @property
    def settings(self) -> Settings:
        return self._settings

    # entry ----------------------------------------------------------------------------------------------------
    def handle(self, transition: AlarmTransition) -> Decision | Rejection | None:
        """``None`` means deliberately ignored noise (e.g. INSUFFICIENT_DATA <-> OK)."""
        rejection = self._out_of_scope(transition)
        if rejection is not None:
            return rejection
        state = self._ports.state
        if not state.mark_latest(transition.alarm_name, transition.changed_at):
            logger.info("older than a state change already handled; ignored", extra={"alarm": transition.alarm_name})
            return None  # e.g. an ALARM retried after its OK was handled: acting now would be wrong
        noise = {transition.old_state, transition.new_state} == {"OK", "INSUFFICIENT_DATA"}
        counted = noise or transition.watch_window  # a re-evaluation is not another state change
        changes = (
            0
            if counted
            else state.record_transition(transition.alarm_name, transition.changed_at, transition.new_state)
        )
        if transition.new_state == "OK":
            state.clear_waiting(transition.alarm_name)
            self._incidents.recover(transition)
            return None
        if transition.new_state != "ALARM":
            return None  # INSUFFICIENT_DATA: no data is not a reason to act, and not worth a page
        outcome = match(transition, self._runbooks())
        if not outcome.runbooks and outcome.missing_dimensions and transition.kind is not AlarmKind.UNKNOWN:
            return Rejection(
                reason=f"alarm lacks dimensions {', '.join(outcome.missing_dimensions)} that its runbook requires",
                source=transition.source,
                alarm_name=transition.alarm_name,
            )
        try:
            silenced = self._silenced(transition, outcome.runbooks)
        except Exception as exc:
            if _would_change_aws(transition, outcome.runbooks):
                self._could_not_decide(transition, exc)  # never act without knowing whether CloudWatch is muted
                raise
            # Notify-only: telling the channel is better than a retry storm; the incident says what is unknown.
            logger.warning("CloudWatch silence unreadable; notifying anyway", extra={"alarm": transition.alarm_name})
            silenced = None
        if silenced is not None:
            self._audit(silenced)
            return silenced
        try:
            decision = self._decide(transition, outcome.runbooks, changes)
        except Exception as exc:
            self._could_not_decide(transition, exc)
            raise
        self._audit(decision)
        self._remember_waiting(decision)
        self._incidents.announce(decision)
        return decision

    def _remember_waiting(self, decision: Decision) -> None:
        """Leave a note for the watch run when the reason for "no action" will pass; remove it otherwise. A failed
        write costs only the re-evaluation, so it is logged, not raised."""
        state = self._ports.state
        t = decision.transition
        try:
            if decision.waiting_on:
                state.note_waiting(Waiting(t.alarm_name, t.changed_at, decision.waiting_on, self._clock()))
            elif t.watch_window or decision.acted:
                state.clear_waiting(t.alarm_name)
        except OpsbotError:
            logger.warning("could not note the alarm for re-evaluation", extra={"alarm": t.alarm_name})

    def _could_not_decide(self, transition: AlarmTransition, exc: Exception) -> None:
        """Could not even decide (AWS unreachable, a missing SDK operation, a bug): say so, record it, and let
        Lambda retry / the DLQ keep the delivery."""
        if not isinstance(exc, OpsbotError):
            logger.exception("unexpected failure deciding on an alarm", extra={"alarm": transition.alarm_name})
        failed = Decision(
            transition=transition,
            reason="could not decide",
            error=_error_text(exc),
            audit_key=transition_audit_key(transition, self._clock()),
        )
        self._audit(failed)
        self._incidents.announce(failed)  # a retry updates the message it posted the first time

    def _silenced(self, t: AlarmTransition, runbooks: Sequence[Runbook]) -> Decision | None:
        """CloudWatch's own silence wins on every path: a composite alarm's suppressed actions (carried by
        EventBridge and the Lambda action), and what the alarm says now (an active mute rule, actions disabled,
        a composite's suppressor). It is judged when the delivery is handled, which for a retry or a redrive may
        be later than the state change."""
        why = ""
        if t.actions_suppressed_by:
            detail = f" ({t.actions_suppressed_reason})" if t.actions_suppressed_reason else ""
            why = f"actions suppressed by {t.actions_suppressed_by}{detail}"
        else:
            why = self._ports.silence.silenced(t.alarm_name, composite=t.kind is AlarmKind.COMPOSITE) or ""
        if not why:
            return None
        logger.info("alarm silenced by CloudWatch; no action", extra={"alarm": t.alarm_name, "reason": why})
        first = runbooks[0] if runbooks else None
        return Decision(
            transition=t,
            runbook=first.name if first else "",
            action=first.action if first else "notify",
            reason=f"{why}; no action",
            silenced=True,
            audit_key=transition_audit_key(t, self._clock()),
        )

    # scope ----------------------------------------------------------------------------------------------------
    def _out_of_scope(self, t: AlarmTransition) -> Rejection | None:
        settings = self._settings
        if not settings.account_id:
            return Rejection("this bot's own AWS account is unknown; acting on no alarm", t.source, t.alarm_name)
        accounts = t.accounts | ({t.account} if t.account else set())
        if not accounts:
            return Rejection("the delivery names no AWS account", t.source, t.alarm_name)
        foreign = sorted(accounts - {settings.account_id})
        if foreign:
            return Rejection(
                f"alarm is from account {foreign[0]}; this bot serves account {settings.account_id}",
                t.source,
                t.alarm_name,
            )
        regions = t.regions | ({t.region} if t.region else set())
        if not regions:
            return Rejection("the delivery names no AWS region", t.source, t.alarm_name)
        elsewhere = sorted(regions - {settings.region})
        if elsewhere:
            return Rejection(f"alarm is in {elsewhere[0]}; this bot serves {settings.region}", t.source, t.alarm_name)
        expected = {
            "ClusterName": settings.cluster,
            "ServiceName": settings.service,
            "DBInstanceIdentifier": settings.db_instance,
        }
        for key, value in expected.items():
            if key in t.dimensions and t.dimensions[key] != value:
                return Rejection(f"alarm is about {key}={t.dimensions[key]}, not {value}", t.source, t.alarm_name)
        if not t.alarm_name.startswith(settings.alarm_prefix):
            return Rejection(f"alarm name does not start with {settings.alarm_prefix!r}", t.source, t.alarm_name)
        return None

    # decision -------------------------------------------------------------------------------------------------
    def _decide(self, t: AlarmTransition, runbooks: Sequence[Runbook], changes: int) -> Decision:
        now = self._clock()
        state = self._ports.state
        base = Decision(transition=t, audit_key=transition_audit_key(t, now))
        if not runbooks or t.kind is AlarmKind.UNKNOWN:
            why = "no runbook matches" if not runbooks else "alarm shape not recognised"
            return replace(base, reason=f"{why}; notify only")
        muted = state.muted_until(t.alarm_name, now)
        if muted is not None:
            return replace(
                base, runbook=runbooks[0].name, reason=f"muted until {muted:%H:%M} UTC; no action", waiting_on="mute"
            )
        if not state.autoremediation_enabled():
            return replace(
                base, runbook=runbooks[0].name, reason="automatic remediation is switched off", waiting_on="kill switch"
            )
        if changes > self._settings.flap_changes:
            window = format_duration(self._settings.flap_window)
            return replace(
                base,
                runbook=runbooks[0].name,
                reason=f"flapping: {changes} state changes in {window}; automatic action paused for this alarm",
            )
        for runbook in runbooks:
            try:
                return self._try(runbook, replace(base, runbook=runbook.name, action=runbook.action), now)
            except FallThrough:
                continue
        return replace(base, reason="no deployment in progress to roll back, and no other runbook applies")

    def _try(self, runbook: Runbook, decision: Decision, now: datetime) -> Decision:
        action = REGISTRY[runbook.action]
        ctx = ActionContext(
            settings=self._settings,
            transition=decision.transition,
            runbook=runbook.name,
            params=runbook.params,
            ports=self._ports,
            now=now,
            operation=decision.audit_key,
        )
        if not action.changes_aws:
            return _with(decision, action.act(ctx, None))
        prepared = action.prepare(ctx)  # FallThrough: the next runbook
        if self._settings.remediation_dry_run:
            what = action.describe(runbook.params)
            return replace(decision, dry_run=True, reason=f"dry run: would {what}; nothing was changed")
        scope = f"{self._settings.service_key}#{runbook.action}"
        state = self._ports.state
        if runbook.cooldown:
            busy_until = state.claim_cooldown(scope, now + runbook.cooldown, now)
            if busy_until is not None:
                return replace(
                    decision,
                    reason=f"cooldown: {runbook.action} already ran; next allowed {busy_until:%H:%M} UTC",
                    waiting_on="cooldown",
                )
        try:
            counted = state.count_action(self._settings.service_key, self._settings.hourly_action_budget, now)
        except BaseException:  # could not even count: nothing happened, so the cooldown is not spent either
            self._give_back(runbook, scope, False, now)
            raise
        if not counted:
            self._give_back(runbook, scope, False, now)
            limit = self._settings.hourly_action_budget
            return replace(
                decision,
                reason=f"limit of {limit} automatic actions in any hour reached; no action",
                waiting_on="budget",
            )
        try:
            result = self._run(action, ctx, prepared, decision)
        except BaseException:
            self._give_back(runbook, scope, counted, now)
            raise
        if not result.acted and not result.error:  # nothing changed: the cooldown and the budget are not spent
            self._give_back(runbook, scope, counted, now)
        return result

    def _run(self, action: RunbookAction, ctx: ActionContext, prepared: Any, decision: Decision) -> Decision:
        """Through the operation runner, as the alarm's system actor: pending record, change lock (waiting for a
        concurrent change), act, outcome record, release."""
        t = decision.transition

        def body() -> Outcome:
            result = action.act(ctx, prepared)
            audit = AuditOutcome(
                result="ok" if result.acted else "noop", before=result.before, after=result.after, error=""
            )
            return Outcome(view=result, audit=audit)

        operation = self._operation(decision)
        options = RunOptions(lock=self._settings.service_key, lock_wait=self._lock_wait, report=False)
        outcome = self._runner.run(operation, body, options=options)
        view = outcome.view
        if isinstance(view, ActionResult):
            return replace(_with(decision, view), recorded=outcome.audit is not None)
        assert isinstance(view, ErrorView)
        if view.kind == "refused":
            waiting = "change lock" if view.cause == "ChangeInProgress" else ""
            return replace(decision, reason=f"no action: {view.message}", recorded=True, waiting_on=waiting)
        if outcome.audit is None:  # the pending record could not be written: nothing was attempted
            return replace(decision, reason=f"no action: {view.message}", waiting_on="audit trail")
        logger.warning("remediation failed", extra={"alarm": t.alarm_name, "action": action.name})
        audit = outcome.audit
        # Something may have changed: the cooldown and the count stay spent, and the incident says what is known.
        return replace(
            decision,
            error=view.message,
            reason=f"{action.name} failed",
            before=dict(audit.before),
            after=dict(audit.after),
            recorded=outcome.audit is not None,
        )

    def _give_back(self, runbook: Runbook, scope: str, counted: bool, now: datetime) -> None:
        state = self._ports.state
        if runbook.cooldown:
            state.release_cooldown(scope)
        if counted:
            state.refund_action(self._settings.service_key, now)

    def _operation(self, decision: Decision) -> Operation:
        t = decision.transition
        return Operation(
            key=decision.audit_key,
            verb="remediate",
            arguments=f"{decision.runbook or '-'} {decision.action} ({t.source})",
            actor=Actor.system("alarm", t.alarm_name, self._settings.slack_channel),
            lock_owner=t.dedupe_key,
        )

    # audit ----------------------------------------------------------------------------------------------------
    def _audit(self, decision: Decision) -> None:
        """One outcome record for a decision that did not go through an action (skipped, silenced, dry run,
        notify, could not decide); an action's records are written by the runner."""
        if decision.recorded:
            return
        if decision.silenced:
            decided = "suppressed"
        elif decision.dry_run:
            decided = "dry-run"
        else:
            decided = "allowed" if decision.acted or decision.error else "skipped"
        audit = AuditOutcome(
            decision=decided,
            result=decision.result,
            before=decision.before,
            after=decision.after,
            error=(decision.error or ("" if decision.acted else decision.reason))[:500],
        )
        outcome = self._runner.record(self._operation(decision), Outcome(view=None, audit=audit))
        if outcome.warning:
            logger.error("remediation not recorded in the audit trail", extra={"alarm": decision.transition.alarm_name})


def _with(decision: Decision, result: ActionResult) -> Decision:
    return replace(
        decision,
        acted=result.acted,
        reason=result.reason,
        before=result.before,
        after=result.after,
        undo_key=result.undo_key,
    )


def _would_change_aws(t: AlarmTransition, runbooks: Sequence[Runbook]) -> bool:
    return t.kind is not AlarmKind.UNKNOWN and any(runbook.action != "notify" for runbook in runbooks)


def _error_text(exc: Exception) -> str:
    """Domain errors are written for people; anything else is named, not dumped (it may carry a payload)."""
    if isinstance(exc, OpsbotError):
        return str(exc)
    return f"unexpected {type(exc).__name__} inside the bot; see the function's logs"
