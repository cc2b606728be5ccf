"""Automatic alarm remediation: see it, switch it off and on, mute one alarm.

`/mycandidate autoremediation status` — is automatic remediation on, is this environment in dry-run mode
`/mycandidate autoremediation on|off` — the global kill switch (admin)
`/mycandidate mute <alarm> <duration>` — no automatic action and no incident for that alarm (operator),
e.g. `mute mycandidate-ecs-cpu-high 2h`; `mute <alarm> off` lifts it
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import GuardrailViolation, NotAuthorised, OpsbotError, UsageError
from opsbot.logic.durations import format_duration, parse_duration
from opsbot.logic.text import echo
from opsbot.ports import RemediationStatePort

AUTOREMEDIATION_USAGE = "/mycandidate autoremediation on | off | status"
MUTE_USAGE = "/mycandidate mute <alarm> <duration> | off"
_ALARM_NAME = re.compile(r"[A-Za-z0-9._/#:()+=@-]{1,255}")


@dataclass(frozen=True)
class RemediationView:
    kind: Literal["status", "switched", "muted", "unmuted", "acknowledged"]
    enabled: bool = True
    dry_run: bool = False
    alarm: str = ""
    until: datetime | None = None
    by: str = ""


def _state(ctx: CommandContext) -> RemediationStatePort:
    if ctx.ports.remediation is None:
        raise OpsbotError("remediation state is not available in this function")
    return ctx.ports.remediation


# autoremediation ---------------------------------------------------------------------------------------------


def parse_autoremediation(args: list[str]) -> str:
    if len(args) != 1 or args[0].lower() not in {"on", "off", "status"}:
        given = echo(" ".join(args)) or "nothing"
        raise UsageError(f"`autoremediation` takes `on`, `off` or `status`, got `{given}`", AUTOREMEDIATION_USAGE)
    return args[0].lower()


def run_autoremediation(choice: str, ctx: CommandContext) -> Outcome:
    state = _state(ctx)
    if choice == "status":
        view = RemediationView(
            kind="status", enabled=state.autoremediation_enabled(), dry_run=ctx.settings.remediation_dry_run
        )
        return Outcome(view=view)
    if ctx.actor.role < Role.ADMIN:
        raise NotAuthorised("switching automatic remediation needs the admin role")
    before = state.autoremediation_enabled()
    state.set_autoremediation(choice == "on", ctx.actor.user_id, ctx.now)
    view = RemediationView(kind="switched", enabled=choice == "on", dry_run=ctx.settings.remediation_dry_run)
    return Outcome(
        view=view, audit=AuditOutcome(before={"enabled": before}, after={"enabled": choice == "on"}), public=True
    )


# mute ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MuteRequest:
    alarm: str
    duration: timedelta | None  # None: lift the mute


def parse_alarm_name(alarm: str) -> str:
    """An alarm name as `mute` accepts it; the incident buttons' values go through the same check."""
    if not _ALARM_NAME.fullmatch(alarm):
        raise UsageError(f"`{echo(alarm) or 'nothing'}` is not an alarm name", MUTE_USAGE)
    return alarm


def parse_mute(args: list[str]) -> MuteRequest:
    if len(args) != 2:
        raise UsageError(f"`mute` takes an alarm name and a duration (or `off`), got {len(args)} words", MUTE_USAGE)
    alarm, when = args
    parse_alarm_name(alarm)
    if when.lower() == "off":
        return MuteRequest(alarm=alarm, duration=None)
    return MuteRequest(alarm=alarm, duration=parse_duration(when.lower(), MUTE_USAGE))


def run_mute(request: MuteRequest, ctx: CommandContext) -> Outcome:
    return mute(request.alarm, request.duration, ctx)


def _ours(alarm: str, ctx: CommandContext) -> None:
    if not alarm.startswith(ctx.settings.alarm_prefix):
        raise GuardrailViolation(
            f"`{echo(alarm)}` is not a MyCandidate alarm (they start with `{ctx.settings.alarm_prefix}`)"
        )


def mute(alarm: str, duration: timedelta | None, ctx: CommandContext) -> Outcome:
    _ours(alarm, ctx)
    state = _state(ctx)
    if duration is None:
        state.unmute(alarm)
        return Outcome(
            view=RemediationView(kind="unmuted", alarm=alarm), audit=AuditOutcome(after={"muted": False}), public=True
        )
    longest = ctx.settings.guardrails.max_temporary
    if duration > longest:
        raise GuardrailViolation(f"a mute may last at most {format_duration(longest)}")
    until = ctx.now + duration
    state.mute(alarm, until, ctx.actor.user_id)
    return Outcome(
        view=RemediationView(kind="muted", alarm=alarm, until=until, by=ctx.actor.user_id),
        audit=AuditOutcome(after={"muted_until": until.isoformat()}),
        public=True,
    )


# incident buttons ----------------------------------------------------------------------------------------------


def mute_for_an_hour(alarm: str, ctx: CommandContext) -> Outcome:
    return mute(alarm, timedelta(hours=1), ctx)


def acknowledge(alarm: str, ctx: CommandContext) -> Outcome:
    _ours(alarm, ctx)
    return Outcome(view=RemediationView(kind="acknowledged", alarm=alarm, by=ctx.actor.user_id), public=True)


AUTOREMEDIATION_SPEC = CommandSpec(
    name="autoremediation",
    usage=AUTOREMEDIATION_USAGE,
    required_role=Role.VIEWER,
    parse=parse_autoremediation,
    run=run_autoremediation,
    mutating=True,
    doc="Automatic alarm remediation: see whether it is on, or switch it on or off (admin).\n\n" + (__doc__ or ""),
)
MUTE_SPEC = CommandSpec(
    name="mute",
    usage=MUTE_USAGE,
    required_role=Role.OPERATOR,
    parse=parse_mute,
    run=run_mute,
    mutating=True,
    doc="Mute one alarm: no automatic action and no incident until the mute ends.\n\n" + (__doc__ or ""),
)
