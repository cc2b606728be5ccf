"""The replica's ECS runs ECS-native deployments on its clock (``devtools.replica.deployments``): stages, Lambda hooks
invoked with ECS's payload, PAUSE hooks, timeouts, bake times, rollbacks and their EventBridge events."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.replica.clock import ReplicaClock
from devtools.replica.deployments import Deployments
from devtools.test_listener import CANDIDATES, by_image, serving
from tests.integration.test_moto_ecs_extension import fake_aws  # noqa: F401 - the same fake credentials, autouse

REGION = "af-south-1"
ACCOUNT = "123456789012"
CLUSTER, SERVICE = "mycandidate", "web"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HOOK_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cutover-hooks"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/hook-invoke"


def lambda_hook(*stages: str, **extra: Any) -> dict[str, Any]:
    return {"targetType": "AWS_LAMBDA", "hookTargetArn": HOOK_ARN, "roleArn": ROLE_ARN,
            "lifecycleStages": list(stages), **extra}  # fmt: skip


def pause(*stages: str, **extra: Any) -> dict[str, Any]:
    return {"targetType": "PAUSE", "lifecycleStages": list(stages), **extra}


@dataclass
class Function:
    """A scripted hook function: answers by the payload, remembering each call and when it came."""

    clock: ReplicaClock
    answer: Callable[[dict[str, Any]], dict[str, Any]] = lambda _payload: {"hookStatus": "SUCCEEDED"}
    calls: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert function_arn == HOOK_ARN
        self.calls.append((self.clock(), json.loads(json.dumps(payload))))  # what would go over the wire
        return self.answer(payload)

    def stages(self) -> list[str]:
        return [payload["lifecycleStage"] for _, payload in self.calls]


@dataclass
class World:
    clock: ReplicaClock
    ecs: Any
    engine: Deployments
    function: Function

    def service(self, configuration: dict[str, Any]) -> None:
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=self.register("v1"),
                                desiredCount=2, deploymentController={"type": "ECS"},
                                deploymentConfiguration=configuration)  # fmt: skip

    def register(self, tag: str) -> str:
        container = {"name": "web", "image": f"ghcr.io/mycandidate/web:{tag}", "memory": 512}
        answer = self.ecs.register_task_definition(family="web", containerDefinitions=[container])
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def deploy(self, tag: str = "v2") -> str:
        self.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=self.register(tag))
        found = self.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["IN_PROGRESS"])
        return str(found["serviceDeployments"][0]["serviceDeploymentArn"])

    def described(self, arn: str) -> dict[str, Any]:
        return dict(self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0])

    def hooks(self, arn: str) -> list[tuple[str, str]]:
        return [(h["targetType"], h["status"]) for h in self.described(arn).get("lifecycleHookDetails", [])]

    def serving(self) -> tuple[str, list[tuple[str, str]]]:
        """The service's task definition and its deployments (rollout state, task definition revision)."""
        [service] = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        rollouts = [(d["rolloutState"], d["taskDefinition"].rsplit("/", 1)[1]) for d in service["deployments"]]
        return service["taskDefinition"].rsplit("/", 1)[1], rollouts

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in self.engine.events if e["detail-type"] == detail_type]

    def names(self, detail_type: str = "ECS Hook State Change") -> list[str]:
        return [e["detail"]["eventName"] for e in self.events(detail_type)]


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        clock = ReplicaClock(START, frozen=True)
        function = Function(clock)
        engine = Deployments(ACCOUNT, REGION, function, clock=clock, scale_up=timedelta(seconds=30),
                             rollback=timedelta(seconds=60))  # fmt: skip
        engine.engage()
        clock.attach(engine)
        try:
            yield World(clock, boto3.client("ecs", region_name=REGION), engine, function)
        finally:
            engine.disengage()


