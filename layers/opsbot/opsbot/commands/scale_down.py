"""The gated scale-down's buttons, on the "window ended — scale back to baseline?" message the election
reconciler posts when an election's window closes.

**Scale down now** ends the hold on the window's last capacity at once: the fallback scheduled action moves to
now and capacity returns to the baseline (or to what people's and alarms' intents still ask for).
**Keep for 6 h** moves the fallback to six hours from the press. Either can be pressed again later; a hold never
runs past 48 hours after the window closed. Both are operator actions, audited, under the change lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opsbot.commands.base import AuditOutcome, CommandContext, Outcome, capacity_core
from opsbot.errors import ActionFailed, AwsOperationError, GuardrailViolation, UsageError
from opsbot.logic.scaling import Capacity
from opsbot.logic.text import echo

if TYPE_CHECKING:
    from opsbot.elections.ports import HoldsPort
    from opsbot.ports import AuditEntry

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


def _take_back(slug: str, previous: datetime | None, ctx: CommandContext, cause: Exception) -> None:
    """The change failed: the answer on record goes back to what it was. If even that fails, the person must hear
    that the next hourly run will act on the answer after all."""
    assert ctx.ports.holds is not None
    try:
        ctx.ports.holds.put_back(slug, previous, ctx.actor.user_id, ctx.now)
    except AwsOperationError as exc:
        raise ActionFailed(
            f"{cause}; the answer could NOT be taken back ({exc.code}), so the next hourly run will carry it out —"
            " press the other button or run `schedule sync` after checking `status`",
        ) from exc


def _hold(slug: str, ctx: CommandContext, *, until: datetime, kind: str) -> Outcome:
    from opsbot.elections.calendar import window_span
    from opsbot.elections.plan import plan

    calendar, holds = ctx.ports.calendar, ctx.ports.holds
    if calendar is None or holds is None:
        raise GuardrailViolation("the election calendar is not configured here")
    found = calendar.elections()
    election = next((e for e in found if e.slug == slug), None)
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
    # Everything is read and planned with the answer before anything is written: the answer, then the change. A
    # change that fails takes the answer back, or the next hourly run would carry out what the person was told had
    # failed; one cut short after the answer is taken back by the sweeper (``scale_down_evidence``).
    previous = holds.holds().get(slug)
    elections = tuple(replace(e, hold_until=until) if e.slug == slug else e for e in found)
    core = capacity_core(ctx)
    current = core.intents(ctx.now)
    planned = plan(current, elections, baseline=core.baseline, ceiling=core.ceiling, now=ctx.now)
    leaving = {i.id for i in planned.remove}
    holds.hold(slug, until, ctx.actor.user_id, ctx.now, operation=ctx.audit_key, previous=previous)
    try:
        change = core.change(
            ctx.now,
            operation=ctx.audit_key,
            by=ctx.actor.user_id,
            summary=f"{'scale down now' if kind == 'scaled-down' else 'keep for 6 h'}: {slug}",
            add=planned.add,
            remove=lambda i: i.id in leaving,
            current=current,
        )
    except Exception as exc:
        _take_back(slug, previous, ctx, exc)
        raise
    view = ScaleDownView(kind, election.name, until, change.before, change.after)
    return Outcome(
        view=view, audit=AuditOutcome(before=change.before.state(), after=change.record(hold_until=until.isoformat()))
    )


def scale_down_evidence(holds: HoldsPort, entry: AuditEntry) -> tuple[str, str]:
    """The sweeper's reading of a press cut short before its change of the intents (one whose change committed left
    a marker, which the sweeper completes itself): an answer the press recorded is taken back, so the hourly run
    does not carry out a press nobody heard the end of."""
    words = entry.arguments.split()
    slug = words[1] if len(words) > 1 else ""
    decided = holds.decision(slug) if slug else None
    if decided is not None and decided[0] == entry.key:
        holds.put_back(slug, decided[1], entry.actor, entry.at)
        return "failed", "cut short before capacity changed; its answer was taken back, so press the button again"
    return "failed", "cut short before it changed anything; capacity is as it was, so press the button again"
