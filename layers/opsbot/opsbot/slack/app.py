"""The Bolt app: acknowledge within milliseconds, do AWS work in lazy listeners, exactly once.

``ack`` listeners only parse text and answer (usage errors and help are answered right there). The lazy
listeners resolve the caller's role, run the command through ``opsbot.commands.dispatch`` and respond via
``response_url``. Each lazy run is wrapped in Powertools idempotency keyed on the Slack ``trigger_id`` (or the
button's action and value), so a Slack retry (``X-Slack-Retry-Num``) or a Lambda async retry never repeats
an action.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import Ack, App, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request import request as bolt_request
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from opsbot.commands.base import Actor, CommandContext, Outcome, Ports, new_audit_key
from opsbot.commands.dispatch import (
    ACTIONS,
    execute_action,
    execute_command,
    parse_command,
    record_not_run,
    usage_error_view,
)
from opsbot.config import Settings
from opsbot.errors import AwsOperationError, UsageError
from opsbot.logic.rbac import resolve_role
from opsbot.observability import logger
from opsbot.operations.model import ErrorView
from opsbot.slack import views
from opsbot.slack.blocks import code as inline_code
from opsbot.slack.credentials import SlackCredentials
from opsbot.slack.lambda_adapter import HandOffFailed

Once = Callable[[str, Callable[[], None]], object]
# Bolt logs whole request bodies (user, channel, text, response_url) at INFO/DEBUG, e.g. on a bad signature.
# Those must not reach the logs, whatever POWERTOOLS_LOG_LEVEL says: Bolt only gets to log warnings.
_BOLT_LOGGER = logging.getLogger("opsbot.bolt")
_BOLT_LOGGER.setLevel(logging.WARNING)


class _WithholdRequestFields(logging.Filter):
    """Bolt's "Unhandled request (…)" warning copies the request's fields (action ids, callback ids, a command
    name, the actions and their values) into the log: keep the line, drop what came from outside."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Unhandled request"):
            record.msg, record.args = "Unhandled request (fields withheld: untrusted input)", None
        return True


_BOLT_LOGGER.addFilter(_WithholdRequestFields())


def _parse_form_body(body: str, content_type: str | None) -> dict[str, Any]:  # noqa: ARG001 - Bolt's signature
    """Bolt's ``parse_body`` reads any form body that merely contains the word "payload" (``/mycandidate snapshot
    payload backup``) as an interaction and, finding no ``payload`` field, returns ``{}``: the command is lost.
    Here the ``payload`` field decides. The request check has already refused every body that is not a form."""
    if not body:
        return {}
    fields = dict(parse_qsl(body, keep_blank_values=True))
    payload = fields.get("payload")
    return json.loads(payload) if payload is not None else fields  # type: ignore[no-any-return]


bolt_request.parse_body = _parse_form_body  # type: ignore[attr-defined] # what BoltRequest calls (from internals)
_GROUP_CACHE_SECONDS = 300


def build_app(
    settings: Settings,
    credentials: SlackCredentials,
    ports: Callable[[], Ports],
    once: Once,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> App:
    """Wire listeners. ``ports`` is called lazily (first lazy run) so that acks never build AWS clients."""
    client = WebClient(base_url=settings.slack_api_base)

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # Single workspace, known token: no `auth.test` round trip to Slack before the first ack.
        if settings.slack_team_id and team_id != settings.slack_team_id:
            # Raised, not None: for None Bolt answers 200 and posts "please reinstall" to the request's response_url.
            raise OtherWorkspace
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=credentials.bot_token)

    app = App(
        name="mycandidate-opsbot",  # without a name Bolt calls inspect.stack(): ~80 ms of every cold start
        signing_secret=credentials.signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=True,  # Lambda freezes after returning: finish the ack before responding
        logger=_BOLT_LOGGER,
    )
    app.error(_refuse_other_workspaces)
    listeners = _Listeners(settings, ports, once, clock)
    command = os.environ.get("OPSBOT_SLASH_COMMAND", "/mycandidate")
    # `help` needs no AWS and no audit entry: answered in the ack, without a self-invocation.
    app.command(command, matchers=[_is_help])(listeners.ack_help)
    app.command(command)(ack=listeners.ack_command, lazy=[listeners.run_command])
    app.action(re.compile("^(" + "|".join(ACTIONS) + ")$"))(ack=listeners.ack_action, lazy=[listeners.run_action])
    return app


class OtherWorkspace(Exception):
    """A correctly signed request from a Slack workspace other than ``OPSBOT_SLACK_TEAM_ID``."""


