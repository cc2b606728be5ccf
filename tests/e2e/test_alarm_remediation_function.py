"""`sam local invoke` of AlarmRemediationFunction with every alarm event in `events/`, in order, against moto
(with the replica) and the Slack recorder in containers. Every invoke is a fresh container, so the duplicate
deliveries are caught by the idempotency table, exactly as across Lambda execution environments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devtools.events import EVENTS_DIR, load_event
from devtools.local_stack import OPS_CHANNEL, create_bot_resources
from devtools.replica import seed_replica
from opsbot.config import Settings
from tests.alarm_sequence import EXPECTED, EXPECTED_INCIDENTS

FUNCTION = "AlarmRemediationFunction"
SETTINGS = Settings(
    operations_table="opsbot-operations",
    idempotency_table="opsbot-idempotency",
    slack_secret_id="mycandidate-opsbot/dev/slack",
)


def test_every_alarm_event_file_has_an_expectation() -> None:
    assert {p.name for p in EVENTS_DIR.glob("alarm_*.json")} == set(EXPECTED)


@pytest.fixture(scope="module")
def seeded(offline_stack: Any, moto_session: Any) -> Any:
    seed_replica(moto_session, endpoint_url=offline_stack.moto.host_url)
    create_bot_resources(moto_session, offline_stack.moto.host_url, SETTINGS)
    offline_stack.clear_recorder()
    return offline_stack


@pytest.fixture
def function_env() -> dict[str, str]:
    return {
        "OPSBOT_OPERATIONS_TABLE": SETTINGS.operations_table,
        "OPSBOT_IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
        "OPSBOT_SLACK_SECRET_ID": SETTINGS.slack_secret_id,
        "OPSBOT_SLACK_CHANNEL": OPS_CHANNEL,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def test_alarm_events_in_order_under_sam_local_invoke(
    seeded: Any, sam_invoke: Any, aws_client: Callable[[str], Any], function_env: dict[str, str]
) -> None:
    # Given the service at its baseline
    autoscaling = aws_client("application-autoscaling")
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/mycandidate/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=10,
    )
    for name, (acted, duplicates, rejected) in EXPECTED.items():
        # When each delivery reaches the function
        result = sam_invoke(FUNCTION, load_event(name), function_env)
        # Then it did exactly what the runbooks and guardrails say, without crashing
        assert result.payload is not None, f"{name}: {result.stderr[-2000:]}"
        summary = result.payload
        assert (summary["acted"], summary["duplicates"], summary["rejected"]) == (acted, duplicates, rejected), name
    target = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/mycandidate/web"])
    assert target["ScalableTargets"][0]["MinCapacity"] == 4
    calls = seeded.recorder_calls()
    incidents = [c for c in calls if c.api_method == "chat.postMessage" and not (c.body or {}).get("thread_ts")]
    assert len(incidents) == EXPECTED_INCIDENTS
    assert [c.api_method for c in calls].count("chat.update") == 1  # the CPU incident, on recovery
