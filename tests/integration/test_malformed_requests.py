"""Anyone on the internet can reach the Slack endpoint. Whatever they send, they get a 4xx, the log gets one line
without the body, and nothing happens: no self-invocation, no audit entry, no reply, no capacity change.

All requests go through the function's real path (request check, then Bolt, then the lazy self-invocation
delivered back in-process) against one offline stack for the whole module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from devtools.local_stack import BOT_TOKEN, OPERATOR, SIGNING_SECRET, LocalStack, running_stack
from devtools.slack_requests import api_gateway_event, block_action_body, slash_command_body
from devtools.transcript import ack_text, message_text

MARKER = "ward-19100003"  # in every request body below: it must never show up in a log record


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[LocalStack]:
    with running_stack() as running:
        yield running


def _url(stack: LocalStack, name: str) -> str:
    return f"{stack.recorder.url}/response/{name}"


def _command_body(stack: LocalStack, name: str, team_id: str | None = None) -> str:
    extra = {"team_id": team_id} if team_id else {}
    return slash_command_body(
        f"scale 4 {MARKER}", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(stack, name), **extra
    )


def _signed(body: str, timestamp: str | None = None, **headers: Any) -> dict[str, Any]:
    """A correctly signed event for ``body``; ``timestamp`` is signed as given, even when it is not a number."""
    event = api_gateway_event(body, SIGNING_SECRET)
    if timestamp is not None:
        event["headers"]["x-slack-request-timestamp"] = timestamp
        event["headers"]["x-slack-signature"] = _signature(timestamp, body.encode())
    event["headers"].update(headers)
    return event


def _signature(timestamp: str, body: bytes) -> str:
    # By hand, because slack_sdk cannot sign bytes that are not UTF-8 (Slack never sends them, an attacker may)
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def _base64_signed(raw: bytes) -> dict[str, Any]:
    now = str(int(time.time()))
    event = api_gateway_event("", SIGNING_SECRET)
    event["headers"].update({"x-slack-request-timestamp": now, "x-slack-signature": _signature(now, raw)})
    event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    return event


def _with(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**event, **changes}


def _without_header(event: dict[str, Any], name: str) -> dict[str, Any]:
    return _with(event, headers={k: v for k, v in event["headers"].items() if k != name})


def _bad_timestamp(value: str) -> Callable[[LocalStack], dict[str, Any]]:
    return lambda s: _signed(_command_body(s, "ts"), timestamp=value)


# Each case: a request built against the stack, and the status it must get.
MALFORMED: dict[str, tuple[Callable[[LocalStack], Any], int]] = {
    "timestamp is letters": (_bad_timestamp("abc"), 400),
    "timestamp in exponent notation": (_bad_timestamp("1.7e9"), 400),
    "timestamp with digit separators": (_bad_timestamp("1_700_000_000"), 400),
    "timestamp empty": (_bad_timestamp(""), 401),
    "timestamp missing": (lambda s: _without_header(_signed(_command_body(s, "t")), "x-slack-request-timestamp"), 401),
    "timestamp stale": (lambda s: _signed(_command_body(s, "t"), timestamp=str(int(time.time()) - 6 * 60)), 401),
    "signature missing": (lambda s: _without_header(_signed(_command_body(s, "sig")), "x-slack-signature"), 401),
    "signature wrong": (lambda s: api_gateway_event(_command_body(s, "sig"), "not-the-secret"), 401),
    "signature not ascii": (lambda s: _signed(_command_body(s, "sig"), **{"x-slack-signature": "v0=é"}), 401),
    "json content type, body not json": (
        lambda s: _signed("{not json " + MARKER, **{"content-type": "application/json"}),
        400,
    ),
    "form payload that is not json": (lambda s: _signed(urlencode({"payload": "notjson " + MARKER})), 400),
    "form payload that is a json list": (lambda s: _signed(urlencode({"payload": json.dumps([MARKER])})), 400),
    "form payload nested too deep for the json parser": (lambda s: _signed(urlencode({"payload": "[" * 30_000})), 400),
    "json content type over a form body": (
        lambda s: _signed(_command_body(s, "ct"), **{"content-type": "application/json"}),
        400,
    ),
    "form content type over a json body": (
        lambda s: _signed(json.dumps({"type": "block_actions", "team": {"id": "T0MYCANDID"}, "x": MARKER})),
        400,
    ),
    "form body that is not form-encoded": (lambda s: _signed(f"just some text {MARKER}"), 400),
    "content type neither form nor json": (
        lambda s: _signed(_command_body(s, "ct"), **{"content-type": "text/plain"}),
        400,
    ),
    "empty body": (lambda s: _signed(""), 400),
    "base64 body that is not utf-8": (lambda s: _base64_signed(f"text=scale 4 {MARKER} \xff".encode("latin-1")), 400),
    "base64 flag over a body that is not base64": (
        lambda s: _with(_signed(_command_body(s, "b64")), isBase64Encoded=True),
        400,
    ),
    "isBase64Encoded is a string": (lambda s: _with(_signed(_command_body(s, "b64")), isBase64Encoded="false"), 400),
    "body over 128 KiB": (lambda s: _signed(_command_body(s, "big") + "&padding=" + "x" * 130 * 1024), 413),
    "base64 body over 128 KiB": (lambda s: _base64_signed(_command_body(s, "big").encode() + b"&p=" * 45_000), 413),
    "body is not text": (lambda s: _with(_signed(_command_body(s, "obj")), body={"text": MARKER}), 400),
    "no headers at all": (lambda s: {k: v for k, v in _signed(_command_body(s, "h")).items() if k != "headers"}, 401),
    "headers are not an object": (lambda s: _with(_signed(_command_body(s, "h")), headers=[MARKER]), 400),
    "header value is not text": (lambda s: _signed(_command_body(s, "h"), **{"x-slack-retry-num": 1}), 400),
    "GET instead of POST": (
        lambda s: _with(_signed(_command_body(s, "get")), requestContext={"http": {"method": "GET"}}),
        405,
    ),
    "no request context": (lambda s: _with(_signed(_command_body(s, "rc")), requestContext=None), 400),
    "event is not an object": (lambda s: [_command_body(s, "list")], 400),
    "upper-case signature header that is wrong": (
        lambda s: _without_header(
            _signed(_command_body(s, "case"), **{"X-Slack-Signature": "v0=" + "0" * 64}), "x-slack-signature"
        ),
        401,
    ),
    "two casings of the signature header that disagree": (
        lambda s: _signed(_command_body(s, "case"), **{"X-SLACK-SIGNATURE": "v0=" + "0" * 64}),
        400,
    ),
    "lazy-invocation marker sent over HTTP": (
        lambda s: _signed(_command_body(s, "lazy"), **{"x-slack-bolt-lazy-only": "1"}),
        400,
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_or_unsigned_request_gets_a_4xx_one_log_line_and_no_side_effect(
    shared_stack: LocalStack, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    # Given a request anyone could send to the endpoint, carrying a real command
    build, status = MALFORMED[case]
    event = build(shared_stack)
    bot = shared_stack.bot()
    before = _state(shared_stack)
    caplog.set_level(logging.DEBUG)
    # When it reaches the Slack function
    response = bot.send(event)
    # Then it is refused with a short answer
    assert response["statusCode"] == status
    assert len(response["body"]) < 40
    # and nothing happened
    assert bot.lambda_client.payloads == [], "no self-invocation"
    assert _state(shared_stack) == before, "no audit entry, no reply, no capacity change"
    # and the log holds one line, no traceback, nothing from the request and no secret
    _assert_one_clean_refusal(caplog, status)


def test_a_signed_request_from_another_workspace_is_refused_and_nothing_runs(
    shared_stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    # Given correctly signed requests (the app's signing secret) from a workspace that is not OPSBOT_SLACK_TEAM_ID
    other = "T0ELSEWHERE"
    command = api_gateway_event(_command_body(shared_stack, "other-team", team_id=other), SIGNING_SECRET)
    click = block_action_body(
        "scale_confirm", "x", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(shared_stack, "o"), team_id=other
    )
    button = api_gateway_event(click, SIGNING_SECRET)
    before = _state(shared_stack)
    for event in (command, button):
        bot = shared_stack.bot()
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        # When each reaches the Slack function
        response = bot.send(event)
        # Then it is refused, nothing is started, and Bolt's "reinstall the app" reply is not posted anywhere
        assert response["statusCode"] == 403
        assert bot.lambda_client.payloads == []
        assert _state(shared_stack) == before
        _assert_one_clean_refusal(caplog, 403)


def test_a_lazy_run_for_another_workspace_is_refused_too(
    shared_stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a signed self-invocation event for another workspace (as if the ack path had let it through)
    event = api_gateway_event(_command_body(shared_stack, "other-lazy", team_id="T0ELSEWHERE"), SIGNING_SECRET)
    event["headers"].update({"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "run_command"})
    event["method"] = "NONE"
    before = _state(shared_stack)
    caplog.set_level(logging.DEBUG)
    # When Lambda delivers it
    bot = shared_stack.bot()
    bot.lambda_client.payloads.append(event)
    bot.run_lazy()
    # Then the command does not run
    assert _state(shared_stack) == before
    _assert_one_clean_refusal(caplog, 403)


def test_a_base64_encoded_form_body_as_api_gateway_sends_it_is_served(shared_stack: LocalStack) -> None:
    # Given a status command whose form body API Gateway base64-encoded
    body = slash_command_body("status", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(shared_stack, "b64"))
    event = _base64_signed(body.encode())
    # When it is sent
    ack = shared_stack.bot().send(event)
    # Then it is acknowledged and answered through the lazy run
    assert ack["statusCode"] == 200
    assert "working on `status`" in ack_text(ack)
    assert any("desired 2" in text for text in _posts(shared_stack, "/response/b64"))


def test_headers_in_another_casing_are_read_case_insensitively(shared_stack: LocalStack) -> None:
    # Given a correctly signed request whose headers arrive capitalised (REST API payloads, sam local start-api)
    event = api_gateway_event(
        slash_command_body("status", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(shared_stack, "caps")),
        SIGNING_SECRET,
    )
    event["headers"] = {"-".join(w.capitalize() for w in k.split("-")): v for k, v in event["headers"].items()}
    # When it is sent
    ack = shared_stack.bot().send(event)
    # Then it is served like any other
    assert ack["statusCode"] == 200
    assert any("desired 2" in text for text in _posts(shared_stack, "/response/caps"))


def test_a_lazy_run_whose_request_is_minutes_old_still_runs(shared_stack: LocalStack) -> None:
    # Given a command signed four minutes ago (a slow cold start, a queued async invocation)
    body = slash_command_body("status", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(shared_stack, "old"))
    event = api_gateway_event(body, SIGNING_SECRET, timestamp=int(time.time()) - 4 * 60)
    bot = shared_stack.bot()
    # When it is acknowledged and its self-invocation delivered
    assert bot.send(event, run_lazy=False)["statusCode"] == 200
    (lazy,) = bot.lambda_client.payloads
    assert lazy["headers"]["x-slack-bolt-lazy-only"] == "1"
    assert bot.run_lazy() == 1
    # Then the lazy run passed the same checks and answered
    assert any("desired 2" in text for text in _posts(shared_stack, "/response/old"))


# helpers ----------------------------------------------------------------------------------------------------------
def _posts(stack: LocalStack, path: str) -> list[str]:
    return [message_text(c.body) for c in stack.recorder.response_url_posts() if c.path.startswith(path)]


def _state(stack: LocalStack) -> tuple[int, int, tuple[int, int]]:
    audit = len(stack.audit_items(pending=True))
    return audit, len(stack.recorder.response_url_posts()), stack.capacity()


def _assert_one_clean_refusal(caplog: pytest.LogCaptureFixture, status: int) -> None:
    refusals = [r for r in caplog.records if r.getMessage() == "slack request refused"]
    assert len(refusals) == 1
    assert getattr(refusals[0], "status", None) == status
    for record in caplog.records:
        assert record.exc_info is None, f"traceback logged: {record.getMessage()}"
        logged = record.getMessage() + repr(vars(record))
        for secret in (MARKER, SIGNING_SECRET, BOT_TOKEN, "response_url", "v0="):
            assert secret not in logged, f"{secret!r} reached the log"
