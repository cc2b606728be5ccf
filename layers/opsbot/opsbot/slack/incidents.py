"""Slack incident messages for alarm remediation: one message per incident, updated in place on recovery.

IDs, figures, states and links only: no payloads, no candidate or voter data. Alarm names, reasons, metric
names and AWS errors come from outside (CloudWatch allows ``<``, ``>`` and ``&`` in names): every one is
escaped here, in ``text`` as well as in blocks, and every message is finished by ``blocks.message``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from opsbot.alarms.model import AlarmTransition
from opsbot.alarms.remediation import Decision
from opsbot.commands.remediation import parse_alarm_name
from opsbot.errors import OpsbotError, UsageError
from opsbot.logic.durations import format_duration
from opsbot.ports import Incident
from opsbot.slack import blocks as bk
from opsbot.slack.blocks import code, esc

# Already Slack text: ">" alone is shown as it is, "<" could open markup and is written as an entity.
_COMPARISON = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "&lt;",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "GreaterThanUpperThreshold": "above band",
    "LessThanLowerThreshold": "below band",
}
# CloudWatch names are at most 255 characters; reasons and errors are cut well before Slack's limits.
_NAME = 300
_REASON = 1000


class SlackDeliveryError(OpsbotError):
    """Slack did not accept a message."""


class SlackIncidentNotifier:
    """Posts, updates and replies to incidents; every message is re-finished on the way out, so a caller that
    passes on a fragment (e.g. only ``text``) still sends nothing Slack would ping with or refuse."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        if not self._channel:
            raise SlackDeliveryError("no Slack channel configured (OPSBOT_SLACK_CHANNEL)")
        try:
            response = self._client.chat_postMessage(channel=self._channel, **_finished(message))
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.postMessage failed: {type(exc).__name__}") from exc
        return str(response.get("channel") or self._channel), str(response["ts"])

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        try:
            self._client.chat_update(channel=channel, ts=ts, **_finished(message))
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.update failed: {type(exc).__name__}") from exc

    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        try:
            self._client.chat_postMessage(channel=channel, thread_ts=ts, **_finished(message))
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.postMessage (thread) failed: {type(exc).__name__}") from exc


def _finished(message: dict[str, Any]) -> dict[str, Any]:
    rest = {key: value for key, value in message.items() if key not in {"text", "blocks"}}
    return bk.message(str(message.get("text", "")), message.get("blocks"), **rest)


def alarm_link(t: AlarmTransition) -> str:
    """The alarm in the CloudWatch console; region and name are URL-quoted, so the URL holds no ``|<> &``."""
    region = quote(t.region or "af-south-1", safe="")
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(t.alarm_name, safe='')}"
    )


def _figures(t: AlarmTransition) -> str:
    metric = code(f"{t.namespace} {t.metric}", _NAME) if t.metric else f"{esc(t.kind.value)} alarm"
    parts = [f"*Metric* {metric}"]
    if t.threshold is not None:
        comparison = _COMPARISON.get(t.comparison or "") or esc(bk.truncate(t.comparison or "", 60))
        parts.append(f"*Threshold* {comparison} {t.threshold:g}".replace("  ", " "))
    if t.value is not None:
        parts.append(f"*Current* {t.value:.4g}")
    return " · ".join(parts)


def _state(before: dict[str, Any]) -> str:
    if "min" in before and "max" in before:
        return f"min {esc(before['min'])} / max {esc(before['max'])}"
    shown = ", ".join(f"{k} {v}" for k, v in sorted(before.items()) if not str(k).startswith("revert"))
    return esc(bk.truncate(shown, 300))


def _buttons_accept(alarm: str) -> bool:
    try:
        parse_alarm_name(alarm)
    except UsageError:
        return False
    return True


def _name(t: AlarmTransition | Incident) -> str:
    return esc(bk.truncate(t.alarm_name if isinstance(t, AlarmTransition) else t.alarm, _NAME))


def render_incident(decision: Decision) -> dict[str, Any]:
    """The incident message: headline, figures, what was done, buttons and a console link."""
    t = decision.transition
    icon = ":x:" if decision.error else (":rotating_light:" if decision.acted else ":warning:")
    what = "Action" if decision.acted else ("Action failed" if decision.error else "No action")
    reason = esc(bk.truncate(decision.reason, _REASON))
    failure = f" — {esc(bk.truncate(decision.error, _REASON))}" if decision.error else ""
    lines = [_figures(t), f"*{what}* {reason}{failure}"]
    if decision.before or decision.after:
        lines.append(f"*Before → after* {_state(decision.before) or '–'} → {_state(decision.after) or '–'}")
    buttons: list[dict[str, Any]] = []
    if decision.undo_key:
        buttons.append(bk.button("Undo", "scale_undo", decision.undo_key))
    if _buttons_accept(t.alarm_name):  # else the buttons would always be refused: the name is not one `mute` takes
        buttons.append(bk.button("Acknowledge", "incident_ack", t.alarm_name))
        buttons.append(bk.button("Mute 1 h", "alarm_mute", t.alarm_name))
    runbook = f"runbook {code(decision.runbook, 100)} · " if decision.runbook else ""
    when = f"{t.changed_at:%Y-%m-%d %H:%M:%S} UTC"
    context = f"{runbook}via {esc(t.source.value)} · {when} · {bk.link(alarm_link(t), 'alarm in CloudWatch')}"
    blocks = [
        bk.section(f"{icon} *{_name(t)}* is in ALARM"),
        bk.section("\n".join(lines)),
        *([bk.actions(buttons, block_id="incident")] if buttons else []),
        bk.context(context),
    ]
    return bk.message(f"{_name(t)} is in ALARM: {reason}", blocks)


def _recovered(incident: Incident, t: AlarmTransition) -> str:
    return f"{_name(incident)} recovered after {format_duration(t.changed_at - incident.opened_at)}"


def render_recovery(incident: Incident, t: AlarmTransition) -> dict[str, Any]:
    """The incident message updated in place (``chat.update``); its ``text`` is safe to pass on as it is."""
    duration = format_duration(t.changed_at - incident.opened_at)
    summary = esc(bk.truncate(incident.summary, _REASON))
    text = f":white_check_mark: *{_name(incident)}* recovered after {duration} (was: {summary})"
    context = f"OK at {t.changed_at:%Y-%m-%d %H:%M:%S} UTC · {bk.link(alarm_link(t), 'alarm in CloudWatch')}"
    return bk.message(_recovered(incident, t), [bk.section(text), bk.context(context)])


def render_recovery_reply(incident: Incident, t: AlarmTransition) -> dict[str, Any]:
    """The thread reply under the incident: text only, escaped, within Slack's limits."""
    return bk.message(f":white_check_mark: {_recovered(incident, t)}")
