"""The bot's Lambda adapter for Bolt does what Bolt's own (``slack_bolt.adapter.aws_lambda``) does for the requests
the bot serves — same Bolt request, same proxy response, same lazy self-invocation event — without importing boto3."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.aws_lambda.handler import SlackRequestHandler, to_aws_response
from slack_bolt.adapter.aws_lambda.handler import to_bolt_request as bolt_to_bolt_request
from slack_bolt.adapter.aws_lambda.lazy_listener_runner import LambdaLazyListenerRunner
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from devtools.lambda_context import CapturingLambdaClient, FakeLambdaContext
from devtools.slack_requests import api_gateway_event, slash_command_body
from opsbot.slack.lambda_adapter import LambdaRequestHandler, SelfInvokingLazyRunner, to_bolt_request, to_proxy_response

SECRET = "adapter-signing-secret"


def _events() -> list[dict[str, Any]]:
    body = slash_command_body("status", user_id="U0VIEWER", channel_id="C0OPS", response_url="http://127.0.0.1:9/r")
    http_api = api_gateway_event(body, SECRET)
    encoded = copy.deepcopy(http_api)
    encoded.update(body=base64.b64encode(body.encode()).decode(), isBase64Encoded=True)
    rest_v1 = {
        "httpMethod": "POST",
        "requestContext": {"httpMethod": "POST"},
        "headers": dict(http_api["headers"]),
        "multiValueHeaders": {"Cookie": ["a=1"]},
        "queryStringParameters": {"x": "1"},
        "body": body,
        "isBase64Encoded": False,
    }
    return [http_api, encoded, rest_v1]


@pytest.mark.parametrize("event", _events(), ids=["http-api", "base64-body", "rest-v1-cookies"])
def test_an_event_becomes_the_bolt_request_bolts_adapter_makes(event: dict[str, Any]) -> None:
    ours, bolts = to_bolt_request(copy.deepcopy(event)), bolt_to_bolt_request(copy.deepcopy(event))
    assert ours.raw_body == bolts.raw_body
    assert ours.headers == bolts.headers
    assert ours.query == bolts.query
    assert ours.body == bolts.body


def test_a_bolt_response_becomes_the_proxy_response_bolts_adapter_makes() -> None:
    response = BoltResponse(status=200, body='{"text": "ok"}', headers={"content-type": "application/json"})
    assert to_proxy_response(response) == to_aws_response(response)


def _app() -> App:
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:  # no auth.test to Slack
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-adapter")

    app = App(
        name="adapter-test",
        signing_secret=SECRET,
        client=WebClient(base_url="http://127.0.0.1:9/"),
        authorize=authorize,
        process_before_response=True,
    )

    def ack_command(ack: Any) -> None:
        ack("working on it")

    def later() -> None:
        return None

    app.command("/mycandidate")(ack=ack_command, lazy=[later])
    return app


def test_the_lazy_self_invocation_is_the_event_bolts_runner_sends() -> None:
    # Given the same app behind Bolt's adapter and behind ours, each with a capturing Lambda client
    event = _events()[0]
    bolts, ours = CapturingLambdaClient(), CapturingLambdaClient()
    app_for_bolt, app_for_us = _app(), _app()
    bolt_handler = SlackRequestHandler(app_for_bolt)
    app_for_bolt.listener_runner.lazy_listener_runner = LambdaLazyListenerRunner(bolt_handler.logger, bolts)
    our_handler = LambdaRequestHandler(app_for_us, SelfInvokingLazyRunner(app_for_us.logger, lambda: ours))
    # When each acknowledges the command
    bolt_answer = bolt_handler.handle(copy.deepcopy(event), FakeLambdaContext())
    our_answer = our_handler.handle(copy.deepcopy(event), FakeLambdaContext())
    # Then Slack gets the same answer, and the self-invocation carries the same event
    assert our_answer == bolt_answer
    assert ours.payloads == bolts.payloads
    (payload,) = ours.payloads
    assert payload["headers"]["x-slack-bolt-lazy-only"] == "1"
    assert payload["headers"]["x-slack-bolt-lazy-function-name"] == "later"
    # And delivered back to our adapter, it runs the lazy function (answered 200, nothing sent again)
    assert our_handler.handle(json.loads(json.dumps(payload)), FakeLambdaContext())["statusCode"] == 200
    assert len(ours.payloads) == 1


def test_methods_other_than_post_are_not_found() -> None:
    handler = LambdaRequestHandler(_app(), SelfInvokingLazyRunner(None, lambda: pytest.fail("no invocation")))
    answer = handler.handle({"requestContext": {"http": {"method": "GET"}}}, FakeLambdaContext())
    assert answer["statusCode"] == 404
