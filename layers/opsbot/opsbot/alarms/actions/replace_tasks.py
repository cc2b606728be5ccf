"""``replace_tasks``: force a new deployment so every task is replaced (``ecs:UpdateService`` on the service)."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction


def _prepare(ctx: ActionContext) -> str | None:
    """A deployment in progress (one the bot forced for this alarm, before a stop and the redelivery; one the team
    started; one being rolled back, by the bot before a stop or by ECS) is already replacing the tasks: another would
    only restart it, or stop the rollback."""
    return ctx.ports.deployments.in_progress_deployment(moving=True)


def _act(ctx: ActionContext, deploying: Any) -> ActionResult:
    if deploying is not None:
        reason = "a deployment in progress is already replacing the tasks"
        return ActionResult(acted=False, reason=reason, before={"deployment": deploying})
    ctx.ports.deployments.force_new_deployment()
    return ActionResult(
        acted=True, reason="forced a new deployment: every task is being replaced", after={"deployment": "forced"}
    )


ACTION = RunbookAction(
    name="replace_tasks",
    params={},
    changes_aws=True,
    describe=lambda _params: "replace tasks",
    act=_act,
    prepare=_prepare,
    undo="nothing to undo: the new tasks run the same task definition",
)
