"""The cutover's pure core (issue 11, first part): the plan changes only the web container's image and is valid for
RegisterTaskDefinition and UpdateService as botocore models them; smoke tests; the analysis' verdicts (pass, fail,
inconclusive, metric errors); the hook's IN_PROGRESS loop carrying its state in hookDetails, its rollback pass, and
its refusals of payloads it should not act on."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from opsbot.cutover import analysis, hook, plan, smoke
from opsbot.errors import UsageError

ECS = botocore.session.get_session().get_service_model("ecs")
RUNNING = {
    "taskDefinitionArn": "arn:aws:ecs:af-south-1:123456789012:task-definition/mycandidate-web:7",
    "family": "mycandidate-web",
    "revision": 7,
    "status": "ACTIVE",
    "taskRoleArn": "arn:aws:iam::123456789012:role/web",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "networkMode": "awsvpc",
    "cpu": "512",
    "memory": "1024",
    "requiresCompatibilities": ["FARGATE"],
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
    "registeredAt": "2026-11-01T00:00:00Z",
    "registeredBy": "arn:aws:iam::123456789012:role/deployer",
    "containerDefinitions": [
        {"name": "web", "image": "123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.4.2",
         "portMappings": [{"containerPort": 5000}], "environment": [{"name": "FLASK_ENV", "value": "production"}]},
        {"name": "xray", "image": "public.ecr.aws/xray/aws-xray-daemon:3.3.7"},
    ],
}  # fmt: skip
SERVICE_ARN = "arn:aws:ecs:af-south-1:123456789012:service/mycandidate/web"
TARGET = "arn:aws:ecs:af-south-1:123456789012:service-revision/mycandidate/web/222"
BLUE = "arn:aws:ecs:af-south-1:123456789012:service-revision/mycandidate/web/111"
CONFIG = hook.HookConfig("mycandidate", "web", "http://127.0.0.1:8443", wards=("52",))


def _valid(operation: str, params: dict[str, Any]) -> list[str]:
    report = ParamValidator().validate(params, ECS.operation_model(operation).input_shape)
    return [report.generate_report()] if report.has_errors() else []


# the plan ---------------------------------------------------------------------------------------------------


def test_the_new_revision_differs_from_the_running_one_only_in_the_web_image() -> None:
    revision = plan.new_revision(RUNNING, "web", plan.parse_image("v1.5.0"))
    register = revision.register
    assert register["containerDefinitions"][0]["image"].endswith("/mycandidate:v1.5.0")
    unchanged = {k: v for k, v in RUNNING.items() if k not in plan.READ_ONLY and k != "containerDefinitions"}
    assert {k: v for k, v in register.items() if k != "containerDefinitions"} == unchanged
    assert register["containerDefinitions"][1] == RUNNING["containerDefinitions"][1]
    assert RUNNING["containerDefinitions"][0]["image"].endswith(":v1.4.2")  # the input is not touched
    assert _valid("RegisterTaskDefinition", register) == []
    assert revision.diff == [
        "containerDefinitions[mycandidate-web/web].image:"
        " 123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.4.2"
        " → 123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.5.0"
    ]


def test_a_digest_replaces_the_tag() -> None:
    digest = "sha256:" + "a" * 64
    revision = plan.new_revision(RUNNING, "web", plan.parse_image(digest))
    assert revision.image_after == f"123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate@{digest}"


@pytest.mark.parametrize(("text", "says"), [
    ("sha256:abc", "64 lower-case hex"), ("v1.5.0; rm -rf /", "not an image tag"), ("-x", "not an image tag"),
    ("a" * 129, "not an image tag"),
])  # fmt: skip
def test_bad_image_references_are_refused(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        plan.parse_image(text)


@pytest.mark.parametrize("strategy", plan.STRATEGIES)
def test_the_deployment_configuration_is_valid_for_update_service(strategy: str) -> None:
    hooks = [
        {
            "hookTargetArn": "arn:aws:lambda:af-south-1:123456789012:function:hooks",
            "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
        }
    ]
    found = plan.deployment_configuration(
        strategy, 10, ["mycandidate-alb-5xx"], hooks, {"maximumPercent": 200, "minimumHealthyPercent": 100}
    )  # fmt: skip
    assert found["strategy"] == strategy.upper()
    assert found["maximumPercent"] == 200
    assert ("canaryConfiguration" in found, "linearConfiguration" in found) == (
        strategy == "canary", strategy == "linear"
    )  # fmt: skip
    params = {"cluster": "mycandidate", "service": "web", "deploymentConfiguration": found}
    assert _valid("UpdateService", params) == []


def test_an_unknown_strategy_or_a_bake_time_out_of_range_is_refused() -> None:
    with pytest.raises(UsageError, match="not a strategy"):
        plan.deployment_configuration("rolling", 10, [], [], {})
    with pytest.raises(UsageError, match="0 to 1440"):
        plan.deployment_configuration("canary", 2000, [], [], {})


# smoke tests --------------------------------------------------------------------------------------------------


def _listener(answers: dict[str, tuple[int, Any]]) -> smoke.Getter:
    def get(url: str, timeout: float) -> tuple[int, bytes]:
        path = url.split("8443", 1)[1]
        if path not in answers:
            raise TimeoutError("no answer")
        status, body = answers[path]
        return status, json.dumps(body).encode()

    return get


HEALTHY = {
    "/api/v1/health": (200, {"status": "ok"}),
    "/api/v1/wards/52/candidates": (200, [{"name": "A", "party": "B"}]),
}


def test_smoke_tests_pass_on_a_healthy_listener_and_say_what_failed_otherwise() -> None:
    checks = smoke.checks_for(("52",))
    assert all(r.passed for r in smoke.run(_listener(HEALTHY), "http://127.0.0.1:8443", checks, 2))
    broken = {**HEALTHY, "/api/v1/wards/52/candidates": (200, [{"name": "A"}])}
    results = smoke.run(_listener(broken), "http://127.0.0.1:8443", checks, 2)
    assert [r.summary.endswith("key `party` is missing") for r in results] == [False, True]
    down = smoke.run(_listener({"/api/v1/health": (503, {})}), "http://127.0.0.1:8443", checks, 2)
    assert down[0].summary.startswith("HTTP 503 (expected 200)")
    assert down[1].summary == "no answer within 2 s (TimeoutError)"


# the analysis -------------------------------------------------------------------------------------------------

SPEC = analysis.AnalysisSpec(count=3, failure_limit=0, inconclusive_limit=1, consecutive_error_limit=1)


def _run(*samples: analysis.Sample | str) -> tuple[str, str]:
    return analysis.verdict([analysis.measure(s, SPEC) for s in samples], SPEC)


def test_the_analysis_succeeds_after_count_good_measurements() -> None:
    good = analysis.Sample(requests=500, errors_5xx=1, p95_s=0.3)
    assert _run(good, good)[0] == "Running"
    assert _run(good, good, good)[0] == "Successful"


def test_the_analysis_fails_over_a_limit_with_the_values() -> None:
    bad = analysis.Sample(requests=500, errors_5xx=40, p95_s=0.3)
    outcome, why = _run(bad)
    assert outcome == "Failed"
    assert "5xx 8.00% (limit 1.00%) of 500 requests" in why


def test_too_few_requests_is_inconclusive_and_metric_errors_fail_in_a_row() -> None:
    quiet = analysis.Sample(requests=3, errors_5xx=0, p95_s=0.1)
    assert _run(quiet)[0] == "Running"
    assert _run(quiet, quiet)[0] == "Inconclusive"
    assert _run("throttled")[0] == "Running"
    outcome, why = _run("throttled", "throttled")
    assert (outcome, why) == ("Failed", "2 metric reads in a row failed (limit 1)")


# the hook -----------------------------------------------------------------------------------------------------


def _payload(stage: str = "POST_TEST_TRAFFIC_SHIFT", details: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "lifecycleStage": stage,
        "executionDetails": {"serviceArn": SERVICE_ARN, "targetServiceRevisionArn": TARGET,
                             "testTrafficWeights": {}, "productionTrafficWeights": {}},
        **({"hookDetails": details} if details is not None else {}),
        **extra,
    }  # fmt: skip


def _ports(sample: analysis.Sample | Exception, answers: dict[str, tuple[int, Any]] = HEALTHY) -> hook.HookPorts:
    def metrics() -> analysis.Sample:
        if isinstance(sample, Exception):
            raise sample
        return sample

    return hook.HookPorts(_listener(answers), metrics)


def test_the_hook_loops_in_progress_with_its_state_until_the_analysis_is_done() -> None:
    config = hook.HookConfig("mycandidate", "web", "http://127.0.0.1:8443", ("52",), analysis=SPEC)
    ports = _ports(analysis.Sample(500, 0, 0.2))
    first = hook.decide(_payload(), config, ports)
    assert (first.status, first.response["callBackDelay"]) == ("IN_PROGRESS", 60)
    details = first.response["hookDetails"]
    for _ in range(2):
        step = hook.decide(_payload(details=details), config, ports)
        assert step.status == "IN_PROGRESS"
        details = step.response["hookDetails"]
    last = hook.decide(_payload(details=details), config, ports)
    assert (last.status, last.final) == ("SUCCEEDED", True)
    assert "smoke tests and analysis passed" in last.reason


def test_a_metric_read_that_fails_is_taken_again_and_named_in_the_verdict() -> None:
    # Given a hook whose analysis needs two measurements, past its smoke tests with one good measurement
    from opsbot.errors import AwsOperationError

    spec = analysis.AnalysisSpec(count=2, consecutive_error_limit=2)
    config = hook.HookConfig("mycandidate", "web", "http://127.0.0.1:8443", ("52",), analysis=spec)
    good = {"phase": "Successful", "summary": "5xx 0.00% (limit 1.00%) of 400 requests"}
    details = {"opsbot": {"smoke": "health: HTTP 200", "measurements": [good]}}
    denied = AwsOperationError("GetMetricData", "AccessDeniedException", "the bot's IAM role is not allowed to do this")
    # When the second measurement's read of CloudWatch fails
    failed = hook.decide(_payload(details=details), config, _ports(denied))
    # Then the hook does not pass on one measurement: it asks ECS to call again, saying why
    assert failed.status == "IN_PROGRESS"
    assert "AccessDeniedException" in failed.reason
    # And the next read passes it, the failed read named in the verdict (which the audit trail records)
    passed = hook.decide(_payload(details=failed.response["hookDetails"]), config, _ports(analysis.Sample(400, 0, 0.2)))
    assert passed.status == "SUCCEEDED"
    assert "2 measurement(s)" in passed.reason
    assert "1 metric read(s) failed and were taken again" in passed.reason
    assert "AccessDeniedException" in passed.reason


def test_a_failing_smoke_test_fails_the_hook_with_the_check_and_its_value() -> None:
    decision = hook.decide(_payload(), CONFIG, _ports(analysis.Sample(500, 0, 0.2), {"/api/v1/health": (500, {})}))
    assert decision.status == "FAILED"
    assert decision.reason.startswith("smoke test failed: health: HTTP 500 (expected 200)")


@pytest.mark.parametrize(("stage", "weights", "shares"), [
    ("PRODUCTION_TRAFFIC_SHIFT", "productionTrafficWeights", {TARGET: 0, BLUE: 100}),
    ("TEST_TRAFFIC_SHIFT", "testTrafficWeights", {TARGET: 0, BLUE: 100}),
])  # fmt: skip
def test_a_rollback_passes_the_recurring_traffic_hooks_at_once(stage: str, weights: str, shares: dict) -> None:
    rolling_back = _payload(stage)
    rolling_back["executionDetails"][weights] = shares
    decision = hook.decide(rolling_back, CONFIG, _ports(RuntimeError("must not be read")))
    assert decision.status == "SUCCEEDED"
    assert "rollback" in decision.reason


def test_the_target_at_zero_before_the_production_shift_is_not_a_rollback() -> None:
    """PRE_PRODUCTION_TRAFFIC_SHIFT shows the target at 0 % of production before the shift, as the docs' sample."""
    before_shift = _payload("PRE_PRODUCTION_TRAFFIC_SHIFT")
    before_shift["executionDetails"]["productionTrafficWeights"] = {TARGET: 0, BLUE: 100}
    assert "rollback" not in hook.decide(before_shift, CONFIG, _ports(RuntimeError("unused"))).reason
    forward = _payload("PRODUCTION_TRAFFIC_SHIFT")
    forward["executionDetails"]["productionTrafficWeights"] = {TARGET: 100, BLUE: 0}
    assert "rollback" not in hook.decide(forward, CONFIG, _ports(RuntimeError("unused"))).reason


