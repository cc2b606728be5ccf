"""Block Kit for `deploy`: the pre-flight (one line per check), the plan (the task definition's one change, the
strategy, the hooks, the rollback alarms) and, once started, the service deployment it became."""

from __future__ import annotations

from typing import Any

from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, code, esc


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
    else:
        text = f":rocket: Deploying {code(view.image, 80)}: the service deployment has started"
    body: list[Block] = [bk.section(f"*{text}*"), *bk.sections(lines, "checks"), *bk.sections(plan, "plan lines")]
    if view.deployment:
        body.append(
            bk.context(f"Service deployment {code(view.deployment, 200)} · snapshot {code(view.snapshot, 120)}")
        )
    body += [bk.context(esc(note)) for note in view.notes]
    return text, body
