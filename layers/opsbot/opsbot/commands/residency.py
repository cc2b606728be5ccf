"""Check that no copy of the candidate database leaves af-south-1.

`residency` — a red line per violation: a snapshot of the instance shared with anyone (its `restore` attribute
is not empty); automated backups replicated to another region; a read replica outside the region; storage not
encrypted, or encrypted with a KMS key of another region; a snapshot the bot made that is not encrypted. The
nightly run checks the same and reports a violation to the ops channel. The bot itself can never copy or share a
snapshot: its IAM policy denies it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsbot.commands.base import CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate residency"


@dataclass(frozen=True)
class ResidencyView:
    db: str
    region: str
    violations: tuple[Any, ...]  # opsbot.snapshots.residency.Violation
    checked_at: datetime


def parse(args: list[str]) -> None:
    if args:
        raise UsageError(f"`residency` takes no arguments, got `{echo(' '.join(args))}`", USAGE)


def run(_: None, ctx: CommandContext) -> Outcome:
    from opsbot.commands.snapshot import rds_port
    from opsbot.snapshots.service import residency_check

    rds = rds_port(ctx)
    found = residency_check(rds, ctx.settings.region)
    return Outcome(view=ResidencyView(rds.db, ctx.settings.region, tuple(found), ctx.now))


SPEC = CommandSpec(name="residency", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
