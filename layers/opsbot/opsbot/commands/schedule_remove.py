"""Remove an election that was added from Slack (asks for confirmation first).

`schedule remove <slug>` — the slug as `schedule` shows it. Elections of the repository's calendar (or its SSM
parameter) are removed there, not from Slack. Removal takes effect with the next `schedule sync` (or the hourly
run), which takes the election's capacity intents away.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome, put_back
from opsbot.config import Role
from opsbot.errors import AwsOperationError, ConfirmationExpired, GuardrailViolation, UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate schedule remove <slug>"


@dataclass(frozen=True)
class ScheduleRemoveView:
    kind: str  # confirm | removed | cancelled
    slug: str
    name: str = ""
    confirmation_id: str = ""


def parse(args: list[str]) -> str:
    from opsbot.elections.calendar import SLUG

    if len(args) != 1:
        raise UsageError("give one election slug, as `schedule` shows it", USAGE)
    slug = args[0].lower()
    if not SLUG.fullmatch(slug) or len(slug) > 48:
        raise UsageError(f"`{echo(args[0])}` is not an election slug", USAGE)
    return slug


def run(slug: str, ctx: CommandContext) -> Outcome:
    calendar, entries = ctx.ports.calendar, ctx.ports.elections
    if calendar is None or entries is None:
        raise GuardrailViolation("the election calendar is not configured here")
    election = next((e for e in calendar.elections() if e.slug == slug), None)
    if election is None:
        known = ", ".join(f"`{e.slug}`" for e in calendar.elections()[:10]) or "none"
        raise GuardrailViolation(f"there is no election `{slug}` on the calendar (known: {known})")
    if election.source != "slack":
        raise GuardrailViolation(
            f"`{slug}` comes from the repository's calendar (or its SSM parameter): remove it there"
        )
    confirmation_id = uuid.uuid4().hex
    ctx.ports.confirmations.put(confirmation_id, {"remove": slug, "by": ctx.actor.user_id}, ctx.now)
    view = ScheduleRemoveView("confirm", slug, election.name, confirmation_id)
    return Outcome(view=view, audit=AuditOutcome(decision="awaiting-confirmation", result="pending"))


def confirm(confirmation_id: str, ctx: CommandContext) -> Outcome:
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is not None and "remove" not in pending:  # another kind of confirmation: not ours to consume
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)
        pending = None
    if pending is None:
        raise ConfirmationExpired("this confirmation has expired or was already used; run the command again")
    slug = str(pending["remove"])
    assert ctx.ports.elections is not None
    try:
        removed = ctx.ports.elections.remove(slug)
    except AwsOperationError:
        put_back(ctx, confirmation_id, pending)  # nothing changed: the same button tries again
        raise
    if not removed:
        raise GuardrailViolation(f"`{slug}` was already removed")
    return Outcome(view=ScheduleRemoveView("removed", slug), audit=AuditOutcome(before={"slug": slug}))


def cancel(confirmation_id: str, ctx: CommandContext) -> Outcome:
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is None or "remove" not in pending:
        raise ConfirmationExpired("this confirmation has expired or was already used")
    view = ScheduleRemoveView("cancelled", str(pending["remove"]))
    return Outcome(view=view, audit=AuditOutcome(decision="cancelled", result="noop"))


SPEC = CommandSpec(
    name="schedule remove",
    usage=USAGE,
    required_role=Role.ADMIN,
    parse=parse,
    run=run,
    mutating=True,
    doc=__doc__ or "",
)
