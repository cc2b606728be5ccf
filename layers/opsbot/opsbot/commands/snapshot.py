"""Take a manual snapshot of the database now, with an optional note.

`snapshot [note]` — first the pre-flight: the instance must be available; a snapshot of it already being created
is reported instead of starting another; the manual-snapshot quota warns from 80 % and refuses when full (saying
what `snapshot prune --dry-run` would free). The snapshot is named `opsbot-<db>-manual-<yyyymmdd-hhmm>` (UTC) and
tagged `opsbot:created-by=opsbot`, `opsbot:reason=manual`, `opsbot:requested-by` (you) and `opsbot:note`. One
message in this channel follows it from creating to available (its size and how long it took) or failed.
It never leaves af-south-1: the bot cannot copy or share a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import GuardrailViolation, OpsbotError

if TYPE_CHECKING:
    from opsbot.snapshots.ports import RdsSnapshotsPort
    from opsbot.snapshots.service import Retention

USAGE = "/mycandidate snapshot [note]"
MAX_NOTE = 256  # an RDS tag value's limit; a longer note is cut


@dataclass(frozen=True)
class SnapshotRequest:
    note: str


@dataclass(frozen=True)
class SnapshotView:
    identifier: str
    started: bool  # False: one was already being created
    status: str
    warnings: tuple[str, ...]
    followed_in: str  # the channel the progress message goes to ("" when nobody follows it)
    note: str = ""


def parse(args: list[str]) -> SnapshotRequest:
    return SnapshotRequest(note=" ".join(" ".join(args).split())[:MAX_NOTE])


def windows_close(ctx: CommandContext) -> dict[str, datetime]:
    """When each election on the calendar closes its window (for the pre-election snapshots retention holds)."""
    from opsbot.elections.calendar import windows_close as closing

    calendar = ctx.ports.calendar
    return {} if calendar is None else closing(calendar.elections())


def retention_of(ctx: CommandContext) -> Retention:
    from opsbot.snapshots.service import Retention

    return Retention.of(ctx.settings)


def rds_port(ctx: CommandContext) -> RdsSnapshotsPort:
    if ctx.ports.rds is None:
        raise GuardrailViolation("snapshots are not configured here")
    return ctx.ports.rds


def run(request: SnapshotRequest, ctx: CommandContext) -> Outcome:
    from opsbot.snapshots.service import take

    rds = rds_port(ctx)
    taken = take(
        rds, reason="manual", requested_by=ctx.actor.user_id, note=request.note, now=ctx.now,
        windows_close=windows_close(ctx), keep=retention_of(ctx),
    )  # fmt: skip
    channel = ctx.actor.channel_id or ctx.settings.slack_channel
    followed = ""
    warnings = list(taken.warnings)
    if taken.started and ctx.ports.snapshot_jobs is not None:
        try:
            ctx.ports.snapshot_jobs.follow(taken.snapshot.identifier, channel, ctx.actor.user_id)
            followed = channel
        except OpsbotError as exc:  # the snapshot is taken; only its progress message is lost
            warnings.append(f"its progress cannot be followed here ({exc}); see `snapshots`")
    view = SnapshotView(
        taken.snapshot.identifier, taken.started, taken.snapshot.status, tuple(warnings), followed, request.note
    )
    after = {"snapshot": taken.snapshot.identifier, "started": taken.started}
    return Outcome(view=view, audit=AuditOutcome(after=after) if taken.started else AuditOutcome(result="noop"))


SPEC = CommandSpec(
    name="snapshot", usage=USAGE, required_role=Role.OPERATOR, parse=parse, run=run, mutating=True,
    doc=__doc__ or "", locks=True, lock_on="snapshots", report=False,
)  # fmt: skip
