"""The lazy self-invocation without an SDK client: the same signed request botocore's Lambda client sends, and the
SDK's retry rules (throttling, 5xx and connection errors; three attempts)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials
from botocore.exceptions import EndpointConnectionError

from devtools.lambda_context import FakeLambdaContext
from devtools.slack_requests import api_gateway_event, slash_command_body
from opsbot.aws.lambda_invoke import EventInvoker, LambdaInvokeError, environment_credentials
from opsbot.config import Settings
from opsbot.slack.credentials import SlackCredentials
from opsbot.slack.entry import build_endpoint

REGION = "af-south-1"
FUNCTION = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-slack-commands"
PAYLOAD = json.dumps({"headers": {"x-slack-bolt-lazy-only": "1"}, "body": "text=status&user_id=U0VIEWER"})
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
NOW = dt.datetime(2026, 12, 2, 14, 30, 0, tzinfo=dt.UTC)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def _response(url: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> AWSResponse:
    return AWSResponse(url, status, headers or {}, _Raw(body))


class FakeHttp:
    """Answers each send with the next of ``answers`` (a status, or an exception to raise); records requests."""

    def __init__(self, *answers: int | tuple[int, bytes, dict[str, str]] | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[Any] = []

    def send(self, request: Any) -> AWSResponse:
        self.sent.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, tuple):
            return _response(request.url, *answer)
        return _response(request.url, answer)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def now(remove_tzinfo: bool = True) -> dt.datetime:
        return NOW.replace(tzinfo=None) if remove_tzinfo else NOW

    monkeypatch.setattr("botocore.auth.get_current_datetime", now)
    if importlib.util.find_spec("awscrt") is not None:  # the SDK signs with the CRT where it is installed
        monkeypatch.setattr("botocore.crt.auth.get_current_datetime", now)


def _sdk_request() -> Any:
    """What boto3's Lambda client sends for the same call (captured before it leaves)."""
    session = boto3.session.Session(
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
        aws_session_token=CREDENTIALS.token,
        region_name=REGION,
    )
    client = session.client("lambda")
    captured: list[Any] = []

    def capture(request: Any, **_kwargs: Any) -> AWSResponse:
        captured.append(request)
        return _response(request.url, 202)

    client.meta.events.register("before-send.lambda.Invoke", capture)
    client.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD)
    return captured[0]


def test_the_request_is_the_one_the_sdk_client_signs(frozen_clock: None) -> None:
    # Given the SDK client's request for an asynchronous self-invocation, at the same instant
    expected = _sdk_request()
    http = FakeHttp(202)
    # When the invoker sends it
    answer = EventInvoker(REGION, CREDENTIALS, http=http).invoke(
        FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD
    )
    # Then Lambda gets the same URL, body, invocation type, token and signature
    (sent,) = http.sent
    assert answer["StatusCode"] == 202
    assert (sent.method, sent.url, sent.body) == (expected.method, expected.url, expected.body)
    for header in ("X-Amz-Invocation-Type", "X-Amz-Security-Token", "X-Amz-Date", "Authorization"):
        assert _text(sent.headers[header]) == _text(expected.headers[header]), header
    assert "/af-south-1/lambda/aws4_request" in _text(sent.headers["Authorization"])


def test_an_emulator_endpoint_replaces_the_regional_one() -> None:
    http = FakeHttp(202)
    EventInvoker(REGION, CREDENTIALS, endpoint_url="http://127.0.0.1:4010/", http=http).invoke(
        FunctionName="fn", InvocationType="Event", Payload="{}"
    )
    assert http.sent[0].url == "http://127.0.0.1:4010/2015-03-31/functions/fn/invocations"


@pytest.mark.parametrize(
    "first",
    [429, 500, 503, EndpointConnectionError(endpoint_url="https://lambda.af-south-1.amazonaws.com")],
    ids=["throttled", "500", "503", "connection"],
)
def test_throttling_server_errors_and_lost_connections_are_retried(first: int | Exception) -> None:
    http = FakeHttp(first, 202)
    waits: list[float] = []
    answer = EventInvoker(REGION, CREDENTIALS, http=http, sleep=waits.append).invoke(
        FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD
    )
    assert answer == {"StatusCode": 202, "ResponseMetadata": {"RetryAttempts": 1}}
    assert len(http.sent) == 2
    assert len(waits) == 1
    assert 0 <= waits[0] <= 0.1


