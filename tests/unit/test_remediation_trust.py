"""The remediator's trust checks with in-memory ports: CloudWatch's own silence, the bot's own account, and
failures nobody anticipated (a missing SDK operation) reported and audited like AWS errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from opsbot.alarms.model import AlarmKind, Decision, Rejection
from opsbot.aws.clients import client
from opsbot.aws.monitoring import AlarmSilenceGateway
from opsbot.errors import AwsOperationError
from opsbot.logic.scaling import Capacity
from tests.unit.test_remediation import Bench, transition


@pytest.fixture
def bench() -> Bench:
    return Bench()


def _composite(name: str = "mycandidate-alb-5xx-composite", **kw: Any) -> Any:
    return transition(name, kind=AlarmKind.COMPOSITE, namespace=None, metric=None, dimensions={}, **kw)


def test_a_suppressed_composite_is_recorded_but_neither_acted_on_nor_announced(bench: Bench) -> None:
    # Given a composite alarm whose runbook replaces tasks, with its actions suppressed by a maintenance alarm
    t = _composite(actions_suppressed_by="Alarm", actions_suppressed_reason="suppressed by mycandidate-maintenance")
    # When it is handled
    decision = bench.handle(t)
    # Then nothing ran, nothing was posted, and the audit entry says it was suppressed and why
    assert isinstance(decision, Decision)
    assert (decision.acted, decision.silenced) == (False, True)
    assert bench.deployments.calls == []
    assert bench.notifier.posts == []
    (entry,) = bench.world.store.entries.values()
    assert (entry.decision, entry.result) == ("suppressed", "noop")
    assert "actions suppressed by Alarm (suppressed by mycandidate-maintenance)" in entry.error


def test_a_composite_without_suppression_in_the_payload_is_checked_against_cloudwatch(bench: Bench) -> None:
    # Given the SNS path, which carries no suppression fields, while CloudWatch reports the composite suppressed
    bench.silence.suppressed["mycandidate-alb-5xx-composite"] = "ExtensionPeriod"
    # When the composite's ALARM arrives
    decision = bench.handle(_composite())
    # Then the bot asked CloudWatch, and did nothing
    assert isinstance(decision, Decision)
    assert decision.silenced
    assert "actions suppressed by ExtensionPeriod" in decision.reason
    assert bench.deployments.calls == []


def test_an_active_mute_rule_silences_even_a_notify_only_alarm(bench: Bench) -> None:
    bench.silence.mute_rules["mycandidate-rds-connections"] = "nightly-patching"
    decision = bench.handle(transition("mycandidate-rds-connections", namespace="AWS/RDS", dimensions={}))
    assert isinstance(decision, Decision)
    assert decision.silenced
    assert bench.notifier.posts == []


def test_when_mute_rules_cannot_be_read_nothing_is_done_and_the_delivery_is_retried(bench: Bench) -> None:
    # Given CloudWatch throttling ListAlarmMuteRules
    bench.silence.fail = True
    # When the CPU alarm fires, the bot refuses to guess: it raises for Lambda to retry
    with pytest.raises(AwsOperationError):
        bench.handle(transition())
    # And nothing changed, the attempt is audited as failed, and Slack hears that it could not decide
    assert bench.world.capacity.capacity == Capacity(2, 10)
    (entry,) = bench.world.store.entries.values()
    assert entry.result == "failed"
    assert "ListAlarmMuteRules" in entry.error
    (post,) = bench.notifier.posts
    assert "could not decide" in post["text"]


def test_an_alarm_of_another_account_is_rejected_with_both_accounts_named(bench: Bench) -> None:
    t = transition(accounts=frozenset({"123456789012", "210987654321"}))
    rejection = bench.handle(t)
    assert isinstance(rejection, Rejection)
    assert "210987654321" in rejection.reason
    assert "123456789012" in rejection.reason
    assert bench.world.capacity.capacity == Capacity(2, 10)


class _OldSdkDeployments:
    """An ECS client from a runtime whose bundled SDK lacks an operation the bot calls."""

    def in_progress_deployment(self, created_by: Any = None, moving: bool = False) -> str | None:
        return None

    def stop_deployment(self, deployment_arn: str) -> None:
        raise AttributeError("'ECS' object has no attribute 'stop_service_deployment'")

    def force_new_deployment(self) -> None:
        raise AttributeError("'ECS' object has no attribute 'update_service'")


def test_an_unexpected_exception_in_an_action_is_reported_and_audited_like_an_aws_error(bench: Bench) -> None:
    # Given an action that fails with something other than an AWS error
    bench.deployments = _OldSdkDeployments()  # type: ignore[assignment]
    # When the 5xx alarm asks for the tasks to be replaced
    decision = bench.handle(transition("mycandidate-alb-5xx", namespace="AWS/ApplicationELB", dimensions={}))
    # Then the incident says it failed, and the audit trail holds a failed entry naming the error type only
    assert isinstance(decision, Decision)
    assert decision.error
    (post,) = bench.notifier.posts
    assert "replace_tasks failed" in post["text"]
    (entry,) = bench.world.store.entries.values()
    assert entry.result == "failed"
    assert "unexpected AttributeError" in entry.error
    assert "has no attribute" not in entry.error  # internals stay in the logs


# --- the CloudWatch adapter, with requests and responses checked against botocore's model --------------------


def _gateway() -> tuple[AlarmSilenceGateway, Stubber]:
    cloudwatch = client("cloudwatch", "af-south-1")
    return AlarmSilenceGateway(cloudwatch), Stubber(cloudwatch)


def test_the_adapter_reports_an_active_mute_rule_by_name() -> None:
    gateway, stub = _gateway()
    stub.add_response(
        "list_alarm_mute_rules",
        {
            "AlarmMuteRuleSummaries": [
                {
                    "AlarmMuteRuleArn": "arn:aws:cloudwatch:af-south-1:123456789012:alarm-mute:db-maintenance",
                    "Status": "ACTIVE",
                    "MuteType": "ONE_TIME",
                    "LastUpdatedTimestamp": datetime(2026, 5, 29, 4, tzinfo=UTC),
                }
            ]
        },
        {"AlarmName": "mycandidate-ecs-cpu-high", "Statuses": ["ACTIVE"]},
    )
    with stub:
        assert (
            gateway.silenced("mycandidate-ecs-cpu-high", composite=False) == "alarm mute rule db-maintenance is active"
        )


def test_the_adapter_reads_a_composite_alarms_suppression() -> None:
    gateway, stub = _gateway()
    stub.add_response(
        "list_alarm_mute_rules",
        {"AlarmMuteRuleSummaries": []},
        {"AlarmName": "mycandidate-web-degraded", "Statuses": ["ACTIVE"]},
    )
    stub.add_response(
        "describe_alarms",
        {
            "CompositeAlarms": [
                {"AlarmName": "mycandidate-web-degraded", "StateValue": "ALARM", "ActionsSuppressedBy": "WaitPeriod"}
            ]
        },
        {"AlarmNames": ["mycandidate-web-degraded"], "AlarmTypes": ["CompositeAlarm"]},
    )
    with stub:
        assert gateway.silenced("mycandidate-web-degraded", composite=True) == "actions suppressed by WaitPeriod"


def test_a_notify_only_alarm_is_still_announced_when_mute_rules_cannot_be_read(bench: Bench) -> None:
    # Given CloudWatch throttling the silence lookup, and an alarm whose runbook only notifies
    bench.silence.fail = True
    # When it fires, nothing would change in AWS, so the channel hears of it rather than a retry storm
    decision = bench.handle(transition("mycandidate-rds-connections", namespace="AWS/RDS", dimensions={}))
    assert isinstance(decision, Decision)
    assert not decision.acted
    (post,) = bench.notifier.posts
    assert "mycandidate-rds-connections" in post["text"]


def test_a_retry_after_could_not_decide_updates_its_incident_instead_of_posting_another(bench: Bench) -> None:
    # Given a first delivery that could not decide (mute rules unreadable) and posted "could not decide"
    bench.silence.fail = True
    with pytest.raises(AwsOperationError):
        bench.handle(transition())
    # When Lambda's retry of the same transition succeeds
    bench.silence.fail = False
    decision = bench.handle(transition())
    # Then the one incident message now says what was done; no second message was posted
    assert isinstance(decision, Decision)
    assert decision.acted
    assert len(bench.notifier.posts) == 1
    ((_, ts, update),) = bench.notifier.updates
    assert ts == "1780000000.000001"
    assert "raised the minimum" in update["text"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"account": "", "accounts": frozenset(), "alarm_arn": ""}, "names no AWS account"),
        ({"region": "", "regions": frozenset(), "alarm_arn": ""}, "names no AWS region"),
    ],
)
def test_a_delivery_that_does_not_say_whose_or_where_it_is_is_rejected(
    bench: Bench, fields: dict[str, Any], reason: str
) -> None:
    rejection = bench.handle(transition(**fields))
    assert isinstance(rejection, Rejection)
    assert reason in rejection.reason
    assert bench.world.capacity.capacity == Capacity(2, 10)


def test_the_recovery_thread_reply_sent_to_slack_is_escaped(bench: Bench) -> None:
    # Given an open incident for an alarm whose name would ping the channel
    name = "mycandidate-<!here>-redis"
    bench.handle(transition(name, namespace="AWS/ElastiCache", dimensions={}))
    # When it recovers
    bench.handle(transition(name, state="OK", at=bench.now.replace(minute=20), namespace="AWS/ElastiCache"))
    # Then the thread reply Slack receives carries no broadcast
    ((_, _, reply),) = bench.notifier.replies
    assert "<!here>" not in str(reply)
    assert "&lt;!here&gt;" in reply["text"]
