"""`sam local invoke` of ElectionScalerFunction against moto in a container (issue 9): the hourly event turns a
Slack entry of the calendar into the bot's scheduled actions and its one-time wake-ups; the same delivery again
does nothing; a malformed event is rejected by name; removing the entry takes its capacity away again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.events import load_event
from devtools.local_stack import OPS_CHANNEL, create_bot_resources
from devtools.replica import seed_replica
from opsbot.aws.elections import ElectionEntries
from opsbot.config import Settings

FUNCTION = "ElectionScalerFunction"
GROUP = "opsbot-e2e-elections"
SETTINGS = Settings(
    operations_table="opsbot-operations",
    audit_table="opsbot-audit",
    idempotency_table="opsbot-idempotency",
    slack_secret_id="mycandidate-opsbot/dev/slack",
)
RESOURCE = "service/mycandidate/web"


@pytest.fixture(scope="module")
def seeded(offline_stack: Any, moto_session: Any) -> Any:
    seed_replica(moto_session, endpoint_url=offline_stack.moto.host_url)
    create_bot_resources(moto_session, offline_stack.moto.host_url, SETTINGS)
    return offline_stack


@pytest.fixture
def function_env() -> dict[str, str]:
    return {
        "OPSBOT_OPERATIONS_TABLE": SETTINGS.operations_table,
        "OPSBOT_AUDIT_TABLE": SETTINGS.audit_table,
        "OPSBOT_IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
        "OPSBOT_SLACK_SECRET_ID": SETTINGS.slack_secret_id,
        "OPSBOT_SLACK_CHANNEL": OPS_CHANNEL,
        "OPSBOT_ELECTION_SCHEDULE_GROUP": GROUP,
        "OPSBOT_ELECTION_SCHEDULE_ROLE_ARN": "arn:aws:iam::123456789012:role/opsbot-e2e-election-schedules",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _own_actions(aws_client: Callable[[str], Any]) -> list[dict[str, Any]]:
    actions = aws_client("application-autoscaling").describe_scheduled_actions(
        ServiceNamespace="ecs", ResourceId=RESOURCE
    )["ScheduledActions"]
    return [a for a in actions if a["ScheduledActionName"].startswith("opsbot-capacity-")]


def test_the_hourly_event_under_sam_local_invoke(
    seeded: Any, sam_invoke: Any, aws_client: Callable[[str], Any], function_env: dict[str, str]
) -> None:
    # Given a by-election added from Slack for three days ahead, and the service's scalable target
    scheduler = aws_client("scheduler")
    if GROUP not in {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}:
        scheduler.create_schedule_group(Name=GROUP)
    aws_client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2, MaxCapacity=10,
    )  # fmt: skip
    entries = ElectionEntries(aws_client("dynamodb"), SETTINGS.operations_table)
    polling = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    entry = {"slug": "e2e-ward", "name": "E2E ward by-election", "kind": "by-election", "polling_date": polling}
    assert entries.add(entry, by="U0ADMIN", now=datetime.now(UTC))
    before = len(_own_actions(aws_client))
    try:
        # When Scheduler's hourly event reaches the function
        event = load_event("election_scaler_hourly.json")
        first = sam_invoke(FUNCTION, event, function_env)
        assert first.error is None, first.stderr[-3000:]
        assert isinstance(first.payload, dict), first.stderr[-3000:]
        # Then the election's windows are scheduled actions, with both bounds, and the wake-ups are in the group
        assert first.payload["intents_added"] == 4, first.payload
        assert len(_own_actions(aws_client)) > before
        assert all(set(a["ScalableTargetAction"]) == {"MinCapacity", "MaxCapacity"} for a in _own_actions(aws_client))
        wake_ups = scheduler.list_schedules(GroupName=GROUP)["Schedules"]
        assert len(wake_ups) == 3
        # And the same delivery again (an asynchronous retry) does nothing
        again = sam_invoke(FUNCTION, event, function_env)
        assert again.payload.get("duplicate") is True, again.stderr[-3000:]
        # And a malformed event is rejected, naming what is wrong
        bad = sam_invoke(FUNCTION, load_event("election_scaler_malformed.json"), function_env)
        assert bad.payload == {"rejected": "`scheduled_at` is not an ISO 8601 time: 'yesterday at noon'"}
    finally:
        # When the entry is removed, the next run takes the election's capacity away again
        entries.remove("e2e-ward")
        later = {"opsbot": "election-sync", "scheduled_at": "2026-12-02T19:00:00Z", "reason": "manual"}
        cleanup = sam_invoke(FUNCTION, later, function_env)
    assert cleanup.error is None, cleanup.stderr[-3000:]
    assert cleanup.payload["intents_removed"] == 4, cleanup.payload
    assert len(_own_actions(aws_client)) == before
