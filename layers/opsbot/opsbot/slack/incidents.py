"""Slack incident messages for alarm remediation: one message per incident, updated in place on recovery.

IDs, figures, states and links only: no payloads, no candidate or voter data.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from opsbot.alarms.model import AlarmTransition
from opsbot.alarms.remediation import Decision
from opsbot.errors import OpsbotError
from opsbot.logic.durations import format_duration
from opsbot.ports import Incident
from opsbot.slack.views import esc

_COMPARISON = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "GreaterThanUpperThreshold": "above band",
    "LessThanLowerThreshold": "below band",
}


class SlackDeliveryError(OpsbotError):
    """Slack did not accept a message."""


class SlackIncidentNotifier:
    def __init__(self, client: WebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        if not self._channel:
            raise SlackDeliveryError("no Slack channel configured (OPSBOT_SLACK_CHANNEL)")
        try:
            response = self._client.chat_postMessage(channel=self._channel, **message)
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.postMessage failed: {type(exc).__name__}") from exc
        return str(response.get("channel") or self._channel), str(response["ts"])

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        try:
            self._client.chat_update(channel=channel, ts=ts, **message)
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.update failed: {type(exc).__name__}") from exc

    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        try:
            self._client.chat_postMessage(channel=channel, thread_ts=ts, **message)
        except SlackClientError as exc:
            raise SlackDeliveryError(f"Slack chat.postMessage (thread) failed: {type(exc).__name__}") from exc


def alarm_link(t: AlarmTransition) -> str:
    region = t.region or "af-south-1"
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(t.alarm_name, safe='')}"
    )


def _figures(t: AlarmTransition) -> str:
    metric = f"`{esc(t.namespace)} {esc(t.metric)}`" if t.metric else f"{esc(t.kind.value)} alarm"
    parts = [f"*Metric* {metric}"]
    if t.threshold is not None:
        comparison = _COMPARISON.get(t.comparison or "", esc(t.comparison or ""))
        parts.append(f"*Threshold* {comparison} {t.threshold:g}".replace("  ", " "))
    if t.value is not None:
        parts.append(f"*Current* {t.value:.4g}")
    return " · ".join(parts)


def _state(before: dict[str, Any]) -> str:
    if "min" in before and "max" in before:
        return f"min {before['min']} / max {before['max']}"
    return ", ".join(f"{esc(k)} {esc(v)}" for k, v in sorted(before.items()) if not str(k).startswith("revert"))


def render_incident(decision: Decision) -> dict[str, Any]:
    t = decision.transition
    icon = ":x:" if decision.error else (":rotating_light:" if decision.acted else ":warning:")
    headline = f"{icon} *{esc(t.alarm_name)}* is in ALARM"
    what = "Action" if decision.acted else ("Action failed" if decision.error else "No action")
    lines = [_figures(t), f"*{what}* {esc(decision.reason)}" + (f" — {esc(decision.error)}" if decision.error else "")]
    if decision.before or decision.after:
        lines.append(f"*Before → after* {_state(decision.before) or '–'} → {_state(decision.after) or '–'}")
    buttons: list[dict[str, Any]] = []
    if decision.undo_key:
        buttons.append(_button("Undo", "scale_undo", decision.undo_key))
    buttons.append(_button("Acknowledge", "incident_ack", t.alarm_name))
    buttons.append(_button("Mute 1 h", "alarm_mute", t.alarm_name))
    runbook = f"runbook `{esc(decision.runbook)}` · " if decision.runbook else ""
    context = (
        f"{runbook}via {t.source.value} · {t.changed_at:%Y-%m-%d %H:%M:%S} UTC · <{alarm_link(t)}|alarm in CloudWatch>"
    )
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {"type": "actions", "block_id": "incident", "elements": buttons},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]
    return {"text": f"{t.alarm_name} is in ALARM: {decision.reason}", "blocks": blocks}


def render_recovery(incident: Incident, t: AlarmTransition) -> dict[str, Any]:
    duration = format_duration(t.changed_at - incident.opened_at)
    text = f":white_check_mark: *{esc(incident.alarm)}* recovered after {duration} (was: {esc(incident.summary)})"
    context = f"OK at {t.changed_at:%Y-%m-%d %H:%M:%S} UTC · <{alarm_link(t)}|alarm in CloudWatch>"
    return {
        "text": f"{incident.alarm} recovered after {duration}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}