def test_retries_stop_after_three_attempts_with_lambdas_error_code() -> None:
    throttled = (429, b'{"Type":"User","message":"Rate exceeded"}', {"x-amzn-ErrorType": "TooManyRequestsException"})
    http = FakeHttp(throttled, throttled, throttled)
    with pytest.raises(LambdaInvokeError) as raised:
        EventInvoker(REGION, CREDENTIALS, http=http, sleep=lambda _s: None).invoke(
            FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD
        )
    assert len(http.sent) == 3
    assert (raised.value.code, raised.value.status) == ("TooManyRequestsException", 429)
    assert "Rate exceeded" not in str(raised.value)  # AWS's message is not repeated


def test_a_refusal_is_not_retried_and_its_code_is_kept_short_and_plain() -> None:
    refused = (403, json.dumps({"__type": "com.amazon#AccessDeniedException <script>" + "x" * 300}).encode(), {})
    http = FakeHttp(refused)
    with pytest.raises(LambdaInvokeError) as raised:
        EventInvoker(REGION, CREDENTIALS, http=http, sleep=lambda _s: None).invoke(
            FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD
        )
    assert len(http.sent) == 1
    assert raised.value.code.startswith("AccessDeniedExceptionscriptx")
    assert len(raised.value.code) <= 64
    assert "<" not in raised.value.code


def test_a_lost_connection_on_every_attempt_is_reported() -> None:
    lost = EndpointConnectionError(endpoint_url="https://lambda.af-south-1.amazonaws.com")
    http = FakeHttp(lost, lost, lost)
    with pytest.raises(LambdaInvokeError) as raised:
        EventInvoker(REGION, CREDENTIALS, http=http, sleep=lambda _s: None).invoke(
            FunctionName=FUNCTION, InvocationType="Event", Payload=PAYLOAD
        )
    assert (raised.value.code, raised.value.status) == ("EndpointConnectionError", None)


def test_only_asynchronous_invocations_are_sent_this_way() -> None:
    with pytest.raises(ValueError, match="RequestResponse"):
        EventInvoker(REGION, CREDENTIALS, http=FakeHttp()).invoke(
            FunctionName=FUNCTION, InvocationType="RequestResponse", Payload=PAYLOAD
        )


def test_credentials_come_from_the_environment_lambda_sets_or_not_at_all() -> None:
    found = environment_credentials(
        {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"}
    )
    assert found is not None
    assert (found.access_key, found.secret_key, found.token) == ("AKID", "S", "T")
    assert environment_credentials({"AWS_ACCESS_KEY_ID": "AKID"}) is None
    assert environment_credentials({}) is None


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _RefusingInvoker:
    def invoke(self, **_kwargs: Any) -> dict[str, Any]:
        raise LambdaInvokeError("TooManyRequestsException", 429)


def test_when_lambda_refuses_the_hand_off_the_user_is_told_nothing_ran() -> None:
    # Given the function's endpoint whose self-invocation Lambda refuses (after the retries)
    built = build_endpoint(
        Settings(),
        SlackCredentials(signing_secret="hand-off-secret", bot_token="xoxb-hand-off"),
        ports=lambda: pytest.fail("the ack path must not build the ports"),
        once=lambda _key, _work: pytest.fail("nothing may run"),
    )
    built.handler.app.listener_runner.lazy_listener_runner.lambda_client = _RefusingInvoker()
    body = slash_command_body("scale 4", user_id="U0OPERATOR", channel_id="C0OPS", response_url="http://127.0.0.1:9/r")
    # When a command is sent
    response = built(api_gateway_event(body, "hand-off-secret"), FakeLambdaContext())
    # Then Slack shows the user, in place of "working on it", that the command did not start and why
    assert response["statusCode"] == 200
    answer = json.loads(response["body"])
    assert answer["response_type"] == "ephemeral"
    assert "could not be started" in answer["text"]
    assert "`TooManyRequestsException`" in answer["text"]
    assert "Nothing was run or changed" in answer["text"]
