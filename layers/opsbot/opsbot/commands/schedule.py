"""Show the upcoming elections, their phases and the live state of the scheduled capacity changes.

Each election with its kind, polling day and phases (local time, Africa/Johannesburg, with min / max and whether
scale-in is suspended); then every change point of capacity the bot has scheduled, with its state — ok, missing
(deleted by hand) or drifted (changed by hand; the next sync puts both back) — and which elections (or people,
or alarms) drive it. Scheduled actions of other owners that work against a window (a lower maximum or minimum
during it) are listed as conflicts; the bot never touches them. `schedule sync` applies the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opsbot.commands.base import CommandContext, CommandSpec, Outcome, capacity_core
from opsbot.config import Role
from opsbot.errors import GuardrailViolation, UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate schedule"


@dataclass(frozen=True)
class ChangePoint:
    name: str
    at: datetime
    min: int
    max: int
    state: str  # ok | missing | drifted
    drivers: tuple[str, ...]  # owners of the intents that set the bounds from here on


@dataclass(frozen=True)
class ScheduleView:
    elections: tuple[object, ...]  # opsbot.elections.model.Election, upcoming, by polling date
    windows: tuple[tuple[object, ...], ...]  # the windows of each election, same order
    points: tuple[ChangePoint, ...]
    unexpected: tuple[str, ...]  # bot actions the plan does not have (a sync deletes them)
    conflicts: tuple[str, ...]  # other owners' actions against a window
    problems: tuple[str, ...]  # Slack entries left out of the calendar, by name


def parse(args: list[str]) -> None:
    if args:
        raise UsageError(
            f"`schedule` takes no arguments, got `{echo(' '.join(args))}`; did you mean `schedule add`, "
            "`schedule remove` or `schedule sync`?",
            USAGE,
        )


def run(_: None, ctx: CommandContext) -> Outcome:
    from opsbot.capacity.drift import compare
    from opsbot.capacity.timeline import contributions
    from opsbot.elections.calendar import upcoming, windows
    from opsbot.elections.conflicts import conflicts

    calendar = ctx.ports.calendar
    if calendar is None:
        raise GuardrailViolation("the election calendar is not configured here")
    elections = upcoming(calendar.elections(), ctx.now)
    core = capacity_core(ctx)
    intents = core.intents(ctx.now)
    planned = core.plan(intents, ctx.now).actions
    points = []
    unexpected = []
    for state in compare(planned, core.own_actions()):
        if state.planned is None:
            unexpected.append(state.name)
            continue
        at = state.planned.at
        drivers = tuple(
            sorted({c.intent.owner for c in contributions(intents, core.baseline, core.ceiling, at) if c.sets_min})
        )
        capacity = state.planned.capacity
        points.append(ChangePoint(state.name, at, capacity.min, capacity.max, state.state, drivers or ("baseline",)))
    spans = tuple(windows(e) for e in elections)
    found = conflicts(core.foreign_actions(), [w for ws in spans for w in ws])
    view = ScheduleView(
        elections=elections,
        windows=spans,
        points=tuple(points),
        unexpected=tuple(unexpected),
        conflicts=tuple(c.describe() for c in found),
        problems=tuple(getattr(calendar, "problems", ())),
    )
    return Outcome(view=view)


SPEC = CommandSpec(name="schedule", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
