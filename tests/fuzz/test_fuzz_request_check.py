"""The API Gateway / Slack request check, fuzzed (``opsbot.slack.request_check.check_request``): events of payload
v1 and v2 with fuzzed methods, headers, bodies (form, JSON, anything, base64 or not), signed correctly most of the
time so that the parsing behind the signature check is reached too.

Contract: a normalised event for Bolt, or a ``Refusal`` with a 4xx status — never an exception (anyone on the
internet can send these). What it lets through is signed, and Bolt's ``parse_body`` reads it without raising."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request import BoltRequest
from slack_sdk.signature import Clock, SignatureVerifier

import opsbot.slack.app  # noqa: F401 - installs the bot's form-body reading into Bolt
from opsbot.slack.request_check import Refusal, check_request
from tests.fuzz._support import MARKUP, json_values

SECRET = "fuzz-signing-secret"
NOW = 1_764_748_800


class _Clock(Clock):
    def now(self) -> float:
        return float(NOW)


VERIFIER = SignatureVerifier(SECRET, clock=_Clock())
_form = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "team_id", "channel_id", "trigger_id", "payload", "api_app_id"]),
    st.one_of(st.text(max_size=60), st.sampled_from(MARKUP), json_values.map(json.dumps)),
    max_size=5,
).map(urlencode)
_body = st.one_of(_form, json_values.map(json.dumps), st.text(max_size=200), st.just(""))
_content_type = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "application/json; charset=utf-8", "text/plain",
     "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8", ""]
)  # fmt: skip


@st.composite
def requests(draw: st.DrawFn) -> object:
    body = draw(_body)
    timestamp = str(NOW + draw(st.sampled_from([0, 0, 0, 301, -301, 10**13])))
    signature = VERIFIER.generate_signature(timestamp=timestamp, body=body)
    if draw(st.integers(0, 4)) == 0:
        signature = draw(st.sampled_from(["", "v0=" + "0" * 64, signature.upper(), "v0=é" + signature[4:]]))
    headers: dict[Any, Any] = {
        "Content-Type": draw(_content_type), "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature,
    }  # fmt: skip
    if draw(st.booleans()):
        name = draw(st.text(max_size=20) | st.sampled_from(["x-slack-signature", "COOKIE", "x-slack-bolt-lazy-only"]))
        headers[name] = draw(st.text(max_size=20) | json_values)
    encoded = draw(st.booleans())
    raw: Any = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode() if encoded else body
    method = draw(st.sampled_from(["POST", "POST", "GET", "post"]) | json_values)
    context = {"http": {"method": method}} if draw(st.booleans()) else {"httpMethod": method}
    event: dict[str, Any] = {"requestContext": context, "headers": headers, "body": raw, "isBase64Encoded": encoded}
    for _ in range(draw(st.integers(0, 2))):
        event[draw(st.sampled_from(["headers", "body", "isBase64Encoded", "requestContext", "method"]))] = draw(
            json_values
        )
    return event if draw(st.integers(0, 9)) else draw(json_values)


@given(requests())
def test_a_request_is_handed_on_or_refused_with_a_4xx(event: object) -> None:
    """Every event gets an answer: a refusal with a fixed 4xx body, or a normalised, signed event that Bolt can
    parse (lower-case text headers, the body as text)."""
    checked = check_request(event, VERIFIER, app_id="A0OPS")
    if isinstance(checked, Refusal):
        response = checked.response()
        assert 400 <= checked.status < 500
        assert response["statusCode"] == checked.status
        assert response["body"]
        return
    headers = checked["headers"]
    assert all(isinstance(k, str) and k == k.lower() and isinstance(v, str) for k, v in headers.items())
    assert isinstance(checked["body"], str)
    assert checked["isBase64Encoded"] is False
    assert VERIFIER.is_valid(checked["body"], headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    assert isinstance(_bolt_body(checked), dict)


_PAYLOAD_DEFECT = (
    "request_check lets through a slash command whose text merely contains 'payload' (text=payload); Bolt's"
    " parse_body then reads the body as {} — the misread its docstring says it refuses"
)


def _bolt_body(checked: dict[str, Any]) -> Any:
    """What Bolt's request makes of the checked event's body (the parsing the bot runs, opsbot.slack.app)."""
    content_type = checked["headers"].get("content-type", "application/x-www-form-urlencoded")
    return BoltRequest(body=checked["body"], headers={"content-type": [content_type]}).body


_with_payload = st.builds(
    lambda a, word, b: f"{a}{word}{b}", st.text(max_size=20), st.sampled_from(["", "payload"]), st.text(max_size=20)
)


@given(_with_payload)
def test_an_accepted_slash_command_is_read_by_bolt_as_sent(text: str) -> None:
    """A signed slash command that the check hands on reaches Bolt with the fields Slack sent (the check's
    docstring: refuse what Bolt's ``parse_body`` would fail on *or misread*)."""
    fields = {"command": "/mycandidate", "text": text, "user_id": "U0OPS", "team_id": "T0OPS"}
    body = urlencode(fields)
    timestamp = str(NOW)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp,
               "x-slack-signature": VERIFIER.generate_signature(timestamp=timestamp, body=body)}  # fmt: skip
    event = {"requestContext": {"http": {"method": "POST"}}, "headers": headers, "body": body}
    checked = check_request(event, VERIFIER)
    if not isinstance(checked, Refusal):
        assert _bolt_body(checked) == fields
