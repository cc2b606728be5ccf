"""The gated scale-down's buttons, on the "window ended — scale back to baseline?" message the election
reconciler posts when an election's window closes.

**Scale down now** ends the hold on the window's last capacity at once: the fallback scheduled action moves to
now and capacity returns to the baseline (or to what people's and alarms' intents still ask for).
**Keep for 6 h** moves the fallback to six hours from the press. Either can be pressed again later; a hold never
runs past 48 hours after the window closed. Both are operator actions, audited, under the change lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbot.commands.base import AuditOutcome, CommandContext, Outcome, capacity_core
from opsbot.errors import GuardrailViolation, UsageError
from opsbot.logic.scaling import Capacity
from opsbot.logic.text import echo

KEEP = timedelta(hours=6)
LONGEST_HOLD = timedelta(hours=48)


@dataclass(frozen=True)
class ScaleDownView:
    kind: str  # "scaled-down" | "kept"
    name: str  # the election's display name (escaped where rendered)
    until: datetime
    before: Capacity
    after: Capacity


def parse_slug(value: str) -> str:
    """A button value: an election slug, validated like one (button values can be forged)."""
    from opsbot.elections.calendar import SLUG

    if not SLUG.fullmatch(value) or len(value) > 48:
        raise UsageError(f"`{echo(value) or 'nothing'}` is not an election of the calendar")
    return value


def scale_down_now(slug: str, ctx: CommandContext) -> Outcome:
    return _hold(slug, ctx, until=ctx.now, kind="scaled-down")


def keep(slug: str, ctx: CommandContext) -> Outcome:
    return _hold(slug, ctx, until=ctx.now + KEEP, kind="kept")


def _hold(slug: str, ctx: CommandContext, *, until: datetime, kind: str) -> Outcome:
    from opsbot.elections.calendar import window_span
    from opsbot.elections.plan import plan

    calendar, holds = ctx.ports.calendar, ctx.ports.holds
    if calendar is None or holds is None:
        raise GuardrailViolation("the election calendar is not configured here")
    election = next((e for e in calendar.elections() if e.slug == slug), None)
    if election is None:
        raise GuardrailViolation(f"`{echo(slug)}` is not on the election calendar (any more)")
    closes = window_span(election)[1]
    if ctx.now < closes:
        raise GuardrailViolation(
            f"the window of {echo(election.name)} has not ended yet (it closes {closes:%Y-%m-%d %H:%M} UTC)"
        )
    if until > closes + LONGEST_HOLD:
        raise GuardrailViolation(
            "a window's capacity is held at most 48 hours after it closed; scale with `scale … for …`"
        )
    holds.hold(slug, until, ctx.actor.user_id, ctx.now)
    core = capacity_core(ctx)
    current = core.intents(ctx.now)
    planned = plan(current, calendar.elections(), baseline=core.baseline, ceiling=core.ceiling, now=ctx.now)
    leaving = {i.id for i in planned.remove}
    change = core.change(
        ctx.now,
        operation=ctx.audit_key,
        by=ctx.actor.user_id,
        summary=f"{'scale down now' if kind == 'scaled-down' else 'keep for 6 h'}: {slug}",
        add=planned.add,
        remove=lambda i: i.id in leaving,
        current=current,
    )
    view = ScaleDownView(kind, election.name, until, change.before, change.after)
    return Outcome(
        view=view, audit=AuditOutcome(before=change.before.state(), after=change.record(hold_until=until.isoformat()))
    )
