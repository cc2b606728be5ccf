"""The cutover hook function's one call: ECS invokes it as an ``AWS_LAMBDA`` lifecycle hook of the web service's
deployments (``events/cutover_hook_*.json``) and gets back ``hookStatus`` (with ``callBackDelay`` and
``hookDetails`` while ``IN_PROGRESS``). Whatever goes wrong is answered ``FAILED`` with the reason, logged.
Without a test listener configured the smoke tests cannot run, and the hook says so by failing."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from opsbot import dependencies
from opsbot.cutover import hook, listener
from opsbot.cutover.settings import HookSettings
from opsbot.errors import OpsbotError
from opsbot.observability import logger


@lru_cache(maxsize=1)
def _runtime() -> tuple[hook.HookConfig, hook.HookPorts]:
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.green_metrics import GreenMetrics

    settings = dependencies.settings()
    own = HookSettings.from_env(os.environ)
    config = hook.HookConfig(
        settings.cluster, settings.service, own.test_url, own.wards, own.smoke_timeout_s, own.analysis
    )
    metrics = GreenMetrics(
        lazy_client("cloudwatch", settings.region), load_balancer=own.load_balancer, target_group=own.target_group,
        interval_s=own.analysis.interval_s, clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    return config, hook.HookPorts(listener.get, metrics.sample)


def handle(event: object, context: Any) -> dict[str, Any]:  # noqa: ARG001 - the Lambda signature
    try:
        config, ports = _runtime()
    except OpsbotError as exc:
        logger.error("cutover hook not configured", extra={"error": str(exc)})
        return {"hookStatus": "FAILED"}
    if not config.test_url:
        logger.error("cutover hook: OPSBOT_TEST_LISTENER_URL is not set; failing rather than passing untested")
        return {"hookStatus": "FAILED"}
    decision = hook.decide(event, config, ports)
    stage = event.get("lifecycleStage") if isinstance(event, dict) else None
    logger.info("cutover hook", extra={"stage": str(stage)[:40], "status": decision.status, "reason": decision.reason})
    return decision.response
