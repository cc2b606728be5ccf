"""Block Kit rendering of command outcomes. Slack only ever sees IDs, counts, states and links.

Every string that did not originate in this module is escaped where it is interpolated (``esc``/``code``),
and every message is finished by ``blocks.message``, which keeps it inside Slack's limits.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsbot.commands.base import Outcome
from opsbot.commands.dispatch import ErrorView
from opsbot.logic.durations import format_duration
from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, Message, code, esc, mention

if TYPE_CHECKING:  # each verb's module is imported when the verb runs, not for rendering's sake at cold start
    from opsbot.commands.audit import AuditView
    from opsbot.commands.help import HelpView
    from opsbot.commands.remediation import RemediationView
    from opsbot.commands.scale import ScaleView
    from opsbot.commands.status import Section, StatusView

__all__ = ["Message", "esc", "internal_error", "render", "requester_copy", "working"]

# How much of one external value a line shows; the rest of the line and the message stay readable.
_NAME = 120
_ERROR = 300


def render(outcome: Outcome) -> Message:
    """A message for ``respond()``/``ack()``: ``text`` (notification fallback), ``blocks``, ``response_type``."""
    view = outcome.view
    renderer = _RENDERERS[type(view).__name__]
    text, body = renderer(view)
    # A report is read by people who did not make the change: it names who did (unless the view already does).
    if outcome.report and outcome.by and mention(outcome.by) not in text:
        at = next((i for i, block in enumerate(body) if block.get("type") == "actions"), len(body))
        body = [*body[:at], bk.context(f"by {mention(outcome.by)}"), *body[at:]]  # above the buttons
    if outcome.warning:
        body = [*body, bk.context(f":warning: {esc(outcome.warning)}")]
    return bk.message(text, body, response_type="in_channel" if outcome.public else "ephemeral")


def requester_copy(outcome: Outcome) -> Message:
    """What the requester sees where they made a change whose report went to the ops channel (results ``ops``)."""
    message = render(replace(outcome, public=False))
    note = bk.context(":loudspeaker: posted to the ops channel for the team")
    return bk.message(message["text"], [*message.get("blocks", []), note], response_type="ephemeral")


def working(verb: str) -> Message:
    return bk.message(f":hourglass_flowing_sand: working on {code(verb, 40)}…", response_type="ephemeral")


def internal_error(reference: str) -> Message:
    return bk.message(
        f":x: Something went wrong inside the bot; nothing was changed by this step. Reference {code(reference, 40)}.",
        response_type="ephemeral",
    )


def _help(view: HelpView) -> tuple[str, list[Block]]:
    entries = [
        f"`{esc(usage)}`\n{esc(summary)}" + (f"\n{esc(details)}" if details else "")
        for usage, summary, details in view.entries
    ]
    from opsbot.commands.help import FREEZE

    return "MyCandidate opsbot commands", [
        bk.section("*MyCandidate opsbot*"),
        *bk.sections(entries, "commands", separator="\n\n"),
        bk.context(f":ballot_box_with_ballot: {esc(FREEZE)}"),
    ]


def _error(view: ErrorView) -> tuple[str, list[Block]]:
    icon = {"usage": ":warning:", "refused": ":no_entry:", "failed": ":x:"}[view.kind]
    text = bk.truncate(f"{icon} {esc(view.message)}", bk.SECTION_TEXT)
    body = [bk.section(text)]
    if view.usage:
        body.append(bk.context(f"Usage: {code(view.usage, 200)}"))
    return text, body


def _age(delta: timedelta) -> str:
    return format_duration(timedelta(seconds=max(0, int(delta.total_seconds())))) + " ago"


def _part(section: Section[Any], render_value: Any) -> str:
    if section.error:
        return f":grey_question: unavailable — {esc(bk.truncate(section.error, _ERROR))}"
    return str(render_value(section.value))


def _status(view: StatusView) -> tuple[str, list[Block]]:
    def service(state: Any) -> str:
        deploying = state.deployment_in_progress
        deployment = (
            f":arrows_counterclockwise: deployment {code(deploying.id, _NAME)} in progress" if deploying else "none"
        )
        return (
            f"*Tasks* desired {state.desired} · running {state.running} · pending {state.pending}\n"
            f"*Task definition* {code(state.task_definition, _NAME)} · image {code(state.image_tag, _NAME)}\n"
            f"*Deployment* {deployment}"
        )

    def scheduled(actions: Any) -> str:
        if not actions:
            return "none"
        return bk.capped_join(
            [
                f"{code(a.name, _NAME)} {a.at:%Y-%m-%d %H:%M} UTC → min {a.min} / max {a.max}"
                if a.at
                else f"{code(a.name, _NAME)} {code(a.schedule, _NAME)}"
                for a in actions
            ],
            800,
            "scheduled actions",
        )

    def intents(contributions: Any) -> str:
        if not contributions:
            return "baseline only"
        lines = []
        for c in contributions:
            i = c.intent
            until = f" until {i.expires:%m-%d %H:%M} UTC" if i.expires else ""
            holds = " · ".join(
                part for part, on in (("holds the min", c.sets_min), ("holds the max", c.sets_max)) if on
            )
            lines.append(
                f"{code(i.owner, _NAME)} {i.kind} min {i.min} / max {i.max}{until}" + (f" — {holds}" if holds else "")
            )
        return bk.capped_join(lines, 1200, "intents", separator="\n")

    def alarms(firing: Any) -> str:
        if not firing:
            return ":white_check_mark: none in ALARM"
        return ":rotating_light: " + bk.capped_join([code(a.name, _NAME) for a in firing], 1200, "alarms")

    def snapshot(age: Any) -> str:
        return "no snapshots found" if age is None else _age(age)

    def election(state: Any) -> str:
        if state is None:
            return "none on the calendar"
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(state.zone)
        name = esc(bk.truncate(state.name, _NAME))
        if not state.open:
            line = f"next: {name}, window opens {state.opens.astimezone(zone):%a %d %b %H:%M %Z}"
        else:
            line = (
                f":ballot_box_with_ballot: {name} — {esc(state.phase)} until"
                f" {state.closes.astimezone(zone):%a %d %b %H:%M %Z}; window holds min {state.minimum}"
            )
            if state.freeze:
                line += ' · :snowflake: change freeze on (reductions need an admin `--override "<reason>"`)'
        if state.scale_in_suspended:
            line += " · scale-in suspended"
        return line

    def cutover(found: Any) -> str:
        if found is None:
            return "no service deployment in progress"
        short = code(found.deployment.rsplit("/", 1)[-1], _NAME)
        line = f":arrows_counterclockwise: {short} {esc(found.status)}, stage {esc(found.stage or '—')}"
        return line + (" · :pause_button: waiting to be promoted (`/mycandidate cutover`)" if found.gate else "")

    healthy = not view.alarms.error and not view.alarms.value
    headline = f"{':large_green_circle:' if healthy else ':red_circle:'} *{esc(bk.truncate(view.service_name, _NAME))}*"
    body = "\n".join(
        [
            _part(view.service, service),
            f"*Autoscaling* {_part(view.capacity, lambda capacity: esc(capacity))}",
            f"*Capacity intents* (baseline min {view.baseline.min} / max {view.baseline.max})\n"
            f"{_part(view.intents, intents)}",
            f"*Next scheduled* {_part(view.scheduled, scheduled)}",
            f"*Alarms* {_part(view.alarms, alarms)}",
            f"*Latest DB snapshot* {_part(view.snapshot_age, snapshot)}",
            f"*Election* {_part(view.election, election)}",
            f"*Cutover* {_part(view.cutover, cutover)}",
        ]
    )
    checked = bk.context(f"checked {view.checked_at:%Y-%m-%d %H:%M:%S} UTC")
    return f"Status of {esc(bk.truncate(view.service_name, _NAME))}", [bk.section(headline), bk.section(body), checked]


def _scale(view: ScaleView) -> tuple[str, list[Block]]:
    change = f"{view.before} → {view.after}"
    revert = f"\nThis raise ends by itself at {view.revert_at:%Y-%m-%d %H:%M} UTC" if view.revert_at else ""
    note = f"\n{esc(bk.truncate(view.note, _ERROR))}" if view.note else ""
    later = f"\n{_later(view)}" if view.later else ""
    if view.kind == "applied":
        text = f":white_check_mark: Scaled: {change}{revert}{later}{note}"
        return text, [bk.section(text), bk.actions([bk.button("Undo", "scale_undo", view.undo_key)])]
    if view.kind == "confirm":
        text = f":warning: This raises the minimum to {view.after.min} tasks: {change}{revert}{later}. Confirm?"
        buttons = [
            bk.button("Confirm", "scale_confirm", view.confirmation_id, "danger"),
            bk.button("Cancel", "scale_cancel", view.confirmation_id),
        ]
        return text, [bk.section(text), bk.actions(buttons)]
    if view.kind == "confirm-undo":
        text = f":warning: Undo? Capacity is {view.after}.{note}"
        buttons = [
            bk.button("Undo anyway", "scale_undo_confirm", view.confirmation_id, "danger"),
            bk.button("Keep as is", "scale_cancel", view.confirmation_id),
        ]
        return text, [bk.section(text), bk.actions(buttons)]
    text = {
        "dry-run": f":mag: Dry run — would scale: {change}{revert}{later}. Nothing was changed.",
        "noop": f":information_source: Already at {view.after}; nothing to change.",
        "cancelled": ":no_entry_sign: Cancelled; nothing was changed.",
        "undone": f":leftwards_arrow_with_hook: Undone: {change}{later}{note}",
    }[view.kind]
    if view.kind == "undone" and view.undo_key:
        return text, [bk.section(text), bk.actions([bk.button("Undo", "scale_undo", view.undo_key)])]
    return text, [bk.section(text)]


def _later(view: ScaleView) -> str:
    steps = [f"{a.at:%m-%d %H:%M} UTC → {a.capacity}" for a in view.later]
    return "Then, by schedule: " + bk.capped_join(steps, 600, "changes")


def _audit(view: AuditView) -> tuple[str, list[Block]]:
    if not view.entries:
        return "No recorded actions yet.", [bk.section("No recorded actions yet.")]
    lines = []
    for entry in view.entries:
        change = ""
        if entry.before or entry.after:
            change = f" · {esc(_brief(entry.before))} → {esc(_brief(entry.after))}"
        error = f" · {esc(bk.truncate(entry.error, 120))}" if entry.error else ""
        actor = mention(bk.truncate(entry.actor, 60))
        lines.append(
            f"`{_when(entry.at)}` {actor} {code(f'{entry.verb} {entry.arguments}'.strip(), _NAME)}"
            + f" — {esc(bk.truncate(entry.decision, 40))}/{esc(bk.truncate(entry.result, 40))}{change}{error}"
        )
    text = f"Last {len(view.entries)} recorded actions"
    return text, [bk.section(f"*{text}*"), *bk.sections(lines, "entries")]


def _brief(state: dict[str, Any]) -> str:
    if "min" in state and "max" in state:
        return bk.truncate(f"{state['min']}..{state['max']}", 60)
    return bk.truncate(json.dumps(state, sort_keys=True, default=str, ensure_ascii=False), 60) if state else "–"


def _when(at: datetime) -> str:
    return f"{at:%m-%d %H:%M:%S}"


def _remediation(view: RemediationView) -> tuple[str, list[Block]]:
    if view.kind == "status" or view.kind == "switched":
        state = "ON" if view.enabled else "OFF"
        mode = " (dry-run: decisions are reported, nothing is changed)" if view.dry_run else ""
        prefix = ":white_check_mark:" if view.enabled else ":octagonal_sign:"
        text = f"{prefix} Automatic remediation is {state}{mode}"
    elif view.kind == "muted":
        assert view.until is not None
        text = f":mute: {code(view.alarm, 300)} muted until {view.until:%Y-%m-%d %H:%M} UTC by {mention(view.by)}"
    elif view.kind == "unmuted":
        text = f":loud_sound: {code(view.alarm, 300)} is no longer muted"
    else:
        text = f":eyes: {code(view.alarm, 300)} acknowledged by {mention(view.by)}"
    return text, [bk.section(text)]


def _scale_down(view: Any) -> tuple[str, list[Block]]:
    from opsbot.slack.election_reports import scale_down  # only when a scale-down button was pressed

    return scale_down(view)


def _readiness(view: Any) -> tuple[str, list[Block]]:
    from opsbot.slack.readiness_report import readiness  # only when `readiness` ran

    return readiness(view.report)


def _cutover_view(name: str) -> Any:
    def render_view(view: Any) -> tuple[str, list[Block]]:
        from opsbot.slack import cutover_views  # only when a cutover command ran

        renderer: Any = getattr(cutover_views, name)
        return renderer(view)  # type: ignore[no-any-return]

    return render_view


def _deploy(view: Any) -> tuple[str, list[Block]]:
    from opsbot.slack.cutover_views import deploy  # only when `deploy` ran

    return deploy(view)


def _snapshot_view(name: str) -> Any:
    def render_view(view: Any) -> tuple[str, list[Block]]:
        from opsbot.slack import snapshot_views  # only when a snapshot command ran

        renderer: Any = getattr(snapshot_views, name)
        return renderer(view)  # type: ignore[no-any-return]

    return render_view


def _schedule_view(name: str) -> Any:
    def render_view(view: Any) -> tuple[str, list[Block]]:
        from opsbot.slack import schedule_views  # only when a `schedule` command ran

        renderer: Any = getattr(schedule_views, name)
        return renderer(view)  # type: ignore[no-any-return]

    return render_view


# By class name: importing the view classes here would import every verb's module (tests/unit check each is here).
_RENDERERS: dict[str, Any] = {
    "ScaleDownView": _scale_down,
    "ScheduleView": _schedule_view("schedule"),
    "ScheduleAddView": _schedule_view("schedule_add"),
    "ScheduleRemoveView": _schedule_view("schedule_remove"),
    "SyncView": _schedule_view("sync"),
    "ReadinessView": _readiness,
    "SnapshotView": _snapshot_view("snapshot"),
    "SnapshotListView": _snapshot_view("snapshot_list"),
    "PruneView": _snapshot_view("prune"),
    "PinView": _snapshot_view("pin"),
    "ResidencyView": _snapshot_view("residency"),
    "DeployView": _deploy,
    "CutoverView": _cutover_view("cutover"),
    "GateAnswerView": _cutover_view("gate_answer"),
    "ApprovalAnswerView": _cutover_view("approval_answer"),
    "RollbackView": _cutover_view("rollback"),
    "RemediationView": _remediation,
    "HelpView": _help,
    "ErrorView": _error,
    "StatusView": _status,
    "ScaleView": _scale,
    "AuditView": _audit,
}
