"""The Slack function's one call: build the Bolt Lambda handler once per cold start, then dispatch."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache, partial
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_bolt.adapter.aws_lambda.lazy_listener_runner import LambdaLazyListenerRunner

from opsbot import dependencies
from opsbot.config import Settings
from opsbot.idempotency import Once, current_lambda_context, exactly_once
from opsbot.slack.app import build_app
from opsbot.slack.credentials import load_credentials


@lru_cache(maxsize=1)
def lambda_handler() -> SlackRequestHandler:
    settings = dependencies.settings()
    app = build_app(
        settings,
        load_credentials(settings),
        ports=cache(partial(dependencies.build_ports, settings)),  # built on the first lazy run, then reused
        once=_lazy_once(settings),
    )
    handler = SlackRequestHandler(app)
    app.listener_runner.lazy_listener_runner = _RegionalLazyRunner(settings.region, handler.logger)
    return handler


def _lazy_once(settings: Settings) -> Callable[[str, Callable[[], None]], object]:
    # Built on first use: the ack path of a cold start must not pay for DynamoDB clients.
    holder: list[Once] = []

    def once(key: str, work: Callable[[], None]) -> None:
        if not holder:
            holder.append(exactly_once(settings))
        holder[0](key, work)

    return once


class _RegionalLazyRunner(LambdaLazyListenerRunner):
    """Bolt's self-invocation, with the Lambda client pinned to the configured region."""

    def __init__(self, region: str, logger: Any) -> None:
        super().__init__(logger)
        self._region = region

    def start(self, function: Any, request: Any) -> None:
        if self.lambda_client is None:
            from opsbot.aws.clients import client

            self.lambda_client = client("lambda", self._region)
        super().start(function, request)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = current_lambda_context.set(context)
    try:
        result: dict[str, Any] = lambda_handler().handle(event, context)  # type: ignore[no-untyped-call]
    finally:
        current_lambda_context.reset(token)
    return result
