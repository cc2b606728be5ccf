"""RDS snapshots: the nightly run, a snapshot for the election reconciler, following a snapshot in Slack, and
RDS's snapshot events."""

from __future__ import annotations

from typing import Any

from opsbot.observability import logger, metrics
from opsbot.snapshots.entry import handle


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)
