"""The one-time schedules the bot creates (election wake-ups, a moved nightly snapshot) keep a delivery Scheduler
could not make in a dead-letter queue, like the template's fixed schedules; the request is checked against
botocore's Scheduler model (Stubber validates it)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import ANY, Stubber

from opsbot.aws.wake_ups import WakeUpSchedules

FUNCTION = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-election-scaler"
ROLE = "arn:aws:iam::123456789012:role/mycandidate-opsbot-ElectionScheduleRole"
DLQ = "arn:aws:sqs:af-south-1:123456789012:mycandidate-opsbot-election-dlq"
AT = datetime(2026, 12, 9, 5, 0, tzinfo=UTC)


def _create_expecting(dead_letter_arn: str) -> None:
    """Create one wake-up; the Stubber fails unless the request is exactly the expected one and valid for the
    model."""
    client = boto3.client("scheduler", region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="x")
    target: dict[str, object] = {"Arn": FUNCTION, "RoleArn": ROLE, "Input": ANY, "RetryPolicy": ANY}
    if dead_letter_arn:
        target["DeadLetterConfig"] = {"Arn": dead_letter_arn}
    with Stubber(client) as stub:
        expected = {
            "Name": "opsbot-wake-20261209T050000Z", "GroupName": "elections",
            "ScheduleExpression": "at(2026-12-09T05:00:00)", "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE", "Description": ANY,
            "Target": target,
        }  # fmt: skip
        stub.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:af-south-1:123456789012:schedule/x"},
                          expected)  # fmt: skip
        WakeUpSchedules(client, "elections", FUNCTION, ROLE, dead_letter_arn=dead_letter_arn).create(
            "opsbot-wake-20261209T050000Z", AT
        )
        stub.assert_no_pending_responses()


def test_a_wake_up_names_the_dead_letter_queue() -> None:
    _create_expecting(DLQ)


def test_without_a_queue_configured_the_schedule_has_no_dead_letter_config() -> None:
    _create_expecting("")
