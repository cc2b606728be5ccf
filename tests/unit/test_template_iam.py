"""The functions' IAM policies in ``template.yaml`` grant no more than the bot needs.

Every ``Resource: "*"`` must be for an action that AWS documents as having no resource type (the Service
Authorization Reference, "Actions, resources, and condition keys for <service>"); everything that changes
something names its resource. YAML comments cannot be read, so the justification lives in ``UNSCOPABLE`` below.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbot.config import Guardrails, Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

# Actions that have no resource type in the Service Authorization Reference, so "*" is the only valid Resource.
UNSCOPABLE: dict[str, str] = {
    "application-autoscaling:DescribeScalableTargets": (
        "Actions, resources, and condition keys for AWS Application Auto Scaling: no resource type, no condition key"
    ),
    "application-autoscaling:DescribeScheduledActions": (
        "Actions, resources, and condition keys for AWS Application Auto Scaling: no resource type, no condition key"
    ),
    "ecs:DescribeTaskDefinition": (
        "Actions, resources, and condition keys for Amazon Elastic Container Service: no resource type"
    ),
    "scheduler:ListSchedules": (
        "Actions, resources, and condition keys for Amazon EventBridge Scheduler: no resource type"
    ),
    "servicequotas:GetAWSDefaultServiceQuota": (
        "Actions, resources, and condition keys for Service Quotas: no resource type"
    ),
    "rds:DescribeAccountAttributes": "Actions, resources, and condition keys for Amazon RDS: no resource type",
    "elasticloadbalancing:DescribeRules": (
        "Actions, resources, and condition keys for AWS Elastic Load Balancing V2: the Describe* actions have no"
        " resource type"
    ),
    "cloudwatch:GetMetricData": (
        "Actions, resources, and condition keys for Amazon CloudWatch: only the optional dataset type; metrics of AWS"
        " namespaces (AWS/RDS, AWS/ElastiCache) have no ARN"
    ),
}
# Of those, actions whose only resource type is optional and does not cover what the bot reads.
OPTIONAL_RESOURCE_ONLY = {"cloudwatch:GetMetricData": "dataset"}

MUTATING_VERBS = (
    "Register", "Deregister", "Put", "Delete", "Update", "Stop", "Create", "Tag", "Untag", "Invoke", "Modify",
    "Continue", "Send", "Add", "Remove", "Set",
)  # fmt: skip


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (``!Ref x`` -> ``{"!Ref": "x"}``)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"!{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every inline statement of every function's Policies, both branches of an ``!If`` included."""
    found: list[tuple[str, dict[str, Any]]] = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies", []):
            if not isinstance(policy, dict) or "Statement" not in policy:
                continue  # a SAM policy template (DynamoDBCrudPolicy, SQSSendMessagePolicy) is scoped by SAM
            for statement in policy["Statement"]:
                branches = statement["!If"][1:] if "!If" in statement else [statement]
                found.extend((name, s) for s in branches if isinstance(s, dict) and "Effect" in s)
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in _as_list(statement["Action"])]


def _is_mutating(action: str) -> bool:
    return action.split(":", 1)[1].startswith(MUTATING_VERBS)


def test_no_mutating_action_is_granted_on_every_resource(template: dict[str, Any]) -> None:
    wide = [
        (function, statement.get("Sid"), action)
        for function, statement in _statements(template)
        if statement["Effect"] == "Allow" and "*" in _as_list(statement["Resource"])
        for action in _actions(statement)
        if _is_mutating(action)
    ]
    assert wide == []


def test_every_star_resource_is_for_an_action_without_a_resource_type(template: dict[str, Any]) -> None:
    unjustified = [
        (function, statement.get("Sid"), action)
        for function, statement in _statements(template)
        if statement["Effect"] == "Allow" and "*" in _as_list(statement["Resource"])
        for action in _actions(statement)
        if action not in UNSCOPABLE
    ]
    assert unjustified == []


