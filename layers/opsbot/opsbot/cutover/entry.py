"""The cutover hook function's one call: ECS invokes it as an ``AWS_LAMBDA`` lifecycle hook of the web service's
deployments (``events/cutover_hook_*.json``) and gets back ``hookStatus`` (with ``callBackDelay`` and
``hookDetails`` while ``IN_PROGRESS``). Whatever goes wrong is answered ``FAILED`` with the reason, logged.
Without a test listener configured the smoke tests cannot run, and the hook says so by failing. Every final answer
(``SUCCEEDED`` / ``FAILED``) is written to the audit trail with its reason and every measured value — the
deployment's Slack thread explains a rollback from there; an audit write that fails is logged, and the answer
stands (ECS must not roll back a good revision because DynamoDB was slow)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from opsbot import dependencies
from opsbot.commands.base import new_audit_key
from opsbot.cutover import hook, listener
from opsbot.cutover.settings import HookSettings
from opsbot.errors import OpsbotError
from opsbot.observability import logger
from opsbot.ports import AuditEntry

AUDIT_VERB = "cutover-hook"  # what the deployment's thread looks for to explain a hook's verdict


@lru_cache(maxsize=1)
def _audit() -> Any:
    from opsbot.aws.audit import AuditStore
    from opsbot.aws.clients import lazy_client

    settings = dependencies.settings()
    return AuditStore(lazy_client("dynamodb", settings.region), settings.audit_table)


def record(event: object, decision: hook.Decision, now: datetime) -> None:
    """The hook's final verdict in the audit trail: the deployment, the stage, the status and the reason."""
    payload = event if isinstance(event, dict) else {}
    deployment = str(payload.get("resourceArn", ""))[:300]
    stage = str(payload.get("lifecycleStage", ""))[:40]
    entry = AuditEntry(
        key=new_audit_key(now, uuid.uuid4().hex[:8]), at=now, actor="ecs", channel="", verb=AUDIT_VERB, arguments=stage,
        decision="allowed", result="ok" if decision.status == "SUCCEEDED" else "failed",
        after={"deployment": deployment, "stage": stage, "status": decision.status, "reason": decision.reason[:1500]},
        error="" if decision.status == "SUCCEEDED" else decision.reason[:500],
    )  # fmt: skip
    try:
        _audit().record(entry)
    except Exception as exc:  # the verdict stands without its record; the log keeps it
        logger.error("cutover hook verdict not audited", extra={"error": str(exc)[:300], "reason": decision.reason})


@lru_cache(maxsize=1)
def _runtime() -> tuple[hook.HookConfig, hook.HookPorts]:
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.green_metrics import GreenMetrics

    settings = dependencies.settings()
    own = HookSettings.from_env(os.environ)
    config = hook.HookConfig(
        settings.cluster, settings.service, own.test_url, own.wards, own.smoke_timeout_s, own.analysis,
        migration=settings.migration_command, snapshot_max_age=settings.deploy_snapshot_max_age,
    )  # fmt: skip
    if own.target_group:  # configured: that target group, whichever role it has now
        fixed = (own.load_balancer, own.target_group)
        green: Callable[[], tuple[str, str]] = lambda: fixed  # noqa: E731 - the port's shape
    else:  # asked of the test listener rule at each measurement (ECS swaps the target groups' roles)
        from opsbot.aws.green_target import GreenTarget

        green = GreenTarget(
            lazy_client("ecs", settings.region), lazy_client("elbv2", settings.region), settings.cluster,
            settings.service,
        ).dimensions  # fmt: skip
    metrics = GreenMetrics(
        lazy_client("cloudwatch", settings.region), green=green, interval_s=own.analysis.interval_s,
        clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    tasks = None
    if settings.migration_command:
        from opsbot.aws.migration_task import MigrationTasks

        tasks = MigrationTasks(
            lazy_client("ecs", settings.region), lazy_client("rds", settings.region), settings.cluster,
            settings.service, settings.web_container, settings.db_instance,
        )  # fmt: skip
    return config, hook.HookPorts(listener.get, metrics.sample, tasks)


def handle(event: object, context: Any, clock: Callable[[], datetime] | None = None) -> dict[str, Any]:  # noqa: ARG001
    """``clock``: when the verdict is recorded (the offline stack passes its replica clock; else the real one)."""
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
    if decision.final:
        record(event, decision, clock() if clock is not None else datetime.now(UTC))
    return decision.response
