"""The AWS_LAMBDA lifecycle hook of the web service's ECS deployments: smoke tests and analysis of the green
revision on the test listener."""

from __future__ import annotations

from typing import Any

from opsbot.cutover.entry import handle
from opsbot.observability import logger, metrics


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
