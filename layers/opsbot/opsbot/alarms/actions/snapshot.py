"""``snapshot``: take a manual RDS snapshot of the database through ``opsbot.snapshots`` — the same naming
(``opsbot-<db>-alarm-<alarm>-<yyyymmdd-hhmm>``), tags (reason ``alarm:<name>``), pre-flight and progress
message as a snapshot taken from Slack."""

from __future__ import annotations

import re
from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction
from opsbot.errors import GuardrailViolation, OpsbotError
from opsbot.observability import logger

_NOT_IN_REASON = re.compile(r"[^A-Za-z0-9._:/-]+")


def _act(ctx: ActionContext, _prepared: Any) -> ActionResult:
    from opsbot.snapshots.service import Retention, take

    commands = ctx.ports.commands
    if commands.rds is None:
        raise GuardrailViolation("snapshots are not configured here")
    name = _NOT_IN_REASON.sub("-", ctx.transition.alarm_name).strip("-")[:200] or "alarm"
    actor = f"alarm:{name}"
    taken = take(
        commands.rds, reason=f"alarm:{name}", requested_by=actor, note="", now=ctx.now, windows_close={},
        keep=Retention.of(ctx.settings),
    )  # fmt: skip
    identifier = taken.snapshot.identifier
    if not taken.started:
        return ActionResult(acted=False, reason=f"snapshot {identifier} is already being created")
    if commands.snapshot_jobs is not None:
        try:
            commands.snapshot_jobs.follow(identifier, ctx.settings.slack_channel, actor)
        except OpsbotError as exc:  # the snapshot is taken; only its progress message is lost
            logger.warning("snapshot progress not followed", extra={"snapshot": identifier, "error": str(exc)})
    warned = f" ({'; '.join(taken.warnings)})" if taken.warnings else ""
    return ActionResult(acted=True, reason=f"took manual snapshot {identifier}{warned}", after={"snapshot": identifier})


ACTION = RunbookAction(
    name="snapshot",
    params={},
    changes_aws=True,
    describe=lambda _params: "take a manual snapshot",
    act=_act,
    undo="delete the snapshot if it is not wanted",
)