@pytest.mark.parametrize(("payload", "says"), [
    ([], "not a JSON object"),
    ({"lifecycleStage": "POST_TEST_TRAFFIC_SHIFT"}, "no lifecycleStage and executionDetails"),
    (_payload() | {"executionDetails": {"serviceArn": "arn:aws:ecs:af-south-1:1:service/other/api"}}, "not this bot's"),
    (_payload(details={"opsbot": {"smoke": "ok", "skip": True}}), "unknown keys"),
    (_payload(details={"opsbot": {"smoke": "ok", "measurements": [{"phase": "Great"}]}}), "measurements"),
])  # fmt: skip
def test_payloads_the_hook_should_not_act_on_fail_with_the_reason(payload: Any, says: str) -> None:
    decision = hook.decide(payload, CONFIG, _ports(analysis.Sample(500, 0, 0.2)))
    assert decision.status == "FAILED"
    assert says in decision.reason


def test_a_hook_that_would_raise_answers_failed_instead() -> None:
    def broken(url: str, timeout: float) -> tuple[int, bytes]:
        raise ValueError("boom")  # not an OSError: a bug, not a timeout

    decision = hook.decide(_payload(), CONFIG, hook.HookPorts(broken, lambda: analysis.Sample(1, 0, None)))
    assert decision.status == "FAILED"
    assert "ValueError: boom" in decision.reason


def test_other_stages_pass() -> None:
    decision = hook.decide(_payload("PRE_SCALE_UP"), CONFIG, _ports(RuntimeError("unused")))
    assert decision.status == "SUCCEEDED"
