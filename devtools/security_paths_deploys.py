"""The fault and crash campaign's paths of the deployment buttons: Promote and Roll back at a deployment's pause
before production traffic (the gate `cutover` renders), and Approve and Reject of a prod `deploy` waiting for a
second operator.

Each setup runs outside the injection on a fresh stack (a deployment cannot be reset): a deployment paused at its
gate with the gate's buttons, or a prod deploy asked for by one operator and waiting for another's approval; it
keeps the button's value on the stack. Built by :func:`paths`, which ``devtools.security`` calls once its own
helpers exist (this module imports nothing of it at import time).

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.security import Path

SECOND = "U0SECOND"  # the prod deploy's second operator: the approver is not the requester


def _confirmation(stack: Any) -> bool:
    """Whether the button's one-time confirmation (a gate's, or a deploy's approval) can still be taken."""
    key = {"pk": {"S": f"CONFIRM#{stack.fault_button}"}, "sk": {"S": "CONFIRM"}}
    return "Item" in stack.client("dynamodb").get_item(TableName=stack.settings.operations_table, Key=key)


def _spent(words: str) -> Any:
    """A stop between taking the one-time confirmation and the change: AWS as before, the button used up; the ops
    channel must then hear ``words``."""

    def spent(before: tuple[Any, ...], state: tuple[Any, ...]) -> str:
        return words if before[-1] and state == (*before[:-1], False) else ""

    return spent


# cutover: Promote and Roll back at the pause ---------------------------------------------------------------------


def _at_the_gate(action_id: str) -> Any:
    """`deploy v1.4.3` (after a fresh snapshot), paused at its PRE_PRODUCTION_TRAFFIC_SHIFT hook; `cutover` shows
    the gate, whose ``action_id`` button is pressed."""

    def setup(stack: Any) -> None:
        from devtools.local_stack import OPERATOR, VIEWER
        from devtools.security import _snapshot_taken
        from devtools.security_paths import _button, _url

        _snapshot_taken(stack)
        stack.bot().command("deploy v1.4.3", OPERATOR, response_url=_url(stack, "deploy"))
        stack.bot().command("cutover", VIEWER, response_url=_url(stack, "gate"))
        stack.fault_button = _button(stack, action_id)
        stack.recorder.clear()

    return setup


def _gate_state(stack: Any) -> tuple[Any, ...]:
    """What ECS shows of the newest service deployment (its status, stage and hooks' answers; ids differ between
    fresh stacks, so they are not compared) and whether the gate's confirmation still works."""
    ecs = stack.client("ecs")
    listed = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    newest = max(listed, key=lambda d: d["createdAt"])
    (found,) = ecs.describe_service_deployments(serviceDeploymentArns=[newest["serviceDeploymentArn"]])[
        "serviceDeployments"
    ]
    hooks = tuple((h["targetType"], h["status"]) for h in found.get("lifecycleHookDetails") or [])
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    serving = str(service["taskDefinition"]).rsplit("/", 1)[-1]
    return serving, found["status"], found.get("lifecycleStage", ""), hooks, _confirmation(stack)


# deploy (prod): Approve and Reject -------------------------------------------------------------------------------


def _awaiting_approval(action_id: str) -> Any:
    """Prod, with a second operator: `deploy v1.4.3` (after a fresh snapshot) asked for by one operator, waiting for
    another's Approve or Reject (pressed by ``SECOND``)."""

    def setup(stack: Any) -> None:
        from devtools.local_stack import LOCAL_RBAC, OPERATOR
        from devtools.security import _snapshot_taken
        from devtools.security_paths import _button, _url
        from opsbot.config import RbacConfig

        rbac = {**LOCAL_RBAC, "operator": [OPERATOR, SECOND]}
        stack.settings = replace(stack.settings, environment="prod", rbac=RbacConfig.from_json(json.dumps(rbac)))
        _snapshot_taken(stack)
        stack.bot().command("deploy v1.4.3", OPERATOR, response_url=_url(stack, "ask"))
        stack.fault_button = _button(stack, action_id)
        stack.recorder.clear()

    return setup


def _deployments_and_approval(stack: Any) -> tuple[Any, ...]:
    from devtools.security_paths import _deployments

    return (*_deployments(stack), _confirmation(stack))


def _click_as(action_id: str, user: str) -> Any:
    def run(stack: Any) -> None:
        from devtools.security_paths import _url

        stack.bot().click(action_id, stack.fault_button, user, response_url=_url(stack, "fault"))

    return run


def paths() -> tuple[Path, ...]:
    from devtools.local_stack import OPERATOR
    from devtools.security import Path

    return (
        Path(
            "cutover: Promote",
            "cutover",
            _click_as("cutover_promote", OPERATOR),
            _gate_state,
            fresh=True,
            setup=_at_the_gate("cutover_promote"),
            stop_spends=_spent("run `cutover` again"),
        ),
        Path(
            "cutover: Roll back",
            "cutover",
            _click_as("cutover_rollback", OPERATOR),
            _gate_state,
            fresh=True,
            setup=_at_the_gate("cutover_rollback"),
            stop_spends=_spent("run `cutover` again"),
        ),
        Path(
            "deploy (prod): Approve",
            "deploy",
            _click_as("deploy_approve", SECOND),
            _deployments_and_approval,
            fresh=True,
            setup=_awaiting_approval("deploy_approve"),
            stop_spends=_spent("deploy again"),
        ),
        # A Reject's only change is taking the approval: a stop after it is the clean run's state.
        Path(
            "deploy (prod): Reject",
            "deploy",
            _click_as("deploy_reject", SECOND),
            _deployments_and_approval,
            fresh=True,
            setup=_awaiting_approval("deploy_reject"),
        ),
    )
