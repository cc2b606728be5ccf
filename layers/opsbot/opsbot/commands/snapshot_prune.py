"""Delete old snapshots that the bot made, by the retention rule, or show what would go.

`snapshot prune [--dry-run]` — only snapshots that carry the bot's tag **and** name prefix are candidates; never
one pinned with `snapshot keep`, never an automated or anybody else's snapshot, never the newest pre-election
snapshot until its election's window has ended, never the newest pre-cutover snapshot for 7 days. Of the rest
the newest 14 stay, and everything younger than 7 days. The dry run lists what would go, with age and reason.
The nightly run prunes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate snapshot prune [--dry-run]"
_DRY_RUN = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}


@dataclass(frozen=True)
class PruneRequest:
    dry_run: bool


@dataclass(frozen=True)
class PruneView:
    pruned: Any  # opsbot.snapshots.service.Pruned


def parse(args: list[str]) -> PruneRequest:
    flags = {a.lower() for a in args}
    if flags - _DRY_RUN:
        raise UsageError(f"`snapshot prune` only understands `--dry-run`, got `{echo(' '.join(args))}`", USAGE)
    return PruneRequest(dry_run=bool(flags))


def run(request: PruneRequest, ctx: CommandContext) -> Outcome:
    from opsbot.commands.snapshot import rds_port, retention_of, windows_close
    from opsbot.snapshots.service import prune

    pruned = prune(
        rds_port(ctx), now=ctx.now, windows_close=windows_close(ctx), dry_run=request.dry_run, keep=retention_of(ctx)
    )
    if request.dry_run:
        return Outcome(view=PruneView(pruned), audit=AuditOutcome(decision="dry-run"))
    after = {"deleted": list(pruned.deleted), "planned": len(pruned.plan.delete)}
    if pruned.failed:
        return Outcome(view=PruneView(pruned), audit=AuditOutcome(result="failed", after=after, error=pruned.failed))
    return Outcome(
        view=PruneView(pruned), audit=AuditOutcome(after=after) if pruned.deleted else AuditOutcome(result="noop")
    )


SPEC = CommandSpec(
    name="snapshot prune", usage=USAGE, required_role=Role.ADMIN, parse=parse, run=run, mutating=True,
    doc=__doc__ or "", locks=True, lock_on="snapshots",
)  # fmt: skip
