"""Show the health of the MyCandidate web service at a glance.

Desired / running / pending tasks, task definition and image tag, autoscaling min / max, the capacity intents
in force (the baseline, people's settings and raises, alarm scale-outs, election phases) and what each
contributes, the next scheduled actions, alarms in ALARM, the age of the latest RDS snapshot, any deployment in
progress, and the election window open now or next (its phase, the change freeze, scale-in suspension).
Ephemeral by default; `/mycandidate status public` posts it to the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from opsbot.commands.base import CommandContext, CommandSpec, Outcome, capacity_core
from opsbot.config import Role
from opsbot.errors import OpsbotError, UsageError
from opsbot.logic.scaling import Capacity
from opsbot.logic.text import echo

if TYPE_CHECKING:  # annotations only: the ack parses `status` without the adapters' data types (~8 ms cold)
    from opsbot.capacity.timeline import Contribution
    from opsbot.ports import AlarmSummary, ScheduledAction, ServiceState

USAGE = "/mycandidate status [public]"
T = TypeVar("T")


class Section(NamedTuple, Generic[T]):
    """One part of the status; ``error`` is set instead of ``value`` when that part could not be read."""

    value: T | None = None
    error: str = ""


class StatusView(NamedTuple):
    service_name: str
    service: Section[ServiceState]
    capacity: Section[Capacity]
    scheduled: Section[list[ScheduledAction]]
    alarms: Section[list[AlarmSummary]]
    snapshot_age: Section[timedelta | None]
    checked_at: datetime
    baseline: Capacity = Capacity(0, 0)
    intents: Section[list[Contribution]] = Section()
    election: Section[ElectionStatus | None] = Section()
    cutover: Section[Any] = Section()  # opsbot.cutover.gate.Standing of an unfinished service deployment, or None


class ElectionStatus(NamedTuple):
    """The election window open now (``open``) or the next one, and what it means for changes."""

    name: str
    open: bool
    opens: datetime
    closes: datetime
    zone: str
    phase: str = ""  # the phase in force when open
    minimum: int = 0  # what the open windows hold
    freeze: bool = False
    scale_in_suspended: bool | None = None  # None: unknown (not readable)


def parse(args: list[str]) -> bool:
    if not args:
        return False
    if len(args) == 1 and args[0].lower() == "public":
        return True
    raise UsageError(f"`status` only understands `public`, got `{echo(' '.join(args))}`", USAGE)


def _read(reader: Callable[[], T]) -> Section[T]:
    # One unreadable part (say, RDS throttling) must not hide the rest of the status.
    try:
        return Section(value=reader())
    except OpsbotError as exc:
        return Section(error=str(exc))


def run(public: bool, ctx: CommandContext) -> Outcome:
    ports = ctx.ports

    def snapshot_age() -> timedelta | None:
        latest = ports.snapshots.latest_snapshot_time()
        return None if latest is None else ctx.now - latest

    def intents() -> list[Contribution]:
        from opsbot.capacity.timeline import contributions

        core = capacity_core(ctx)
        return contributions(core.intents(ctx.now), core.baseline, core.ceiling, ctx.now)

    def election() -> ElectionStatus | None:
        from opsbot.elections.state import freeze, next_window, open_windows

        if ports.calendar is None:
            return None
        elections = ports.calendar.elections()
        suspended = ports.suspension.suspended() if ports.suspension is not None else None
        now_open = open_windows(elections, ctx.now)
        if now_open:
            first, frozen = now_open[0], freeze(elections, ctx.now)
            return ElectionStatus(
                name=", ".join(w.election.name for w in now_open),
                open=True,
                opens=first.opens,
                closes=max(w.closes for w in now_open),
                zone=first.election.zone,
                phase=first.phase.phase if first.phase else "",
                minimum=frozen.minimum if frozen else 0,
                freeze=frozen is not None,
                scale_in_suspended=suspended,
            )
        upcoming = next_window(elections, ctx.now)
        if upcoming is None:
            return None
        return ElectionStatus(
            upcoming.election.name, False, upcoming.opens, upcoming.closes, upcoming.election.zone,
            scale_in_suspended=suspended,
        )  # fmt: skip

    def cutover() -> Any:
        from opsbot.cutover.gate import standing

        if ports.deployments is None:
            return None
        latest = ports.deployments.latest()
        found = standing(latest) if latest is not None else None
        return found if found is not None and not found.finished else None

    view = StatusView(
        service_name=ctx.settings.service_key,
        service=_read(ports.service.describe),
        capacity=_read(ports.capacity.get_capacity),
        intents=_read(intents),
        scheduled=_read(lambda: ports.capacity.scheduled_actions()[:3]),
        alarms=_read(ports.alarms.firing),
        snapshot_age=_read(snapshot_age),
        checked_at=ctx.now,
        baseline=Capacity(ctx.settings.baseline_min, ctx.settings.baseline_max),
        election=_read(election),
        cutover=_read(cutover),
    )
    return Outcome(view=view, public=public)


SPEC = CommandSpec(name="status", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
