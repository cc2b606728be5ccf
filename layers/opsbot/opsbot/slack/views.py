"""Block Kit rendering of command outcomes. Slack only ever sees IDs, counts, states and links."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbot.commands.audit import AuditView
from opsbot.commands.base import Outcome
from opsbot.commands.dispatch import ErrorView
from opsbot.commands.help import HelpView
from opsbot.commands.remediation import RemediationView
from opsbot.commands.scale import ScaleView
from opsbot.commands.status import Section, StatusView
from opsbot.logic.durations import format_duration

Message = dict[str, Any]


def render(outcome: Outcome) -> Message:
    """A message for ``respond()``/``ack()``: ``text`` (notification fallback), ``blocks``, ``response_type``."""
    view = outcome.view
    renderer = _RENDERERS[type(view)]
    text, blocks = renderer(view)
    if outcome.warning:
        blocks = [*blocks, _context(f":warning: {esc(outcome.warning)}")]
    return {"text": text, "blocks": blocks, "response_type": "in_channel" if outcome.public else "ephemeral"}


def working(verb: str) -> Message:
    return {"text": f":hourglass_flowing_sand: working on `{verb}`…", "response_type": "ephemeral"}


def internal_error(reference: str) -> Message:
    return {
        "text": f":x: Something went wrong inside the bot; nothing was changed by this step. Reference `{reference}`.",
        "response_type": "ephemeral",
    }


def esc(text: object) -> str:
    """Escape Slack's control characters in text that did not come from this module."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown}}


