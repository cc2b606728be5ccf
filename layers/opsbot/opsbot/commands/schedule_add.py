"""Add an election to the calendar from Slack.

`schedule add "<name>" <YYYY-MM-DD> [kind=by-election|municipal|provincial|national] [min=<n>] [max=<n>] [--dry-run]`
The date is polling day (local, Africa/Johannesburg). The kind's profile gives the phases; `min=` / `max=` change
the polling phase. The slug is made from the name and the date. The entry is validated like the calendar's own
(a date that does not exist, a past polling day, an unknown kind, min above max, a value above the ceiling, a
slug already on the calendar, a name with mentions or links are refused by name) and stored; it takes effect with
the next `schedule sync` (or the hourly run). Entries added from Slack win over the repository's calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import ConfigError, GuardrailViolation, UsageError
from opsbot.logic.text import echo

USAGE = '/mycandidate schedule add "<name>" <YYYY-MM-DD> [kind=…] [min=<n>] [max=<n>] [--dry-run]'
_DRY_RUN_FLAGS = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}
_QUOTED = re.compile(r'^\s*["“”](?P<name>[^"“”]*)["“”]\s*(?P<rest>.*)$', re.DOTALL)
_OPTION = re.compile(r"(kind|min|max)=(.*)", re.IGNORECASE)
_NOT_IN_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class AddRequest:
    entry: dict[str, Any]
    dry_run: bool


@dataclass(frozen=True)
class ScheduleAddView:
    election: Any  # opsbot.elections.model.Election
    windows: tuple[Any, ...]
    dry_run: bool


def parse(args: list[str]) -> AddRequest:
    text = " ".join(args)
    match = _QUOTED.match(text)
    if not match or not match.group("name").strip():
        raise UsageError(
            'give the election\'s name in quotes first, e.g. `schedule add "Ward 52 by-election" 2027-02-17`', USAGE
        )
    name = " ".join(match.group("name").split())
    words = match.group("rest").split()
    dry_run = any(w.lower() in _DRY_RUN_FLAGS for w in words)
    words = [w for w in words if w.lower() not in _DRY_RUN_FLAGS]
    if not words:
        raise UsageError("give polling day after the name, as YYYY-MM-DD", USAGE)
    polling, options = words[0], words[1:]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", polling):
        raise UsageError(f"`{echo(polling)}` is not a date; give polling day as YYYY-MM-DD", USAGE)
    values: dict[str, str] = {}
    for word in options:
        found = _OPTION.fullmatch(word)
        if not found:
            raise UsageError(f"unexpected `{echo(word)}`; after the date come `kind=`, `min=` and `max=`", USAGE)
        key = found.group(1).lower()
        if key in values:
            raise UsageError(f"`{key}=` is given twice", USAGE)
        values[key] = found.group(2)
    entry: dict[str, Any] = {
        "slug": slug_for(name, polling),
        "name": name,
        "kind": values.get("kind", "by-election").lower(),
        "polling_date": polling,
    }
    polling_phase: dict[str, int] = {}
    for key in ("min", "max"):
        if key in values:
            if not re.fullmatch(r"[0-9]{1,4}", values[key]):
                raise UsageError(f"`{echo(values[key]) or 'nothing'}` is not a task count for `{key}=`", USAGE)
            polling_phase[key] = int(values[key])
    if polling_phase:
        entry["phases"] = {"polling": polling_phase}
    return AddRequest(entry=entry, dry_run=dry_run)


def slug_for(name: str, polling: str) -> str:
    """``ward-52-by-election-2027-02-17``: lower-case letters, digits and single hyphens, at most 48 characters."""
    words = _NOT_IN_SLUG.sub("-", name.lower()).strip("-")
    if not words or not words[0].isalpha():
        words = f"e-{words}".strip("-")
    return f"{words[: 47 - len(polling)].strip('-')}-{polling}"


def run(request: AddRequest, ctx: CommandContext) -> Outcome:
    from opsbot.elections.calendar import ensure_future, load_calendar, windows

    calendar, entries = ctx.ports.calendar, ctx.ports.elections
    if calendar is None or entries is None:
        raise GuardrailViolation("the election calendar is not configured here")
    try:
        (election,) = load_calendar(
            {"elections": [request.entry]}, ceiling=ctx.settings.guardrails.ceiling, source="slack"
        )
        ensure_future(election, ctx.now)
    except ConfigError as exc:
        raise UsageError(str(exc).removeprefix("election calendar: "), USAGE) from exc
    if any(e.slug == election.slug for e in calendar.elections()):
        raise GuardrailViolation(
            f"`{election.slug}` is on the calendar already; `schedule remove {election.slug}` first to change it"
        )
    view = ScheduleAddView(election, windows(election), request.dry_run)
    if request.dry_run:
        return Outcome(view=view, audit=AuditOutcome(decision="dry-run", after={"slug": election.slug}))
    if not entries.add(request.entry, ctx.actor.user_id, ctx.now):
        raise GuardrailViolation(f"`{election.slug}` was added by someone else a moment ago")
    return Outcome(
        view=view, audit=AuditOutcome(after={"slug": election.slug, "polling_date": str(election.polling_date)})
    )


SPEC = CommandSpec(
    name="schedule add",
    usage=USAGE,
    required_role=Role.ADMIN,
    parse=parse,
    run=run,
    mutating=True,
    doc=__doc__ or "",
)
