"""The forged-request corpus: every kind of forged or malformed Slack request kept as data.

Each kind is built from a valid signed request (a ``scale`` command that would raise the minimum, or an
``alarm_mute`` click that would write a mute) by changing one thing, and is sent through the function's real path
(``LocalBot.send``: request check, Bolt, the lazy self-invocation delivered back in-process). Every body carries
``MARKER``; the properties checked for each kind are:

* the answer: a 4xx, or for an authenticated request that the bot refuses to act on, the existing contract
  (a 200 with an ephemeral refusal; for replays, a 200 ack because Slack retries until it gets one);
* no side effect: scalable target, scheduled actions, operations table, audit trail (refusals are audited by
  contract), Slack Web API calls, ``response_url`` posts, Lambda self-invocations;
* no request body in the logs: ``MARKER`` (and no secret) in no log record and in nothing written to
  stdout/stderr.

``FORGED_KINDS`` is the table; ``check_kind`` runs one kind and returns the broken properties;
``run_corpus(stack)`` runs all of them and returns ``(sent, accepted)`` for a report ("forged requests: N sent /
0 accepted"), counting as accepted every kind that broke any property.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from devtools.local_stack import BOT_TOKEN, OPERATOR, OPS_CHANNEL, SIGNING_SECRET, LocalStack
from devtools.slack_requests import api_gateway_event, block_action_body, slash_command_body
from opsbot.observability import logger

MARKER = "FORGEDMARKER"
OTHER_TEAM = "T0ELSEWHERE"
UNKNOWN_USER = "U0NOBODY"
ALARM = "mycandidate-ecs-cpu-high"
_SECRETS = (SIGNING_SECRET, BOT_TOKEN)

Expect = Literal["refused", "ack_refusal", "posted_refusal", "replay"]


@dataclass(frozen=True)
class Forgery:
    """The forged event, and valid events sent before it (a replay's original) whose effects are allowed."""

    event: Any
    before: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Kind:
    """One row of the corpus.

    ``expect``: ``refused`` (HTTP ``status``, nothing runs); ``ack_refusal`` (200, an ephemeral usage error in the
    ack, audited as refused through one self-invocation, nothing else); ``posted_refusal`` (200 empty ack, one
    self-invocation, one ephemeral refusal posted to ``response_url``, audited as refused, nothing else);
    ``replay`` (200, no second side effect). ``why`` says why a 200 is the contract. ``defect``: a known defect
    outside tests/security that makes this kind fail today (the test is a strict xfail until it is fixed)."""

    name: str
    build: Callable[[LocalStack], Forgery]
    expect: Expect = "refused"
    status: int = 401
    why: str = ""
    defect: str = ""


# building blocks ---------------------------------------------------------------------------------------------------
def _url(stack: LocalStack) -> str:
    return f"{stack.recorder.url}/response/forged"


def _now() -> str:
    return str(int(time.time()))


def _sign(body: str | bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    # By hand: slack_sdk cannot sign bytes that are not UTF-8, nor a timestamp that is not a number
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def _scale_fields(stack: LocalStack, **changes: str) -> dict[str, str]:
    """A valid ``scale`` that would change the service (one above the current minimum), carrying the marker in a
    field the bot ignores."""
    text = f"scale {stack.capacity()[0] + 1}"
    body = slash_command_body(text, user_id=OPERATOR, channel_id=OPS_CHANNEL, response_url=_url(stack))
    fields = dict(parse_qsl(body))
    fields.update(team_domain=MARKER, **changes)
    return fields


def _command(stack: LocalStack, **changes: str) -> str:
    return urlencode(_scale_fields(stack, **changes))


def _click_payload(stack: LocalStack, action_id: str = "alarm_mute", value: str = ALARM) -> dict[str, Any]:
    """A valid ``alarm_mute`` click (it would write a mute), carrying the marker in a field the bot ignores."""
    body = block_action_body(action_id, value, user_id=OPERATOR, channel_id=OPS_CHANNEL, response_url=_url(stack))
    payload: dict[str, Any] = json.loads(dict(parse_qsl(body))["payload"])
    payload["user"]["username"] = MARKER
    return payload


def _click(stack: LocalStack, change: Callable[[dict[str, Any]], object] = lambda _p: None, **kw: str) -> str:
    payload = _click_payload(stack, **kw)
    change(payload)
    return urlencode({"payload": json.dumps(payload)})


def _signed(
    body: str,
    /,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    **top: Any,
) -> dict[str, Any]:
    """A correctly signed event for ``body`` (``timestamp`` is signed as given), then the changes applied."""
    event = api_gateway_event("", SIGNING_SECRET)  # the envelope; signed below (slack_sdk cannot sign every body)
    event["body"] = body
    ts = _now() if timestamp is None else timestamp
    event["headers"]["x-slack-request-timestamp"] = ts
    event["headers"]["x-slack-signature"] = _sign(body, ts) if signature is None else signature
    event["headers"].update(headers or {})
    for name in drop:
        event["headers"].pop(name, None)
    event.update(top)
    return event


def _base64_signed(raw: bytes) -> dict[str, Any]:
    ts = _now()
    event = _signed("", timestamp=ts, signature=_sign(raw, ts))
    event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    return event


def _cmd(change: Callable[[LocalStack], Any]) -> Callable[[LocalStack], Forgery]:
    return lambda stack: Forgery(change(stack))


def _replay(twice: Callable[[LocalStack], tuple[dict[str, Any], dict[str, Any]]]) -> Callable[[LocalStack], Forgery]:
    def build(stack: LocalStack) -> Forgery:
        original, replayed = twice(stack)
        return Forgery(replayed, before=(original,))

    return build


def _same_event_twice(body: Callable[[LocalStack], str]) -> Callable[[LocalStack], Forgery]:
    def twice(stack: LocalStack) -> tuple[dict[str, Any], dict[str, Any]]:
        event = _signed(body(stack))
        return event, json.loads(json.dumps(event))

    return _replay(twice)


def _retried(stack: LocalStack, *, fresh: bool, reason: str = "http_timeout") -> tuple[dict[str, Any], dict[str, Any]]:
    body = _command(stack)
    original = _signed(body)
    retry = _signed(
        body, timestamp=str(int(time.time()) + 1) if fresh else original["headers"]["x-slack-request-timestamp"]
    )
    retry["headers"].update({"x-slack-retry-num": "1", "x-slack-retry-reason": reason})
    return original, retry


def _v1_get(stack: LocalStack) -> dict[str, Any]:
    event = _signed(_command(stack))
    event["requestContext"] = {"httpMethod": "GET", "path": "/slack/events", "requestId": "r"}
    return event


def _method(name: str) -> Callable[[LocalStack], Forgery]:
    def build(stack: LocalStack) -> Forgery:
        event = _signed(_command(stack))
        event["requestContext"]["http"]["method"] = name
        return Forgery(event)

    return build


def _path(path: str, **query: str) -> Callable[[LocalStack], Forgery]:
    """A request to another path, its signature in the query string where nothing reads it."""

    def build(stack: LocalStack) -> Forgery:
        body = _command(stack)
        ts = _now()
        event = _signed(body, drop=("x-slack-signature", "x-slack-request-timestamp"))
        event["rawPath"] = path
        event["routeKey"] = f"POST {path}"
        event["requestContext"]["http"]["path"] = path
        event["rawQueryString"] = urlencode({"signature": _sign(body, ts), "timestamp": ts, **query})
        return Forgery(event)

    return build


# the corpus --------------------------------------------------------------------------------------------------------
_POSTED = (
    "a validly signed request is authentic, so the bot tells the user why it refuses (the RBAC/argument contract of "
    "test_slack_endpoint) and audits the refusal; nothing else changes"
)
_ACKED = "a validly signed command with a usage error is answered in the ack and audited (one self-invocation)"
_REPLAYED = (
    "Slack retries until it gets a 200, so a duplicate is acknowledged; the lazy run is deduplicated by the "
    "trigger_id (Powertools idempotency), so nothing happens a second time"
)
_BOLT_LOGS_UNHANDLED = (
    "Bolt's 'Unhandled request' warning (slack_bolt.logger.messages.warning_unhandled_request, through the "
    "opsbot.bolt logger at WARNING) logs the request's type/action_id/command/callback_id verbatim"
)
_NO_APP_ID_CHECK = (
    "nothing checks api_app_id (no setting names the app's id; app.py's authorize only checks team_id): "
    "the click is served and the mute written"
)
_JSON_SERVED = (
    "request_check accepts any JSON object under application/json and Bolt serves it: a JSON-encoded slash "
    "command runs (scale applied), though Slack only ever sends commands and clicks form-encoded"
)
_EMPTY_ACTIONS_CRASH = (
    "Bolt's to_action indexes actions[0]: IndexError raised out of the handler (a Lambda error, i.e. a 500 from "
    "API Gateway, with a traceback in the log); request_check does not refuse it"
)
_NO_USER_CRASH = (
    "a signed click without 'user' is acked 200 and its lazy run fails with KeyError ('Something went wrong' "
    "posted, traceback logged) instead of a 400"
)

FORGED_KINDS: list[Kind] = [
    # signature ---------------------------------------------------------------------------------------------------
    Kind("signature-missing", _cmd(lambda s: _signed(_command(s), drop=("x-slack-signature",)))),
    Kind("signature-empty", _cmd(lambda s: _signed(_command(s), signature=""))),
    Kind(
        "signature-scheme-v1", _cmd(lambda s: _signed(body := _command(s), signature="v1=" + _sign(body, _now())[3:]))
    ),
    Kind("signature-no-scheme", _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now())[3:]))),
    Kind(
        "signature-wrong-secret", _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now(), "guess")))
    ),
    Kind("signature-truncated", _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now())[:-2]))),
    Kind(
        "signature-upper-case-hex", _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now()).upper()))
    ),
    Kind(
        "signature-of-another-body",
        _cmd(lambda s: _signed(_command(s), signature=_sign(_command(s, text="help"), _now()))),
    ),
    Kind(
        "signature-of-another-timestamp",
        _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, str(int(time.time()) - 1)))),
    ),
    Kind("signature-trailing-space", _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now()) + " "))),
    Kind(
        "signature-two-values",
        _cmd(lambda s: _signed(body := _command(s), signature=_sign(body, _now()) + ",v0=" + "0" * 64)),
    ),
    Kind("signature-not-ascii", _cmd(lambda s: _signed(_command(s), signature="v0=" + "é" * 64))),
    # timestamp ---------------------------------------------------------------------------------------------------
    Kind("timestamp-missing", _cmd(lambda s: _signed(_command(s), drop=("x-slack-request-timestamp",)))),
    Kind("timestamp-empty", _cmd(lambda s: _signed(_command(s), timestamp=""))),
    Kind("timestamp-non-numeric", _cmd(lambda s: _signed(_command(s), timestamp="yesterday")), status=400),
    Kind("timestamp-too-old", _cmd(lambda s: _signed(_command(s), timestamp=str(int(time.time()) - 6 * 60)))),
    Kind("timestamp-in-the-future", _cmd(lambda s: _signed(_command(s), timestamp=str(int(time.time()) + 6 * 60)))),
    Kind("timestamp-negative", _cmd(lambda s: _signed(_command(s), timestamp=f"-{_now()}")), status=400),
    Kind("timestamp-float", _cmd(lambda s: _signed(_command(s), timestamp=f"{time.time():.3f}")), status=400),
    Kind("timestamp-huge", _cmd(lambda s: _signed(_command(s), timestamp="9" * 40)), status=400),
    Kind("timestamp-year-33658", _cmd(lambda s: _signed(_command(s), timestamp="999999999999"))),
    Kind(
        "timestamp-milliseconds",
        _cmd(lambda s: _signed(_command(s), timestamp=str(int(time.time() * 1000)))),
        status=400,
    ),
    Kind("timestamp-plus-sign", _cmd(lambda s: _signed(_command(s), timestamp="+" + _now())), status=400),
    Kind("timestamp-zero", _cmd(lambda s: _signed(_command(s), timestamp="0"))),
    # replay ------------------------------------------------------------------------------------------------------
    Kind("replay-identical-request", _same_event_twice(_command), expect="replay", why=_REPLAYED),
    Kind("replay-slack-retry", _replay(lambda s: _retried(s, fresh=False)), expect="replay", why=_REPLAYED),
    Kind("replay-slack-retry-resigned", _replay(lambda s: _retried(s, fresh=True)), expect="replay", why=_REPLAYED),
    Kind(
        "replay-slack-retry-any-reason",
        _replay(lambda s: _retried(s, fresh=True, reason=MARKER)),
        expect="replay",
        why=_REPLAYED,
    ),
    Kind("replay-button-click", _same_event_twice(_click), expect="replay", why=_REPLAYED),
    Kind(
        "replay-lazy-marker-over-http",
        _cmd(lambda s: _signed(_command(s), headers={"x-slack-bolt-lazy-only": "1"})),
        status=400,
    ),
    # encoding ----------------------------------------------------------------------------------------------------
    Kind("base64-flag-over-plain-body", _cmd(lambda s: _signed(_command(s), isBase64Encoded=True)), status=400),
    Kind("base64-flag-is-a-string", _cmd(lambda s: _signed(_command(s), isBase64Encoded="true")), status=400),
    Kind("base64-body-not-utf8", _cmd(lambda s: _base64_signed(_command(s).encode() + b"&x=\xff\xfe")), status=400),
    Kind("body-lone-surrogate", _cmd(lambda s: _signed(_command(s) + "&x=\udcff")), status=400),
    Kind("percent-encoding-garbage", _cmd(lambda s: _signed(f"%ZZ%%{MARKER}%E0%A4%")), status=400),
    Kind("payload-percent-encoded-non-utf8", _cmd(lambda s: _signed(f"payload=%FF%FE{MARKER}")), status=400),
    Kind("body-not-form-encoded", _cmd(lambda s: _signed(f"scale 4 please {MARKER}")), status=400),
    Kind(
        "json-body-under-form-content-type",
        _cmd(lambda s: _signed(json.dumps(_scale_fields(s)))),
        status=400,
    ),
    Kind(
        "json-body-under-json-content-type",
        _cmd(lambda s: _signed(json.dumps(_scale_fields(s)), headers={"content-type": "application/json"})),
        status=400,
    ),
    Kind("body-empty", _cmd(lambda _s: _signed("")), status=400),
    Kind("body-is-not-text", _cmd(lambda s: _signed(_command(s), body={"text": MARKER})), status=400),
    Kind("payload-not-json", _cmd(lambda s: _signed(urlencode({"payload": "{not json " + MARKER}))), status=400),
    Kind("payload-json-list", _cmd(lambda s: _signed(urlencode({"payload": json.dumps([MARKER])}))), status=400),
    Kind("payload-nested-too-deep", _cmd(lambda s: _signed(urlencode({"payload": "[" * 30_000 + MARKER}))), status=400),
    # size --------------------------------------------------------------------------------------------------------
    Kind("body-over-128-kib", _cmd(lambda s: _signed(_command(s, pad="x" * (128 * 1024)))), status=413),
    Kind(
        "base64-body-over-128-kib",
        _cmd(lambda s: _base64_signed(_command(s, pad="x" * (128 * 1024)).encode())),
        status=413,
    ),
    Kind(
        "body-over-128-kib-unsigned",
        _cmd(lambda s: _signed(_command(s, pad="x" * (200 * 1024)), drop=("x-slack-signature",))),
        status=413,
    ),
    # content type ------------------------------------------------------------------------------------------------
    Kind("content-type-missing", _cmd(lambda s: _signed(_command(s), drop=("content-type",))), status=400),
    Kind(
        "content-type-json-over-form-body",
        _cmd(lambda s: _signed(_command(s), headers={"content-type": "application/json"})),
        status=400,
    ),
    Kind(
        "content-type-multipart",
        _cmd(lambda s: _signed(_command(s), headers={"content-type": "multipart/form-data; boundary=x"})),
        status=400,
    ),
    Kind(
        "content-type-text-plain",
        _cmd(lambda s: _signed(_command(s), headers={"content-type": "text/plain"})),
        status=400,
    ),
    # headers -----------------------------------------------------------------------------------------------------
    Kind("headers-absent", _cmd(lambda s: {k: v for k, v in _signed(_command(s)).items() if k != "headers"})),
    Kind(
        "headers-not-an-object", _cmd(lambda s: _signed(_command(s), headers=None) | {"headers": [MARKER]}), status=400
    ),
    Kind("header-value-not-text", _cmd(lambda s: _signed(_command(s), headers={"x-slack-retry-num": 1})), status=400),
    Kind(
        "header-signature-two-casings-disagree",
        _cmd(lambda s: _signed(_command(s), headers={"X-Slack-Signature": "v0=" + "0" * 64})),
        status=400,
    ),
    Kind(
        "header-timestamp-two-casings-disagree",
        _cmd(lambda s: _signed(_command(s), headers={"X-SLACK-REQUEST-TIMESTAMP": "1"})),
        status=400,
    ),
    Kind(
        "header-signature-only-upper-case-and-wrong",
        _cmd(
            lambda s: _signed(_command(s), drop=("x-slack-signature",), headers={"X-Slack-Signature": "v0=" + "1" * 64})
        ),
    ),
    # HTTP method and path ----------------------------------------------------------------------------------------
    Kind("method-get", _method("GET"), status=405),
    Kind("method-put", _method("PUT"), status=405),
    Kind("method-lower-case-post", _method("post"), status=405),
    Kind("method-get-rest-api-v1-event", _cmd(_v1_get), status=405),
    Kind("request-context-missing", _cmd(lambda s: _signed(_command(s), requestContext=None)), status=400),
    Kind("event-not-an-object", _cmd(lambda s: [_command(s)]), status=400),
    Kind("path-oauth-redirect-signature-in-query", _path("/slack/oauth_redirect", code=MARKER)),
    Kind("path-traversal-signature-in-query", _path("/slack/events/../../admin")),
    # forged buttons (validly signed block_actions) ---------------------------------------------------------------
    Kind(
        "button-team-of-another-workspace",
        _cmd(lambda s: _signed(_click(s, lambda p: p.update(team={"id": OTHER_TEAM})))),
        status=403,
    ),
    Kind("button-team-missing", _cmd(lambda s: _signed(_click(s, lambda p: p.pop("team")))), status=403),
    Kind(
        "button-user-unknown",
        _cmd(lambda s: _signed(_click(s, lambda p: p["user"].update(id=UNKNOWN_USER)))),
        expect="posted_refusal",
        why=_POSTED,
    ),
    Kind(
        "button-user-missing",
        _cmd(lambda s: _signed(_click(s, lambda p: p.pop("user")))),
        status=400,
    ),
    Kind(
        "button-api-app-id-differs",
        _cmd(lambda s: _signed(_click(s, lambda p: p.update(api_app_id="A0OTHERAPP")))),
        status=403,
    ),
    Kind(
        "button-action-id-unknown",
        _cmd(lambda s: _signed(_click(s, action_id=f"{MARKER}_delete_everything"))),
        status=404,
    ),
    Kind(
        "button-value-oversized",
        _cmd(lambda s: _signed(_click(s, value="mycandidate-" + "x" * 20_000 + MARKER))),
        expect="posted_refusal",
        why=_POSTED,
    ),
    Kind(
        "button-value-malformed",
        _cmd(lambda s: _signed(_click(s, value="mycandidate-<!channel>\n*" + MARKER))),
        expect="posted_refusal",
        why=_POSTED,
    ),
    Kind(
        "button-value-not-a-string",
        _cmd(lambda s: _signed(_click(s, lambda p: p["actions"][0].update(value={"alarm": MARKER})))),
        expect="posted_refusal",
        why=_POSTED,
    ),
    Kind(
        "button-view-submission",
        _cmd(lambda s: _signed(_click(s, lambda p: p.update(type="view_submission")))),
        status=404,
    ),
    Kind(
        "button-interactive-message",
        _cmd(lambda s: _signed(_click(s, lambda p: p.update(type="interactive_message", callback_id=MARKER)))),
        status=404,
    ),
    Kind("button-actions-missing", _cmd(lambda s: _signed(_click(s, lambda p: p.pop("actions")))), status=404),
    Kind(
        "button-actions-empty",
        _cmd(lambda s: _signed(_click(s, lambda p: p.update(actions=[])))),
        status=400,
    ),
    # slash commands ----------------------------------------------------------------------------------------------
    Kind("command-team-of-another-workspace", _cmd(lambda s: _signed(_command(s, team_id=OTHER_TEAM))), status=403),
    Kind(
        "command-other-command-name",
        _cmd(lambda s: _signed(_command(s, command=f"/{MARKER}"))),
        status=404,
    ),
    Kind(
        "command-text-oversized",
        _cmd(lambda s: _signed(_command(s, text="scale 4 " + "x" * 60_000 + MARKER))),
        expect="ack_refusal",
        why=_ACKED,
    ),
    Kind(
        "command-user-unknown",
        _cmd(lambda s: _signed(_command(s, user_id=UNKNOWN_USER))),
        expect="posted_refusal",
        why=_POSTED,
    ),
    Kind(
        "command-channel-not-allowed",
        _cmd(lambda s: _signed(_command(s, channel_id="C0ELSEWHERE"))),
        expect="posted_refusal",
        why=_POSTED,
    ),
]

