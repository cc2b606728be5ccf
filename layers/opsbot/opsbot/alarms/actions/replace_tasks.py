"""``replace_tasks``: force a new deployment so every task is replaced (``ecs:UpdateService`` on the service)."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction


def _act(ctx: ActionContext, _prepared: Any) -> ActionResult:
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
    undo="nothing to undo: the new tasks run the same task definition",
)
