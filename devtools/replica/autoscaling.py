"""Application Auto Scaling on the replica: one-time scheduled actions fall due, and the ECS service's desired count is
kept inside [min, max], as AAS does.

Driven through moto's boto3 API (DescribeScheduledActions, DescribeScalableTargets, RegisterScalableTarget,
DescribeServices, UpdateService), so moto's own validation applies and every request is checked by botocore against
the service model before it is sent. Test support only: never shipped in the Lambda layer.

What AWS does, mimicked here:
- "At the scheduled time, if the current capacity is below the minimum capacity, Application Auto Scaling scales out
  to the minimum capacity. If the current capacity is above the maximum capacity, Application Auto Scaling scales in
  to the maximum capacity." and "You can set both values or just one." (PutScheduledAction, ScalableTargetAction:
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScheduledAction.html)
- RegisterScalableTarget on an active resource "changes the resource's current capacity to a value that is inside of
  this range" (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html):
  ``settle`` does that right after a direct RegisterScalableTarget.
- A one-time action that has run is not removed: the API reference documents no automatic deletion
  ("If you are no longer using a scheduled action, you can delete it using DeleteScheduledAction",
  API_DescribeScheduledActions), so executed ``at()`` actions stay listed here too. The clock only fires an action
  whose time falls inside the interval it is advancing over, so a listed past action never runs twice.
- ``at()`` times are in the action's ``Timezone`` (an IANA name), UTC when it is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_DIMENSION = "ecs:service:DesiredCount"


def at_time(expression: str, timezone: str | None) -> datetime | None:
    """The instant of an ``at(yyyy-mm-ddThh:mm:ss)`` expression in ``timezone`` (UTC if None); None for cron/rate."""
    match = _AT.match(expression.strip())
    if not match:
        return None
    zone = ZoneInfo(timezone) if timezone else UTC
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)


@dataclass
class AutoScaling:
    """The ECS-namespace scalable targets of one account and region, through clients on the moto server."""

    autoscaling: Any  # boto3 application-autoscaling client
    ecs: Any  # boto3 ecs client

    # ------------------------------------------------------------------------------------ clock protocol

    def next_due(self, after: datetime) -> datetime | None:
        times = [when for when, _ in self._one_time_actions() if when > after]
        return min(times, default=None)

    def act(self, since: datetime, now: datetime) -> None:
        """Apply the one-time actions whose time is in ``(since, now]``, oldest first, then settle."""
        due = sorted(
            ((when, action) for when, action in self._one_time_actions() if since < when <= now),
            key=lambda pair: (pair[0], pair[1]["ScheduledActionName"]),
        )
        for _, action in due:
            self._apply(action)
        self.settle()

    # ------------------------------------------------------------------------------------------ behaviour

    def settle(self) -> list[tuple[str, int, int]]:
        """Move each ECS service's desired count into its target's [min, max]; returns (resource, before, after)."""
        moved: list[tuple[str, int, int]] = []
        for target in self._targets():
            _, cluster, service = str(target["ResourceId"]).split("/", 2)
            found = self.ecs.describe_services(cluster=cluster, services=[service])["services"]
            if not found or found[0].get("status") != "ACTIVE":
                continue  # "If the specified resource is not active ... does not change the current capacity"
            desired = int(found[0]["desiredCount"])
            wanted = min(max(desired, int(target["MinCapacity"])), int(target["MaxCapacity"]))
            if wanted != desired:
                self.ecs.update_service(cluster=cluster, service=service, desiredCount=wanted)
                moved.append((str(target["ResourceId"]), desired, wanted))
        return moved

    def _apply(self, action: dict[str, Any]) -> None:
        change = action.get("ScalableTargetAction", {})
        targets = self.autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[action["ResourceId"]], ScalableDimension=action["ScalableDimension"]
        )["ScalableTargets"]
        if not targets:
            return  # the target was deregistered (which, in AWS, deletes its actions too)
        current = targets[0]
        low = int(change.get("MinCapacity", current["MinCapacity"]))
        high = int(change.get("MaxCapacity", current["MaxCapacity"]))
        self.autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=action["ResourceId"],
            ScalableDimension=action["ScalableDimension"],
            MinCapacity=low,
            MaxCapacity=max(low, high),
        )

    def _targets(self) -> list[dict[str, Any]]:
        targets: list[dict[str, Any]] = []
        for page in self.autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="ecs"):
            targets.extend(t for t in page["ScalableTargets"] if t["ScalableDimension"] == _DIMENSION)
        return targets

    def _one_time_actions(self) -> list[tuple[datetime, dict[str, Any]]]:
        found: list[tuple[datetime, dict[str, Any]]] = []
        for page in self.autoscaling.get_paginator("describe_scheduled_actions").paginate(ServiceNamespace="ecs"):
            for action in page["ScheduledActions"]:
                when = at_time(str(action.get("Schedule", "")), action.get("Timezone"))
                if when is not None and action.get("ScalableDimension") == _DIMENSION:
                    found.append((when, action))
        return found
