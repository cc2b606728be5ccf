"""What a deployment's Slack thread says (pure): from ``DescribeServiceDeployments`` and the hook's verdicts in the
audit trail, every line the deployment's state justifies so far, each with a key that makes it posted once.

Lines: the stage it has reached, each hook verdict (with the reason and every measured value the hook recorded), the
bake time, and the end — completed, or rolled back with **why**: which hook or alarm, which check, the values
against their limits, and links to the service deployment and the alarm in the console. The text is plain: the
Slack view escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from opsbot.cutover.gate import UNFINISHED

STAGE_WORDS = {
    "RECONCILE_SERVICE": "reconciling the service's revisions",
    "PRE_SCALE_UP": "before the green revision starts",
    "SCALE_UP": "starting the green revision's tasks",
    "POST_SCALE_UP": "green tasks running, no traffic yet",
    "TEST_TRAFFIC_SHIFT": "test traffic moving to green",
    "POST_TEST_TRAFFIC_SHIFT": "green on the test listener: smoke tests and analysis",
    "PRODUCTION_TRAFFIC_SHIFT": "production traffic moving to green",
    "POST_PRODUCTION_TRAFFIC_SHIFT": "green serves production",
    "BAKE_TIME": "baking: blue kept for a quick rollback while the alarms watch",
    "CLEAN_UP": "removing the blue revision",
}
ROLLED_BACK = frozenset({"ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_REQUESTED"})


@dataclass(frozen=True)
class Verdict:
    """One final answer of the lifecycle hook, as it recorded it (``opsbot.cutover.entry.record``)."""

    stage: str
    status: str
    reason: str


@dataclass(frozen=True)
class Line:
    key: str  # posted once per thread
    text: str
    end: bool = False  # the deployment is over: the thread's top message is updated too


def deployment_link(arn: str, region: str) -> str:
    """The service deployment in the ECS console (arn: …:service-deployment/<cluster>/<service>/<id>)."""
    parts = arn.rsplit(":", 1)[-1].split("/")
    if len(parts) != 4:
        return ""
    _, cluster, service, deployment = parts
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{quote(cluster)}/services/{quote(service)}"
        f"/deployments/{quote(deployment)}?region={region}"
    )


def alarm_link(name: str, region: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{quote(name, safe='')}"
    )


def lines(described: Mapping[str, Any], verdicts: Sequence[Verdict], region: str) -> list[Line]:
    found: list[Line] = []
    status = str(described.get("status", ""))
    stage = str(described.get("lifecycleStage", "") or "")
    if stage:
        found.append(Line(f"stage:{stage}", f"Stage {stage}: {STAGE_WORDS.get(stage, 'in progress')}"))
    for verdict in verdicts:
        found.append(Line(f"verdict:{verdict.stage}:{verdict.status}", f"Hook at {verdict.stage}: "
                          f"{verdict.status} — {verdict.reason}"))  # fmt: skip
    for hook in described.get("lifecycleHookDetails") or []:
        if isinstance(hook, Mapping) and hook.get("status") == "TIMED_OUT":
            found.append(Line(f"hook:{hook.get('hookId')}:TIMED_OUT", f"The {hook.get('targetType', 'hook')} hook "
                              f"timed out; ECS did {hook.get('timeoutAction', 'ROLLBACK')}"))  # fmt: skip
    bake = (described.get("deploymentConfiguration") or {}).get("bakeTimeInMinutes")
    if stage == "BAKE_TIME" and bake is not None:
        found.append(Line("bake", f"Baking for {int(bake)} min; a rollback alarm in ALARM now still rolls back"))
    if status in ROLLED_BACK:  # why, once, as soon as the rollback is seen
        found.append(Line("rollback:why", f"Rolling back — why: {'; '.join(why(described, verdicts, region))}"))
    if status not in UNFINISHED:
        found.append(_end(described, verdicts, region))
    return found


def _end(described: Mapping[str, Any], verdicts: Sequence[Verdict], region: str) -> Line:
    status = str(described.get("status", ""))
    link = deployment_link(str(described.get("serviceDeploymentArn", "")), region)
    where = f" ({link})" if link else ""
    if status == "SUCCESSFUL":
        return Line("end:SUCCESSFUL", f"Completed: the new revision serves production{where}", end=True)
    if status == "STOPPED":
        reason = str(described.get("statusReason", "") or "stopped")
        return Line("end:STOPPED", f"Stopped: {reason}{where}", end=True)
    if status not in ROLLED_BACK:
        return Line(f"end:{status}", f"Ended {status}: {described.get('statusReason', '')}{where}", end=True)
    outcome = "Rolled back" if status == "ROLLBACK_SUCCESSFUL" else "The rollback FAILED"
    return Line(f"end:{status}", f"{outcome} — {why(described, verdicts, region)[0]}{where}", end=True)


def why(described: Mapping[str, Any], verdicts: Sequence[Verdict], region: str) -> list[str]:
    """Every reason ECS and the hook gave: triggered alarms (with links), failed or timed-out hooks (with the
    values the hook measured), ECS's own reason."""
    reasons: list[str] = []
    alarms = described.get("alarms") or {}
    for name in alarms.get("triggeredAlarmNames") or []:
        reasons.append(f"rollback alarm {name} went into ALARM ({alarm_link(str(name), region)})")
    for verdict in verdicts:
        if verdict.status == "FAILED":
            reasons.append(f"the hook at {verdict.stage} failed: {verdict.reason}")
    for hook in described.get("lifecycleHookDetails") or []:
        if not isinstance(hook, Mapping):
            continue
        if hook.get("status") == "TIMED_OUT":
            reasons.append(
                f"the {hook.get('targetType', '')} hook timed out (timeout action {hook.get('timeoutAction')})"
            )
        elif hook.get("targetType") == "PAUSE" and hook.get("status") == "FAILED":
            reasons.append("Roll back was chosen at the pause before production traffic")
    rollback = described.get("rollback") or {}
    said = {str(text) for text in (rollback.get("reason"), described.get("statusReason")) if text}
    reasons += [f"ECS: {text}" for text in sorted(said)]
    return reasons or ["ECS gave no reason"]