def test_the_allow_list_agrees_with_the_service_authorization_reference() -> None:
    """cfn-lint ships the Service Authorization Reference's resource types; skipped where it is not installed."""
    pytest.importorskip("cfnlint")
    data = json.loads((resources.files("cfnlint") / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    for action in UNSCOPABLE:
        prefix, name = action.split(":", 1)
        types = data[prefix]["Actions"][name.lower()].get("Resources", [])
        assert types in ([], [OPTIONAL_RESOURCE_ONLY.get(action)]), f"{action} now has a resource type: {types}"


def test_no_statement_allows_a_wildcard_action(template: dict[str, Any]) -> None:
    assert [a for _, s in _statements(template) for a in _actions(s) if a.endswith("*")] == []


def test_self_invocation_covers_the_function_and_its_aliases(template: dict[str, Any]) -> None:
    invoke = [
        s
        for f, s in _statements(template)
        if f == "SlackCommandsFunction"
        and "lambda:InvokeFunction" in s["Action"]
        and s["Sid"] != "HandSnapshotsToTheirFunction"
    ]
    assert len(invoke) == 1
    arns = [r["!Sub"] for r in _as_list(invoke[0]["Resource"])]
    base = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-slack-commands"
    assert sorted(arns) == [base, base + ":*"]
    assert template["Resources"]["SlackCommandsFunction"]["Properties"]["FunctionName"] == {
        "!Sub": "${AWS::StackName}-slack-commands"
    }


@pytest.mark.parametrize("function", ["SlackCommandsFunction", "AlarmRemediationFunction", "ElectionScalerFunction"])
def test_scalable_target_changes_need_the_stack_tag(template: dict[str, Any], function: str) -> None:
    changes = {"RegisterScalableTarget", "PutScheduledAction", "DeleteScheduledAction"}
    granting = [
        s
        for f, s in _statements(template)
        if f == function and changes & {a.split(":", 1)[1] for a in _actions(s) if a.startswith("application-")}
    ]
    assert len(granting) == 1
    statement = granting[0]
    assert {a.split(":", 1)[1] for a in _actions(statement)} == changes
    assert statement["Resource"] == {
        "!Sub": "arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/opsbot:managed-by": {"!Ref": "AWS::StackName"},
            "application-autoscaling:service-namespace": "ecs",
            "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
        }
    }


def test_the_bot_cannot_move_the_tag_that_scopes_it(template: dict[str, Any]) -> None:
    granted = {a for _, s in _statements(template) for a in _actions(s)}
    assert not granted & {"application-autoscaling:TagResource", "application-autoscaling:UntagResource"}


def test_ecs_reads_and_changes_name_the_configured_service(template: dict[str, Any]) -> None:
    service = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${ClusterName}/${ServiceName}"
    for _, statement in _statements(template):
        for action in _actions(statement):
            if action in {"ecs:DescribeServices", "ecs:ListServiceDeployments", "ecs:UpdateService"}:
                assert {"!Sub": service} in _as_list(statement["Resource"]), action


def test_remediation_may_read_alarms_and_their_mute_rules(template: dict[str, Any]) -> None:
    granted = {a for f, s in _statements(template) if f == "AlarmRemediationFunction" for a in _actions(s)}
    assert {"cloudwatch:DescribeAlarms", "cloudwatch:ListAlarmMuteRules"} <= granted


GUARDRAIL_PARAMETERS = {
    # parameter: (environment variable, default in opsbot.config)
    "CapacityCeiling": ("OPSBOT_CAPACITY_CEILING", Guardrails().ceiling),
    "CapacityFloor": ("OPSBOT_CAPACITY_FLOOR", Guardrails().floor),
    "MaxStep": ("OPSBOT_MAX_STEP", Guardrails().max_step),
    "ConfirmAbove": ("OPSBOT_CONFIRM_ABOVE", Guardrails().confirm_above),
    "MaxTemporaryHours": ("OPSBOT_MAX_TEMPORARY_HOURS", int(Guardrails().max_temporary.total_seconds() // 3600)),
    "BaselineMin": ("OPSBOT_BASELINE_MIN", Settings().baseline_min),
    "BaselineMax": ("OPSBOT_BASELINE_MAX", Settings().baseline_max),
}


@pytest.mark.parametrize("parameter", sorted(GUARDRAIL_PARAMETERS))
def test_guardrail_parameters_default_to_the_config_defaults(template: dict[str, Any], parameter: str) -> None:
    variable, default = GUARDRAIL_PARAMETERS[parameter]
    declared = template["Parameters"][parameter]
    assert declared["Type"] == "Number"
    assert int(declared["Default"]) == default
    assert int(declared["MinValue"]) <= default <= int(declared["MaxValue"])
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables[variable] == {"!Ref": parameter}


def test_the_template_defaults_make_a_valid_configuration(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    parameters = template["Parameters"]
    env = {
        name: str(parameters[value["!Ref"]]["Default"])
        for name, value in variables.items()
        if isinstance(value, dict) and value.get("!Ref") in parameters
    }
    settings = Settings.from_env(env)  # raises ConfigError naming every problem
    assert settings.guardrails.floor <= settings.baseline_min <= settings.baseline_max <= settings.guardrails.ceiling


def test_slack_team_id_parameter(template: dict[str, Any]) -> None:
    declared = template["Parameters"]["SlackTeamId"]
    assert (declared["Type"], declared["Default"], declared["AllowedPattern"]) == ("String", "", "^(T[A-Z0-9]{2,20})?$")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["OPSBOT_SLACK_TEAM_ID"] == {"!Ref": "SlackTeamId"}


# --------------------------------------------------------------------------------------------------- DynamoDB

AUDIT_ACTIONS = {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"}
# What would let the bot edit or erase a recorded entry (or the table, or its recovery).
REWRITING_ACTIONS = {
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:DeleteTable",
    "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
    "dynamodb:RestoreTableToPointInTime", "dynamodb:ImportTable",
}  # fmt: skip
FUNCTIONS = ("SlackCommandsFunction", "AlarmRemediationFunction", "ElectionScalerFunction", "SnapshotsFunction")
EVERY_FUNCTION = (*FUNCTIONS, "CutoverHooksFunction")  # the hook writes its verdicts to the audit trail
OPSBOT = Path(__file__).resolve().parents[2] / "layers" / "opsbot" / "opsbot"


def _names(resource: Any) -> str:
    return json.dumps(resource, sort_keys=True)


def _on(statement: dict[str, Any], logical_id: str) -> bool:
    """Whether ``statement`` names the table ``logical_id`` (by !Ref / !GetAtt, short or long form)."""
    return any(
        r in ({"!GetAtt": f"{logical_id}.Arn"}, {"Fn::GetAtt": [logical_id, "Arn"]}, {"!Ref": logical_id})
        for r in _as_list(statement["Resource"])
    )


def _table_statements(template: dict[str, Any], function: str, table: str) -> list[dict[str, Any]]:
    return [s for f, s in _statements(template) if f == function and _on(s, table)]


# TransactWriteItems is no IAM action: each Put, Update, Delete in it needs PutItem, UpdateItem, DeleteItem, and a
# ConditionCheck needs ConditionCheckItem ("Using IAM with DynamoDB transactions", DynamoDB developer guide).
_TRANSACTION_PARTS = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}
_TRANSACTION_PARTS["ConditionCheck"] = "condition_check_item"


def _called(*files: Path) -> set[str]:
    """The IAM actions of the DynamoDB calls the stores make: ``self._client.put_item(``,
    ``get_paginator("query")``, and the ``{"Put": …}`` / ``{"Delete": …}`` parts of ``transact_write_items``."""
    import re

    calls: set[str] = set()
    for file in files:
        text = file.read_text(encoding="utf-8")
        calls |= set(re.findall(r"self\._client\.(\w+)\(", text)) - {"get_paginator"}
        calls |= set(re.findall(r"get_paginator\(\"(\w+)\"\)", text))
        if "transact_write_items" in calls:
            calls.discard("transact_write_items")
            calls |= {
                _TRANSACTION_PARTS[part] for part in re.findall(r"\{\"(Put|Update|Delete|ConditionCheck)\":", text)
            }
    return {"dynamodb:" + "".join(part.title() for part in call.split("_")) for call in calls}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_audit_table_is_put_read_and_queried_only(template: dict[str, Any], function: str) -> None:
    granting = _table_statements(template, function, "AuditTable")
    assert len(granting) == 1, "one statement grants the audit table"
    assert set(_actions(granting[0])) == AUDIT_ACTIONS
    assert "Condition" not in granting[0]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_operations_table_grants_what_the_stores_call(template: dict[str, Any], function: str) -> None:
    granting = _table_statements(template, function, "OperationsTable")
    assert len(granting) == 1
    stores = [
        OPSBOT / "aws" / "store.py",
        OPSBOT / "aws" / "intents.py",
        *(OPSBOT / "aws" / "remediation").glob("*.py"),
        OPSBOT / "aws" / "elections.py",
        OPSBOT / "aws" / "election_holds.py",
    ]
    assert set(_actions(granting[0])) == _called(*stores)
    assert _called(OPSBOT / "aws" / "audit.py") == AUDIT_ACTIONS  # and the audit store calls what it may


def test_no_sam_policy_template_names_the_audit_table(template: dict[str, Any]) -> None:
    """DynamoDBCrudPolicy and friends grant UpdateItem, DeleteItem and BatchWriteItem: never on the audit table."""
    for name in FUNCTIONS:
        for policy in template["Resources"][name]["Properties"]["Policies"]:
            if isinstance(policy, dict) and "Statement" not in policy:
                assert "AuditTable" not in _names(policy), (name, policy)


def test_the_audit_table(template: dict[str, Any]) -> None:
    table = template["Resources"]["AuditTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert "TableName" not in properties  # one per stack, named by CloudFormation like the other tables
    assert "AuditTable" not in _names(template["Resources"]["OperationsTable"])


def test_the_functions_are_told_the_audit_table(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["OPSBOT_AUDIT_TABLE"] == {"!Ref": "AuditTable"}
    assert variables["OPSBOT_OPERATIONS_TABLE"] == {"!Ref": "OperationsTable"}
    for name in FUNCTIONS:  # no function-level override points elsewhere
        own = template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        assert "OPSBOT_AUDIT_TABLE" not in own


# --------------------------------------------------------------------------------------------------- watch run

WATCH_INPUT = {"opsbot": "watch", "scheduled_at": "<aws.scheduler.scheduled-time>"}
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"  # EventBridge Scheduler context attribute
WATCH_EVENT = Path(__file__).resolve().parents[2] / "events" / "schedule_watch.json"


def _watch(template: dict[str, Any]) -> dict[str, Any]:
    events = template["Resources"]["AlarmRemediationFunction"]["Properties"]["Events"]
    schedules = [e for e in events.values() if e["Type"] == "ScheduleV2"]
    assert len(schedules) == 1, "one watch schedule"
    return dict(schedules[0]["Properties"])


def test_the_watch_schedule_runs_every_five_minutes_without_retries(template: dict[str, Any]) -> None:
    watch = _watch(template)
    assert watch["ScheduleExpression"] == "rate(5 minutes)"
    assert json.loads(watch["Input"]) == WATCH_INPUT
    assert watch["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert watch.get("State", "ENABLED") == "ENABLED"
    assert watch["Name"] == {"!Sub": "${AWS::StackName}-watch"}  # unique per stack in the account's default group
    assert watch["Description"]
    assert watch["RoleArn"] == {"!GetAtt": "WatchScheduleRole.Arn"}


def test_the_sample_watch_event_is_what_scheduler_delivers(template: dict[str, Any]) -> None:
    from datetime import datetime

    text = WATCH_EVENT.read_text(encoding="utf-8")
    sample = json.loads(text)
    assert text.strip() == _watch(template)["Input"].replace(SCHEDULED_TIME, sample["scheduled_at"])  # byte for byte
    datetime.strptime(sample["scheduled_at"], "%Y-%m-%dT%H:%M:%SZ")  # Scheduler's format, e.g. 2022-03-22T18:59:43Z


def test_the_watch_schedule_role_invokes_the_alarm_function_and_dead_letters_only(template: dict[str, Any]) -> None:
    role = template["Resources"]["WatchScheduleRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"!Ref": "AWS::AccountId"}},
        "ArnEquals": {
            "aws:SourceArn": {
                "!Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/default"
            }
        },
    }
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Sid": "InvokeAlarmRemediation",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"!GetAtt": "AlarmRemediationFunction.Arn"},
        },
        {  # the schedule's DeadLetterConfig: Scheduler sends an undeliverable run with this role
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"!GetAtt": "AlarmDeadLetterQueue.Arn"},
        },
    ]
    assert "ManagedPolicyArns" not in role


# --------------------------------------------------------------------------------------------------- as deployed


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    """``template.yaml`` as CloudFormation receives it: SAM's transform, policy templates and generated roles
    included (code locations replaced, since the transform wants S3 URIs)."""
    pytest.importorskip("samtranslator")
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    sam: dict[str, Any] = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    for resource in sam["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="af-south-1"))
    result: dict[str, Any] = translator.translate(sam, parameter_values={}, get_managed_policy_map=lambda: {})
    return result


def _policy_statements(transformed: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement of every role and policy in the deployed template."""
    found: list[tuple[str, dict[str, Any]]] = []
    for name, resource in transformed["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [properties["PolicyDocument"]]
        else:
            continue
        for document in documents:
            for statement in document["Statement"]:
                branches = statement["Fn::If"][1:] if "Fn::If" in statement else [statement]
                found.extend((name, s) for s in branches if isinstance(s, dict) and s.get("Effect") == "Allow")
    return found


def _may_reach_audit_table(resource: Any) -> bool:
    """A resource that names the audit table, or could match it through a wildcard."""
    text = _names(resource)
    if resource == "*" or "AuditTable" in text:
        return True
    wildcard = text.replace("/index/*", "").replace("/stream/*", "")
    return "dynamodb" in text and "*" in wildcard


def test_nothing_deployed_can_rewrite_the_audit_table(transformed: dict[str, Any]) -> None:
    from fnmatch import fnmatchcase

    reaching = [
        (role, statement)
        for role, statement in _policy_statements(transformed)
        if any(_may_reach_audit_table(r) for r in _as_list(statement["Resource"]))
        and any(str(a).lower().startswith(("dynamodb:", "*")) for a in _as_list(statement["Action"]))
    ]
    assert {role for role, _ in reaching} == {f"{name}Role" for name in EVERY_FUNCTION}
    for role, statement in reaching:
        patterns = [str(a) for a in _as_list(statement["Action"])]
        if _on(statement, "AuditTable"):
            assert set(patterns) == AUDIT_ACTIONS, role
        rewriting = {a for a in REWRITING_ACTIONS for p in patterns if fnmatchcase(a.lower(), p.lower())}
        assert rewriting == set(), (role, statement.get("Sid"), rewriting)
    managed = {
        name: set(resource["Properties"].get("ManagedPolicyArns", []))
        for name, resource in transformed["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    logs_and_xray = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }
    assert all(arns <= logs_and_xray for arns in managed.values()), managed  # no AWS managed policy reaches DynamoDB


def test_deployed_functions_get_the_audit_table_and_the_schedule_targets_the_alarm_function(
    transformed: dict[str, Any],
) -> None:
    resources = transformed["Resources"]
    for name in FUNCTIONS:
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["OPSBOT_AUDIT_TABLE"] == {"Ref": "AuditTable"}, name
    schedules = {
        r["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    }
    assert set(schedules) == {"AlarmRemediationFunction", "ElectionScalerFunction", "SnapshotsFunction"}
    schedule = schedules["AlarmRemediationFunction"]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["AlarmRemediationFunction", "Arn"]}
    assert schedule["Target"]["RoleArn"] == {"Fn::GetAtt": ["WatchScheduleRole", "Arn"]}
    assert json.loads(schedule["Target"]["Input"]) == WATCH_INPUT
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    hourly = schedules["ElectionScalerFunction"]
    assert hourly["ScheduleExpression"] == "rate(1 hour)"
    assert hourly["Target"]["RoleArn"] == {"Fn::GetAtt": ["ElectionScheduleRole", "Arn"]}


def test_the_election_function_schedules_only_in_its_own_group_and_passes_only_its_role(
    template: dict[str, Any],
) -> None:
    statements = {s.get("Sid"): s for f, s in _statements(template) if f == "ElectionScalerFunction"}
    wake_ups = statements["WakeUpSchedules"]
    assert set(_actions(wake_ups)) == {"scheduler:CreateSchedule", "scheduler:DeleteSchedule"}
    assert "schedule/${ElectionScheduleGroup}/opsbot-election-*" in json.dumps(wake_ups["Resource"])
    passing = statements["PassScheduleRole"]
    assert passing["Resource"] == {"Fn::GetAtt": ["ElectionScheduleRole", "Arn"]} or passing["Resource"] == {
        "!GetAtt": "ElectionScheduleRole.Arn"
    }
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_the_hourly_election_run_sends_what_the_function_parses(template: dict[str, Any]) -> None:
    from opsbot.elections.entry import parse

    hourly = template["Resources"]["ElectionScalerFunction"]["Properties"]["Events"]["Hourly"]["Properties"]
    assert hourly["ScheduleExpression"] == "rate(1 hour)"
    sent = json.loads(hourly["Input"].replace("<aws.scheduler.scheduled-time>", "2026-12-02T18:00:00Z"))
    assert parse(sent) == ("2026-12-02T18:00:00Z", "hourly")
    assert parse(json.loads((OPSBOT.parents[2] / "events" / "election_scaler_hourly.json").read_text())) == (
        "2026-12-02T18:00:00Z",
        "hourly",
    )


NEVER = {
    "rds:CopyDBSnapshot",
    "rds:ModifyDBSnapshotAttribute",
    "rds:StartDBInstanceAutomatedBackupsReplication",
    "rds:CopyDBClusterSnapshot",
    "rds:ModifyDBClusterSnapshotAttribute",
}


@pytest.mark.parametrize("function", EVERY_FUNCTION)
def test_no_function_can_copy_or_share_a_snapshot_or_replicate_backups(template: dict[str, Any], function: str) -> None:
    """Residency (issue 10): an explicit Deny on every copy, share and cross-region replication, whatever else is
    allowed, and no Allow that names them."""
    statements = [s for f, s in _statements(template) if f == function]
    denies = [s for s in statements if s["Effect"] == "Deny" and _as_list(s["Resource"]) == ["*"]]
    assert any(set(_actions(s)) >= NEVER for s in denies)
    assert not [a for s in statements if s["Effect"] == "Allow" for a in _actions(s) if a in NEVER]


def test_the_bot_deletes_and_unpins_only_snapshots_with_its_own_prefix(template: dict[str, Any]) -> None:
    own = "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:snapshot:opsbot-${DbInstanceIdentifier}-*"
    for _, statement in _statements(template):
        if {"rds:DeleteDBSnapshot", "rds:RemoveTagsFromResource"} & set(_actions(statement)):
            assert _as_list(statement["Resource"]) == [{"!Sub": own}]


def test_prod_deploys_only_in_af_south_1(template: dict[str, Any]) -> None:
    """Residency: a CloudFormation Rules assertion refuses a prod stack in any other region."""
    (rule,) = template["Rules"].values()
    assert rule["RuleCondition"] == {"!Equals": [{"!Ref": "Environment"}, "prod"]}
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"!Equals": [{"!Ref": "AWS::Region"}, "af-south-1"]}
