"""Apply the election calendar to the capacity of the service now, or show what that would do.

`schedule sync [--dry-run]` — the plan: capacity intents to create and delete and those unchanged, and the bot's
scheduled actions as they are (ok / missing / drifted). Without `--dry-run` the plan is applied through the
capacity core, under the change lock, audited as you; the hourly run does the same by itself. A second sync with
nothing changed makes no change. People's own scheduled actions are never touched.
"""

from __future__ import annotations

from opsbot.commands.base import CommandContext, CommandSpec, Outcome, capacity_core
from opsbot.config import Role
from opsbot.errors import GuardrailViolation, UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate schedule sync [--dry-run]"
_DRY_RUN_FLAGS = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}


class SyncRequest:
    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run


def parse(args: list[str]) -> SyncRequest:
    extra = [a for a in args if a.lower() not in _DRY_RUN_FLAGS]
    if extra:
        raise UsageError(f"`schedule sync` only understands `--dry-run`, got `{echo(' '.join(extra))}`", USAGE)
    return SyncRequest(dry_run=bool(args))


def run(request: SyncRequest, ctx: CommandContext) -> Outcome:
    from opsbot.elections.reconcile import apply

    calendar = ctx.ports.calendar
    if calendar is None:
        raise GuardrailViolation("the election calendar is not configured here")
    return apply(
        capacity_core(ctx),
        calendar.elections,
        now=ctx.now,
        operation_key=ctx.audit_key,
        by=ctx.actor.user_id,
        dry_run=request.dry_run,
    )


SPEC = CommandSpec(
    name="schedule sync",
    usage=USAGE,
    required_role=Role.OPERATOR,
    parse=parse,
    run=run,
    mutating=True,
    doc=__doc__ or "",
    locks=True,
)
