"""`cutover`, its pause gate and `rollback` (issue 11): the gate's Promote and Roll back call
ContinueServiceDeployment with the action always sent; a press twice, after the pause is over, by the requester in
prod or by a viewer is refused and changes nothing; `rollback` stops a deployment in progress, or deploys the
previous revision again after the bot's own deploy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.slack.blocks import violations
from opsbot.slack.views import render
from tests.fakes import World
from tests.snapshot_fakes import NOW
from tests.unit.test_deploy_command import FakeDeployments, world  # noqa: F401 - the fixture

DEPLOYMENT = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/abc"


@dataclass
class GatedDeployments(FakeDeployments):
    status: str = "IN_PROGRESS"
    hook_status: str = "AWAITING_ACTION"
    answered: list[tuple[str, str, str]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)

    def latest(self) -> dict[str, Any] | None:
        return {
            "serviceDeploymentArn": DEPLOYMENT, "status": self.status, "lifecycleStage": "PRE_PRODUCTION_TRAFFIC_SHIFT",
            "lifecycleHookDetails": [
                {"hookId": "h-lambda", "targetType": "AWS_LAMBDA", "status": "SUCCEEDED"},
                {"hookId": "h-pause", "targetType": "PAUSE", "status": self.hook_status,
                 "expiresAt": NOW + timedelta(minutes=30), "timeoutAction": "ROLLBACK"},
            ],
        }  # fmt: skip

    def answer_pause(self, deployment_arn: str, hook_id: str, action: str) -> None:
        self.answered.append((deployment_arn, hook_id, action))
        self.hook_status = "SUCCEEDED"

    def stop(self, deployment_arn: str) -> None:
        self.stopped.append(deployment_arn)


@pytest.fixture
def gated(world: World) -> World:  # noqa: F811 - pytest's fixture injection
    world.deployments = GatedDeployments()
    return world


def _gate(scene: World, user: str = "U0VIEW") -> tuple[Any, str]:
    outcome = execute_command("cutover", scene.context(user=user, now=NOW))
    return outcome, outcome.view.confirmation


def _press(scene: World, action: str, value: str, user: str = "U0OPS") -> Any:
    return execute_action(action, value, scene.context(user=user, now=NOW))


def test_cutover_shows_the_pause_with_promote_and_roll_back(gated: World) -> None:
    outcome, confirmation = _gate(gated)
    assert outcome.view.standing.gate.hook_id == "h-pause"
    message = render(outcome)
    assert violations(message) == []
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["cutover_promote", "cutover_rollback"]
    assert {b["value"] for b in buttons} == {confirmation}
    assert "started outside the bot" in str(message)  # no deploy of the bot's started it


def test_promote_continues_the_deployment_once(gated: World) -> None:
    _, confirmation = _gate(gated)
    first = _press(gated, "cutover_promote", confirmation)
    assert first.audit.result == "ok"
    assert gated.deployments.answered == [(DEPLOYMENT, "h-pause", "CONTINUE")]
    twice = _press(gated, "cutover_promote", confirmation)
    assert "already answered" in twice.view.message
    assert len(gated.deployments.answered) == 1


def test_roll_back_sends_the_rollback_action(gated: World) -> None:
    _, confirmation = _gate(gated)
    _press(gated, "cutover_rollback", confirmation)
    assert gated.deployments.answered == [(DEPLOYMENT, "h-pause", "ROLLBACK")]


def test_a_press_after_the_pause_is_over_changes_nothing(gated: World) -> None:
    _, confirmation = _gate(gated)
    gated.deployments.hook_status = "TIMED_OUT"
    refused = _press(gated, "cutover_promote", confirmation)
    assert "no longer waiting" in refused.view.message
    assert gated.deployments.answered == []


def test_in_prod_the_requester_cannot_promote_and_a_viewer_never_can(gated: World) -> None:
    gated.settings = replace(gated.settings, environment="prod")
    gated.store.record(_deploy_record())
    _, confirmation = _gate(gated)
    assert "person who asked" in _press(gated, "cutover_promote", confirmation, user="U0OPS").view.message
    assert "operator" in _press(gated, "cutover_promote", confirmation, user="U0VIEW").view.message
    assert _press(gated, "cutover_promote", confirmation, user="U0ADMIN").audit.result == "ok"  # a second person
    assert gated.deployments.answered == [(DEPLOYMENT, "h-pause", "CONTINUE")]


def test_after_a_prod_approval_the_requester_still_cannot_promote_but_the_approver_may(gated: World) -> None:
    gated.settings = replace(gated.settings, environment="prod")
    approved = replace(_deploy_record(), actor="U0ADMIN", after={"deployment": DEPLOYMENT, "requested_by": "U0OPS",
                                                                 "approved_by": "U0ADMIN"})  # fmt: skip
    gated.store.record(approved)
    _, confirmation = _gate(gated)
    assert "person who asked" in _press(gated, "cutover_promote", confirmation, user="U0OPS").view.message
    assert _press(gated, "cutover_promote", confirmation, user="U0ADMIN").audit.result == "ok"


def test_the_gate_can_be_pressed_until_the_pause_times_out(gated: World) -> None:
    from datetime import datetime

    seen: list[Any] = []
    put = gated.store.put

    def spying(confirmation_id: str, payload: dict[str, Any], now: datetime, ttl: Any = None) -> None:
        seen.append(ttl)
        put(confirmation_id, payload, now, ttl)

    gated.store.put = spying  # type: ignore[method-assign]
    _gate(gated)
    assert seen == [timedelta(minutes=30)]  # the pause's expiresAt, not the 10-minute default


def test_rollback_stops_a_deployment_in_progress(gated: World) -> None:
    outcome = execute_command("rollback the 5xx rate climbs", gated.context(user="U0OPS", now=NOW))
    assert gated.deployments.stopped == [DEPLOYMENT]
    assert outcome.view.kind == "stopped"


def test_rollback_after_a_completed_deploy_deploys_the_previous_revision(gated: World) -> None:
    gated.deployments.status = "SUCCESSFUL"
    gated.deployments.hook_status = "SUCCEEDED"
    gated.store.record(_deploy_record(before="arn:aws:ecs:af-south-1:123456789012:task-definition/mycandidate-web:6"))
    outcome = execute_command("rollback", gated.context(user="U0OPS", now=NOW))
    assert outcome.view.kind == "redeployed"
    ((name, params),) = gated.deployments.calls
    assert name == "UpdateService"
    assert params["taskDefinition"].endswith(":6")


def test_rollback_with_nothing_to_roll_back_says_so(gated: World) -> None:
    gated.deployments.status = "SUCCESSFUL"
    outcome = execute_command("rollback", gated.context(user="U0OPS", now=NOW))
    assert "nothing to roll back" in outcome.view.message


def _deploy_record(before: str = "arn:aws:ecs:af-south-1:123456789012:task-definition/mycandidate-web:7") -> Any:
    from opsbot.ports import AuditEntry

    return AuditEntry(
        key="2026-12-03T07:30:00.000000Z#0000d001", at=NOW - timedelta(minutes=30), actor="U0OPS", channel="C0OPS",
        verb="deploy", arguments="v1.5.0", decision="allowed", result="ok",
        before={"task_definition": before}, after={"deployment": DEPLOYMENT},
    )  # fmt: skip


def test_status_shows_the_deployment_in_progress_with_its_stage(gated: World) -> None:
    text = str(render(execute_command("status", gated.context(user="U0VIEW", now=NOW))))
    assert "*Cutover* :arrows_counterclockwise: `abc` IN_PROGRESS, stage PRE_PRODUCTION_TRAFFIC_SHIFT" in text
    assert "waiting to be promoted" in text


@pytest.mark.parametrize("fails", ["latest", "answer_pause"])
def test_a_gate_answer_that_ecs_fails_leaves_the_gate_and_its_button_usable(gated: World, fails: str) -> None:
    # Given the gate, and ECS failing once: the read of the deployment, or ContinueServiceDeployment
    from opsbot.errors import AwsOperationError

    _, confirmation = _gate(gated)
    original = getattr(gated.deployments, fails)

    def throttled(*args: Any) -> Any:
        setattr(gated.deployments, fails, original)
        raise AwsOperationError("ContinueServiceDeployment", "ThrottlingException", "Rate exceeded")

    setattr(gated.deployments, fails, throttled)
    failed = _press(gated, "cutover_promote", confirmation)
    # Then the person is told, the deployment still waits, and the same Promote answers it once ECS does
    assert failed.audit.result == "failed"
    assert "ThrottlingException" in failed.view.message
    assert gated.deployments.answered == []
    again = _press(gated, "cutover_promote", confirmation)
    assert again.audit.result == "ok"
    assert gated.deployments.answered == [(DEPLOYMENT, "h-pause", "CONTINUE")]