FORGED = {kind.name: kind for kind in FORGED_KINDS}
assert len(FORGED) == len(FORGED_KINDS), "kind names must be unique"


# running a kind ----------------------------------------------------------------------------------------------------
@dataclass
class _Captured:
    records: list[logging.LogRecord] = field(default_factory=list)
    stdout: io.StringIO = field(default_factory=io.StringIO)
    stderr: io.StringIO = field(default_factory=io.StringIO)

    def text(self) -> str:
        formatter = logging.Formatter()
        lines = []
        for record in self.records:
            lines.append(record.getMessage() + repr(vars(record)))
            if record.exc_info:
                lines.append(formatter.formatException(record.exc_info))
        return "\n".join([*lines, self.stdout.getvalue(), self.stderr.getvalue()])


class _Keep(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        self._into.append(record)


@contextlib.contextmanager
def _capture() -> Iterator[_Captured]:
    """Every log record reaching the root logger and whatever is printed. The bot's own logger at DEBUG (the most
    a stage may set, ``LogLevel`` in template.yaml); third-party loggers at INFO, as in Lambda, where botocore's
    DEBUG dumps of every AWS request are never switched on."""
    captured = _Captured()
    root = logging.getLogger()
    ours = logging.getLogger(logger.name)
    handler = _Keep(captured.records)
    levels = root.level, ours.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    ours.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(captured.stdout), contextlib.redirect_stderr(captured.stderr):
            yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])


