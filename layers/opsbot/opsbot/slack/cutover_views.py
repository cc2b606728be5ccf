"""Block Kit for `deploy`: the pre-flight (one line per check), the plan (the task definition's one change, the
strategy, the hooks, the rollback alarms) and, once started, the service deployment it became."""

from __future__ import annotations

from typing import Any

from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, code, esc, mention


def deploy(view: Any) -> tuple[str, list[Block]]:
    lines = [
        f"{':warning:' if c.warning else ':white_check_mark:' if c.passed else ':x:'} *{esc(c.name)}* — {esc(c.figure)}"
        for c in view.checks
    ]
    plan = [f"• {esc(line)}" for line in view.diff]
    plan.append(f"• strategy {code(view.strategy)}, bake {view.bake} min")
    plan.append("• hooks: " + esc("; ".join(view.hooks)))
    plan.append("• rollback alarms: " + ", ".join(code(a, 80) for a in view.alarms))
    if view.refused:
        text = f":no_entry: Deploy of {code(view.image, 80)} refused by the pre-flight"
    elif view.dry_run:
        text = f":mag: Deploy of {code(view.image, 80)} (dry run): nothing changed"
    elif view.approval:
        text = f":hourglass: Deploy of {code(view.image, 80)} waits for a second person's approval (prod)"
    else:
        text = f":rocket: Deploying {code(view.image, 80)}: the service deployment has started"
    body: list[Block] = [bk.section(f"*{text}*"), *bk.sections(lines, "checks"), *bk.sections(plan, "plan lines")]
    if view.deployment:
        body.append(
            bk.context(f"Service deployment {code(view.deployment, 200)} · snapshot {code(view.snapshot, 120)}")
        )
    elif view.task_definition:  # started, but its ARN could not be read back: `cutover` shows it
        body.append(bk.context(f"Started; its service deployment ARN could not be read — `/mycandidate cutover` shows"
                               f" it · snapshot {code(view.snapshot, 120)}"))  # fmt: skip
    if view.approval:
        when = f"{view.approval_expires:%Y-%m-%d %H:%M} UTC" if view.approval_expires else "its timeout"
        body += _question(
            f"Asked for by {mention(view.requester)}. Another operator approves or rejects; nothing changes before."
            f" The pre-flight runs again on approval. Expires at {when}.",
            view.approval, ("Approve", "deploy_approve"), ("Reject", "deploy_reject"),
        )  # fmt: skip
    elif view.approved_by:
        body.append(bk.context(f"Asked for by {mention(view.requester)}, approved by {mention(view.approved_by)}"))
    body += [bk.context(esc(note)) for note in view.notes]
    return text, body


def _question(markdown: str, value: str, yes: tuple[str, str], no: tuple[str, str]) -> list[Block]:
    """A question with its two buttons (label, action id), both carrying ``value``: yes primary, no danger."""
    return [bk.section(markdown), bk.actions([bk.button(*yes, value, "primary"), bk.button(*no, value, "danger")])]


def approval_answer(view: Any) -> tuple[str, list[Block]]:
    text = (
        f":no_entry_sign: {mention(view.by)} rejected the deploy of {code(view.image, 80)} asked for by"
        f" {mention(view.requester)}: nothing changed"
    )
    return text, [bk.section(text)]


def cutover(view: Any) -> tuple[str, list[Block]]:
    found = view.standing
    if found is None:
        text = ":information_source: The web service has had no service deployment yet"
        return text, [bk.section(text)]
    state = "finished" if found.finished else "in progress"
    short = code(found.deployment.rsplit("/", 1)[-1], 60)
    text = f":arrows_counterclockwise: Deployment {short}: {esc(found.status)} ({state})"
    lines = [f"*Stage* {esc(found.stage or '—')}"]
    if found.reason:
        lines.append(f"*Reason* {esc(bk.truncate(found.reason, 500))}")
    if found.hooks:
        lines.append("*Hooks* " + ", ".join(f"{esc(kind)} {esc(status)}" for kind, status in found.hooks))
    body: list[Block] = [bk.section(f"*{text}*"), bk.section("\n".join(lines))]
    gate = found.gate
    if gate is not None and view.confirmation:
        who = f"asked for by {mention(view.requester)}" if view.requester else "started outside the bot"
        when = f"{gate.expires_at:%Y-%m-%d %H:%M} UTC" if gate.expires_at else "its timeout"
        body += _question(
            f":pause_button: Waiting before production traffic ({who}); at {when} it does {esc(gate.timeout_action)}",
            view.confirmation, ("Promote", "cutover_promote"), ("Roll back", "cutover_rollback"),
        )  # fmt: skip
    return text, body


def gate_answer(view: Any) -> tuple[str, list[Block]]:
    verb = "promoted: production traffic shifts to the new revision" if view.action == "CONTINUE" else (
        "rolled back: traffic stays on the previous revision"
    )  # fmt: skip
    text = f":white_check_mark: {mention(view.by)} {verb} ({code(view.deployment.rsplit('/', 1)[-1], 60)})"
    return text, [bk.section(text)]


def rollback(view: Any) -> tuple[str, list[Block]]:
    if view.kind == "stopped":
        text = f":rewind: Rolling back deployment {code(view.deployment.rsplit('/', 1)[-1], 60)}: ECS returns traffic"
    else:
        revision = view.task_definition.rsplit("/", 1)[-1]
        text = (
            f":rewind: Rollback: deploying {code(revision, 80)} again ({code(view.deployment.rsplit('/', 1)[-1], 60)})"
        )
    if view.reason:
        text += f" — {esc(bk.truncate(view.reason, 200))}"
    return text, [bk.section(text)]


def thread_top(view: Any) -> dict[str, Any]:
    """The deployment thread's top message (``opsbot.cutover.tracker.ThreadTop``), updated in place at the end."""
    short = code(view.deployment.rsplit("/", 1)[-1], 60)
    what = f" of {code(view.image.rsplit('/', 1)[-1], 120)}" if view.image else ""
    who = f"started by {mention(view.requester)} with `/mycandidate deploy`" if view.requester else (
        "started outside the bot (a pipeline, CloudFormation or the console)"
    )  # fmt: skip
    text = f":rocket: Deployment {short}{what}, {who}"
    body: list[Block] = [bk.section(f"*{text}*")]
    if view.ended:
        body.append(bk.section(esc(bk.truncate(view.ended, 2500))))
    else:
        body.append(bk.context("Every stage, hook verdict and the end are posted in this thread."))
    return bk.message(text, body)


def thread_line(line: Any) -> dict[str, Any]:
    """One line of the deployment's thread (``opsbot.cutover.thread.Line``): plain text from ECS and the hook."""
    mark = ":checkered_flag:" if line.key == "end:SUCCESSFUL" else ":rewind:" if line.key.startswith("end:") else (
        ":x:" if line.key.endswith(":FAILED") or line.key.endswith(":TIMED_OUT") else ":small_blue_diamond:"
    )  # fmt: skip
    text = f"{mark} {esc(bk.truncate(line.text, 2800))}"
    return bk.message(text, [bk.section(text)])


def thread_gate(view: Any) -> dict[str, Any]:
    return bk.message(*cutover(view))
