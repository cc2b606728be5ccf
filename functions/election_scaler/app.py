"""The election calendar -> capacity intents, scale-in suspension and wake-ups, and the team's posts; hourly and at
the boundaries it schedules for itself."""

from __future__ import annotations

from typing import Any

from opsbot.elections.entry import handle
from opsbot.observability import logger, metrics


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
