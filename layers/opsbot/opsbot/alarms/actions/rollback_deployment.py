"""``rollback_deployment``: stop the deployment in progress with a rollback
(``ecs:StopServiceDeployment`` with ``stopType=ROLLBACK``). Falls through to the next runbook when nothing is
being deployed."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, FallThrough, RunbookAction


def _prepare(ctx: ActionContext) -> str:
    deployment = ctx.ports.deployments.in_progress_deployment()
    if deployment is None:
        raise FallThrough
    return deployment


def _act(ctx: ActionContext, deployment: Any) -> ActionResult:
    ctx.ports.deployments.stop_deployment(str(deployment))
    return ActionResult(
        acted=True,
        reason="rolling back the deployment in progress",
        before={"deployment": deployment},
        after={"deployment": deployment, "stop": "ROLLBACK"},
    )


ACTION = RunbookAction(
    name="rollback_deployment",
    params={},
    changes_aws=True,
    describe=lambda _params: "roll back the deployment in progress",
    act=_act,
    prepare=_prepare,
    undo="deploy the same image again",
)
