"""Who may do what, and where the Slack credentials come from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from opsbot.config import RbacConfig, Role, Settings
from opsbot.errors import ConfigError
from opsbot.logic.rbac import resolve_role
from opsbot.slack.app import _Listeners
from opsbot.slack.credentials import load_credentials

RBAC = RbacConfig(users={"U0ANN": Role.VIEWER}, groups={"S0ONCALL": Role.OPERATOR, "S0LEADS": Role.ADMIN})


def test_a_user_gets_the_highest_role_of_their_own_mapping_and_their_groups() -> None:
    assert resolve_role("U0ANN", [], RBAC) is Role.VIEWER
    assert resolve_role("U0ANN", ["S0ONCALL"], RBAC) is Role.OPERATOR
    assert resolve_role("U0BOB", ["S0ONCALL", "S0LEADS"], RBAC) is Role.ADMIN
    assert resolve_role("U0NOBODY", ["S0OTHER"], RBAC) is Role.NONE


class _GroupsClient:
    """Answers `usergroups.users.list` like Slack; counts calls to prove the cache works."""

    def __init__(self, members: dict[str, list[str]]) -> None:
        self.members = members
        self.calls = 0

    def usergroups_users_list(self, usergroup: str) -> dict[str, Any]:
        self.calls += 1
        return {"ok": True, "users": self.members.get(usergroup, [])}


def test_group_membership_is_read_from_slack_and_cached() -> None:
    # Given Bob is in the on-call group
    client = _GroupsClient({"S0ONCALL": ["U0BOB"], "S0LEADS": []})
    listeners = _Listeners(Settings(rbac=RBAC), lambda: None, lambda _k, w: w(), datetime.now)  # type: ignore[arg-type,return-value]
    # When his role is resolved twice
    first = listeners._groups_of("U0BOB", client)  # type: ignore[arg-type]
    second = listeners._groups_of("U0BOB", client)  # type: ignore[arg-type]
    # Then he is in S0ONCALL, and Slack was asked once per group, not once per request
    assert first == second == {"S0ONCALL"}
    assert client.calls == 2


def test_local_runs_may_use_environment_credentials_but_say_what_is_missing() -> None:
    with pytest.raises(ConfigError) as raised:
        load_credentials(Settings(), env={"OPSBOT_SLACK_SIGNING_SECRET": "x"})
    assert "OPSBOT_SLACK_SECRET_ID" in str(raised.value)
    credentials = load_credentials(
        Settings(), env={"OPSBOT_SLACK_SIGNING_SECRET": "s", "OPSBOT_SLACK_BOT_TOKEN": "xoxb-1"}
    )
    assert credentials.bot_token == "xoxb-1"
    assert "xoxb" not in repr(credentials)
