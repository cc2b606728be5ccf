"""Where a service deployment stands (pure, from ``DescribeServiceDeployments``): its stage, its hooks and, when a
``PAUSE`` hook is waiting, the gate a person answers with Promote or Roll back before it times out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WAITING = frozenset({"AWAITING_ACTION"})  # a PAUSE hook waiting for ContinueServiceDeployment
UNFINISHED = frozenset({"PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"})


@dataclass(frozen=True)
class Gate:
    deployment: str
    hook_id: str
    expires_at: datetime | None
    timeout_action: str


@dataclass(frozen=True)
class Standing:
    deployment: str
    status: str
    stage: str
    reason: str
    hooks: tuple[tuple[str, str], ...]  # (type, status)
    gate: Gate | None
    finished: bool


def standing(described: Mapping[str, Any]) -> Standing:
    status = str(described.get("status", ""))
    hooks = [h for h in described.get("lifecycleHookDetails") or [] if isinstance(h, Mapping)]
    gate = None
    for hook in hooks:
        if hook.get("targetType") == "PAUSE" and hook.get("status") in WAITING and status in UNFINISHED:
            expires = hook.get("expiresAt")
            gate = Gate(
                str(described.get("serviceDeploymentArn", "")), str(hook.get("hookId", "")),
                expires if isinstance(expires, datetime) else None, str(hook.get("timeoutAction", "ROLLBACK")),
            )  # fmt: skip
    return Standing(
        deployment=str(described.get("serviceDeploymentArn", "")),
        status=status,
        stage=str(described.get("lifecycleStage", "") or ""),
        reason=str(described.get("statusReason", "") or ""),
        hooks=tuple((str(h.get("targetType", "")), str(h.get("status", ""))) for h in hooks),
        gate=gate,
        finished=status not in UNFINISHED,
    )
