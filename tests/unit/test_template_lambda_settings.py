"""The functions' runtime settings in ``template.yaml``: what happens to a delivery that fails, how long logs are
kept, how much concurrency each function has, and that every checkov finding left in place says why.

docs/security.md, *Lambda settings*, is the prose of what these tests hold the template to.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.test_template_iam import TEMPLATE, _CfnLoader

README = Path(__file__).resolve().parents[2] / "README.md"

# Functions nothing invokes asynchronously, and why; every other function must keep what fails.
SYNCHRONOUS_ONLY = {
    "CutoverHooksFunction": "ECS invokes the lifecycle hook synchronously and reads hookStatus from the response",
}
# Per function: the parameter that overrides its reservation, and the prod default.
RESERVED = {
    "SlackCommandsFunction": ("SlackCommandsReservedConcurrency", 20),
    "AlarmRemediationFunction": ("AlarmRemediationReservedConcurrency", 10),
    "CutoverHooksFunction": ("CutoverHooksReservedConcurrency", 5),
    "ElectionScalerFunction": ("ElectionScalerReservedConcurrency", 2),
    "SnapshotsFunction": ("SnapshotsReservedConcurrency", 5),
}
LAMBDA_MIN_UNRESERVED = 10  # Lambda refuses a reservation that leaves fewer unreserved executions in the account


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _of_type(template, "AWS::Serverless::Function")


def _queue(template: dict[str, Any], arn: Any) -> str:
    """The logical id of the template's SQS queue that ``arn`` (``!GetAtt Q.Arn``) names."""
    assert isinstance(arn, dict), f"{arn!r} is not a reference to a queue of this stack"
    assert set(arn) == {"!GetAtt"}, f"{arn!r} is not a reference to a queue of this stack"
    name, attribute = arn["!GetAtt"].split(".")
    assert attribute == "Arn"
    assert template["Resources"][name]["Type"] == "AWS::SQS::Queue", f"{name} is not an SQS queue"
    return str(name)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for statement in document["Statement"]:
        if "!If" in statement:  # a conditional statement: [condition, statement, AWS::NoValue]
            statement = statement["!If"][1]
        found.append(statement)
    return found


# ------------------------------------------------------------------------------------------- dead letters


