"""Block Kit for the `schedule` commands. Election names come from the calendar or from Slack: escaped."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, code, esc, mention

_STATE = {"ok": ":white_check_mark: ok", "missing": ":x: missing", "drifted": ":warning: drifted"}
_SHOWN = 12  # change points and elections listed before "and N more"


def _local(at: datetime, zone: str = "Africa/Johannesburg") -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M %Z}"


def _phases(election: Any, windows: Any) -> str:
    lines = [
        f"  • {esc(w.phase)}: {_local(w.start, election.zone)} → {_local(w.end, election.zone)},"
        f" min {w.min} max {w.max}" + (" · scale-in suspended" if w.suspend_scale_in else "")
        for w in windows
    ]
    return "\n".join(lines)


def _election_line(election: Any) -> str:
    origin = "added from Slack" if election.source == "slack" else "calendar"
    return (
        f"*{esc(bk.truncate(election.name, 120))}* ({code(election.slug, 60)}, {esc(election.kind)}, {origin}) —"
        f" polling day {election.polling_date:%a %d %b %Y}"
    )


def schedule(view: Any) -> tuple[str, list[Block]]:
    count = len(view.elections)
    text = f":calendar: {count} upcoming election(s)" if count else ":calendar: no upcoming elections on the calendar"
    body: list[Block] = [bk.section(f"*{text}*")]
    entries = [
        f"{_election_line(e)}\n{_phases(e, w)}"
        for e, w in list(zip(view.elections, view.windows, strict=True))[:_SHOWN]
    ]
    if len(view.elections) > _SHOWN:
        entries.append(f"… and {len(view.elections) - _SHOWN} more")
    body += bk.sections(entries, "elections", separator="\n\n") if entries else []
    if view.points:
        lines = [
            f"{_STATE.get(p.state, esc(p.state))} · {_local(p.at)} → min {p.min} max {p.max}"
            f" · driven by {', '.join(_owner(o) for o in p.drivers)}"
            for p in view.points[:_SHOWN]
        ]
        if len(view.points) > _SHOWN:
            lines.append(f"… and {len(view.points) - _SHOWN} more")
        body += [bk.section("*Scheduled capacity changes (the bot's)*"), *bk.sections(lines, "changes")]
    bad = [p for p in view.points if p.state != "ok"]
    if bad or view.unexpected:
        body.append(
            bk.context(
                f":wrench: {len(bad) + len(view.unexpected)} action(s) differ from the plan: "
                "`schedule sync` puts them back"
            )
        )
    if view.conflicts:
        body += [
            bk.section("*:warning: Other owners' scheduled actions against a window*"),
            *bk.sections([esc(c) for c in view.conflicts[:_SHOWN]], "conflicts"),
        ]
    for problem in view.problems[:5]:
        body.append(bk.context(f":warning: left out: {esc(bk.truncate(problem, 280))}"))
    return text, body


def _owner(owner: str) -> str:
    if ":" in owner:
        return code(owner, 60)  # election:<slug>, alarm:<name>
    return esc(owner) if owner == "baseline" else mention(owner)


def schedule_add(view: Any) -> tuple[str, list[Block]]:
    election = view.election
    verb = "would be added (dry run: nothing stored)" if view.dry_run else "added"
    text = f":heavy_plus_sign: {esc(bk.truncate(election.name, 120))} {verb}"
    body = [
        bk.section(f"*{text}*\n{_election_line(election)}\n{_phases(election, view.windows)}"),
        bk.context("It takes effect with `/mycandidate schedule sync` (or the hourly run)."),
    ]
    return text, body


def schedule_remove(view: Any) -> tuple[str, list[Block]]:
    if view.kind == "confirm":
        text = f":wastebasket: Remove {esc(bk.truncate(view.name, 120))} ({code(view.slug, 60)}) from the calendar?"
        buttons = [
            bk.button("Remove", "schedule_remove_confirm", view.confirmation_id, "danger"),
            bk.button("Cancel", "schedule_remove_cancel", view.confirmation_id),
        ]
        return text, [bk.section(text), bk.actions(buttons)]
    if view.kind == "removed":
        text = f":wastebasket: {code(view.slug, 60)} removed; the next sync takes its capacity away"
    else:
        text = f":leftwards_arrow_with_hook: {code(view.slug, 60)} stays on the calendar"
    return text, [bk.section(text)]


def sync(view: Any) -> tuple[str, list[Block]]:
    plan = view.plan
    if view.dry_run:
        text = ":mag: Election sync — dry run, nothing changed"
    elif plan.changes:
        text = f":white_check_mark: Election calendar applied: {view.before} → {view.after}"
    elif view.calls:
        text = f":wrench: Election calendar unchanged; {len(view.calls)} drifted scheduled action(s) put back"
    else:
        text = ":white_check_mark: Election calendar already in force: nothing to change"
    lines = [
        f"create {len(plan.add)} · delete {len(plan.remove)} · unchanged {len(plan.unchanged)} capacity intent(s);"
        f" the timeline needs {plan.actions} scheduled action(s)"
    ]
    lines += [
        f"+ {esc(bk.truncate(i.reason, 100))}: min {i.min} max {i.max} from {_local(i.start)}" for i in plan.add[:8]
    ]
    lines += [f"− {esc(bk.truncate(i.reason, 100))}" for i in plan.remove[:8]]
    differing = [s for s in view.states if s.state != "ok"]
    if view.dry_run and differing:
        lines.append(f"{len(differing)} scheduled action(s) would be created, changed or deleted:")
        verbs = {"missing": "create", "drifted": "put back", "unexpected": "delete"}
        lines += [f"  {verbs.get(s.state, s.state)} {code(s.name, 60)}" for s in differing[:8]]
    if view.calls and not view.dry_run:
        lines.append(f"{len(view.calls)} call(s): " + ", ".join(code(c, 80) for c in view.calls[:6]))
    return text, [bk.section(f"*{text}*"), *bk.sections(lines, "lines")]
