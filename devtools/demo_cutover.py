"""The cutover part of `make demo` (issue 11, as far as it is built): a good deploy — the dry run, the pre-flight,
the lifecycle hook's smoke tests and analysis against a listener on 127.0.0.1, the pause, Promote by a second
person — then `rollback` of it; and a bad deploy whose smoke test fails in the hook, explained, and stopped.

The replica's ECS (devtools/moto_ecs) walks a deployment to its pause and lets Lambda hooks pass at once; here the
hook function is invoked in this process with the sample payload, as ECS would invoke it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from devtools.events import load_event
from devtools.local_stack import ADMIN, OPERATOR, VIEWER
from devtools.test_listener import HEALTHY, serving
from devtools.transcript import message_text

if TYPE_CHECKING:
    from devtools.demo import Demo

_RULE = "─" * 78
GREEN_TG = "targetgroup/mycandidate-green/155c97c684f5ccab"
ALB = "app/mycandidate-alb/544ae39448175570"


def run_cutover_scenario(demo: Demo, first_step: int) -> int:
    from devtools import moto_ecs
    from opsbot.cutover import entry
    from opsbot.cutover.hook import decide as hook_decision

    stack = demo.stack
    number = iter(range(first_step, first_step + 100))
    answers: dict[str, tuple[int, Any]] = dict(HEALTHY)
    listening = serving(answers)
    url = listening.__enter__()
    saved = dict(os.environ)
    os.environ.update({
        "OPSBOT_TEST_LISTENER_URL": url, "OPSBOT_SMOKE_WARDS": "52",
        "OPSBOT_ANALYSIS_COUNT": "2", "OPSBOT_ANALYSIS_LOAD_BALANCER": ALB, "OPSBOT_ANALYSIS_TARGET_GROUP": GREEN_TG,
    })  # fmt: skip
    entry._runtime.cache_clear()
    dimensions = [{"Name": "TargetGroup", "Value": GREEN_TG}, {"Name": "LoadBalancer", "Value": ALB}]

    def green_traffic() -> None:
        at = datetime.now(UTC) - timedelta(seconds=30)
        stack.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 420, "Timestamp": at},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": 1, "Timestamp": at},
            {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Value": 0.18, "Timestamp": at},
        ])  # fmt: skip

    def hook() -> str:
        """ECS invoking the hook at POST_TEST_TRAFFIC_SHIFT until it answers SUCCEEDED or FAILED."""
        event = load_event("cutover_hook_post_test_traffic.json")
        for _ in range(10):
            green_traffic()
            config, ports = entry._runtime()  # the function's own configuration and ports, as handle() uses them
            decision = hook_decision(event, config, ports)
            response = decision.response
            print(f"cutover hook (POST_TEST_TRAFFIC_SHIFT)> {response['hookStatus']}: {decision.reason}")
            if response["hookStatus"] != "IN_PROGRESS":
                return str(response["hookStatus"])
            event = {**event, "hookDetails": response["hookDetails"]}
        return "IN_PROGRESS"

    try:
        demo.step(f"{next(number)}. An operator looks at what deploying v1.4.3 would do", OPERATOR,
                  "deploy v1.4.3 --dry-run")  # fmt: skip
        posts = demo.step(f"{next(number)}. The operator deploys v1.4.3", OPERATOR, "deploy v1.4.3")
        demo.expect(bool(posts) and "has started" in message_text(posts[-1]), "the deployment starts")
        print(f"\n{_RULE}\n{next(number)}. ECS invokes the lifecycle hook on the test listener\n{_RULE}")
        demo.expect(hook() == "SUCCEEDED", "smoke tests and analysis pass")
        posts = demo.step(f"{next(number)}. A viewer looks at the cutover", VIEWER, "cutover")
        gate = posts[-1] if posts else {}
        value = next((e["value"] for b in gate.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "cutover_promote"), "")  # fmt: skip
        demo.expect(bool(value), "the pause waits with Promote and Roll back")
        demo.click(f"{next(number)}. A second person presses Promote", ADMIN, "cutover_promote", value, ephemeral=True)
        deployment = _latest(stack)
        print("\n(The bake time passes; ECS completes the deployment.)")
        moto_ecs.complete_service_deployment("af-south-1", deployment)
        demo.expect(_image(stack).endswith(":v1.4.3"), "the service runs v1.4.3")
        demo.step(f"{next(number)}. The operator rolls the good deploy back", OPERATOR, "rollback going back to v1.4.2")
        demo.expect(_image(stack).endswith(":v1.4.2"), "the rollback deploys v1.4.2 again")
        moto_ecs.complete_service_deployment("af-south-1", _latest(stack))

        answers["/api/v1/wards/52/candidates"] = (500, {"error": "database unreachable"})
        demo.step(f"{next(number)}. The operator deploys v1.4.1, a broken build", OPERATOR, "deploy v1.4.1")
        print(f"\n{_RULE}\n{next(number)}. ECS invokes the lifecycle hook on the test listener\n{_RULE}")
        demo.expect(hook() == "FAILED", "the smoke test fails the hook")
        print("(ECS rolls back a deployment whose hook answers FAILED; the replica's ECS does not run hooks, so the")
        print(" operator stops it the same way.)")
        posts = demo.step(
            f"{next(number)}. The operator rolls the bad deploy back", OPERATOR, "rollback ward lookups fail"
        )
        demo.expect(bool(posts) and "Rolling back deployment" in message_text(posts[-1]), "the bad deploy is stopped")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        entry._runtime.cache_clear()
        listening.__exit__(None, None, None)
    return next(number)


def _latest(stack: Any) -> str:
    ecs = stack.client("ecs")
    found = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    return str(max(found, key=lambda d: d["createdAt"])["serviceDeploymentArn"])


def _image(stack: Any) -> str:
    ecs = stack.client("ecs")
    arn = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["taskDefinition"]
    return str(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"])
