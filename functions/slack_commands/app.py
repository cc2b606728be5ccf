"""Slack slash commands and button actions: API Gateway -> Bolt (ack < 3 s) -> lazy self-invocation."""

from __future__ import annotations

from typing import Any

from opsbot.observability import logger
from opsbot.slack.entry import handle


@logger.inject_lambda_context(log_event=False)  # Slack payloads stay out of the logs
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
