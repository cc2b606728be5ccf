"""The Slack function's one call: build the Bolt Lambda handler once per cold start, then dispatch."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_bolt.adapter.aws_lambda.lazy_listener_runner import LambdaLazyListenerRunner

from opsbot import dependencies
from opsbot.config import Settings
from opsbot.slack.app import build_app
from opsbot.slack.credentials import load_credentials

# The Lambda context of the invocation being handled, so idempotency records expire with the invocation.
current_lambda_context: ContextVar[Any] = ContextVar("current_lambda_context", default=None)


def exactly_once(settings: Settings) -> Callable[[str, Callable[[], None]], None]:
    """Run ``work`` at most once per key, using the Powertools idempotency table."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    from opsbot.aws.clients import client
    from opsbot.observability import logger

    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=client("dynamodb", settings.region)
    )
    config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)

    def once(key: str, work: Callable[[], None]) -> None:
        if current_lambda_context.get() is not None:
            config.register_lambda_context(current_lambda_context.get())

        @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
        def run_once(request: dict[str, str]) -> dict[str, str]:
            work()
            return {"done": request["key"]}

        try:
            run_once(request={"key": key})
        except IdempotencyAlreadyInProgressError:
            logger.info("duplicate delivery while the first is still running; skipped", extra={"key": key})

    return once


@lru_cache(maxsize=1)
def lambda_handler() -> SlackRequestHandler:
    settings = dependencies.settings()
    app = build_app(
        settings,
        load_credentials(settings),
        ports=lambda: dependencies.build_ports(settings),
        once=_lazy_once(settings),
    )
    handler = SlackRequestHandler(app)
    app.listener_runner.lazy_listener_runner = _RegionalLazyRunner(settings.region, handler.logger)
    return handler


def _lazy_once(settings: Settings) -> Callable[[str, Callable[[], None]], None]:
    # Built on first use: the ack path of a cold start must not pay for DynamoDB clients.
    holder: list[Callable[[str, Callable[[], None]], None]] = []

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
