"""``scale_out``: a temporary capacity intent owned by the alarm — the minimum ``step`` tasks above the effective
minimum now, for ``expires`` (default 2h). It is one more intent among the others, so it never shortens or lowers
a person's raise; materialising it needs ``application-autoscaling:RegisterScalableTarget`` and
``PutScheduledAction`` / ``DeleteScheduledAction`` on the service's scalable target. Undo removes the intent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from opsbot.alarms.actions.base import ActionContext, ActionResult, RunbookAction
from opsbot.capacity.core import CapacityCore
from opsbot.capacity.model import Intent
from opsbot.errors import ConfigError, UsageError
from opsbot.logic.durations import format_duration, parse_duration

DEFAULT_EXPIRES = "2h"  # a scale-out is always temporary


def expires(params: Mapping[str, Any]) -> timedelta:
    return parse_duration(str(params.get("expires", DEFAULT_EXPIRES)))


def _validate(params: Mapping[str, Any], where: str) -> None:
    if not isinstance(params.get("step"), int) or params["step"] < 1:
        raise ConfigError(f"{where}.params.step must be a positive whole number")
    try:
        expires(params)
    except UsageError as exc:
        raise ConfigError(f"{where}.params.expires: {exc}") from exc


def _describe(params: Mapping[str, Any]) -> str:
    return f"raise the minimum by {params['step']} for {format_duration(expires(params))}"


def _act(ctx: ActionContext, _prepared: Any) -> ActionResult:
    core = CapacityCore(ctx.settings, ctx.ports.commands.capacity, ctx.ports.commands.intents)
    intents = core.intents(ctx.now)
    current = core.effective(intents, ctx.now)
    target = min(current.min + int(ctx.params["step"]), core.ceiling)
    if target <= current.min:
        return ActionResult(acted=False, reason=f"already at the ceiling of {core.ceiling} tasks")
    # Application Auto Scaling schedules have minute granularity: round up so the raise lasts at least as long.
    until = ctx.now + expires(ctx.params)
    if until.second or until.microsecond:
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    owner = f"alarm:{ctx.transition.alarm_name}"
    intent = Intent(
        id=ctx.operation,
        owner=owner,
        kind="raise",
        min=target,
        max=target,
        start=ctx.now,
        expires=until,
        reason=f"runbook {ctx.runbook}",
    )
    change = core.change(
        ctx.now,
        operation=ctx.operation,
        by=owner,
        summary=f"remediate {ctx.runbook}: min {current.min} → {target}",
        add=[intent],
        current=intents,  # read above under the same change lock
    )
    later = change.timeline.actions if change.timeline else ()
    # What follows by schedule, so the incident says whose raise holds capacity after this one ends.
    then = "; then " + ", ".join(f"min {a.capacity.min} from {a.at:%H:%M}" for a in later[:4]) + " UTC" if later else ""
    return ActionResult(
        acted=True,
        reason=f"raised the minimum {current.min} → {change.after.min} until {until:%H:%M} UTC{then}",
        before=change.before.state(),
        after=change.record(),
        undo_key=ctx.operation,
    )


ACTION = RunbookAction(
    name="scale_out",
    params={"step": int, "expires": str},
    changes_aws=True,
    describe=_describe,
    act=_act,
    validate=_validate,
    undo="the incident's Undo button removes the alarm's intent",
)