def test_blue_green_with_a_lambda_hook_in_progress_twice_a_pause_and_the_bake_time(world: World) -> None:
    # Given a blue/green service whose Lambda hook (with configured hookDetails) asks to be called back twice
    world.service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "lifecycleHooks": [
        lambda_hook("POST_TEST_TRAFFIC_SHIFT", hookDetails={"suite": "smoke"}), pause("PRE_PRODUCTION_TRAFFIC_SHIFT"),
    ]})  # fmt: skip
    answers = [
        {"hookStatus": "IN_PROGRESS", "callBackDelay": 45, "hookDetails": {"round": 1}},
        {"hookStatus": "IN_PROGRESS", "callBackDelay": 45, "hookDetails": {"round": 2}},
        {"hookStatus": "SUCCEEDED"},
    ]
    world.function.answer = lambda _payload: answers.pop(0)

    # When a deployment starts, nothing is invoked before the clock moves; then the tasks scale up on it
    arn = world.deploy()
    assert world.function.calls == []
    world.advance(seconds=10)
    scaling = world.described(arn)
    assert scaling["lifecycleStage"] == "SCALE_UP"
    assert scaling["targetServiceRevision"]["pendingTaskCount"] == 2

    # Then after the scale-up the hook is invoked with ECS's payload and its entry is IN_PROGRESS
    world.advance(seconds=30)
    assert world.function.stages() == ["POST_TEST_TRAFFIC_SHIFT"]
    assert world.hooks(arn) == [("AWS_LAMBDA", "IN_PROGRESS")]
    first_at, first = world.function.calls[0]
    target = world.described(arn)["targetServiceRevision"]["arn"]
    assert set(first) == {"executionId", "lifecycleStage", "resourceArn", "executionDetails", "hookDetails"}
    assert first["resourceArn"] == arn
    assert first["executionDetails"] == {"serviceArn": world.described(arn)["serviceArn"],
                                         "targetServiceRevisionArn": target, "testTrafficWeights": {},
                                         "productionTrafficWeights": {}}  # fmt: skip
    assert first["hookDetails"] == {"suite": "smoke"}

    # And it is called back callBackDelay later with the previous answer's hookDetails, until it succeeds
    world.advance(minutes=2)
    (second_at, second), (third_at, third) = world.function.calls[1:]
    assert second_at - first_at == timedelta(seconds=45)
    assert third_at - second_at == timedelta(seconds=45)
    assert second["hookDetails"] == {"suite": "smoke", "round": 1}
    assert third["hookDetails"] == {"suite": "smoke", "round": 2}
    assert second["executionId"] != first["executionId"]

    # And the deployment then waits at the pause, however long it takes (within the timeout)
    world.advance(minutes=30)
    assert world.hooks(arn) == [("AWS_LAMBDA", "SUCCEEDED"), ("PAUSE", "AWAITING_ACTION")]
    assert world.described(arn)["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0

    # When it is continued, production traffic shifts and the bake time runs
    pause_id = world.described(arn)["lifecycleHookDetails"][1]["hookId"]
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=pause_id, action="CONTINUE")
    world.clock.settle()
    baking = world.described(arn)
    assert (baking["status"], baking["lifecycleStage"]) == ("IN_PROGRESS", "BAKE_TIME")
    assert baking["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    world.advance(minutes=4, seconds=59)
    assert world.described(arn)["status"] == "IN_PROGRESS"

    # Then after the bake time it is SUCCESSFUL and the new task definition serves
    world.advance(seconds=1)
    done = world.described(arn)
    assert (done["status"], done["lifecycleStage"]) == ("SUCCESSFUL", "CLEAN_UP")
    assert world.serving() == ("web:2", [("COMPLETED", "web:2")])
    # and the deployment's state changes were announced for the service's deployment entry
    [state_in_progress, state_completed] = world.events("ECS Deployment State Change")
    assert [state_in_progress["detail"]["eventName"], state_completed["detail"]["eventName"]] == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"]  # fmt: skip
    [service] = world.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert state_completed["detail"]["deploymentId"] == service["deployments"][0]["id"]
    assert state_completed["resources"] == [service["serviceArn"]]
    assert world.names() == ["HOOK_IN_PROGRESS", "HOOK_SUCCEEDED", "HOOK_AWAITING_ACTION", "HOOK_SUCCEEDED"]


def test_a_hook_answering_failed_rolls_back_and_the_rollback_reinvokes_the_traffic_shift_hooks(world: World) -> None:
    # Given hooks at the traffic shifts and after test traffic, the one after test traffic failing the release
    world.service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "lifecycleHooks": [
        lambda_hook("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"), lambda_hook("POST_TEST_TRAFFIC_SHIFT"),
    ]})  # fmt: skip
    world.function.answer = lambda p: {"hookStatus": "FAILED" if p["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
                                       else "SUCCEEDED"}  # fmt: skip

    # When the deployment reaches the failing hook
    arn = world.deploy()
    world.advance(seconds=31)

    # Then it is rolling back, saying which hook at which stage failed
    rolling = world.described(arn)
    assert rolling["status"] == "ROLLBACK_IN_PROGRESS"
    for reason in (rolling["statusReason"], rolling["rollback"]["reason"]):
        assert "POST_TEST_TRAFFIC_SHIFT" in reason
        assert "answered FAILED" in reason
    assert [status for _, status in world.hooks(arn)][:2] == ["SUCCEEDED", "FAILED"]

    # And the rollback invoked the traffic-shift hooks again, with the traffic back on the old revision
    target = rolling["targetServiceRevision"]["arn"]
    [source] = [r["arn"] for r in rolling["sourceServiceRevisions"]]
    assert world.function.stages() == ["TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", "TEST_TRAFFIC_SHIFT",
                                       "PRODUCTION_TRAFFIC_SHIFT"]  # fmt: skip
    forward_test, _, back_test, back_production = (payload["executionDetails"] for _, payload in world.function.calls)
    assert forward_test["testTrafficWeights"] == {target: 100, source: 0}
    assert back_test["testTrafficWeights"] == {target: 0, source: 100}
    assert back_production["productionTrafficWeights"] == {target: 0, source: 100}
    assert back_test["targetServiceRevisionArn"] == back_production["targetServiceRevisionArn"] == target

    # When the rollback time has passed, it has rolled back and the old task definition serves again
    world.advance(seconds=60)
    rolled = world.described(arn)
    assert rolled["status"] == "ROLLBACK_SUCCESSFUL"
    assert "POST_TEST_TRAFFIC_SHIFT" in rolled["statusReason"]
    assert world.serving() == ("web:1", [("COMPLETED", "web:1")])
    # and the events tell the story: the hook failed, the deployment failed (ERROR, with the reason), the rollback
    assert "HOOK_FAILED" in world.names()
    states = [(e["detail"]["eventName"], e["detail"]["eventType"]) for e in world.events("ECS Deployment State Change")]
    assert states == [("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO"), ("SERVICE_DEPLOYMENT_FAILED", "ERROR"),
                      ("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO"), ("SERVICE_DEPLOYMENT_COMPLETED", "INFO")]  # fmt: skip
    failed = world.events("ECS Deployment State Change")[1]["detail"]
    assert "POST_TEST_TRAFFIC_SHIFT" in failed["reason"]


@pytest.mark.parametrize("answer", [{"hookStatus": "MAYBE"}, {}, "boom"], ids=["unknown", "no-status", "raises"])
def test_a_hook_without_a_valid_answer_rolls_back(world: World, answer: Any) -> None:
    # Given a hook that answers nonsense, or whose invoke fails
    world.service({"strategy": "BLUE_GREEN", "lifecycleHooks": [lambda_hook("PRE_SCALE_UP")]})

    def function(_payload: dict[str, Any]) -> dict[str, Any]:
        if isinstance(answer, str):
            raise RuntimeError(answer)
        return dict(answer)

    world.function.answer = function

    # When the deployment reaches it
    arn = world.deploy()
    world.advance(seconds=1)

    # Then the deployment rolls back, saying why
    deployment = world.described(arn)
    assert deployment["status"] == "ROLLBACK_IN_PROGRESS"
    assert "gave no valid answer" in deployment["statusReason"]
    assert world.hooks(arn) == [("AWS_LAMBDA", "FAILED")]


def test_a_pause_that_times_out_rolls_back_and_its_events_say_when_it_expires(world: World) -> None:
    # Given a pause that rolls back when nobody answers within five minutes
    world.service({"strategy": "BLUE_GREEN", "lifecycleHooks": [
        pause("POST_SCALE_UP", timeoutConfiguration={"timeoutInMinutes": 5, "action": "ROLLBACK"}),
    ]})  # fmt: skip

    # When the deployment waits there
    arn = world.deploy()
    world.advance(minutes=1)
    [waiting] = world.described(arn)["lifecycleHookDetails"]
    assert (waiting["status"], waiting["timeoutAction"]) == ("AWAITING_ACTION", "ROLLBACK")

    # Then HOOK_AWAITING_ACTION names the deployment, the hook and when it expires
    [awaiting] = [
        e for e in world.events("ECS Hook State Change") if e["detail"]["eventName"] == "HOOK_AWAITING_ACTION"
    ]
    detail = awaiting["detail"]
    assert detail["serviceDeploymentArn"] == arn
    assert awaiting["resources"] == [arn]
    assert detail["hookId"] == waiting["hookId"]
    assert detail["hookType"] == "PAUSE"
    assert detail["lifecycleStage"] == "POST_SCALE_UP"
    expires = waiting["expiresAt"].astimezone(UTC)
    assert detail["expiresAt"] == f"{expires:%Y-%m-%dT%H:%M:%S}.{expires.microsecond // 1000:03d}Z"
    assert expires - START == timedelta(minutes=5, seconds=30, milliseconds=1)  # scale-up, then five minutes
    assert {k: awaiting[k] for k in ("version", "source", "account", "region")} == {
        "version": "0", "source": "aws.ecs", "account": ACCOUNT, "region": REGION}  # fmt: skip
    assert awaiting["id"]
    assert awaiting["time"].endswith("Z")
    assert detail["clusterArn"].endswith(f":cluster/{CLUSTER}")

    # When nobody answers in time
    world.advance(minutes=4, seconds=31)

    # Then the hook TIMED_OUT and the deployment rolls back, saying so, and finishes rolling back
    deployment = world.described(arn)
    assert deployment["status"] == "ROLLBACK_IN_PROGRESS"
    assert "timed out after 5 minutes" in deployment["statusReason"]
    assert world.hooks(arn) == [("PAUSE", "TIMED_OUT")]
    assert world.names()[-1] == "HOOK_TIMED_OUT"
    world.advance(minutes=1)
    assert world.described(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert world.serving()[0] == "web:1"


def test_a_pause_timing_out_with_continue_goes_on(world: World) -> None:
    # Given a pause whose timeout action is CONTINUE
    world.service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [
        pause("PRE_SCALE_UP", timeoutConfiguration={"timeoutInMinutes": 2, "action": "CONTINUE"}),
    ]})  # fmt: skip

    # When nobody answers it
    arn = world.deploy()
    world.advance(minutes=3)

    # Then it timed out and the deployment went on to success
    assert world.hooks(arn) == [("PAUSE", "TIMED_OUT")]
    assert world.described(arn)["status"] == "SUCCESSFUL"
    assert world.serving()[0] == "web:2"