def _state(stack: LocalStack) -> dict[str, Any]:
    """Everything the bot could change."""
    operations = stack.client("dynamodb").scan(TableName=stack.settings.operations_table)["Items"]
    audit = stack.client("dynamodb").scan(TableName=stack.settings.audit_table)["Items"]
    return {
        "capacity": stack.capacity(),
        "scheduled actions": sorted(json.dumps(a, default=str, sort_keys=True) for a in stack.scheduled_actions()),
        "operations table": sorted(json.dumps(i, sort_keys=True) for i in operations),
        "audit trail": sorted(json.dumps(i, sort_keys=True) for i in audit),
        "slack api calls": len(stack.recorder.api_calls()),
        "response_url posts": len(stack.recorder.response_url_posts()),
        "lambda invocations": len(stack.recorder.lambda_invocations()),
    }


def _changed(before: dict[str, Any], after: dict[str, Any], allowed: set[str]) -> list[str]:
    return [f"side effect: {key} changed" for key in before if key not in allowed and before[key] != after[key]]


def check_kind(stack: LocalStack, kind: Kind) -> list[str]:
    """Send one kind through the real handler; the properties it broke (empty: none)."""
    forgery = kind.build(stack)
    bot = stack.bot()
    for original in forgery.before:  # a replay's original: acknowledged and run, its effects are allowed
        bot.send(original)
    before = _state(stack)
    posts_before = len(stack.recorder.response_url_posts())
    broken: list[str] = []
    with _capture() as captured:
        try:
            response = bot.send(forgery.event, run_lazy=False)
        except Exception as exc:  # a Lambda error: API Gateway answers 500
            response = {"statusCode": 500, "body": f"{type(exc).__name__} raised out of the handler"}
        self_invocations = len(bot.lambda_client.payloads)
        with contextlib.suppress(Exception):  # run whatever was started, to see its effects
            bot.run_lazy()
            stack.settle()
    after = _state(stack)
    status = response.get("statusCode") if isinstance(response, dict) else None
    if kind.expect == "refused":
        if status != kind.status:
            broken.append(f"answered {status}, expected {kind.status}")
        if self_invocations:
            broken.append("side effect: a lazy self-invocation was started")
        broken += _changed(before, after, set())
    elif kind.expect == "replay":
        if status != 200:
            broken.append(f"answered {status}, expected the 200 Slack needs to stop retrying")
        broken += _changed(before, after, set())
    else:
        broken += _refusal(
            kind, response, self_invocations, before, after, stack.recorder.response_url_posts()[posts_before:]
        )
    logged = captured.text()
    for secret in (MARKER, *_SECRETS):
        if secret in logged:
            broken.append(f"{'the request body' if secret == MARKER else 'a secret'} reached the log or stdout/stderr")
    return broken


