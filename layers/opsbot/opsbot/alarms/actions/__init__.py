"""Runbook actions, one module each; ``REGISTRY`` is the list the runbook loader and the remediator use."""

from __future__ import annotations

from opsbot.alarms.actions import notify, replace_tasks, rollback_deployment, scale_out, snapshot
from opsbot.alarms.actions.base import RunbookAction

REGISTRY: dict[str, RunbookAction] = {
    action.name: action
    for action in (
        scale_out.ACTION,
        replace_tasks.ACTION,
        rollback_deployment.ACTION,
        snapshot.ACTION,
        notify.ACTION,
    )
}
