"""Slack incident messages for alarm remediation: one message per incident, updated in place on recovery.

IDs, figures, states and links only: no payloads, no candidate or voter data. Alarm names, reasons, metric
names and AWS errors come from outside (CloudWatch allows ``<``, ``>`` and ``&`` in names): every one is
escaped here, in ``text`` as well as in blocks, and every message is finished by ``blocks.message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from opsbot.alarms.model import AlarmTransition, Decision
from opsbot.commands.remediation import parse_alarm_name
from opsbot.errors import UsageError
from opsbot.logic.durations import format_duration
from opsbot.ports import Incident, IncidentDeliveryError
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
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
# CloudWatch names are at most 255 characters; reasons and errors are cut well before Slack's limits.
_NAME = 300
_REASON = 1000


# Bounded so the alarm function (timeout 120 s; a recovery makes two calls) cannot hang on Slack: each request
# gives up after _TIMEOUT seconds; a 429 is retried twice, and only when Slack asks to wait at most
# _MAX_RETRY_AFTER seconds; a connection error once. slack_sdk counts attempts across handlers, so a message
# takes at most 3 attempts: about 3 x 4 s + 2 x 3 s of waiting in the worst case.
_TIMEOUT = 4
_MAX_RETRY_AFTER = 2
_RATE_LIMIT_RETRIES = 2
_CONNECTION_RETRIES = 1


class SlackDeliveryError(IncidentDeliveryError):
    """Slack did not accept a message (after the client's retries)."""


class _BoundedRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler sleeps for whatever ``Retry-After`` says; past a few seconds the message is
    given up (and audited) instead, so a storm cannot hold the function until it times out."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        del state, request, error  # slack_sdk's signature; only the response decides
        if response is None or response.status_code != 429:
            return False
        waits = [value for key, values in response.headers.items() if key.lower() == "retry-after" for value in values]
        try:
            return not waits or int(waits[0]) <= _MAX_RETRY_AFTER
        except ValueError:
            return False


def retry_handlers() -> list[RetryHandler]:
    return [
        _BoundedRateLimitRetry(max_retry_count=_RATE_LIMIT_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=_CONNECTION_RETRIES),
    ]


def incident_client(base_url: str) -> WebClient:
    """The incident notifier's client: short timeout, bounded retries on 429 and connection errors, no token
    (the notifier sets the current one before each call)."""
    return WebClient(base_url=base_url, timeout=_TIMEOUT, retry_handlers=retry_handlers())


class SlackIncidentNotifier:
    """Posts, updates and replies to incidents; every message is re-finished on the way out, so a caller that
    passes on a fragment (e.g. only ``text``) still sends nothing Slack would ping with or refuse.

    ``token``, when given, is asked for the bot token before every call (it reads through the credentials
    provider's cache): remediation never waits on the Slack secret, and an unreadable secret loses only the
    message, as a ``SlackDeliveryError`` with code ``credentials_unavailable``."""

    def __init__(self, client: WebClient, channel: str, token: Callable[[], str] | None = None) -> None:
        self._client = client
        self._channel = channel
        self._token = token

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        if not self._channel:
            raise SlackDeliveryError("no Slack channel configured (OPSBOT_SLACK_CHANNEL)", "no_channel")
        response = self._call(
            "chat.postMessage", lambda: self._client.chat_postMessage(channel=self._channel, **_finished(message))
        )
        return str(response.get("channel") or self._channel), str(response["ts"])

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self._call("chat.update", lambda: self._client.chat_update(channel=channel, ts=ts, **_finished(message)))

    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self._call(
            "chat.postMessage (thread)",
            lambda: self._client.chat_postMessage(channel=channel, thread_ts=ts, **_finished(message)),
        )

    def _call(self, method: str, send: Callable[[], Any]) -> Any:
        if self._token is not None:
            try:
                self._client.token = self._token()
            except Exception as exc:  # the secret is unreadable or malformed: no message, and say why
                raise SlackDeliveryError(
                    f"Slack {method} not sent: bot token unavailable ({type(exc).__name__})", "credentials_unavailable"
                ) from exc
        try:
            return send()
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            raise SlackDeliveryError(f"Slack {method} failed: {code}", code) from exc
        except (SlackClientError, OSError) as exc:  # OSError: urllib's URLError, timeouts, refused connections
            code = type(exc).__name__
            raise SlackDeliveryError(f"Slack {method} failed: {code}", code) from exc


def _finished(message: dict[str, Any]) -> dict[str, Any]:
    rest = {key: value for key, value in message.items() if key not in {"text", "blocks"}}
    return bk.message(str(message.get("text", "")), message.get("blocks"), **rest)


def alarm_link(t: AlarmTransition) -> str:
    """The alarm in the CloudWatch console; region and name are URL-quoted, so the URL holds no ``|<> &``."""
    # A region that is not one (from a forged or malformed delivery) is not put in a URL: the bot's own region.
    region = t.region if t.region and _REGION.fullmatch(t.region) else "af-south-1"
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
    episode, again = "", ""
    if decision.episode_since is not None and decision.episode_alarms > 1:
        # The same episode entered ALARM again (after INSUFFICIENT_DATA): what this message shows is the latest.
        again = " again"
        episode = f"in ALARM since {decision.episode_since:%H:%M:%S} UTC, {decision.episode_alarms} times · "
    context = f"{runbook}{episode}via {esc(t.source.value)} · {when} · {bk.link(alarm_link(t), 'alarm in CloudWatch')}"
    blocks = [
        bk.section(f"{icon} *{_name(t)}* is in ALARM{again}"),
        bk.section("\n".join(lines)),
        *([bk.actions(buttons, block_id="incident")] if buttons else []),
        bk.context(context),
    ]
    return bk.message(f"{_name(t)} is in ALARM{again}: {reason}", blocks)


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
