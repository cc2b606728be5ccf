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


def test_empty_endpoint_override_as_declared_in_the_template_is_allowed_in_prod() -> None:
    env = {"OPSBOT_ENV": "prod", "OPSBOT_SLACK_SECRET_ID": "s", "OPSBOT_AWS_ENDPOINT_URL": ""}
    assert Settings.from_env(env).environment == "prod"
