"""Show the health of the MyCandidate web service at a glance.

Desired / running / pending tasks, task definition and image tag, autoscaling min / max, the capacity intents
in force (the baseline, people's settings and raises, alarm scale-outs) and what each contributes, the next
scheduled actions, alarms in ALARM, the age of the latest RDS snapshot and any deployment in progress.
Ephemeral by default; `/mycandidate status public` posts it to the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

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
    )
    return Outcome(view=view, public=public)


SPEC = CommandSpec(name="status", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
