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
WATCH_EVENT = "schedule_watch.json"  # what EventBridge Scheduler delivers every 5 minutes (template.yaml, Watch)
WATCH_SUMMARY = {"watched", "reevaluated", "acted", "swept"}
SETTINGS = Settings(
    operations_table="opsbot-operations",
    audit_table="opsbot-audit",
    idempotency_table="opsbot-idempotency",
    slack_secret_id="mycandidate-opsbot/dev/slack",
)


def test_every_alarm_event_file_has_an_expectation() -> None:
    assert {p.name for p in EVENTS_DIR.glob("alarm_*.json")} == set(EXPECTED)
    assert (EVENTS_DIR / WATCH_EVENT).is_file()


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
        # The template's !Ref AuditTable is the logical id under `sam local invoke`: name moto's table.
        "OPSBOT_AUDIT_TABLE": SETTINGS.audit_table,
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
    pending_before = len(_audit(aws_client, pending=True))  # the session's moto is shared with the Slack tests
    acted_in_all = 0
    for name, (acted, duplicates, rejected) in EXPECTED.items():
        # When each delivery reaches the function
        result = sam_invoke(FUNCTION, load_event(name), function_env)
        # Then it did exactly what the runbooks and guardrails say, without crashing
        assert result.payload is not None, f"{name}: {result.stderr[-2000:]}"
        summary = result.payload
        assert (summary["acted"], summary["duplicates"], summary["rejected"]) == (acted, duplicates, rejected), name
        acted_in_all += acted
    target = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/mycandidate/web"])
    assert target["ScalableTargets"][0]["MinCapacity"] == 4
    calls = seeded.recorder_calls()
    incidents = [c for c in calls if c.api_method == "chat.postMessage" and not (c.body or {}).get("thread_ts")]
    assert len(incidents) == EXPECTED_INCIDENTS
    assert [c.api_method for c in calls].count("chat.update") == 1  # the CPU incident, on recovery
    # Every action left a pending record before it acted and an outcome after, in the audit table only
    outcomes, pending = _audit(aws_client), _audit(aws_client, pending=True)
    assert len(pending) == pending_before + acted_in_all
    assert {p["operation"]["S"] for p in pending} <= {o["sk"]["S"] for o in outcomes}
    operations = aws_client("dynamodb").scan(TableName=SETTINGS.operations_table)["Items"]
    assert [i["sk"]["S"] for i in operations if i["pk"]["S"] == "AUDIT"] == []

    # When EventBridge Scheduler's watch run comes after the sequence
    watch = sam_invoke(FUNCTION, load_event(WATCH_EVENT), function_env)
    # Then it runs without error and returns its summary
    assert watch.returncode == 0, watch.stderr[-3000:]
    assert watch.error is None, watch.stderr[-3000:]
    assert isinstance(watch.payload, dict), watch.stderr[-3000:]
    assert set(watch.payload) >= WATCH_SUMMARY, watch.payload
    assert all(isinstance(watch.payload[key], int) for key in WATCH_SUMMARY), watch.payload
    summary = watch.payload
    assert summary["watched"] >= summary["reevaluated"] >= summary["acted"] >= 0
    assert summary["swept"] == 0  # every operation above has its outcome: nothing was cut short
    # And the same window delivered again (Lambda retries an asynchronous invocation with the same event) does
    # not re-evaluate or act twice
    again = sam_invoke(FUNCTION, load_event(WATCH_EVENT), function_env)
    assert again.error is None, again.stderr[-3000:]
    assert isinstance(again.payload, dict), again.stderr[-3000:]
    assert (again.payload["reevaluated"], again.payload["acted"], again.payload["swept"]) == (0, 0, 0), again.payload
    assert {p["operation"]["S"] for p in _audit(aws_client, pending=True)} <= {o["sk"]["S"] for o in _audit(aws_client)}


def _audit(aws_client: Callable[[str], Any], *, pending: bool = False) -> list[dict[str, Any]]:
    """Outcome records (sk = operation id) or, with ``pending``, pending records (sk = operation id + #pending)."""
    items = aws_client("dynamodb").scan(TableName=SETTINGS.audit_table)["Items"]
    return [i for i in items if i["pk"]["S"] == "AUDIT" and i["sk"]["S"].endswith("#pending") == pending]


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("ecs_deployment_in_progress.json", 0),  # the latest deployment is followed (the seeded one: long over)
        ("ecs_hook_awaiting_action.json", 0),  # a deployment ECS no longer knows: nothing to post
        ("ecs_hook_failed.json", 0),
        ("ecs_deployment_other_service.json", 1),  # another service's: refused, logged
    ],
)
def test_ecs_deployment_events_under_sam_local_invoke(
    seeded: Any, sam_invoke: Any, function_env: dict[str, str], name: str, refused: int
) -> None:
    result = sam_invoke(FUNCTION, load_event(name), function_env)
    assert result.error is None, result.stderr[-3000:]
    assert result.payload == {"deployment_events": 1, "refused": refused, "posted": 0}, result.stderr[-3000:]
