"""The SDK the bot runs on must have every operation it calls: checked when a client is built, not mid-action."""

from __future__ import annotations

import pytest

from opsbot.aws.clients import REQUIRED_OPERATIONS, check_operations, client
from opsbot.errors import ConfigError


class _OldEcsClient:
    """An ECS client from an SDK that predates service deployments."""

    def describe_services(self) -> None: ...
    def describe_task_definition(self) -> None: ...
    def update_service(self) -> None: ...


def test_a_client_without_the_operations_the_bot_calls_fails_loudly_naming_them() -> None:
    with pytest.raises(ConfigError) as raised:
        check_operations("ecs", _OldEcsClient())
    assert "list_service_deployments, stop_service_deployment" in str(raised.value)
    assert "botocore" in str(raised.value)


@pytest.mark.parametrize("service", sorted(REQUIRED_OPERATIONS))
def test_the_pinned_sdk_has_every_operation_the_bot_calls(service: str) -> None:
    # Given the SDK the tests (and the dependencies layer) use, every client builds and passes the check
    built = client(service, "af-south-1")
    for operation in REQUIRED_OPERATIONS[service]:
        assert callable(getattr(built, operation))


def test_the_layer_pins_the_sdk_the_tests_run_with() -> None:
    import boto3
    import botocore

    from devtools.events import EVENTS_DIR

    requirements = (EVENTS_DIR.parent / "layers" / "dependencies" / "requirements.txt").read_text()
    assert f"boto3=={boto3.__version__}" in requirements
    assert f"botocore=={botocore.__version__}" in requirements


def test_the_layer_keeps_the_model_of_every_service_the_bot_calls() -> None:
    # The dependencies layer drops botocore's models of services the bot does not call; a client for a dropped
    # one would fail in Lambda with UnknownServiceError.
    from devtools.events import EVENTS_DIR

    makefile = (EVENTS_DIR.parent / "layers" / "dependencies" / "Makefile").read_text()
    (line,) = [line for line in makefile.splitlines() if line.startswith("KEEP_SERVICES :=")]
    kept = set(line.split(":=", 1)[1].split())
    assert set(REQUIRED_OPERATIONS) <= kept
