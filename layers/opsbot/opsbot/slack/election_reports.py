"""What the election reconciler posts to the ops channel: a drift it repaired, a capacity sync that failed, and the
gated scale-down question.

Election names come from the calendar or from Slack: escaped like every external string (``esc``/``code``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, Message, code, esc

KEEP_HOURS = 6  # what "Keep for 6 h" adds, from the moment it is pressed


def render(report: Any) -> Message:
    kind = type(report).__name__
    if kind == "DriftRepaired":
        return _drift(report)
    if kind == "WindowEnded":
        return window_ended(report)
    if kind == "ConflictsFound":
        return _conflicts(report)
    if kind == "SyncFailed":
        return _sync_failed(report)
    if kind == "Readiness":
        from opsbot.slack.readiness_report import readiness_message

        return readiness_message(report)
    raise TypeError(f"no rendering for {kind}")


def _local(at: datetime, zone: str) -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M %Z} ({at.astimezone(ZoneInfo('UTC')):%H:%M} UTC)"


def _drift(report: Any) -> Message:
    found = [esc(state.describe()) for state in report.found]
    text = f":wrench: Election capacity: {len(found)} bot-owned scheduled action(s) had drifted and were put back"
    lines = [f"• found: {line}" for line in found]
    did = f"done: {len(report.calls)} call(s) — " + ", ".join(code(c, 80) for c in report.calls[:5])
    if len(report.calls) > 5:
        did += f" and {len(report.calls) - 5} more"
    body: list[Block] = [bk.section(f"*{text}*"), *bk.sections(lines, "finding"), bk.context(esc(did))]
    body.append(bk.context("The bot owns `opsbot-capacity-*` actions; change capacity with `/mycandidate scale`."))
    return bk.message(text, body)


def _sync_failed(report: Any) -> Message:
    text = f":x: Election {esc(report.part)} could not be brought in line with the calendar this run"
    done = f" Before it stopped: {esc(bk.truncate(report.done, 300))}." if report.done else ""
    detail = (
        f"{esc(bk.truncate(report.reason, 600))} ({report.elections} election(s) in the calendar).{done} The next"
        " hourly run tries again; `/mycandidate schedule` shows what is in place, and `/mycandidate schedule sync`"
        " retries once the cause is fixed."
    )
    return bk.message(text, [bk.section(f"*{text}*"), bk.section(detail)])


def _conflicts(report: Any) -> Message:
    found = [esc(conflict.describe()) for conflict in report.found]
    text = f":warning: Election capacity: {len(found)} scheduled action(s) of other owners work against a window"
    body: list[Block] = [bk.section(f"*{text}*"), *bk.sections([f"• {line}" for line in found], "conflicts")]
    body.append(bk.context("The bot never changes other owners' actions: move or delete them if they are wrong."))
    return bk.message(text, body)


def window_ended(report: Any) -> Message:
    election = report.election
    name = esc(bk.truncate(election.name, 120))
    text = f":ballot_box_with_ballot: {name}: window ended — scale back to baseline?"
    detail = (
        f"The election window closed {_local(report.closed, election.zone)}. Capacity stays at the window's last"
        f" level until {_local(report.fallback, election.zone)}, then returns to the baseline by itself (a"
        " scheduled action does it even if the bot is down)."
    )
    buttons = [
        bk.button("Scale down now", "election_scale_down", election.slug, "primary"),
        bk.button(f"Keep for {KEEP_HOURS} h", "election_keep", election.slug),
    ]
    return bk.message(text, [bk.section(f"*{text}*"), bk.section(detail), bk.actions(buttons)])


def scale_down(view: Any) -> tuple[str, list[Block]]:
    """The answer to a press of **Scale down now** / **Keep for 6 h** (``opsbot.commands.scale_down``)."""
    name = esc(bk.truncate(view.name, 120))
    if view.kind == "scaled-down":
        text = f":arrow_down: {name}: scaled back now — capacity {view.before} → {view.after}"
    else:
        text = (
            f":hourglass: {name}: window capacity kept until {view.until:%Y-%m-%d %H:%M} UTC"
            f" — capacity {view.after}; then it returns to the baseline by itself"
        )
    return text, [bk.section(text)]
