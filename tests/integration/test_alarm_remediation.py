"""The alarm function's logic against the moto server with the replica: every delivery path, duplicates across
paths and threads, recovery, bad input — with Slack calls landing in the recorder."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from devtools.events import load_event
from devtools.local_stack import LocalStack
from opsbot import dependencies
from opsbot.alarms.entry import process
from opsbot.idempotency import exactly_once
from tests.alarm_sequence import EXPECTED, EXPECTED_INCIDENTS


@pytest.fixture
def alarms(stack: LocalStack) -> Any:
    remediator = dependencies.build_remediator(stack.settings)
    once = exactly_once(stack.settings, local_cache=True)
    return lambda event: process(event, remediator, once)


def _posted(stack: LocalStack, method: str) -> list[dict[str, Any]]:
    return [c.body for c in stack.recorder.api_calls(method)]


def test_the_same_cpu_alarm_by_three_paths_scales_out_once_and_posts_one_incident(
    stack: LocalStack, alarms: Any
) -> None:
    # Given the CPU alarm's transition delivered by EventBridge, SNS and the Lambda alarm action, twice each
    names = ["alarm_eventbridge_cpu_high.json", "alarm_sns_cpu_high.json", "alarm_lambda_action_cpu_high.json"]
    summaries = [alarms(load_event(name)) for name in names * 2]
    # Then exactly one scale-out happened and one incident was posted
    assert sum(s["acted"] for s in summaries) == 1
    assert sum(s["duplicates"] for s in summaries) == 5
    assert stack.capacity() == (4, 10)
    (incident,) = _posted(stack, "chat.postMessage")
    assert "mycandidate-ecs-cpu-high" in json.dumps(incident)
    (back,) = stack.scheduled_actions()
    assert back["ScheduledActionName"].startswith("opsbot-capacity-")
    assert back["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 10}


def test_concurrent_deliveries_of_one_transition_act_once(stack: LocalStack, alarms: Any) -> None:
    event = load_event("alarm_eventbridge_cpu_high.json")
    with ThreadPoolExecutor(max_workers=8) as pool:
        summaries = list(pool.map(lambda _: alarms(json.loads(json.dumps(event))), range(16)))
    assert sum(s["acted"] for s in summaries) == 1
    assert stack.capacity() == (4, 10)
    assert len(_posted(stack, "chat.postMessage")) == 1


def test_recovery_updates_the_incident_in_place(stack: LocalStack, alarms: Any) -> None:
    alarms(load_event("alarm_eventbridge_cpu_high.json"))
    ts = stack.recorder.api_calls("chat.postMessage")[0].response["ts"]  # type: ignore[index]
    alarms(load_event("alarm_eventbridge_cpu_ok.json"))
    (update,) = _posted(stack, "chat.update")
    assert update["ts"] == ts
    assert "recovered after" in update["text"]


def test_unhealthy_hosts_without_a_deployment_replace_the_tasks(stack: LocalStack, alarms: Any) -> None:
    ecs = stack.client("ecs")
    before = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["deployments"]
    summary = alarms(load_event("alarm_eventbridge_unhealthy_hosts.json"))
    assert summary["acted"] == 1
    after = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["deployments"]
    assert len(after) > len(before) or after[0]["id"] != before[0]["id"]


def test_unhealthy_hosts_during_a_deployment_roll_it_back(stack: LocalStack, alarms: Any) -> None:
    # Given a new revision being deployed
    ecs = stack.client("ecs")
    task_definition = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["taskDefinition"]
    ecs.update_service(cluster="mycandidate", service="web", taskDefinition=task_definition, forceNewDeployment=True)
    (deploying,) = ecs.list_service_deployments(cluster="mycandidate", service="web", status=["IN_PROGRESS"])[
        "serviceDeployments"
    ]
    # When the unhealthy-hosts alarm fires, a minute after that deployment began
    event = load_event("alarm_eventbridge_unhealthy_hosts.json")
    fired = deploying["createdAt"] + timedelta(minutes=1)
    event["detail"]["state"]["timestamp"] = f"{fired:%Y-%m-%dT%H:%M:%S.000+0000}"
    alarms(event)
    # Then that deployment is being rolled back
    (described,) = ecs.describe_service_deployments(serviceDeploymentArns=[deploying["serviceDeploymentArn"]])[
        "serviceDeployments"
    ]
    assert described["status"] == "ROLLBACK_IN_PROGRESS"


@pytest.mark.parametrize(
    "name",
    [
        "alarm_sns_malformed_message.json",
        "alarm_sns_not_an_alarm.json",
        "alarm_other_region.json",
        "alarm_missing_dimensions.json",
        "alarm_unknown_shape.json",
    ],
)
def test_bad_deliveries_are_rejected_without_action_or_crash(stack: LocalStack, alarms: Any, name: str) -> None:
    summary = alarms(load_event(name))
    assert summary["rejected"] == 1
    assert summary["acted"] == 0
    assert stack.capacity() == (2, 10)
    assert _posted(stack, "chat.postMessage") == []


@pytest.mark.parametrize(
    "name",
    [
        "alarm_eventbridge_math_5xx_rate.json",
        "alarm_eventbridge_anomaly_response_time.json",
        "alarm_eventbridge_composite_web_degraded.json",
        "alarm_sns_redis_evictions.json",
        "alarm_lambda_action_rds_free_storage.json",
        "alarm_eventbridge_insufficient_data.json",
    ],
)
def test_every_alarm_shape_is_handled(stack: LocalStack, alarms: Any, name: str) -> None:
    summary = alarms(load_event(name))
    assert summary["transitions"] == 1
    assert summary["rejected"] == 0


def test_every_alarm_event_in_sequence_as_separate_executions(stack: LocalStack) -> None:
    # Given a fresh idempotency cache per delivery, as separate Lambda execution environments would have
    remediator = dependencies.build_remediator(stack.settings)
    for name, expected in EXPECTED.items():
        summary = process(load_event(name), remediator, exactly_once(stack.settings))
        assert (summary["acted"], summary["duplicates"], summary["rejected"]) == expected, name
    incidents = [c for c in stack.recorder.api_calls("chat.postMessage") if not (c.body or {}).get("thread_ts")]
    assert len(incidents) == EXPECTED_INCIDENTS
    assert len(stack.recorder.api_calls("chat.update")) == 1
    assert stack.capacity() == (4, 10)
