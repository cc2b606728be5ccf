"""EventBridge Scheduler on the replica: one-time ``at(...)`` schedules that fall due are delivered, in time order, to
a callback (the schedule's name and its ``Target.Input`` parsed as JSON), and deleted after delivery when their
``ActionAfterCompletion`` is ``DELETE``, as Scheduler does: with automatic deletion "for one-time schedules, this
occurs after the schedule has invoked its target once"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html). With ``NONE`` the schedule
stays listed and, its one time past, is not delivered again. Disabled schedules are skipped.

Driven through moto's boto3 API (ListSchedules, GetSchedule, DeleteSchedule), so botocore checks every request
against the service model. Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.replica.autoscaling import at_time

Delivery = Callable[[str, Any], None]  # (schedule name, the target's input parsed as JSON)


@dataclass
class Scheduler:
    client: Any  # boto3 scheduler client
    deliver: Delivery

    def next_due(self, after: datetime) -> datetime | None:
        return min((when for when, _ in self._one_time() if when > after), default=None)

    def act(self, since: datetime, now: datetime) -> None:
        due = sorted(
            ((when, s) for when, s in self._one_time() if since < when <= now),
            key=lambda pair: (pair[0], pair[1]["Name"]),
        )
        for _, schedule in due:
            raw = schedule.get("Target", {}).get("Input")
            self.deliver(str(schedule["Name"]), json.loads(raw) if raw else None)
            if schedule.get("ActionAfterCompletion") == "DELETE":
                # The target may have deleted it while it ran (the election function tidies its wake-ups).
                with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
                    self.client.delete_schedule(Name=schedule["Name"], GroupName=schedule.get("GroupName", "default"))

    def _one_time(self) -> list[tuple[datetime, dict[str, Any]]]:
        found: list[tuple[datetime, dict[str, Any]]] = []
        for page in self.client.get_paginator("list_schedules").paginate(State="ENABLED"):
            for summary in page["Schedules"]:
                schedule = self.client.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
                when = at_time(str(schedule.get("ScheduleExpression", "")), schedule.get("ScheduleExpressionTimezone"))
                if when is not None:
                    found.append((when, schedule))
        return found
