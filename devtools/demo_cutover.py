"""The cutover part of `make demo` (issue 11): a good deploy — the dry run, the pre-flight,
the lifecycle hook's smoke tests and analysis against a listener on 127.0.0.1, the pause, Promote by a second
person, the bake time — then `rollback` of it; and a bad deploy whose smoke test fails in the hook, which ECS rolls
back by itself, explained.

The replica's ECS (devtools/replica/deployments) runs the deployments on the replica's clock: the demo moves the
clock, and ECS invokes the hook function (in this process) at each of its stages, with ECS's payload. The test
listener answers according to the image the deployment's target revision runs: v1.4.1 is the broken build. ECS's
EventBridge events go to the alarm function, which keeps each deployment's Slack thread: the demo prints what it
posts, and checks that the bad deploy's thread says which check failed and with what value.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from textwrap import indent
from typing import TYPE_CHECKING, Any

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import ADMIN, OPERATOR, VIEWER, invoke_cutover_hook
from devtools.test_listener import by_image, service_image, serving
from devtools.transcript import message_text

if TYPE_CHECKING:
    from devtools.demo import Demo

_RULE = "─" * 78
BROKEN_BUILDS = {"v1.4.1"}  # its ward lookups answer 500 on the test listener


def run_cutover_scenario(demo: Demo, first_step: int) -> int:
    from opsbot.alarms import entry as alarm_function
    from opsbot.aws.green_target import GreenTarget
    from opsbot.cutover import entry

    stack = demo.stack
    number = iter(range(first_step, first_step + 100))
    ecs = stack.client("ecs")
    listening = serving(by_image(lambda: service_image(ecs, "mycandidate", "web"), BROKEN_BUILDS))
    url = listening.__enter__()
    saved = dict(os.environ)
    os.environ.update({
        "OPSBOT_TEST_LISTENER_URL": url, "OPSBOT_SMOKE_WARDS": "52",
        "OPSBOT_ANALYSIS_COUNT": "2", "OPSBOT_ANALYSIS_TARGET_GROUP": "",  # green: from the test listener rule
    })  # fmt: skip
    entry._runtime.cache_clear()
    alarm_function._runtime.cache_clear()
    load_balancer, target_group = GreenTarget(ecs, stack.client("elbv2"), "mycandidate", "web").dimensions()
    dimensions = [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": load_balancer}]
    alarm_context = FakeLambdaContext(
        function_name="mycandidate-opsbot-alarm-remediation",
        invoked_function_arn="arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-alarm-remediation",
    )
    threads: list[str] = []

    def green_traffic() -> None:
        at = datetime.now(UTC) - timedelta(seconds=30)
        stack.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 420, "Timestamp": at},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": 1, "Timestamp": at},
            {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Value": 0.18, "Timestamp": at},
        ])  # fmt: skip

    def invoke(function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Lambda, as ECS invokes the hook: the green target group has had traffic in the last interval."""
        green_traffic()
        answer = invoke_cutover_hook(function_arn, payload, stack.clock)
        status = str(answer.get("hookStatus"))
        why = f": {_last_verdict(stack)}" if status in {"SUCCEEDED", "FAILED"} else ""
        print(f"cutover hook ({payload['lifecycleStage']})> {status}{why}")
        return answer

    def announce(event: dict[str, Any]) -> None:
        """EventBridge delivering ECS's event to the alarm function, which brings the deployment's thread up to date."""
        detail = event["detail"]
        print(f"EventBridge> {event['detail-type']}: {detail['eventName']} {detail.get('lifecycleStage', '')}".rstrip())
        before = len(stack.recorder.api_calls())
        alarm_function.handle(event, alarm_context)
        for call in stack.recorder.api_calls()[before:]:
            where = "thread reply" if (call.body or {}).get("thread_ts") else call.api_method
            text = message_text(call.body)
            threads.append(text)
            print(f"bot ({where})> " + indent(text, " " * 6).lstrip())

    def ecs_runs(what: str, delta: timedelta) -> None:
        print(f"\n{_RULE}\n{next(number)}. {what} ({int(delta.total_seconds() // 60)} min of replica time)\n{_RULE}")
        stack.advance(delta)

    engine = stack.deployments
    engine.invoke, engine.emit = invoke, announce
    engine.engage()
    try:
        demo.step(f"{next(number)}. An operator looks at what deploying v1.4.3 would do", OPERATOR,
                  "deploy v1.4.3 --dry-run")  # fmt: skip
        posts = demo.step(f"{next(number)}. The operator deploys v1.4.3", OPERATOR, "deploy v1.4.3")
        demo.expect(bool(posts) and "has started" in message_text(posts[-1]), "the deployment starts")
        ecs_runs("ECS scales up v1.4.3 and invokes the lifecycle hook on the test listener", timedelta(minutes=4))
        hooks = _described(stack, _latest(stack)).get("lifecycleHookDetails", [])
        *lambdas, last = [(h["targetType"], h["status"]) for h in hooks] or [("", "")]
        passed = (
            bool(lambdas) and set(lambdas) == {("AWS_LAMBDA", "SUCCEEDED")} and last == ("PAUSE", "AWAITING_ACTION")
        )
        demo.expect(passed, "smoke tests and analysis pass; the deployment waits at the pause")
        value = _promote(demo, VIEWER, next(number))
        demo.expect(bool(value), "the pause waits with Promote and Roll back")
        demo.click(f"{next(number)}. A second person presses Promote", ADMIN, "cutover_promote", value, ephemeral=True)
        ecs_runs("Production traffic shifts to v1.4.3; the bake time passes", timedelta(minutes=11))
        demo.expect(_described(stack, _latest(stack))["status"] == "SUCCESSFUL", "ECS completes the deployment")
        demo.expect(_image(stack).endswith(":v1.4.3"), "the service runs v1.4.3")

        demo.step(f"{next(number)}. The operator rolls the good deploy back", OPERATOR, "rollback going back to v1.4.2")
        demo.expect(_image(stack).endswith(":v1.4.2"), "the rollback deploys v1.4.2 again")
        ecs_runs("ECS runs the rollback's deployment through the same hook", timedelta(minutes=4))
        value = _promote(demo, VIEWER, next(number))
        demo.expect(bool(value), "the rollback waits at the pause too")
        demo.click(f"{next(number)}. A second person promotes the rollback", ADMIN, "cutover_promote", value,
                   ephemeral=True)  # fmt: skip
        ecs_runs("The bake time passes", timedelta(minutes=11))
        demo.expect(_described(stack, _latest(stack))["status"] == "SUCCESSFUL", "v1.4.2 serves again")

        demo.step(f"{next(number)}. The operator deploys v1.4.1, a broken build", OPERATOR, "deploy v1.4.1")
        bad = _latest(stack)
        ecs_runs(
            "ECS invokes the lifecycle hook on the test listener; it fails, and ECS rolls back", timedelta(minutes=3)
        )
        rolled = _described(stack, bad)
        print(f"(ECS: {rolled['status']}: {rolled['statusReason']})")
        demo.expect(rolled["status"] == "ROLLBACK_SUCCESSFUL", "the hook's FAILED rolls the bad deploy back")
        demo.expect("POST_TEST_TRAFFIC_SHIFT" in rolled["statusReason"], "the reason names the hook's stage")
        demo.expect(_image(stack).endswith(":v1.4.2"), "the service runs v1.4.2 again")
        explained = [t for t in threads if "Rolled back" in t and "candidates: HTTP 500 (expected 200)" in t]
        demo.expect(bool(explained), "the bad deploy's thread says which check failed, with its value")
        posts = demo.step(f"{next(number)}. A viewer looks at the cutover", VIEWER, "cutover")
        demo.expect(bool(posts), "the cutover shows the rolled-back deployment")
    finally:
        engine.disengage()
        engine.emit = None
        os.environ.clear()
        os.environ.update(saved)
        entry._runtime.cache_clear()
        alarm_function._runtime.cache_clear()
        listening.__exit__(None, None, None)
    return next(number)


def _promote(demo: Demo, viewer: str, step: int) -> str:
    """A viewer looks at the cutover; the value of its Promote button, if the pause waits."""
    posts = demo.step(f"{step}. A viewer looks at the cutover", viewer, "cutover")
    gate = posts[-1] if posts else {}
    return next((e["value"] for b in gate.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "cutover_promote"), "")  # fmt: skip


def _last_verdict(stack: Any) -> str:
    """The reason the hook function wrote to the audit trail with its last final answer."""
    verdicts = [i for i in stack.audit_items() if i.get("verb", {}).get("S") == "cutover-hook"]
    if not verdicts:
        return "(no verdict in the audit trail)"
    latest = max(verdicts, key=lambda i: i["at"]["S"])
    return str(json.loads(latest["after"]["S"]).get("reason", ""))


def _described(stack: Any, arn: str) -> dict[str, Any]:
    found = stack.client("ecs").describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    return dict(found[0]) if found else {}


def _latest(stack: Any) -> str:
    ecs = stack.client("ecs")
    found = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    return str(max(found, key=lambda d: d["createdAt"])["serviceDeploymentArn"])


def _image(stack: Any) -> str:
    ecs = stack.client("ecs")
    arn = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["taskDefinition"]
    return str(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"])