@pytest.mark.parametrize("function", sorted(RESERVED))
def test_every_function_invoked_asynchronously_keeps_what_fails(template: dict[str, Any], function: str) -> None:
    # Given a function
    properties = _functions(template)[function]["Properties"]
    # When nothing invokes it asynchronously, Then there is nothing to keep (and the reason is written down)
    if function in SYNCHRONOUS_ONLY:
        assert "EventInvokeConfig" not in properties
        assert not any(
            e["Type"] in {"EventBridgeRule", "ScheduleV2", "SNS", "Schedule"}
            for e in properties.get("Events", {}).values()
        )
        return
    # Otherwise an invocation that fails after Lambda's retries goes to an SQS queue of the stack
    invoke = properties["EventInvokeConfig"]
    assert invoke["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    queue = _queue(template, invoke["DestinationConfig"]["OnFailure"]["Destination"])
    assert "MaximumRetryAttempts" in invoke
    assert "MaximumEventAgeInSeconds" in invoke
    # And the function's role may send to it (Lambda sends the on-failure record with the execution role)
    assert {"SQSSendMessagePolicy": {"QueueName": {"!GetAtt": f"{queue}.QueueName"}}} in properties["Policies"]


@pytest.mark.parametrize("function", sorted(set(RESERVED) - set(SYNCHRONOUS_ONLY)))
def test_every_rule_and_schedule_retries_and_keeps_what_it_cannot_deliver(
    template: dict[str, Any], function: str
) -> None:
    # Given the function's EventBridge rules and schedules
    events = _functions(template)[function]["Properties"].get("Events", {})
    for name, event in events.items():
        if event["Type"] not in {"EventBridgeRule", "ScheduleV2"}:
            continue
        # Then each has a retry policy and a dead-letter queue of the stack
        properties = event["Properties"]
        assert "RetryPolicy" in properties, f"{function}.{name} has no RetryPolicy"
        queue = _queue(template, properties["DeadLetterConfig"]["Arn"])
        if event["Type"] == "ScheduleV2":
            # And Scheduler, which sends dead letters with the schedule's role, may send to it
            role = properties["RoleArn"]["!GetAtt"].split(".")[0]
            documents = [p["PolicyDocument"] for p in template["Resources"][role]["Properties"]["Policies"]]
            grants = [s for d in documents for s in _statements(d) if s["Action"] == "sqs:SendMessage"]
            assert grants == [
                {
                    "Sid": "DeadLetters",
                    "Effect": "Allow",
                    "Action": "sqs:SendMessage",
                    "Resource": {"!GetAtt": f"{queue}.Arn"},
                }
            ], f"{role} cannot send {function}.{name}'s dead letters"
        else:
            # And EventBridge, which sends them as itself, is allowed by the queue's policy (for this stack's rules)
            assert _events_may_send_to(template, queue), f"no queue policy lets EventBridge send to {queue}"


def _events_may_send_to(template: dict[str, Any], queue: str) -> bool:
    for policy in _of_type(template, "AWS::SQS::QueuePolicy").values():
        if {"!Ref": queue} not in policy["Properties"]["Queues"]:
            continue
        for statement in _statements(policy["Properties"]["PolicyDocument"]):
            if (
                statement["Principal"] == {"Service": "events.amazonaws.com"}
                and statement["Action"] == "sqs:SendMessage"
            ):
                source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["!Sub"]
                return bool(source.endswith(":rule/${AWS::StackName}-*"))
    return False


def test_the_sns_subscription_keeps_what_sns_cannot_deliver(template: dict[str, Any]) -> None:
    for name, subscription in _of_type(template, "AWS::SNS::Subscription").items():
        queue = _queue(template, subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        policies = [
            p
            for p in _of_type(template, "AWS::SQS::QueuePolicy").values()
            if {"!Ref": queue} in p["Properties"]["Queues"]
        ]
        principals = [s["Principal"] for p in policies for s in _statements(p["Properties"]["PolicyDocument"])]
        assert {"Service": "sns.amazonaws.com"} in principals, f"SNS may not send {name}'s dead letters to {queue}"


def test_every_dead_letter_queue_is_encrypted_kept_and_watched(template: dict[str, Any]) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")
    watched = {
        a["Properties"]["Dimensions"][0]["Value"]["!GetAtt"].split(".")[0]
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/SQS"
        and a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    assert queues
    for name, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, name
        assert queue["Properties"]["MessageRetentionPeriod"] >= 4 * 86400, f"{name} keeps dead letters under 4 days"
        assert name in watched, f"nothing alarms when {name} fills: a dead letter nobody sees is lost"


# ------------------------------------------------------------------------------------------------- logs


def test_every_log_group_has_a_retention(template: dict[str, Any]) -> None:
    groups = _of_type(template, "AWS::Logs::LogGroup")
    assert groups
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"!If": ["IsProd", 90, 14]}, name


def test_every_function_logs_into_a_log_group_of_the_stack(template: dict[str, Any]) -> None:
    # Lambda would otherwise create /aws/lambda/<name> itself, kept forever.
    groups = _of_type(template, "AWS::Logs::LogGroup")
    for name, function in _functions(template).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["!Ref"]
        assert group in groups, name


def test_the_api_logs_every_request_without_headers_or_body(template: dict[str, Any]) -> None:
    (api,) = _of_type(template, "AWS::Serverless::HttpApi").values()
    settings = api["Properties"]["AccessLogSettings"]
    group = settings["DestinationArn"]["!GetAtt"].split(".")[0]
    assert template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
    variables = set(re.findall(r"\$context\.([A-Za-z.]+)", settings["Format"]))
    assert {"requestId", "status", "integrationErrorMessage"} <= variables
    assert not any(v.startswith(("request.header", "request.body")) or "authorizer" in v for v in variables)


# ------------------------------------------------------------------------------------------ concurrency


@pytest.mark.parametrize("function", sorted(RESERVED))
def test_every_function_has_reserved_concurrency_in_prod_and_a_parameter(
    template: dict[str, Any], function: str
) -> None:
    parameter, prod_default = RESERVED[function]
    # Given the function's reservation: the parameter when set, else the prod default, else none
    reserved = _functions(template)[function]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved == {
        "!If": [f"Has{parameter}", {"!Ref": parameter}, {"!If": ["IsProd", prod_default, {"!Ref": "AWS::NoValue"}]}]
    }
    assert template["Conditions"][f"Has{parameter}"] == {"!Not": [{"!Equals": [{"!Ref": parameter}, ""]}]}
    # Then the parameter is empty by default (a new account may have 10 executions in all), and never 0 (which
    # would turn the function off)
    declared = template["Parameters"][parameter]
    assert declared["Default"] == ""
    pattern = re.compile(declared["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("20")
    assert not pattern.fullmatch("0")


def test_the_prod_reservations_fit_and_the_readme_says_what_prod_needs(template: dict[str, Any]) -> None:
    total = sum(default for _, default in RESERVED.values())
    needed = total + LAMBDA_MIN_UNRESERVED
    readme = README.read_text(encoding="utf-8")
    assert f"reserve {total}" in readme
    assert f"at least {needed}" in readme
    assert f"reserve {total}" in TEMPLATE.read_text(encoding="utf-8")
    # The Slack function, the one people wait on, has the largest share.
    assert RESERVED["SlackCommandsFunction"][1] == max(default for _, default in RESERVED.values())


# ------------------------------------------------------------------------------------------------ other


def test_tracing_is_active_as_documented(template: dict[str, Any]) -> None:
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    for name, function in _functions(template).items():
        assert "Tracing" not in function["Properties"], f"{name} overrides the documented tracing decision"


def test_every_table_has_point_in_time_recovery(template: dict[str, Any]) -> None:
    for name, table in _of_type(template, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}, name


def test_every_service_permission_names_its_source(template: dict[str, Any]) -> None:
    for name, permission in _of_type(template, "AWS::Lambda::Permission").items():
        properties = permission["Properties"]
        assert properties["Principal"].endswith(".amazonaws.com")
        assert properties.get("SourceArn"), name
        assert properties.get("SourceAccount") == {"!Ref": "AWS::AccountId"}, name


def test_every_checkov_skip_says_why(template: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    seen = set()
    for name, skip in skips:
        assert set(skip) == {"id", "comment"}, f"{name}: {skip}"
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), f"{name}: {skip['id']}"
        assert (name, skip["id"]) not in seen, f"{name} skips {skip['id']} twice"
        seen.add((name, skip["id"]))
        # A reason, not a shrug: a sentence or more, not "ok" or "n/a".
        assert isinstance(skip["comment"], str), f"{name}: {skip['id']}"
        assert len(skip["comment"].split()) >= 12, f"{name}: {skip['id']}"
