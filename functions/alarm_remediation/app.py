"""CloudWatch alarm state changes (EventBridge, SNS, Lambda alarm action) -> runbook -> remediation, once."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.entry import handle
from opsbot.observability import logger, metrics


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
