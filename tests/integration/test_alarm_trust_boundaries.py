"""Alarms the bot must not act on, by every delivery path, against moto with the replica: transitions whose actions
CloudWatch suppresses or mutes, and alarms of another AWS account. Each is recorded or rejected, never acted on."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.events import load_event
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import LocalStack
from opsbot import dependencies
from opsbot.alarms import entry
from opsbot.alarms.entry import process
from opsbot.idempotency import exactly_once

FOREIGN = "210987654321"
CPU_EVENTS = {
    "eventbridge": "alarm_eventbridge_cpu_high.json",
    "sns": "alarm_sns_cpu_high.json",
    "lambda-action": "alarm_lambda_action_cpu_high.json",
}
COMPOSITE_EVENTS = {
    "eventbridge": "alarm_eventbridge_composite_web_degraded.json",
    "lambda-action": "alarm_lambda_action_composite_web_degraded.json",
}


def _alarms(stack: LocalStack, **overrides: Any) -> Any:
    settings = replace(stack.settings, **overrides)
    remediator = dependencies.build_remediator(settings)
    once = exactly_once(settings, local_cache=True)
    return lambda event: process(event, remediator, once)


def _incidents(stack: LocalStack) -> list[dict[str, Any]]:
    return [c.body for c in stack.recorder.api_calls("chat.postMessage")]


def _audit(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.audit_items()


def _deployments(stack: LocalStack) -> list[str]:
    ecs = stack.client("ecs")
    return [
        d["id"] for d in ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]["deployments"]
    ]


def _suppressed(event: dict[str, Any]) -> dict[str, Any]:
    """The composite alarm renamed to one whose runbook acts (replace tasks), with its actions suppressed."""
    name = "mycandidate-alb-5xx-composite"
    text = json.dumps(event).replace("mycandidate-web-degraded", name)
    changed: dict[str, Any] = json.loads(text)
    data = changed["detail"] if "detail" in changed else changed["alarmData"]
    data["state"]["actionsSuppressedBy"] = "Alarm"
    data["state"]["actionsSuppressedReason"] = "Alarm action suppressed by mycandidate-maintenance-window"
    data["configuration"]["actionsSuppressor"] = "mycandidate-maintenance-window"
    return changed


def _foreign(event: dict[str, Any], where: str = "everywhere") -> dict[str, Any]:
    """The same delivery, naming another account in one place or in all of them (dimensions stay ours)."""
    if where == "everywhere":
        return json.loads(json.dumps(event).replace("123456789012", FOREIGN))  # SNS Message is a string: also hit
    changed = json.loads(json.dumps(event))
    if where == "topic":
        changed["Records"][0]["Sns"]["TopicArn"] = f"arn:aws:sns:af-south-1:{FOREIGN}:mycandidate-alarms"
    elif where == "alarm-arn" and "alarmArn" in changed:
        changed["alarmArn"] = changed["alarmArn"].replace("123456789012", FOREIGN)
    elif where == "alarm-arn" and "resources" in changed:
        changed["resources"] = [arn.replace("123456789012", FOREIGN) for arn in changed["resources"]]
    else:
        field = {"alarm-arn": "AlarmArn", "account-field": "AWSAccountId"}[where]
        message = json.loads(changed["Records"][0]["Sns"]["Message"])
        message[field] = message[field].replace("123456789012", FOREIGN)
        changed["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return changed


@pytest.mark.parametrize("path", sorted(COMPOSITE_EVENTS))
def test_a_composite_alarm_with_suppressed_actions_is_recorded_not_remediated(stack: LocalStack, path: str) -> None:
    # Given a composite alarm whose runbook would replace every task, delivered while its suppressor is in ALARM
    alarms = _alarms(stack)
    before = _deployments(stack)
    # When the suppressed transition arrives
    summary = alarms(_suppressed(load_event(COMPOSITE_EVENTS[path])))
    # Then nothing was changed, nobody was paged, and the audit trail says why
    assert (summary["acted"], summary["rejected"]) == (0, 0)
    assert _deployments(stack) == before
    assert _incidents(stack) == []
    (entry,) = _audit(stack)
    assert entry["decision"]["S"] == "suppressed"
    assert "actions suppressed by Alarm" in entry["error"]["S"]


@pytest.mark.parametrize("path", sorted(CPU_EVENTS))
def test_an_active_alarm_mute_rule_stops_remediation_on_every_path(stack: LocalStack, path: str) -> None:
    # Given a CloudWatch mute rule (a maintenance window) muting the CPU alarm right now
    started = datetime.now(UTC) - timedelta(minutes=10)
    stack.client("cloudwatch").put_alarm_mute_rule(
        Name="db-maintenance",
        Rule={"Schedule": {"Expression": f"at({started:%Y-%m-%dT%H:%M})", "Duration": "PT2H"}},
        MuteTargets={"AlarmNames": ["mycandidate-ecs-cpu-high"]},
    )
    # When the CPU alarm's transition arrives by this path
    summary = _alarms(stack)(load_event(CPU_EVENTS[path]))
    # Then the service was not scaled and no incident was posted; the attempt is in the audit trail
    assert summary["acted"] == 0
    assert stack.capacity() == (2, 10)
    assert _incidents(stack) == []
    (entry,) = _audit(stack)
    assert (entry["decision"]["S"], entry["result"]["S"]) == ("suppressed", "noop")
    assert "alarm mute rule db-maintenance is active" in entry["error"]["S"]


def test_a_mute_rule_that_has_not_started_yet_does_not_stop_remediation(stack: LocalStack) -> None:
    # Given a maintenance window that starts tomorrow
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    stack.client("cloudwatch").put_alarm_mute_rule(
        Name="tomorrow",
        Rule={"Schedule": {"Expression": f"at({tomorrow:%Y-%m-%dT%H:%M})", "Duration": "PT1H"}},
        MuteTargets={"AlarmNames": ["mycandidate-ecs-cpu-high"]},
    )
    # When the CPU alarm fires now
    summary = _alarms(stack)(load_event("alarm_eventbridge_cpu_high.json"))
    # Then it is remediated as usual
    assert summary["acted"] == 1
    assert stack.capacity() == (4, 10)


@pytest.mark.parametrize("path", sorted(CPU_EVENTS))
def test_an_alarm_of_another_account_is_rejected_on_every_path(stack: LocalStack, path: str) -> None:
    # Given the CPU alarm of another account, whose dimensions name our cluster and service
    event = _foreign(load_event(CPU_EVENTS[path]))
    # When it arrives by this path
    summary = _alarms(stack)(event)
    # Then it is rejected: nothing scaled, nothing posted
    assert (summary["acted"], summary["rejected"]) == (0, 1)
    assert stack.capacity() == (2, 10)
    assert _incidents(stack) == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("alarm_sns_cpu_high.json", "topic"),
        ("alarm_sns_cpu_high.json", "alarm-arn"),
        ("alarm_sns_cpu_high.json", "account-field"),
        ("alarm_lambda_action_cpu_high.json", "alarm-arn"),
        ("alarm_eventbridge_cpu_high.json", "alarm-arn"),
    ],
)
def test_one_foreign_account_anywhere_in_the_delivery_is_enough_to_reject_it(
    stack: LocalStack, name: str, where: str
) -> None:
    summary = _alarms(stack)(_foreign(load_event(name), where))
    assert (summary["acted"], summary["rejected"]) == (0, 1)
    assert stack.capacity() == (2, 10)


def test_the_bots_own_account_comes_from_the_function_arn_when_not_configured(stack: LocalStack) -> None:
    # Given no configured account: the function's ARN names it
    settings = dependencies.own_account(
        replace(stack.settings, account_id=""), "arn:aws:lambda:af-south-1:123456789012:function:opsbot-alarms:live"
    )
    assert settings.account_id == "123456789012"
    # And a bot that cannot tell its own account acts on nothing
    summary = _alarms(stack, account_id="")(load_event("alarm_eventbridge_cpu_high.json"))
    assert (summary["acted"], summary["rejected"]) == (0, 1)
    assert stack.capacity() == (2, 10)


def test_an_alarm_whose_actions_are_disabled_is_not_remediated_from_eventbridge(stack: LocalStack) -> None:
    # Given the CPU alarm's actions switched off for maintenance (SNS and the Lambda action then send nothing,
    # but EventBridge still reports the state change)
    stack.client("cloudwatch").disable_alarm_actions(AlarmNames=["mycandidate-ecs-cpu-high"])
    # When its ALARM arrives by EventBridge
    summary = _alarms(stack)(load_event("alarm_eventbridge_cpu_high.json"))
    # Then nothing was scaled or posted, and the audit trail says why
    assert summary["acted"] == 0
    assert stack.capacity() == (2, 10)
    assert _incidents(stack) == []
    (entry,) = _audit(stack)
    assert "alarm actions are disabled" in entry["error"]["S"]


def test_a_recurring_maintenance_window_that_is_open_now_stops_remediation(stack: LocalStack) -> None:
    # Given a nightly mute rule, in South African time, whose window is open right now
    local = datetime.now(UTC).astimezone(ZoneInfo("Africa/Johannesburg")) - timedelta(minutes=30)
    stack.client("cloudwatch").put_alarm_mute_rule(
        Name="nightly-patching",
        Rule={
            "Schedule": {
                "Expression": f"cron({local.minute} {local.hour} * * *)",
                "Duration": "PT2H",
                "Timezone": "Africa/Johannesburg",
            }
        },
        MuteTargets={"AlarmNames": ["mycandidate-ecs-cpu-high"]},
    )
    # When the CPU alarm fires by SNS
    summary = _alarms(stack)(load_event("alarm_sns_cpu_high.json"))
    # Then it is not remediated
    assert summary["acted"] == 0
    assert stack.capacity() == (2, 10)


@pytest.mark.parametrize(("function_account", "acted"), [("123456789012", 1), ("210987654321", 0)])
def test_without_configuration_the_function_arn_in_the_lambda_context_names_the_bots_account(
    stack: LocalStack, function_account: str, acted: int
) -> None:
    # Given a deployment that does not configure OPSBOT_ACCOUNT_ID: the function's own ARN is the authority
    os.environ.pop("OPSBOT_ACCOUNT_ID", None)
    dependencies.settings.cache_clear()
    entry._runtime.cache_clear()
    context = FakeLambdaContext(
        function_name="opsbot-alarms",
        invoked_function_arn=f"arn:aws:lambda:af-south-1:{function_account}:function:opsbot-alarms:live",
    )
    try:
        # When this account's CPU alarm arrives through the real entry point
        summary = entry.handle(load_event("alarm_eventbridge_cpu_high.json"), context)
    finally:
        entry._runtime.cache_clear()
        dependencies.settings.cache_clear()
    # Then it is acted on only when the function runs in that same account
    assert (summary["acted"], summary["rejected"]) == (acted, 1 - acted)
