"""``rollback_deployment``: stop the deployment in progress with a rollback
(``ecs:StopServiceDeployment`` with ``stopType=ROLLBACK``). Falls through to the next runbook when nothing is
being deployed, or what is being deployed began after the alarm fired."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, FallThrough, RunbookAction


def _prepare(ctx: ActionContext) -> str:
    # Only a deployment that began before the alarm fired can be what set it off: one that began after it (the
    # bot's own replacement of the tasks, redelivered after a stop; a fix the team is deploying) is left alone.
    deployment = ctx.ports.deployments.in_progress_deployment(created_by=ctx.transition.changed_at)
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
