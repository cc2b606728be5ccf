"""Show what the bot can do.

`/mycandidate help` lists every command; `/mycandidate help <command>` shows one command in full.
"""

from __future__ import annotations

from typing import NamedTuple

from opsbot.commands.base import CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate help [command]"
# Help is answered in the acknowledgement, without AWS: whether the freeze is on now is shown by `status`.
FREEZE = (
    "Change freeze: while an election window of the calendar is open (see `schedule`), commands that reduce"
    ' capacity or change the service are refused unless an admin adds `--override "<reason>"`; `status` says'
    " whether it is on."
)


class HelpView(NamedTuple):
    entries: tuple[tuple[str, str, str], ...]  # (usage, summary, details)


def parse(args: list[str]) -> str | None:
    if len(args) > 2:  # a command name is one or two words (`schedule add`)
        raise UsageError(f"`help` takes at most one command name, got {len(args)} words", USAGE)
    return " ".join(args).lower() if args else None


def build_help(topic: str | None = None) -> HelpView:
    """Help is built from the command modules' docstrings, so it cannot drift from the code."""
    from opsbot.commands.dispatch import REGISTRY  # the registry imports this module

    specs = list(REGISTRY.values())
    if topic is not None:
        if topic not in REGISTRY:
            raise UsageError(f"there is no command `{echo(topic)}`", USAGE)
        specs = [REGISTRY[topic]]
    entries = []
    for spec in specs:
        lines = spec.doc.strip().splitlines()
        details = "\n".join(lines[1:]).strip() if topic else ""
        entries.append((spec.usage, spec.summary, details))
    return HelpView(entries=tuple(entries))


def run(topic: str | None, _ctx: CommandContext | None) -> Outcome:
    return Outcome(view=build_help(topic), audit=None)


SPEC = CommandSpec(name="help", usage=USAGE, required_role=Role.NONE, parse=parse, run=run, doc=__doc__ or "")
