"""The change freeze while an election window is open (not a verb): commands that reduce capacity or change the
service are refused unless an admin adds `--override "<reason>"` (audited with the reason). `deploy` will call
``check`` too."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from opsbot.commands.base import CommandContext
from opsbot.config import Role
from opsbot.errors import GuardrailViolation, NotAuthorised, UsageError
from opsbot.logic.text import echo

if TYPE_CHECKING:
    from opsbot.elections.state import Freeze

OVERRIDE_FLAGS = {"--override", "—override", "–override"}
MAX_REASON = 200
_QUOTED = re.compile(r'^["“”](?P<reason>[^"“”]*)["“”](?P<rest>.*)$', re.DOTALL)


def take_override(words: list[str], usage: str) -> tuple[list[str], str]:
    """Remove ``--override "<reason>"`` from ``words``; the reason (stripped), or "" when not given."""
    lowered = [w.lower() for w in words]
    flags = [i for i, w in enumerate(lowered) if w in OVERRIDE_FLAGS]
    if not flags:
        return words, ""
    at = flags[0]
    match = _QUOTED.match(" ".join(words[at + 1 :]))
    if not match or not match.group("reason").strip():
        raise UsageError('`--override` needs a reason in quotes, e.g. `--override "results delayed"`', usage)
    reason = " ".join(match.group("reason").split())
    if len(reason) > MAX_REASON:
        raise UsageError(f"the override reason is longer than {MAX_REASON} characters", usage)
    return words[:at] + match.group("rest").split(), reason


def current(ctx: CommandContext) -> Freeze | None:
    """The freeze in force now, or None (also when no calendar is wired)."""
    from opsbot.elections.state import freeze

    calendar = ctx.ports.calendar
    return None if calendar is None else freeze(calendar.elections(), ctx.now)


def check(ctx: CommandContext, *, what: str, override: str, below_minimum: int | None = None) -> None:
    """Refuse ``what`` during the freeze (or below the open windows' minimum) unless an admin overrides."""
    found = current(ctx)
    if found is None:
        return
    if override:
        if ctx.actor.role < Role.ADMIN:
            raise NotAuthorised("only an admin may override the election change freeze")
        return
    zone = ZoneInfo(found.windows[0].election.zone)
    until = f"{found.until.astimezone(zone):%a %d %b %H:%M %Z} ({found.until:%H:%M} UTC)"
    names = echo(found.names, 200)
    if below_minimum is not None and below_minimum < found.minimum:
        raise GuardrailViolation(
            f"the election window of {names} holds at least {found.minimum} tasks until {until}; {what} would"
            f' ask for {below_minimum}. An admin may add `--override "<reason>"`'
        )
    raise GuardrailViolation(
        f"change freeze: the election window of {names} is open until {until}, so {what} is refused."
        ' An admin may add `--override "<reason>"`'
    )
