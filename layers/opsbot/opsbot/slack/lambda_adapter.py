"""Bolt on Lambda without importing boto3 to acknowledge a command.

Bolt's own adapter (``slack_bolt.adapter.aws_lambda``) imports boto3 at module level, for the Lambda client its
lazy listener runner builds by default. Importing boto3 costs a cold start ~40 ms of CPU on a full core (~70 ms at
1,024 MB) on top of the botocore pieces the self-invocation really uses (``opsbot.aws.lambda_invoke`` signs and
sends it without a client), before Slack gets its answer. This module is the part of that adapter the bot uses,
with Bolt's mapping of requests and responses and Bolt's lazy-event format, so Bolt's lazy listeners run as
documented:

* ``POST``: the API Gateway event becomes a ``BoltRequest`` carrying the function name, its invoked ARN and the
  event itself in the context; Bolt's response becomes the proxy response. The lazy self-invocation is the same
  event (still ``POST`` in its request context) with the ``x-slack-bolt-lazy-only`` and
  ``x-slack-bolt-lazy-function-name`` headers, which Bolt reads to run just that lazy function;
* anything else: 404. No OAuth flow: one workspace, one bot token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener import LazyListenerRunner

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError


class HandOffFailed(Exception):
    """The command was acknowledged but its lazy run could not be started (Lambda refused the self-invocation)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LambdaRequestHandler:
    """``handle(event, context)`` for an API Gateway (HTTP API or REST) proxy event, as Bolt's handler does it."""

    def __init__(self, app: App, lazy_runner: LazyListenerRunner) -> None:
        self.app = app
        app.listener_runner.lazy_listener_runner = lazy_runner

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_context = event.get("requestContext") or {}
        method = (request_context.get("http") or {}).get("method") or request_context.get("httpMethod")
        if method == "POST":
            request = to_bolt_request(event)
            request.context["aws_lambda_function_name"] = context.function_name
            request.context["aws_lambda_invoked_function_arn"] = context.invoked_function_arn
            request.context["lambda_request"] = event
            return to_proxy_response(self.app.dispatch(request))
        return {"statusCode": 404, "body": "Not Found", "headers": {}}


class SelfInvokingLazyRunner(LazyListenerRunner):
    """Starts a lazy listener by invoking this function again, asynchronously, with the request marked lazy-only.

    ``invoker`` gives the object whose ``invoke(FunctionName=…, InvocationType="Event", Payload=…)`` sends it (built
    on the first lazy start, so a cold ``help`` builds none). A refusal raises ``HandOffFailed`` with Lambda's
    error code, which the app's error handler tells the user."""

    def __init__(self, logger: Logger | Any, invoker: Callable[[], Any]) -> None:  # Any: Powertools' Logger too
        self.logger = logger
        self._invoker = invoker
        self.lambda_client: Any = None

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:  # noqa: ARG002 - Bolt's signature; the function is named in the request
        if self.lambda_client is None:
            self.lambda_client = self._invoker()
        event: dict[str, Any] = request.context["lambda_request"]
        headers = event["headers"]
        headers["x-slack-bolt-lazy-only"] = "1"
        headers["x-slack-bolt-lazy-function-name"] = request.lazy_function_name
        event["method"] = "NONE"  # as Bolt's runner sends it (nothing reads it; kept for the same lazy event)
        try:
            # aws_call: the SDK client's failures (where it is used) as the signed request's, one error code each
            with aws_call("Invoke (self-invocation)"):
                self.lambda_client.invoke(
                    FunctionName=request.context["aws_lambda_invoked_function_arn"],
                    InvocationType="Event",
                    Payload=json.dumps(event),
                )
        except AwsOperationError as exc:
            raise HandOffFailed(exc.code) from exc


def to_bolt_request(event: dict[str, Any]) -> BoltRequest:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    cookies = event.get("cookies") or []
    if not cookies:  # payload format 1.0
        multi = event.get("multiValueHeaders") or {}
        cookies = multi.get("cookie") or multi.get("Cookie") or []
    headers = event.get("headers") or {}
    headers["cookie"] = cookies
    return BoltRequest(body=body, query=event.get("queryStringParameters") or {}, headers=headers)


def to_proxy_response(response: BoltResponse) -> dict[str, Any]:
    return {"statusCode": response.status, "body": response.body, "headers": response.first_headers()}
