"""The readiness report as one Block Kit message: a header, the tally, and one line per check — its verdict, the
figure behind it, a link, and for a warn or fail what to do.

Figures and fixes can carry names from outside (alarm, mute rule, deployment, election): everything is escaped.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, Message, esc

_ICONS = {"pass": ":white_check_mark:", "warn": ":warning:", "fail": ":x:"}
_VERDICTS = {"pass": "ready", "warn": "ready with warnings", "fail": "NOT ready"}


def _line(check: Any) -> str:
    line = f"{_ICONS[check.status]} *{esc(check.name)}* — {esc(check.figure)}"
    if check.link:
        line += " · " + bk.link(check.link, "open")
    if check.fix and check.status != "pass":
        line += f"\n      ↳ {esc(check.fix)}"
    return line


def summary(report: Any) -> str:
    election = report.election
    opens = report.polls_open.astimezone(ZoneInfo(election.zone))
    return (
        f"Readiness for {esc(bk.truncate(election.name, 80))}: {_VERDICTS[report.status]}"
        f" — {report.count('fail')} fail, {report.count('warn')} warn, {report.count('pass')} pass;"
        f" polls open {opens:%a %d %b %H:%M %Z}"
    )


def readiness(report: Any) -> tuple[str, list[Block]]:
    """For the command's answer and the reconciler's post alike."""
    text = summary(report)
    election = report.election
    opens = report.polls_open.astimezone(ZoneInfo(election.zone))
    head = bk.header(f"Readiness: {bk.truncate(election.name, 80)} — polls open {opens:%a %d %b %H:%M}")
    tally = (
        f"*{_VERDICTS[report.status]}* — {report.count('fail')} fail · {report.count('warn')} warn ·"
        f" {report.count('pass')} pass"
    )
    context = f"{esc(report.trigger)} report for `{esc(election.slug)}`, checked {report.checked_at:%Y-%m-%d %H:%M} UTC"
    body: list[Block] = [head, bk.section(tally), *bk.sections([_line(c) for c in report.checks], "checks")]
    body.append(bk.context(context))
    return text, body


def readiness_message(report: Any) -> Message:
    text, body = readiness(report)
    return bk.message(text, body)
