"""Show the last recorded actions (default 10, at most 50).

Every attempt is recorded: who, where, what, the decision, before → after, and the result.
`/mycandidate audit 25` shows the last 25.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from opsbot.commands.base import CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo
from opsbot.ports import AuditEntry

USAGE = "/mycandidate audit [n]"
DEFAULT_COUNT = 10
MAX_COUNT = 50


class AuditView(NamedTuple):
    entries: tuple[AuditEntry, ...]
    requested: int


def parse(args: list[str]) -> int:
    if not args:
        return DEFAULT_COUNT
    if len(args) > 1:
        raise UsageError(f"`audit` takes one number, got {len(args)} words", USAGE)
    if not re.fullmatch(r"[0-9]{1,4}", args[0]):
        raise UsageError(f"`{echo(args[0])}` is not a count; use a whole number 1..{MAX_COUNT}", USAGE)
    count = int(args[0])
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"the count must be between 1 and {MAX_COUNT}, got {count}", USAGE)
    return count


def run(count: int, ctx: CommandContext) -> Outcome:
    return Outcome(view=AuditView(entries=tuple(ctx.ports.audit.latest(count)), requested=count))


SPEC = CommandSpec(name="audit", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
