"""The election reconciler's one-time EventBridge Scheduler schedules: each invokes the election function once at
its time (``at(...)`` in UTC) and is deleted by Scheduler after it ran (``ActionAfterCompletion=DELETE``).

Only schedules in the bot's own schedule group whose names carry ``WAKE_UP_PREFIX`` are listed or deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.elections.suspension import WAKE_UP_PREFIX


class WakeUpSchedules:
    def __init__(
        self, client: Any, group: str, target_arn: str, role_arn: str, *,
        payload: dict[str, str] | None = None, prefix: str = WAKE_UP_PREFIX, dead_letter_arn: str = "",
        description: str = "opsbot: apply or lift the election scale-in suspension, ask about the scale-down",
    ) -> None:  # fmt: skip
        self._client = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn
        # What the target receives: by default the election reconciler's boundary run.
        self._payload = payload or {
            "opsbot": "election-sync", "scheduled_at": "<aws.scheduler.scheduled-time>", "reason": "boundary"
        }  # fmt: skip
        self._prefix = prefix
        self._description = description
        self._dead_letter_arn = dead_letter_arn

    @property
    def configured(self) -> bool:
        """Without the function's ARN or Scheduler's role nothing can be scheduled (the hourly run still acts)."""
        return bool(self._target_arn and self._role_arn)

    def names(self) -> set[str]:
        found: set[str] = set()
        with aws_call("ListSchedules"):
            pages = self._client.get_paginator("list_schedules").paginate(
                GroupName=self._group, NamePrefix=self._prefix
            )
            for page in pages:
                found.update(str(s["Name"]) for s in page.get("Schedules", []))
        return found

    def create(self, name: str, at: datetime) -> None:
        target: dict[str, Any] = {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": json.dumps(self._payload),
            # The hourly run is the safety net: a late wake-up is worth little.
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 900},
        }
        if self._dead_letter_arn:  # a delivery Scheduler could not make is kept, not dropped
            target["DeadLetterConfig"] = {"Arn": self._dead_letter_arn}
        with aws_call("CreateSchedule"):
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Description=self._description,
                Target=target,
            )

    def delete(self, name: str) -> None:
        with aws_call("DeleteSchedule"):
            try:
                self._client.delete_schedule(Name=name, GroupName=self._group)
            except self._client.exceptions.ResourceNotFoundException:
                return  # ran and deleted itself meanwhile
