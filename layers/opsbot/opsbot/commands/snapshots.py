"""List the newest snapshots of the database, with the manual-snapshot quota on top.

`snapshots [n]` (default 10, at most 50): manual and automated snapshots, newest first, each with its type, age,
size, status, reason, who asked for it and whether it is pinned (`opsbot:keep`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsbot.commands.base import CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate snapshots [n]"
DEFAULT, MOST = 10, 50


@dataclass(frozen=True)
class SnapshotListView:
    db: str
    snapshots: tuple[Any, ...]  # opsbot.snapshots.model.Snapshot, newest first
    total: int
    quota: Any  # Quota | None
    checked_at: datetime


def parse(args: list[str]) -> int:
    if not args:
        return DEFAULT
    if len(args) > 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= MOST:
        raise UsageError(f"`snapshots` takes a count from 1 to {MOST}, got `{echo(' '.join(args))}`", USAGE)
    return int(args[0])


def run(count: int, ctx: CommandContext) -> Outcome:
    from opsbot.commands.snapshot import rds_port

    rds = rds_port(ctx)
    found = sorted(rds.snapshots(), key=lambda s: (s.created or ctx.now, s.identifier), reverse=True)
    view = SnapshotListView(rds.db, tuple(found[:count]), len(found), rds.quota(), ctx.now)
    return Outcome(view=view)


SPEC = CommandSpec(name="snapshots", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