def _context(markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": markdown}]}


def _button(text: str, action_id: str, value: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _help(view: HelpView) -> tuple[str, list[dict[str, Any]]]:
    lines = []
    for usage, summary, details in view.entries:
        lines.append(f"`{esc(usage)}`\n{esc(summary)}" + (f"\n{esc(details)}" if details else ""))
    return "MyCandidate opsbot commands", [_section("*MyCandidate opsbot*"), _section("\n\n".join(lines))]


def _error(view: ErrorView) -> tuple[str, list[dict[str, Any]]]:
    icon = {"usage": ":warning:", "refused": ":no_entry:", "failed": ":x:"}[view.kind]
    text = f"{icon} {esc(view.message)}"
    blocks = [_section(text)]
    if view.usage:
        blocks.append(_context(f"Usage: `{esc(view.usage)}`"))
    return text, blocks


def _age(delta: timedelta) -> str:
    return format_duration(timedelta(seconds=max(0, int(delta.total_seconds())))) + " ago"


def _part(section: Section[Any], render_value: Any) -> str:
    if section.error:
        return f":grey_question: unavailable — {esc(section.error)}"
    return str(render_value(section.value))


def _status(view: StatusView) -> tuple[str, list[dict[str, Any]]]:
    def service(state: Any) -> str:
        deploying = state.deployment_in_progress
        deployment = f":arrows_counterclockwise: deployment `{deploying.id}` in progress" if deploying else "none"
        return (
            f"*Tasks* desired {state.desired} · running {state.running} · pending {state.pending}\n"
            f"*Task definition* `{state.task_definition}` · image `{state.image_tag}`\n*Deployment* {deployment}"
        )

    def scheduled(actions: Any) -> str:
        if not actions:
            return "none"
        return ", ".join(
            f"`{a.name}` {a.at:%Y-%m-%d %H:%M} UTC → min {a.min} / max {a.max}" if a.at else f"`{a.name}` {a.schedule}"
            for a in actions
        )

    def alarms(firing: Any) -> str:
        if not firing:
            return ":white_check_mark: none in ALARM"
        return ":rotating_light: " + ", ".join(f"`{a.name}`" for a in firing)

    def snapshot(age: Any) -> str:
        return "no snapshots found" if age is None else _age(age)

    healthy = not view.alarms.error and not view.alarms.value
    headline = f"{':large_green_circle:' if healthy else ':red_circle:'} *{view.service_name}*"
    body = "\n".join(
        [
            _part(view.service, service),
            f"*Autoscaling* {_part(view.capacity, str)}",
            f"*Next scheduled* {_part(view.scheduled, scheduled)}",
            f"*Alarms* {_part(view.alarms, alarms)}",
            f"*Latest DB snapshot* {_part(view.snapshot_age, snapshot)}",
        ]
    )
    blocks = [_section(headline), _section(body), _context(f"checked {view.checked_at:%Y-%m-%d %H:%M:%S} UTC")]
    return f"Status of {view.service_name}", blocks


def _scale(view: ScaleView) -> tuple[str, list[dict[str, Any]]]:
    change = f"{view.before} → {view.after}"
    revert = f"\nReverts automatically at {view.revert_at:%Y-%m-%d %H:%M} UTC" if view.revert_at else ""
    note = f"\n{esc(view.note)}" if view.note else ""
    if view.kind == "applied":
        text = f":white_check_mark: Scaled: {change}{revert}{note}"
        actions = [_button("Undo", "scale_undo", view.undo_key)]
        return text, [_section(text), {"type": "actions", "elements": actions}]
    if view.kind == "confirm":
        text = f":warning: This raises the minimum to {view.after.min} tasks: {change}{revert}. Confirm?"
        actions = [
            _button("Confirm", "scale_confirm", view.confirmation_id, "danger"),
            _button("Cancel", "scale_cancel", view.confirmation_id),
        ]
        return text, [_section(text), {"type": "actions", "elements": actions}]
    text = {
        "dry-run": f":mag: Dry run — would scale: {change}{revert}. Nothing was changed.",
        "noop": f":information_source: Already at {view.after}; nothing to change.",
        "cancelled": ":no_entry_sign: Cancelled; nothing was changed.",
        "undone": f":leftwards_arrow_with_hook: Undone: {change}{note}",
    }[view.kind]
    return text, [_section(text)]


def _audit(view: AuditView) -> tuple[str, list[dict[str, Any]]]:
    if not view.entries:
        return "No recorded actions yet.", [_section("No recorded actions yet.")]
    lines = []
    for entry in view.entries:
        change = ""
        if entry.before or entry.after:
            change = f" · {_brief(entry.before)} → {_brief(entry.after)}"
        error = f" · {entry.error[:120]}" if entry.error else ""
        lines.append(
            f"`{_when(entry.at)}` <@{esc(entry.actor)}> `{esc(f'{entry.verb} {entry.arguments}'.strip())}`"
            + f" — {esc(entry.decision)}/{esc(entry.result)}{esc(change)}{esc(error)}"
        )
    text = f"Last {len(view.entries)} recorded actions"
    return text, [_section(f"*{text}*"), _section("\n".join(lines))]


def _brief(state: dict[str, Any]) -> str:
    if "min" in state and "max" in state:
        return f"{state['min']}..{state['max']}"
    return json.dumps(state, sort_keys=True)[:60] if state else "–"


def _when(at: datetime) -> str:
    return f"{at:%m-%d %H:%M:%S}"


def _remediation(view: RemediationView) -> tuple[str, list[dict[str, Any]]]:
    if view.kind == "status" or view.kind == "switched":
        state = "ON" if view.enabled else "OFF"
        mode = " (dry-run: decisions are reported, nothing is changed)" if view.dry_run else ""
        prefix = ":white_check_mark:" if view.enabled else ":octagonal_sign:"
        text = f"{prefix} Automatic remediation is {state}{mode}"
    elif view.kind == "muted":
        assert view.until is not None
        text = f":mute: `{esc(view.alarm)}` muted until {view.until:%Y-%m-%d %H:%M} UTC by <@{esc(view.by)}>"
    elif view.kind == "unmuted":
        text = f":loud_sound: `{esc(view.alarm)}` is no longer muted"
    else:
        text = f":eyes: `{esc(view.alarm)}` acknowledged by <@{esc(view.by)}>"
    return text, [_section(text)]


_RENDERERS: dict[type, Any] = {
    RemediationView: _remediation,
    HelpView: _help,
    ErrorView: _error,
    StatusView: _status,
    ScaleView: _scale,
    AuditView: _audit,
}
