"""Settings are validated once, and every problem is named."""

from __future__ import annotations

import json

import pytest

from opsbot.config import Role, Settings
from opsbot.errors import ConfigError


def test_defaults_follow_the_mycandidate_architecture() -> None:
    settings = Settings.from_env({})
    assert (settings.region, settings.cluster, settings.service) == ("af-south-1", "mycandidate", "web")
    assert settings.scalable_resource_id == "service/mycandidate/web"
    assert (settings.guardrails.floor, settings.guardrails.ceiling) == (2, 20)


def test_rbac_maps_users_and_groups_and_the_highest_role_wins() -> None:
    rbac = json.dumps(
        {"viewer": ["U0ANN", "S0SRE"], "operator": ["U0ANN"], "admin": ["S0LEADS"], "channels": ["C0OPS"]}
    )
    settings = Settings.from_env({"OPSBOT_RBAC": rbac})
    assert settings.rbac.users == {"U0ANN": Role.OPERATOR}
    assert settings.rbac.groups == {"S0SRE": Role.VIEWER, "S0LEADS": Role.ADMIN}
    assert settings.rbac.allowed_channels == {"C0OPS"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OPSBOT_RBAC": "{not json"}, "OPSBOT_RBAC is not valid JSON"),
        ({"OPSBOT_RBAC": '{"admins": []}'}, "unknown keys: admins"),
        ({"OPSBOT_RBAC": '{"admin": ["bob"]}'}, "not Slack IDs: bob"),
        ({"OPSBOT_CAPACITY_CEILING": "lots"}, "OPSBOT_CAPACITY_CEILING must be a whole number"),
        ({"OPSBOT_ENV": "prod", "OPSBOT_REGION": "eu-west-1", "OPSBOT_SLACK_SECRET_ID": "s"}, "data residency"),
        ({"OPSBOT_ENV": "staging"}, "OPSBOT_SLACK_SECRET_ID is required"),
        (
            {"OPSBOT_ENV": "prod", "OPSBOT_SLACK_SECRET_ID": "s", "OPSBOT_AWS_ENDPOINT_URL": "http://x"},
            "real regional AWS endpoints",
        ),
        ({"OPSBOT_BASELINE_MIN": "1"}, "baseline 1..10 must lie within guardrails 2..20"),
    ],
)
def test_invalid_configuration_is_refused_with_a_specific_message(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert message in str(raised.value)


# What a safe prod deployment sets (template parameters SlackSecretId, SlackTeamId, SlackChannel, RbacJson).
SAFE_PROD = {
    "OPSBOT_ENV": "prod",
    "OPSBOT_SLACK_SECRET_ID": "mycandidate-opsbot/prod/slack",
    "OPSBOT_SLACK_TEAM_ID": "T0MYCANDID",
    "OPSBOT_SLACK_CHANNEL": "C0OPS",
    "OPSBOT_RBAC": json.dumps({"admin": ["U0LEAD"], "channels": ["C0OPS"]}),
}


def test_empty_overrides_as_declared_in_the_template_are_allowed_in_prod() -> None:
    env = {**SAFE_PROD, "OPSBOT_AWS_ENDPOINT_URL": "", "OPSBOT_AWS_ENDPOINT_URL_LAMBDA": "", "SLACK_API_URL": ""}
    settings = Settings.from_env(env)
    assert (settings.environment, settings.slack_team_id) == ("prod", "T0MYCANDID")
    assert not settings.slack_api_url


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SLACK_API_URL": "http://recorder:8080/api/"}, "prod must talk to the real Slack API; unset SLACK_API_URL"),
        ({"OPSBOT_RBAC": json.dumps({"admin": ["U0LEAD"]})}, "prod needs OPSBOT_RBAC.channels"),
        ({"OPSBOT_SLACK_CHANNEL": ""}, "prod needs OPSBOT_SLACK_CHANNEL"),
        ({"OPSBOT_SLACK_CHANNEL": "C0ELSEWHERE"}, "OPSBOT_SLACK_CHANNEL C0ELSEWHERE is not in OPSBOT_RBAC.channels"),
        ({"OPSBOT_SLACK_TEAM_ID": ""}, "OPSBOT_SLACK_TEAM_ID is required outside dev"),
        ({"OPSBOT_SLACK_TEAM_ID": "mycandidate"}, "OPSBOT_SLACK_TEAM_ID must be a Slack workspace ID"),
    ],
)
def test_prod_refuses_unsafe_slack_configuration(change: dict[str, str], message: str) -> None:
    # Given an otherwise safe prod configuration with one unsafe change
    # When the settings are read at cold start
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**SAFE_PROD, **change})
    # Then the function refuses to start, naming the problem
    assert message in str(raised.value)


def test_prod_names_every_unsafe_slack_setting_at_once() -> None:
    env = {"OPSBOT_ENV": "prod", "OPSBOT_SLACK_SECRET_ID": "s", "SLACK_API_URL": "http://x/api/"}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    for message in ("OPSBOT_SLACK_TEAM_ID", "SLACK_API_URL", "OPSBOT_RBAC.channels", "OPSBOT_SLACK_CHANNEL"):
        assert message in str(raised.value)


def test_staging_requires_the_team_id_but_may_use_any_channel_and_a_slack_override() -> None:
    staging = {"OPSBOT_ENV": "staging", "OPSBOT_SLACK_SECRET_ID": "s", "SLACK_API_URL": "http://x/api/"}
    with pytest.raises(ConfigError, match="OPSBOT_SLACK_TEAM_ID is required outside dev"):
        Settings.from_env(staging)
    assert Settings.from_env({**staging, "OPSBOT_SLACK_TEAM_ID": "T0STAGING"}).environment == "staging"


def test_dev_may_leave_the_team_id_unset_and_then_serves_any_workspace() -> None:
    settings = Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert settings.slack_team_id == ""
    assert settings.slack_api_url


def test_a_sweep_delay_shorter_than_a_lambda_can_run_is_refused() -> None:
    with pytest.raises(ConfigError, match="OPSBOT_SWEEP_AFTER_SECONDS must be at least 900"):
        Settings.from_env({"OPSBOT_SWEEP_AFTER_SECONDS": "60"})