def test_a_rollback_alarm_going_into_alarm_rolls_back_naming_the_alarm(world: World) -> None:
    # Given a deployment with a rollback alarm, baking
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    cloudwatch.put_metric_alarm(AlarmName="web-5xx", MetricName="HTTPCode_Target_5XX_Count",
                                Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1,
                                Threshold=10, ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    world.service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10,
                   "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}})  # fmt: skip
    arn = world.deploy()
    world.advance(minutes=2)
    assert world.described(arn)["lifecycleStage"] == "BAKE_TIME"

    # When the alarm goes into ALARM
    cloudwatch.set_alarm_state(AlarmName="web-5xx", StateValue="ALARM", StateReason="5xx")
    world.clock.settle()

    # Then the deployment rolls back, naming the alarm, and shows it triggered
    deployment = world.described(arn)
    assert deployment["status"] == "ROLLBACK_IN_PROGRESS"
    assert "web-5xx" in deployment["rollback"]["reason"]
    assert deployment["alarms"] == {
        "status": "TRIGGERED",
        "alarmNames": ["web-5xx"],
        "triggeredAlarmNames": ["web-5xx"],
    }
    world.advance(minutes=1)
    assert world.described(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert world.serving()[0] == "web:1"


def test_stop_with_rollback_rolls_back_a_deployment_waiting_at_its_pause(world: World) -> None:
    # Given a deployment waiting at its pause, with a hook at the test traffic shift
    world.service({"strategy": "BLUE_GREEN", "lifecycleHooks": [
        lambda_hook("TEST_TRAFFIC_SHIFT"), pause("PRE_PRODUCTION_TRAFFIC_SHIFT"),
    ]})  # fmt: skip
    arn = world.deploy()
    world.advance(minutes=1)
    assert world.hooks(arn)[-1] == ("PAUSE", "AWAITING_ACTION")

    # When the user stops it with ROLLBACK
    world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    world.clock.settle()

    # Then it rolls back, saying the user stopped it; the test-traffic hook sees the traffic go back
    deployment = world.described(arn)
    assert deployment["status"] == "ROLLBACK_IN_PROGRESS"
    assert "stopped by the user" in deployment["rollback"]["reason"]
    assert world.hooks(arn)[1] == ("PAUSE", "FAILED")
    assert world.names()[-3:] == ["HOOK_FAILED", "HOOK_IN_PROGRESS", "HOOK_SUCCEEDED"]
    target = deployment["targetServiceRevision"]["arn"]
    assert world.function.calls[-1][1]["executionDetails"]["testTrafficWeights"][target] == 0
    world.advance(minutes=1)
    assert world.described(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert world.serving() == ("web:1", [("COMPLETED", "web:1")])


def test_a_canary_pauses_at_each_step_and_shifts_production_traffic_in_two_steps(world: World) -> None:
    # Given a canary of 20% baking 3 minutes, with a pause before each production shift and a hook at each shift
    world.service({"strategy": "CANARY", "bakeTimeInMinutes": 0,
                   "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 3},
                   "lifecycleHooks": [pause("PRE_PRODUCTION_TRAFFIC_SHIFT"),
                                      lambda_hook("PRODUCTION_TRAFFIC_SHIFT")]})  # fmt: skip
    arn = world.deploy()

    def continue_the_pause() -> None:
        waiting = [h for h in world.described(arn)["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION"]
        world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=waiting[0]["hookId"])
        world.clock.settle()

    # When the first pause is continued
    world.advance(minutes=1)
    assert world.hooks(arn) == [("PAUSE", "AWAITING_ACTION")]
    continue_the_pause()

    # Then 20% of production goes to the new revision, which bakes, then pauses again before the rest
    canary = world.described(arn)
    assert canary["targetServiceRevision"]["requestedProductionTrafficWeight"] == 20.0
    assert canary["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 80.0
    world.advance(minutes=2, seconds=59)
    assert world.hooks(arn)[-1] == ("AWS_LAMBDA", "SUCCEEDED")
    world.advance(seconds=1)
    assert world.hooks(arn)[-1] == ("PAUSE", "AWAITING_ACTION")
    assert world.described(arn)["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"
    continue_the_pause()

    # And the deployment completes, the hook having seen each production shift
    assert world.described(arn)["status"] == "SUCCESSFUL"
    target = canary["targetServiceRevision"]["arn"]
    shifts = [p["executionDetails"]["productionTrafficWeights"][target] for _, p in world.function.calls]
    assert shifts == [20, 100]
    assert world.names().count("HOOK_AWAITING_ACTION") == 2


def test_a_linear_deployment_shifts_in_steps(world: World) -> None:
    # Given a linear deployment of 40% steps with a hook at each shift
    world.service({"strategy": "LINEAR", "bakeTimeInMinutes": 0,
                   "linearConfiguration": {"stepPercent": 40.0, "stepBakeTimeInMinutes": 1},
                   "lifecycleHooks": [lambda_hook("PRODUCTION_TRAFFIC_SHIFT")]})  # fmt: skip

    # When it runs
    arn = world.deploy()
    world.advance(minutes=5)

    # Then production traffic went 40, 80, 100 and the deployment succeeded
    assert world.described(arn)["status"] == "SUCCESSFUL"
    target = world.described(arn)["targetServiceRevision"]["arn"]
    assert [p["executionDetails"]["productionTrafficWeights"][target] for _, p in world.function.calls] == [40, 80, 100]


def test_without_an_engine_lambda_hooks_still_pass_at_once() -> None:
    # Given the extension without an engine (as the other tests and `make demo` before the engine use it)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName=CLUSTER)
        container = {"name": "web", "image": "ghcr.io/mycandidate/web:v1", "memory": 512}
        definition = ecs.register_task_definition(family="web", containerDefinitions=[container])["taskDefinition"]
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=definition["taskDefinitionArn"],
                           desiredCount=1, deploymentController={"type": "ECS"},
                           deploymentConfiguration={"strategy": "BLUE_GREEN",
                                                    "lifecycleHooks": [lambda_hook("POST_SCALE_UP")]})  # fmt: skip

        # When a deployment starts
        ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
        [brief] = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["IN_PROGRESS"])[
            "serviceDeployments"
        ]

        # Then it walked to the bake time at once, the hook passing without being invoked
        deployment = ecs.describe_service_deployments(serviceDeploymentArns=[brief["serviceDeploymentArn"]])
        [described] = deployment["serviceDeployments"]
        assert described["lifecycleStage"] == "BAKE_TIME"
        assert [h["status"] for h in described["lifecycleHookDetails"]] == ["SUCCEEDED"]


def test_the_listener_breaks_for_the_images_it_is_told_are_broken() -> None:
    # Given a listener answering by the image of the green revision
    image = ["ghcr.io/mycandidate/web:v1.4.3"]
    answers = by_image(lambda: image[0], {"v1.4.1"})

    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url + CANDIDATES, timeout=5) as response:  # noqa: S310 - loopback
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    with serving(answers) as url:
        # When the green revision runs a good image, then a broken one
        healthy = status(url)
        image[0] = "ghcr.io/mycandidate/web:v1.4.1"
        broken = status(url)

    # Then the ward lookup answers 200, then 500; and tags naming themselves broken are broken by default
    assert (healthy, broken) == (200, 500)
    assert by_image(lambda: "web:v2-broken").current()[CANDIDATES][0] == 500
    assert by_image(lambda: "web:v2").current()[CANDIDATES][0] == 200


def test_the_local_stack_runs_the_bots_deploy_on_its_clock() -> None:
    from devtools.local_stack import OPERATOR, invoke_cutover_hook, running_stack

    # Given the offline stack with the engine driving deployments, its hook function scripted to pass
    with running_stack(frozen=True, drive_deployments=True) as stack:
        invoked: list[tuple[str, str]] = []

        def function(function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
            invoked.append((function_arn, payload["lifecycleStage"]))
            return {"hookStatus": "SUCCEEDED"}

        stack.deployments.invoke = function
        started = stack.clock()

        # When the operator deploys through the bot and the replica's time passes
        stack.bot().command("deploy v1.4.3", OPERATOR, response_url=f"{stack.recorder.url}/response/go")
        ecs = stack.client("ecs")
        [brief] = ecs.list_service_deployments(cluster="mycandidate", service="web", status=["IN_PROGRESS"])[
            "serviceDeployments"
        ]
        stack.advance(timedelta(minutes=2))

        # Then the deployment carries the replica's time, its hooks ran on the clock and it waits at the pause
        [deployment] = ecs.describe_service_deployments(serviceDeploymentArns=[brief["serviceDeploymentArn"]])[
            "serviceDeployments"
        ]
        assert abs(deployment["createdAt"] - started) < timedelta(seconds=1)
        assert invoked
        assert {arn for arn, _ in invoked} == {stack.settings.cutover_hook_arn}
        assert "POST_TEST_TRAFFIC_SHIFT" in [stage for _, stage in invoked]
        assert deployment["lifecycleHookDetails"][-1]["status"] == "AWAITING_ACTION"
        assert "HOOK_AWAITING_ACTION" in [e["detail"]["eventName"] for e in stack.deployments.events]
        # and the default invoke answers only for the cutover hook function, as Lambda would
        with pytest.raises(LookupError):
            invoke_cutover_hook(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:elsewhere", {})
