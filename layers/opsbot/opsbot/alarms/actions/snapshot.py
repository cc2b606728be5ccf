"""``snapshot``: take a manual RDS snapshot of the database (``rds:CreateDBSnapshot``, tagged as the bot's)."""

from __future__ import annotations

import re
from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction


def _act(ctx: ActionContext, _prepared: Any) -> ActionResult:
    # RDS identifiers: letters, digits and single hyphens, starting with a letter.
    safe_name = re.sub(r"[^A-Za-z0-9]+", "-", ctx.transition.alarm_name).strip("-")
    identifier = f"opsbot-{safe_name}-{ctx.now:%Y%m%d-%H%M%S}"[:255].rstrip("-")
    ctx.ports.snapshots.create_snapshot(identifier, f"alarm {ctx.transition.alarm_name} entered ALARM")
    return ActionResult(acted=True, reason=f"took manual snapshot {identifier}", after={"snapshot": identifier})


ACTION = RunbookAction(
    name="snapshot",
    params={},
    changes_aws=True,
    describe=lambda _params: "take a manual snapshot",
    act=_act,
    undo="delete the snapshot if it is not wanted",
)
