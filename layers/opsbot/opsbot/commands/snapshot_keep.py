"""Pin a snapshot the bot made so that no prune deletes it, or unpin it.

`snapshot keep <id>` sets the tag `opsbot:keep=true`; `snapshot unkeep <id>` removes it. Only snapshots the bot
made (its tag and name prefix) can be pinned here; pin anyone else's in RDS.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo

KEEP_USAGE = "/mycandidate snapshot keep <id>"
UNKEEP_USAGE = "/mycandidate snapshot unkeep <id>"


@dataclass(frozen=True)
class PinView:
    identifier: str
    pinned: bool
    was_pinned: bool


def _parse(args: list[str], usage: str) -> str:
    from opsbot.snapshots.naming import IDENTIFIER, MAX_IDENTIFIER

    if len(args) != 1:
        raise UsageError(f"give exactly one snapshot identifier (see `snapshots`), got {len(args)} words", usage)
    identifier = args[0]
    if len(identifier) > MAX_IDENTIFIER or not IDENTIFIER.fullmatch(identifier):
        raise UsageError(
            f"`{echo(identifier)}` is not a snapshot identifier (letters, digits and single hyphens only)", usage
        )
    return identifier


def _run(identifier: str, ctx: CommandContext, keep: bool) -> Outcome:
    from opsbot.commands.snapshot import rds_port
    from opsbot.snapshots.service import pin

    before = pin(rds_port(ctx), identifier, keep=keep)
    view = PinView(identifier, keep, before.pinned)
    if before.pinned == keep:
        return Outcome(view=view, audit=AuditOutcome(result="noop"))
    return Outcome(view=view, audit=AuditOutcome(before={"pinned": before.pinned}, after={"pinned": keep}))


KEEP_SPEC = CommandSpec(
    name="snapshot keep", usage=KEEP_USAGE, required_role=Role.OPERATOR, parse=lambda a: _parse(a, KEEP_USAGE),
    run=lambda i, ctx: _run(i, ctx, True), mutating=True, doc=__doc__ or "", locks=True, lock_on="snapshots",
)  # fmt: skip
UNKEEP_SPEC = CommandSpec(
    name="snapshot unkeep", usage=UNKEEP_USAGE, required_role=Role.OPERATOR,
    parse=lambda a: _parse(a, UNKEEP_USAGE), run=lambda i, ctx: _run(i, ctx, False), mutating=True,
    doc=__doc__ or "", locks=True, lock_on="snapshots",
)  # fmt: skip
