"""Check whether the service is ready for an election: one line per check, pass / warn / fail.

`/mycandidate readiness` checks the election whose window is open now, else the next one; `readiness <slug>`
a given one (see `schedule`). The checks: the scheduled actions match the plan; the capacity ceiling covers the
window's maximum and no other owner's scheduled action lowers it; the ECS service is steady (running = desired,
no failed deployment, none in progress); no alarm of the service in ALARM; automatic remediation on and no alarm
muted into the window; the latest RDS snapshot younger than 24 h; RDS free storage and connection headroom above
their thresholds; the ElastiCache replication group available with no evictions in 24 h; the Fargate vCPU quota
covers the window's maximum. Every failing check says what to do. The same report is posted to the ops channel
48 h and 24 h before polls open (07:00 on polling day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsbot.commands.base import CommandContext, CommandSpec, Outcome, Ports, capacity_core
from opsbot.config import Role, Settings
from opsbot.errors import GuardrailViolation, UsageError
from opsbot.logic.text import echo

if TYPE_CHECKING:
    from opsbot.capacity.core import CapacityCore
    from opsbot.elections.readiness import Readiness, ReadinessSources

USAGE = "/mycandidate readiness [slug]"


@dataclass(frozen=True)
class ReadinessView:
    report: Readiness


def parse(args: list[str]) -> str | None:
    from opsbot.elections.calendar import MAX_SLUG, SLUG

    if not args:
        return None
    if len(args) > 1:
        raise UsageError(f"`readiness` takes at most one election slug, got {len(args)} words", USAGE)
    slug = args[0].lower()
    if len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        raise UsageError(f"`{echo(args[0])}` is not an election slug (see `/mycandidate schedule`)", USAGE)
    return slug


def sources(settings: Settings, core: CapacityCore, ports: Ports) -> ReadinessSources:
    """What the report reads, for the command and the reconciler's posts alike."""
    from opsbot.elections.readiness import Links, ReadinessSources, Thresholds

    if ports.readiness is None:
        raise GuardrailViolation("the readiness report is not configured here")
    return ReadinessSources(
        core=core,
        service=ports.service,
        snapshots=ports.snapshots,
        remediation=ports.remediation,
        reads=ports.readiness,
        thresholds=Thresholds(
            ceiling=settings.guardrails.ceiling,
            db_max_connections=settings.db_max_connections,
            connection_headroom_pct=settings.readiness_connection_headroom_pct,
            min_free_storage_gib=settings.readiness_min_free_storage_gib,
        ),
        links=Links(settings.region, settings.cluster, settings.service, settings.db_instance,
                    settings.cache_replication_group),
    )  # fmt: skip


def run(slug: str | None, ctx: CommandContext) -> Outcome:
    from opsbot.elections.calendar import upcoming
    from opsbot.elections.readiness import readiness
    from opsbot.elections.state import next_window, open_windows

    calendar = ctx.ports.calendar
    if calendar is None:
        raise GuardrailViolation("the election calendar is not configured here")
    elections = calendar.elections()
    ahead = upcoming(elections, ctx.now)
    if slug is not None:
        chosen = next((e for e in ahead if e.slug == slug), None)
        if chosen is None:
            known = ", ".join(e.slug for e in ahead[:5]) or "none"
            raise UsageError(f"no upcoming election `{echo(slug)}` (upcoming: {known})", USAGE)
    else:
        now_open = open_windows(elections, ctx.now)
        window = now_open[0] if now_open else next_window(elections, ctx.now)
        if window is None:
            raise GuardrailViolation("there is no upcoming election on the calendar (add one with `schedule add`)")
        chosen = window.election
    report = readiness(chosen, elections, sources(ctx.settings, capacity_core(ctx), ctx.ports), ctx.now)
    return Outcome(view=ReadinessView(report))


SPEC = CommandSpec(name="readiness", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
