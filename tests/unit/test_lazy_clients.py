"""AWS clients are built when a path first uses them, not when the adapters are wired at cold start."""

from __future__ import annotations

import pytest

from opsbot import dependencies
from opsbot.aws import clients
from opsbot.config import Settings


@pytest.fixture
def no_clients_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients._client.cache_clear()


def test_wiring_the_alarm_functions_adapters_builds_no_client(no_clients_yet: None) -> None:
    # When every adapter of the alarm function is wired
    ports = dependencies.build_remediation_ports(Settings(), notifier=None)
    # Then no botocore client exists yet
    assert clients._client.cache_info().currsize == 0
    # And the first use builds exactly the one it needs, pinned to the region
    assert ports.commands.capacity._client.meta.region_name == "af-south-1"  # type: ignore[attr-defined]
    assert clients._client.cache_info().currsize == 1


def test_a_lazy_client_still_fails_loudly_when_the_sdk_lacks_an_operation(
    no_clients_yet: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(clients.REQUIRED_OPERATIONS, "ecs", ("no_such_operation",))
    lazy = clients.lazy_client("ecs", "af-south-1")
    with pytest.raises(Exception, match="no ecs no_such_operation"):
        lazy.describe_services  # noqa: B018 - the first use builds the client
