"""`deploy` (issue 11): the dry run shows the one change and changes nothing; every pre-flight refusal stops it
before anything is registered; a deploy registers the revision and starts the deployment with a configuration
valid for UpdateService; the freeze and prod's two-person rule hold; bad arguments get a specific message."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.cutover.plan import ImageRef
from opsbot.cutover.preflight import ImageFacts
from opsbot.slack.blocks import violations
from opsbot.slack.views import render
from tests.fakes import World
from tests.snapshot_fakes import NOW, FakeRds, ours
from tests.unit.test_cutover_core import RUNNING

ECS = botocore.session.get_session().get_service_model("ecs")


@dataclass
class FakeDeployments:
    running: dict[str, Any] = field(default_factory=lambda: dict(RUNNING))
    images: dict[str, ImageFacts] = field(default_factory=lambda: {"v1.5.0": ImageFacts(True, True, 0)})
    active: str | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def service(self) -> dict[str, Any]:
        return {"taskDefinition": RUNNING["taskDefinitionArn"], "desiredCount": 2,
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}}  # fmt: skip

    def task_definition(self, arn: str) -> dict[str, Any]:
        return self.running

    def in_progress(self) -> str | None:
        return self.active

    def image(self, current_image: str, ref: ImageRef) -> ImageFacts:
        return self.images.get(ref.value, ImageFacts(False))

    def register(self, register: dict[str, Any]) -> str:
        self.calls.append(("RegisterTaskDefinition", register))
        return "arn:aws:ecs:af-south-1:123456789012:task-definition/mycandidate-web:8"

    def start(self, task_definition_arn: str, deployment_configuration: dict[str, Any]) -> str:
        self.calls.append(("UpdateService", {"taskDefinition": task_definition_arn,
                                             "deploymentConfiguration": deployment_configuration}))  # fmt: skip
        return "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/abc"


def deploy_world(deployments: Any = None) -> World:
    """A world a deploy can run in: the hook configured, a fresh snapshot, the rollback alarms OK."""
    world = World()
    world.settings = replace(
        world.settings,
        cutover_hook_arn="arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-cutover-hooks",
        cutover_hook_role_arn="arn:aws:iam::123456789012:role/mycandidate-opsbot-CutoverHookInvokeRole",
    )
    world.rds = FakeRds()
    world.rds.add(ours("opsbot-mycandidate-db-nightly-1", timedelta(hours=2)))
    world.deployments = deployments if deployments is not None else FakeDeployments()
    world.readiness.alarms = [
        (f"mycandidate-{s}", "OK") for s in ("alb-5xx", "alb-unhealthy-hosts", "alb-response-time")
    ]
    return world


@pytest.fixture
def world() -> World:
    return deploy_world()


def _deploy(world: World, text: str, user: str = "U0OPS") -> Any:
    return execute_command(f"deploy {text}", world.context(user=user, now=NOW))


def test_the_dry_run_shows_the_one_change_and_changes_nothing(world: World) -> None:
    outcome = _deploy(world, "v1.5.0 strategy=canary bake=15 --dry-run")
    view = outcome.view
    assert view.dry_run
    assert view.diff == (
        "containerDefinitions[mycandidate-web/web].image:"
        " 123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.4.2"
        " → 123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.5.0",
    )
    assert all(c.passed for c in view.checks)
    assert view.hooks == (
        "AWS_LAMBDA at TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT",
        "PAUSE at PRE_PRODUCTION_TRAFFIC_SHIFT",
    )
    assert world.deployments.calls == []
    assert world.rds.calls == []
    assert violations(render(outcome)) == []


@pytest.mark.parametrize(
    ("arrange", "says"),
    [
        (lambda w: setattr(w.deployments, "active", "arn:…/service-deployment/x"), "no deployment in progress"),
        (lambda w: w.deployments.images.clear(), "image exists"),
        (lambda w: w.deployments.images.update({"v1.5.0": ImageFacts(True, True, 2)}), "2 CRITICAL finding(s)"),
        (lambda w: setattr(w.readiness, "alarms", [("mycandidate-alb-5xx", "ALARM")]), "in ALARM already"),
        (lambda w: setattr(w.readiness, "quota", 1.0), "room for both revisions"),
    ],
)
def test_every_preflight_refusal_stops_before_anything_changes(world: World, arrange: Any, says: str) -> None:
    arrange(world)
    outcome = _deploy(world, "v1.5.0")
    assert outcome.audit.decision == "refused"
    assert says in outcome.view.refused
    assert world.deployments.calls == []
    assert world.rds.calls == []


def test_a_deploy_registers_the_revision_and_starts_a_valid_deployment(world: World) -> None:
    outcome = _deploy(world, "v1.5.0")
    names = [name for name, _ in world.deployments.calls]
    assert names == ["RegisterTaskDefinition", "UpdateService"]
    register, update = (params for _, params in world.deployments.calls)
    validator = ParamValidator()
    assert not validator.validate(register, ECS.operation_model("RegisterTaskDefinition").input_shape).has_errors()
    update_input = {"cluster": "mycandidate", "service": "web", **update}
    assert not validator.validate(update_input, ECS.operation_model("UpdateService").input_shape).has_errors()
    configuration = update["deploymentConfiguration"]
    assert configuration["strategy"] == "BLUE_GREEN"
    assert configuration["alarms"]["alarmNames"] == [
        "mycandidate-alb-5xx", "mycandidate-alb-unhealthy-hosts", "mycandidate-alb-response-time",
    ]  # fmt: skip
    pause = configuration["lifecycleHooks"][1]
    assert pause["timeoutConfiguration"] == {"timeoutInMinutes": 30, "action": "ROLLBACK"}
    assert outcome.audit.after["deployment"].endswith("service-deployment/mycandidate/web/abc")
    assert outcome.view.snapshot == "opsbot-mycandidate-db-nightly-1"  # fresh enough: none taken


def test_a_deploy_without_a_fresh_snapshot_takes_one_first(world: World) -> None:
    world.rds.items.clear()
    _deploy(world, "v1.5.0")
    assert world.rds.calls == ["CreateDBSnapshot opsbot-mycandidate-db-pre-cutover-v1-5-0-20261203-0800"]
    assert [n for n, _ in world.deployments.calls] == ["RegisterTaskDefinition", "UpdateService"]


def _approval_buttons(outcome: Any) -> dict[str, str]:
    from opsbot.slack.views import render

    message = render(outcome)
    return {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_prod_waits_for_a_second_persons_approval_before_anything_changes(world: World) -> None:
    world.settings = replace(world.settings, environment="prod")
    asked = _deploy(world, "v1.5.0 strategy=canary")
    assert (asked.audit.decision, asked.audit.result) == ("awaiting-confirmation", "pending")
    assert world.deployments.calls == []
    assert world.rds.calls == []
    buttons = _approval_buttons(asked)
    assert set(buttons) == {"deploy_approve", "deploy_reject"}
    value = buttons["deploy_approve"]
    # The requester cannot approve their own deploy; a viewer cannot either; the approval stays for someone else
    own = execute_action("deploy_approve", value, world.context(user="U0OPS", now=NOW))
    assert "cannot approve it" in own.view.message
    viewer = execute_action("deploy_approve", value, world.context(user="U0VIEW", now=NOW))
    assert viewer.audit.decision == "refused"
    assert world.deployments.calls == []
    approved = execute_action("deploy_approve", value, world.context(user="U0ADMIN", now=NOW + timedelta(minutes=5)))
    assert [n for n, _ in world.deployments.calls] == ["RegisterTaskDefinition", "UpdateService"]
    assert world.deployments.calls[1][1]["deploymentConfiguration"]["strategy"] == "CANARY"
    assert (approved.audit.after["requested_by"], approved.audit.after["approved_by"]) == ("U0OPS", "U0ADMIN")
    twice = execute_action("deploy_approve", value, world.context(user="U0ADMIN", now=NOW + timedelta(minutes=6)))
    assert "already answered or has expired" in twice.view.message
    assert len(world.deployments.calls) == 2


def test_a_prod_approval_expires_after_the_approval_timeout_and_reject_changes_nothing(world: World) -> None:
    world.settings = replace(world.settings, environment="prod")
    late = _approval_buttons(_deploy(world, "v1.5.0"))["deploy_approve"]
    expired = execute_action("deploy_approve", late, world.context(user="U0ADMIN", now=NOW + timedelta(minutes=31)))
    assert "expired" in expired.view.message
    rejected_value = _approval_buttons(_deploy(world, "v1.5.0"))["deploy_reject"]
    rejected = execute_action("deploy_reject", rejected_value, world.context(user="U0ADMIN", now=NOW))
    assert rejected.audit.decision == "cancelled"
    assert world.deployments.calls == []


@pytest.mark.parametrize(("text", "says"), [
    ("", "needs an image"), ("v1.5.0 strategy=rolling", "not a strategy"), ("v1.5.0 bake=5000", "0 to 1440"),
    ("sha256:abc", "64 lower-case hex"), ("v1.5.0 colour=blue", "does not understand"),
])  # fmt: skip
def test_bad_arguments_get_a_specific_message(world: World, text: str, says: str) -> None:
    assert says in _deploy(world, text).view.message
    assert world.deployments.calls == []


def test_with_a_migration_configured_the_hook_also_runs_before_green_starts(world: World) -> None:
    _deploy(world, "v1.5.0")
    assert (
        "PRE_SCALE_UP"
        not in world.deployments.calls[1][1]["deploymentConfiguration"]["lifecycleHooks"][0]["lifecycleStages"]
    )
    world.deployments.calls.clear()
    world.settings = replace(world.settings, migration_command=("flask", "db", "upgrade"))
    _deploy(world, "v1.5.0")
    stages = world.deployments.calls[1][1]["deploymentConfiguration"]["lifecycleHooks"][0]["lifecycleStages"]
    assert stages[0] == "PRE_SCALE_UP"


def test_update_service_rejected_says_the_revision_was_registered_and_nothing_deployed(world: World) -> None:
    from opsbot.errors import AwsOperationError

    def rejected(task_definition_arn: str, deployment_configuration: dict[str, Any]) -> str:
        raise AwsOperationError("UpdateService", "InvalidParameterException", "lifecycle hook role cannot be assumed")

    world.deployments.start = rejected  # type: ignore[method-assign]
    outcome = _deploy(world, "v1.5.0")
    assert outcome.audit.result == "failed"
    assert "lifecycle hook role cannot be assumed" in outcome.view.message
    assert "mycandidate-web:8 was registered but nothing was deployed" in outcome.view.message
    assert "still runs mycandidate-web:7" in outcome.view.message
    assert world.store.locks == {}  # the change lock is released


def test_an_approved_deploy_that_aws_fails_before_it_started_leaves_the_approval_usable(world: World) -> None:
    # Given a prod deploy waiting for its approval, whose approved pre-flight read of ECS fails once
    from opsbot.errors import AwsOperationError

    world.settings = replace(world.settings, environment="prod")
    value = _approval_buttons(_deploy(world, "v1.5.0"))["deploy_approve"]
    original = world.deployments.in_progress

    def throttled() -> str | None:
        world.deployments.in_progress = original  # type: ignore[method-assign]
        raise AwsOperationError("ListServiceDeployments", "ThrottlingException", "Rate exceeded")

    world.deployments.in_progress = throttled  # type: ignore[method-assign]
    failed = execute_action("deploy_approve", value, world.context(user="U0ADMIN", now=NOW + timedelta(minutes=5)))
    # Then the approver is told, nothing changed, and the same button approves it once AWS answers
    assert failed.audit.result == "failed"
    assert "ThrottlingException" in failed.view.message
    assert world.deployments.calls == []
    again = execute_action("deploy_approve", value, world.context(user="U0ADMIN", now=NOW + timedelta(minutes=6)))
    assert again.audit.result == "ok"
    assert [n for n, _ in world.deployments.calls] == ["RegisterTaskDefinition", "UpdateService"]
