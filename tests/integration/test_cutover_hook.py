"""The cutover hook function on this host (issue 11, first part), with every sample event: a real HTTP listener on
127.0.0.1 stands in for the test listener, healthy or not; the metrics come from the moto server's CloudWatch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.events import load_event
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import LocalStack
from devtools.test_listener import HEALTHY, serving
from opsbot import dependencies
from opsbot.cutover import entry


@pytest.fixture
def listener() -> Iterator[tuple[str, dict[str, tuple[int, Any]]]]:
    answers = dict(HEALTHY)
    with serving(answers) as url:
        yield url, answers


@pytest.fixture
def hook_env(stack: LocalStack, listener: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    url, answers = listener
    monkeypatch.setenv("OPSBOT_TEST_LISTENER_URL", url)
    monkeypatch.setenv("OPSBOT_SMOKE_WARDS", "52")
    monkeypatch.setenv("OPSBOT_ANALYSIS_COUNT", "2")
    monkeypatch.setenv("OPSBOT_ANALYSIS_LOAD_BALANCER", "app/mycandidate-alb/544ae39448175570")
    monkeypatch.setenv("OPSBOT_ANALYSIS_TARGET_GROUP", "targetgroup/mycandidate-green/155c97c684f5ccab")
    entry._runtime.cache_clear()
    entry._audit.cache_clear()
    yield answers
    entry._runtime.cache_clear()
    entry._audit.cache_clear()


def _green_traffic(stack: LocalStack, requests: float, errors: float) -> None:
    dimensions = [
        {"Name": "TargetGroup", "Value": "targetgroup/mycandidate-green/155c97c684f5ccab"},
        {"Name": "LoadBalancer", "Value": "app/mycandidate-alb/544ae39448175570"},
    ]
    at = datetime.now(UTC) - timedelta(seconds=30)  # CloudWatch has the last minute's datapoints, not this instant's
    stack.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": requests, "Timestamp": at},
        {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": errors, "Timestamp": at},
        {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Value": 0.2, "Timestamp": at},
    ])  # fmt: skip


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    return entry.handle(event, FakeLambdaContext(function_name="mycandidate-opsbot-cutover-hooks"))


def test_a_healthy_green_passes_smoke_and_analysis_over_three_invocations(stack: LocalStack, hook_env: Any) -> None:
    _green_traffic(stack, requests=400, errors=0)
    event = load_event("cutover_hook_post_test_traffic.json")
    first = _invoke(event)
    assert (first["hookStatus"], first["callBackDelay"]) == ("IN_PROGRESS", 60)
    second = _invoke({**event, "hookDetails": first["hookDetails"]})
    assert second["hookStatus"] == "IN_PROGRESS"
    assert _invoke({**event, "hookDetails": second["hookDetails"]}) == {"hookStatus": "SUCCEEDED"}


def test_a_broken_green_fails_the_smoke_test(stack: LocalStack, hook_env: Any) -> None:
    hook_env["/api/v1/wards/52/candidates"] = (500, {"error": "database unreachable"})
    event = load_event("cutover_hook_post_test_traffic.json")
    assert _invoke(event) == {"hookStatus": "FAILED"}
    verdict = next(e for e in dependencies.build_ports(stack.settings).audit.latest(10) if e.verb == entry.AUDIT_VERB)
    assert (verdict.result, verdict.after["deployment"], verdict.after["stage"]) == (
        "failed",
        event["resourceArn"],
        "POST_TEST_TRAFFIC_SHIFT",
    )
    assert "candidates: HTTP 500 (expected 200)" in verdict.after["reason"]


def test_a_green_serving_5xx_fails_the_analysis(stack: LocalStack, hook_env: Any) -> None:
    _green_traffic(stack, requests=400, errors=60)
    event = load_event("cutover_hook_post_test_traffic.json")
    first = _invoke(event)
    assert _invoke({**event, "hookDetails": first["hookDetails"]}) == {"hookStatus": "FAILED"}


@pytest.mark.parametrize(("name", "status"), [
    ("cutover_hook_rollback.json", "SUCCEEDED"),
    ("cutover_hook_test_traffic_rollback.json", "SUCCEEDED"),
    ("cutover_hook_test_traffic.json", "SUCCEEDED"),  # forward: nothing to check there
    ("cutover_hook_production_traffic.json", "SUCCEEDED"),
    ("cutover_hook_pre_scale_up.json", "SUCCEEDED"),
    ("cutover_hook_other_service.json", "FAILED"),
    ("cutover_hook_unknown_details.json", "FAILED"),
])  # fmt: skip
def test_the_other_sample_events(stack: LocalStack, hook_env: Any, name: str, status: str) -> None:
    assert _invoke(load_event(name))["hookStatus"] == status


def test_a_configured_migration_runs_the_new_task_definition_as_a_task(
    stack: LocalStack, hook_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_MIGRATION_COMMAND", "flask db upgrade")
    dependencies.settings.cache_clear()
    stack.client("rds").create_db_snapshot(DBInstanceIdentifier="mycandidate-db", DBSnapshotIdentifier="pre-cutover")
    try:
        first = _invoke(load_event("cutover_hook_pre_scale_up.json"))
        assert first["hookStatus"] == "IN_PROGRESS", first
        task = first["hookDetails"]["opsbot"]["migration"]["task"]
        ecs = stack.client("ecs")
        (described,) = ecs.describe_tasks(cluster="mycandidate", tasks=[task])["tasks"]
        assert described["overrides"]["containerOverrides"][0] == {"name": "web", "command": ["flask", "db", "upgrade"]}
        service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
        assert described["taskDefinitionArn"] == service["taskDefinition"]
        event = {**load_event("cutover_hook_pre_scale_up.json"), "hookDetails": first["hookDetails"]}
        assert _invoke(event)["hookStatus"] == "IN_PROGRESS"  # still running: polled again
        ecs.stop_task(cluster="mycandidate", task=task, reason="migration finished")  # moto's containers exit 0
        assert _invoke(event) == {"hookStatus": "SUCCEEDED"}
    finally:
        dependencies.settings.cache_clear()


def test_the_green_target_group_is_where_the_test_listener_rule_sends_traffic(stack: LocalStack) -> None:
    """ECS swaps the two target groups' roles between deployments: green is read from the rule, not configured."""
    from opsbot.aws.green_target import GreenTarget

    ecs, elbv2 = stack.client("ecs"), stack.client("elbv2")
    green = GreenTarget(ecs, elbv2, "mycandidate", "web")
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    advanced = service["loadBalancers"][0]["advancedConfiguration"]
    blue, now_green = service["loadBalancers"][0]["targetGroupArn"], advanced["alternateTargetGroupArn"]
    (balancer,) = elbv2.describe_load_balancers(Names=["mycandidate-alb"])["LoadBalancers"]
    assert green.dimensions() == (
        balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[1],  # app/<name>/<id>, the LoadBalancer dimension
        now_green.rsplit(":", 1)[-1],  # targetgroup/<name>/<id>
    )
    assert "mycandidate-green" in now_green
    forward = [{"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": now_green, "Weight": 0}]
    elbv2.modify_rule(
        RuleArn=advanced["testListenerRule"], Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": forward}}]
    )
    assert green.dimensions()[1] == blue.rsplit(":", 1)[-1]  # the next deployment: the other one is green