def _refusal(
    kind: Kind,
    response: dict[str, Any],
    self_invocations: int,
    before: dict[str, Any],
    after: dict[str, Any],
    posts: list[Any],
) -> list[str]:
    """The 200 contract for an authenticated request the bot refuses: one ephemeral refusal, audited as refused."""
    broken: list[str] = []
    if response.get("statusCode") != 200:
        broken.append(f"answered {response.get('statusCode')}, expected 200 with an ephemeral refusal")
    if self_invocations != 1:
        broken.append(f"{self_invocations} self-invocations, expected the one that audits the refusal")
    new_audit = [json.loads(i) for i in after["audit trail"] if i not in before["audit trail"]]
    outcomes = [i for i in new_audit if not i["sk"]["S"].endswith("#pending")]
    if not outcomes or any(i.get("result", {}).get("S") != "refused" for i in outcomes):
        broken.append("the refusal is not audited as refused")
    broken += _changed(before, after, {"audit trail", "response_url posts"})
    if kind.expect == "ack_refusal":
        ack = json.loads(response.get("body") or "{}")
        if ack.get("response_type") != "ephemeral" or ":warning:" not in ack.get("text", ""):
            broken.append("the ack is not an ephemeral usage error")
        if posts:
            broken.append("something was posted to response_url")
    else:
        ack = json.loads(response.get("body") or "{}")  # a click's ack is empty, a command's says "working on"
        if ack and (ack.get("response_type") != "ephemeral" or ":hourglass" not in ack.get("text", "")):
            broken.append("the ack is neither empty nor an ephemeral 'working on'")
        if len(posts) != 1:
            broken.append(f"{len(posts)} response_url posts, expected one refusal")
        elif posts[0].body.get("response_type") != "ephemeral" or posts[0].body.get("replace_original"):
            broken.append("the refusal is not an ephemeral reply")
    return broken


def run_corpus(stack: LocalStack) -> tuple[int, int]:
    """Send every kind; ``(sent, accepted)``, a kind counting as accepted when it broke any property."""
    accepted = sum(1 for kind in FORGED_KINDS if check_kind(stack, kind))
    return len(FORGED_KINDS), accepted
