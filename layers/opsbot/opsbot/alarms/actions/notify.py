"""``notify``: tell the ops channel, change nothing. Needs no IAM beyond posting to Slack."""

from __future__ import annotations

from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction


def _act(ctx: ActionContext, _prepared: Any) -> ActionResult:
    return ActionResult(acted=False, reason=f"runbook {ctx.runbook}: notify only")


ACTION = RunbookAction(
    name="notify", params={}, changes_aws=False, describe=lambda _params: "notify", act=_act, undo="nothing to undo"
)
