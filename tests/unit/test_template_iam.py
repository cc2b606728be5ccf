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
}

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
        if "*" in _as_list(statement["Resource"])
        for action in _actions(statement)
        if _is_mutating(action)
    ]
    assert wide == []


def test_every_star_resource_is_for_an_action_without_a_resource_type(template: dict[str, Any]) -> None:
    unjustified = [
        (function, statement.get("Sid"), action)
        for function, statement in _statements(template)
        if "*" in _as_list(statement["Resource"])
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
        assert not data[prefix]["Actions"][name.lower()].get("Resources"), f"{action} now has a resource type"


def test_no_statement_allows_a_wildcard_action(template: dict[str, Any]) -> None:
    assert [a for _, s in _statements(template) for a in _actions(s) if a.endswith("*")] == []


def test_self_invocation_covers_the_function_and_its_aliases(template: dict[str, Any]) -> None:
    invoke = [
        s for f, s in _statements(template) if f == "SlackCommandsFunction" and "lambda:InvokeFunction" in s["Action"]
    ]
    assert len(invoke) == 1
    arns = [r["!Sub"] for r in _as_list(invoke[0]["Resource"])]
    base = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-slack-commands"
    assert sorted(arns) == [base, base + ":*"]
    assert template["Resources"]["SlackCommandsFunction"]["Properties"]["FunctionName"] == {
        "!Sub": "${AWS::StackName}-slack-commands"
    }


@pytest.mark.parametrize("function", ["SlackCommandsFunction", "AlarmRemediationFunction"])
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