def _refuse_other_workspaces(error: Exception) -> BoltResponse | None:
    """Bolt's error handler: 403 for another workspace (before any listener, so no lazy run); a failed hand-off to
    the lazy run is told to the user in place of the ack; anything else is logged as Bolt's default handler does
    and answered 500."""
    if isinstance(error, OtherWorkspace):
        logger.warning("slack request refused", extra={"status": 403, "reason": "request from another workspace"})
        return BoltResponse(status=403, body="forbidden")
    if isinstance(error, HandOffFailed):
        logger.error("lazy self-invocation failed; nothing was run", extra={"error": error.code})
        text = (
            f":x: The command could not be started: AWS Lambda did not accept the hand-off ({inline_code(error.code)})."
            " Nothing was run or changed; try again in a minute."
        )
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    _BOLT_LOGGER.error("Bolt middleware or listener failed (%s)", type(error).__name__, exc_info=error)
    return None


class _Listeners:
    def __init__(self, settings: Settings, ports: Callable[[], Ports], once: Once, clock: Callable[[], datetime]):
        self._settings = settings
        self._ports = ports
        self._once = once
        self._clock = clock
        self._groups: dict[str, frozenset[str]] = {}
        self._groups_read_at: float | None = None  # never read yet (monotonic time may start near 0)

    # acknowledgements: no AWS, no Slack API calls ---------------------------------------------------------
    def ack_help(self, ack: Ack, body: dict[str, Any]) -> None:
        try:
            command = parse_command(str(body.get("text", "")))
            outcome = command.spec.run(command.parsed, None)  # type: ignore[arg-type]
        except UsageError as exc:
            outcome = Outcome(view=usage_error_view(exc), audit=None)
        ack(**_ack_message(views.render(outcome)))

    def ack_command(self, ack: Ack, body: dict[str, Any]) -> None:
        """Usage errors are answered here; the lazy run still records them in the audit trail."""
        try:
            command = parse_command(str(body.get("text", "")))
        except UsageError as exc:
            ack(**_ack_message(views.render(Outcome(view=usage_error_view(exc), audit=None))))
            return
        ack(**_ack_message(views.working(command.spec.name)))

    def ack_action(self, ack: Ack) -> None:
        ack()

    # lazy work ------------------------------------------------------------------------------------------
    def run_command(self, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        text = str(body.get("text", ""))
        key = f"command:{body.get('trigger_id') or body.get('command', '')}:{body.get('user_id')}"

        def work() -> None:
            channel = body.get("channel_id", "")
            outcome = execute_command(text, self._context(body["user_id"], channel, key, client))
            already_told = outcome.audit is not None and outcome.audit.decision == "invalid"
            if not already_told:  # usage errors were answered in the ack
                self._deliver(outcome, channel, respond, client, clicked_ephemeral=None, succeeded=True)

        def not_run(error: AwsOperationError) -> Outcome:
            context = self._context(body["user_id"], body.get("channel_id", ""), key, client)
            return record_not_run(context, text, None, error)

        self._guarded(key, work, not_run, respond)

    def run_action(self, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        action = body["actions"][0]
        action_id, value = str(action["action_id"]), str(action.get("value", ""))
        # Each click has its own trigger_id (a Slack retry of the same click repeats it). Pressing a button
        # again after a refusal must work; repeating an action is prevented by the action itself
        # (confirmations are consumed once, Undo checks capacity has not moved).
        key = f"action:{body.get('trigger_id') or action_id + ':' + value}"

        def work() -> None:
            user = body["user"]["id"]
            channel = (body.get("channel") or {}).get("id", "")
            outcome = execute_action(action_id, value, self._context(user, channel, key, client))
            succeeded = outcome.audit is None or outcome.audit.result in {"ok", "noop"}
            ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
            self._deliver(outcome, channel, respond, client, clicked_ephemeral=ephemeral, succeeded=succeeded)

        def not_run(error: AwsOperationError) -> Outcome:
            context = self._context(body["user"]["id"], (body.get("channel") or {}).get("id", ""), key, client)
            return record_not_run(context, None, (action_id, value), error)

        self._guarded(key, work, not_run, respond)

    def _deliver(
        self,
        outcome: Outcome,
        channel: str,
        respond: Respond,
        client: WebClient,
        *,
        clicked_ephemeral: bool | None,  # None: a slash command, not a click
        succeeded: bool,
    ) -> None:
        """Answer where ``Settings.results`` says. A used ephemeral message (a confirmation prompt, which only the
        clicker sees) is replaced by a private result, or removed once the result is posted for everyone; a message
        in the channel (an incident, a posted result) stays as it is and the answer goes below it."""
        ops = self._settings.slack_channel
        if outcome.report and self._settings.results == "ops" and ops and channel != ops:
            try:
                message = views.render(outcome)
                client.chat_postMessage(channel=ops, text=message["text"], blocks=message.get("blocks"))
            except (SlackClientError, OSError) as exc:  # the change happened: the requester's channel is told instead
                logger.warning("result not posted to the ops channel", extra={"error": type(exc).__name__})
                warning = f"could not post this to the ops channel ({type(exc).__name__}); posting it here"
                outcome = replace(outcome, warning="; ".join(w for w in (outcome.warning, warning) if w))
            else:
                respond(**views.requester_copy(outcome), replace_original=_replacing(clicked_ephemeral, succeeded))
                return
        message = views.render(outcome)
        if clicked_ephemeral and message["response_type"] == "in_channel":
            # An ephemeral message cannot become a channel message: post the result anew, then remove the prompt.
            respond(**message, replace_original=False)
            try:
                respond(delete_original=True)
            except OSError as exc:  # cosmetic: the stale prompt's buttons refuse a second use anyway
                logger.warning("used prompt not removed", extra={"error": type(exc).__name__})
            return
        respond(**message, replace_original=_replacing(clicked_ephemeral, succeeded))

    def _guarded(
        self, key: str, work: Callable[[], None], not_run: Callable[[AwsOperationError], Outcome], respond: Respond
    ) -> None:
        try:
            self._once(key, work)
        except AwsOperationError as exc:  # the exactly-once record could not be written: nothing ran, say why
            logger.warning("lazy listener not run", extra={"error": exc.code})
            try:
                outcome = not_run(exc)  # audited as failed, with the AWS code
            except Exception:  # resolving the role or reaching the trail failed too: say so, still nothing ran
                logger.exception("failed attempt not audited")
                warning = "the audit trail is unavailable, so this attempt is not recorded"
                outcome = Outcome(view=ErrorView(kind="failed", message=str(exc)), warning=warning)
            respond(**views.render(outcome))
        except Exception:  # the user must hear about it; the audit trail already holds the pending attempt
            reference = uuid.uuid4().hex[:12]
            logger.exception("lazy listener failed", extra={"reference": reference})
            respond(**views.internal_error(reference))

    def _context(self, user_id: str, channel_id: str, request_id: str, client: WebClient) -> CommandContext:
        rbac = self._settings.rbac
        groups = self._groups_of(user_id, client) if rbac.groups else frozenset()
        now = self._clock()
        return CommandContext(
            actor=Actor(user_id=user_id, channel_id=channel_id, role=resolve_role(user_id, groups, rbac)),
            settings=self._settings,
            ports=self._ports(),
            now=now,
            request_id=request_id,
            audit_key=new_audit_key(now, uuid.uuid4().hex[:8]),
        )

    def _groups_of(self, user_id: str, client: WebClient) -> frozenset[str]:
        """User-group membership of the configured groups, cached for five minutes per container."""
        read_at = self._groups_read_at
        if read_at is None or time.monotonic() - read_at > _GROUP_CACHE_SECONDS:
            members: dict[str, frozenset[str]] = {}
            complete = True
            for group in self._settings.rbac.groups:
                try:
                    response = client.usergroups_users_list(usergroup=group)
                except (SlackClientError, OSError) as exc:  # fail closed: no role from this group this time
                    logger.warning("cannot read user group", extra={"group": group, "error": type(exc).__name__})
                    complete = False
                    continue
                members[group] = frozenset(response.get("users", []))
            self._groups = members
            if complete:  # a failed read is retried on the next request, not cached for five minutes
                self._groups_read_at = time.monotonic()
        return frozenset(group for group, users in self._groups.items() if user_id in users)


def _replacing(clicked_ephemeral: bool | None, succeeded: bool) -> bool | None:
    """A used ephemeral prompt is replaced by its private result; a failure keeps it, so the button can be retried.
    ``None`` (a slash command's answer) leaves ``replace_original`` out of the message."""
    return None if clicked_ephemeral is None else clicked_ephemeral and succeeded


def _is_help(body: dict[str, Any]) -> bool:
    words = str(body.get("text", "")).split()
    return not words or words[0].lower() == "help"


def _ack_message(message: dict[str, Any]) -> dict[str, Any]:
    return {key: message[key] for key in ("text", "blocks", "response_type") if key in message}
