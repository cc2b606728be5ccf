"""Check an API Gateway event before Bolt sees it.

Bolt parses the body before it verifies the signature, and raises (a 500 with a traceback) on a body or a
timestamp it cannot read; anyone on the internet can send those. This check answers every malformed or unsigned
request with a 4xx itself, verifying the signature before parsing anything it need not parse, and hands Bolt a
normalised copy of the event: lower-case headers, the body as decoded text. Bolt still verifies the signature
too (defence in depth), so the two must agree; both use ``slack_sdk``'s five-minute window.

Bolt's lazy self-invocation (``opsbot.slack.lambda_adapter``) comes back through the same function with the
normalised event, an ``x-slack-bolt-lazy-only`` header and a top-level ``"method": "NONE"`` that no HTTP request
through API Gateway can carry; it is checked like any other request.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

# Slash commands and button payloads of this bot are a few KB. 128 KiB leaves room for any message Slack echoes
# back in a block_actions payload and keeps the lazy self-invocation under Lambda's 256 KB async payload limit.
MAX_BODY_BYTES = 128 * 1024
_MAX_BASE64_CHARS = (MAX_BODY_BYTES + 2) // 3 * 4
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # int() would also take " 1_700_000_000", "+1" or non-ASCII digits
# hmac.compare_digest raises TypeError on non-ASCII text: anything but the v0 shape is simply a wrong signature
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_FORM = "application/x-www-form-urlencoded"
_LAZY_HEADER = "x-slack-bolt-lazy-only"
_BODIES = {
    400: "bad request",
    401: "invalid request",
    403: "forbidden",
    405: "method not allowed",
    413: "payload too large",
}
_WINDOW_SECONDS = 5 * 60  # slack_sdk's SignatureVerifier window, which is_valid applies too


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused. ``reason`` is fixed text (never a value from the request): safe to log."""

    status: int
    reason: str

    def response(self) -> dict[str, Any]:
        headers = {"content-type": "text/plain"}
        if self.status == 405:
            headers["allow"] = "POST"
        return {"statusCode": self.status, "headers": headers, "body": _BODIES[self.status]}


# A well-formed, fresh signature that does not match this secret: the one refusal a re-read secret may turn around.
SIGNATURE_MISMATCH = Refusal(401, "signature does not match")


def check_request(event: object, verifier: SignatureVerifier, app_id: str = "") -> dict[str, Any] | Refusal:
    """The event to hand to Bolt, or why it is refused. ``app_id``: the Slack app's id (``api_app_id``); when set,
    a request signed for this workspace but naming another app is refused."""
    if not isinstance(event, dict):
        return Refusal(400, "event is not an object")
    method = _method(event)
    if method is None:
        return Refusal(400, "not an API Gateway HTTP request")
    if method != "POST":
        return Refusal(405, "method is not POST")
    headers = _headers(event.get("headers"))
    if isinstance(headers, Refusal):
        return headers
    if _LAZY_HEADER in headers and event.get("method") != "NONE":
        return Refusal(400, "lazy-invocation marker on an HTTP request")
    body = _body(event)
    if isinstance(body, Refusal):
        return body
    signed = _verify(body, headers, verifier)
    if signed is not None:
        return signed
    parsed = _parse(body, headers.get("content-type", ""), app_id)
    if parsed is not None:
        return parsed
    return {**event, "headers": headers, "body": body, "isBase64Encoded": False}


def _method(event: dict[str, Any]) -> str | None:
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return None
    http = context.get("http")
    method = http.get("method") if isinstance(http, dict) else context.get("httpMethod")  # payload v2, else v1
    return method if isinstance(method, str) else None


def _headers(raw: object) -> dict[str, str] | Refusal:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        return Refusal(400, "headers are not an object")
    headers: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            return Refusal(400, "header name is not text")
        name = key.lower()
        if name == "cookie":  # Bolt adds the cookies (a list) to the event it hands the lazy run; unused here
            continue
        if not isinstance(value, str):
            return Refusal(400, "header value is not text")
        # "X-Slack-Signature" and "x-slack-signature" with different values: which one is checked is ambiguous
        if headers.get(name, value) != value:
            return Refusal(400, "conflicting headers")
        headers[name] = value
    return headers


def _body(event: dict[str, Any]) -> str | Refusal:
    raw = event.get("body")
    encoded = event.get("isBase64Encoded", False)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        return Refusal(400, "body is not text")
    if not isinstance(encoded, bool):
        return Refusal(400, "isBase64Encoded is not a boolean")
    if len(raw) > (_MAX_BASE64_CHARS if encoded else MAX_BODY_BYTES):
        return Refusal(413, "body too large")
    try:
        data = base64.b64decode(raw, validate=True) if encoded else raw.encode("utf-8")
        text = data.decode("utf-8") if encoded else raw
    except (binascii.Error, ValueError):  # bad base64, non-UTF-8 bytes, lone surrogates
        return Refusal(400, "body is not valid base64 or UTF-8")
    if len(data) > MAX_BODY_BYTES:
        return Refusal(413, "body too large")
    return text


def _verify(body: str, headers: dict[str, str], verifier: SignatureVerifier) -> Refusal | None:
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return Refusal(401, "request is not signed")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Refusal(400, "timestamp is not a whole number")
    if not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "signature is not a v0 signature")
    # Told apart from a mismatch: only a mismatch can mean the signing secret was rotated (see opsbot.slack.entry)
    if abs(verifier.clock.now() - int(timestamp)) > _WINDOW_SECONDS:
        return Refusal(401, "timestamp is more than five minutes away")
    if not verifier.is_valid(body, timestamp, signature):
        return SIGNATURE_MISMATCH
    return None


def _parse(body: str, content_type: str, app_id: str = "") -> Refusal | None:
    """Refuse what Bolt's ``parse_body`` would fail on or misread (it reads any body starting with ``{`` as JSON, and
    a form body with a ``payload`` field as that field's JSON), and what Slack never sends this bot: slash commands
    and interactions come form-encoded, with the user, the team and (clicks) a non-empty list of actions."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return Refusal(400, "body is empty")
    if media_type != _FORM:
        return Refusal(400, "content type is not form-encoded")
    if body.startswith("{"):
        return Refusal(400, "form content type over a JSON body")
    try:
        fields = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return Refusal(400, "body is not form-encoded")
    if "payload" in fields:
        payload = _json_object(fields["payload"])
        if payload is None:
            return Refusal(400, "payload is not a JSON object")
        return _interaction(payload, app_id)
    if "command" in fields:
        if not (fields.get("user_id") and fields.get("team_id")):
            return Refusal(400, "slash command without user_id or team_id")
        if app_id and fields.get("api_app_id", app_id) != app_id:
            return Refusal(403, "request for another Slack app")
    return None


def _interaction(payload: dict[str, Any], app_id: str) -> Refusal | None:
    if app_id and payload.get("api_app_id", app_id) != app_id:
        return Refusal(403, "request for another Slack app")
    user = payload.get("user")
    if payload.get("type") == "block_actions" and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return Refusal(400, "interaction without a user")
    actions = payload.get("actions")
    if "actions" in payload and not (
        isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
    ):  # Bolt indexes actions[0]
        return Refusal(400, "interaction actions are not a list of actions")
    return None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; deep nesting raises RecursionError
        return None
    return found if isinstance(found, dict) else None
