"""Slack reports of alarm incidents: one message per alarm episode (from entering ALARM until OK), updated in place,
and an audit entry for every report that Slack did not take."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from opsbot.alarms.model import AlarmTransition, Decision
from opsbot.commands.base import new_audit_key
from opsbot.config import Settings
from opsbot.errors import OpsbotError, aws_error_code
from opsbot.observability import logger
from opsbot.ports import (
    AuditEntry,
    AuditPort,
    Incident,
    IncidentDeliveryError,
    IncidentNotifierPort,
    RemediationStatePort,
)

Render = Callable[[Decision], dict[str, Any]]
RenderIncident = Callable[[Incident, AlarmTransition], dict[str, Any]]


class IncidentReporter:
    def __init__(
        self,
        settings: Settings,
        state: RemediationStatePort,
        notifier: IncidentNotifierPort | None,
        audit: AuditPort,
        clock: Callable[[], datetime],
        render: Render,
        render_recovery: RenderIncident,
        render_reply: RenderIncident,
    ) -> None:
        self._settings = settings
        self._state = state
        self._notifier = notifier
        self._audit = audit
        self._clock = clock
        self._render = render
        self._render_recovery = render_recovery
        self._render_reply = render_reply

    def announce(self, decision: Decision) -> None:
        notifier = self._notifier
        if notifier is None or decision.silenced or decision.reason.startswith("muted"):
            return
        t = decision.transition
        try:
            existing = self._state.get_incident(t.alarm_name)
        except OpsbotError as exc:
            # Which message shows this episode cannot be read: a second message is better than none, and the
            # action taken must reach the channel (raising would only redeliver a remediation already done).
            logger.warning("open incident not readable; posting a new message", extra={"alarm": t.alarm_name,
                           "code": getattr(exc, "code", type(exc).__name__)})  # fmt: skip
            existing = None
        summary = decision.reason if not decision.error else f"{decision.action} failed"
        try:
            if existing is not None:
                # The episode is still open (no OK since): a new ALARM, or a retry of the one shown, edits its
                # message rather than leaving that one "in ALARM" forever.
                alarms = existing.alarms + (0 if existing.shown_alarm_at == t.changed_at else 1)
                shown = replace(decision, episode_since=existing.opened_at, episode_alarms=alarms)
                notifier.update(existing.channel, existing.ts, self._render(shown))
                incident = existing._replace(summary=summary, last_alarm_at=t.changed_at, alarms=alarms)
            else:
                channel, ts = notifier.post(self._render(decision))
                incident = Incident(t.alarm_name, channel, ts, t.changed_at, summary, last_alarm_at=t.changed_at)
        except OpsbotError as exc:
            self._lost(t, "updated" if existing is not None else "posted", exc)
            return
        try:
            self._state.open_incident(incident)
        except OpsbotError:
            logger.error("incident posted but not stored; recovery cannot update it", extra={"alarm": t.alarm_name})

    def recover(self, t: AlarmTransition) -> None:
        """Close the open incident, whatever the alarm went through since (ALARM -> INSUFFICIENT_DATA -> OK too);
        with none open, OK is silent. The incident is closed only once its message was updated."""
        state = self._state
        incident = state.get_incident(t.alarm_name)
        notifier = self._notifier
        if incident is None or notifier is None:
            return
        message = self._render_recovery(incident, t)
        try:
            notifier.update(incident.channel, incident.ts, message)
        except OpsbotError as exc:
            self._lost(t, "updated with its recovery (left open)", exc)
            return
        state.close_incident(t.alarm_name)
        try:
            notifier.reply(incident.channel, incident.ts, self._render_reply(incident, t))
        except OpsbotError:
            logger.warning("recovery thread reply not posted", extra={"alarm": t.alarm_name})

    def _lost(self, t: AlarmTransition, what: str, exc: OpsbotError) -> None:
        """A Slack report that did not arrive (after the client's retries) is recorded, so nobody believes the
        channel saw it. The error code only: never the message or the response."""
        code = exc.code if isinstance(exc, IncidentDeliveryError) else type(exc).__name__
        cause = aws_error_code(exc.__cause__) if exc.__cause__ is not None else None
        code += f" ({cause})" if cause else ""  # e.g. why the bot token's secret could not be read
        logger.error("incident not delivered to Slack", extra={"alarm": t.alarm_name, "what": what, "code": code})
        entry = AuditEntry(
            key=transition_audit_key(t, self._clock(), "slack"),
            at=self._clock(),
            actor=f"alarm:{t.alarm_name}",
            channel=self._settings.slack_channel,
            verb="notify",
            arguments=f"incident ({t.new_state}, {t.source})",
            decision="allowed",
            result="failed",
            error=f"the incident for alarm {t.alarm_name} could not be {what} in Slack: {code}"[:500],
        )
        try:
            self._audit.record(entry)
        except OpsbotError:
            logger.error("lost incident not recorded in the audit trail", extra={"alarm": t.alarm_name})


def transition_audit_key(t: AlarmTransition, now: datetime, purpose: str = "") -> str:
    """Ordered by when the bot decided (like every audit entry), named after the transition it handled; a
    ``purpose`` (e.g. a lost Slack report) keeps its entry apart from the decision's at the same instant."""
    digest = hashlib.sha256(f"{t.dedupe_key}{'#' + purpose if purpose else ''}".encode()).hexdigest()[:8]
    return new_audit_key(now, f"alarm-{digest}")
