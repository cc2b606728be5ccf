"""What ECS says about a `deploy` that was cut short (``opsbot.operations.sweeper``): a service deployment created
during the operation's run is the one it started (the change lock kept any other out); none means ``UpdateService``
never happened, and the service runs what it ran."""

from __future__ import annotations

from datetime import datetime, timedelta

from opsbot.config import MAX_LAMBDA_RUN
from opsbot.cutover.ports import DeploymentsPort
from opsbot.ports import AuditEntry

_CLOCK_SKEW = timedelta(minutes=2)


def deploy_evidence(deployments: DeploymentsPort, entry: AuditEntry) -> tuple[str, str]:
    """``(result, summary)`` for the outcome record."""
    latest = deployments.latest()
    created = latest.get("createdAt") if latest else None
    if isinstance(created, datetime) and entry.at - _CLOCK_SKEW <= created <= entry.at + MAX_LAMBDA_RUN:
        arn = str(latest.get("serviceDeploymentArn", "")) if latest else ""
        status = str(latest.get("status", "")) if latest else ""
        return "ok", f"the deployment {arn.rsplit('/', 1)[-1]} was started ({status}); see `status`"
    running = str(deployments.service().get("taskDefinition", "")).rsplit("/", 1)[-1]
    return "failed", (
        f"cut short before the deployment started; the service still runs {running}"
        " (a new task definition revision may have been registered, unused) — deploy again"
    )
