"""The ECS service's Application Auto Scaling scalable target: bounds and scheduled actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError
from opsbot.logic.scaling import Capacity
from opsbot.ports import ScheduledAction

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_DIMENSION = "ecs:service:DesiredCount"


class ScalableTargetGateway:
    """Reads and changes min/max of ``service/<cluster>/<service>`` and its one-time scheduled actions."""

    def __init__(self, client: Any, resource_id: str) -> None:
        self._client = client
        self._resource_id = resource_id

    def get_capacity(self) -> Capacity:
        with aws_call("DescribeScalableTargets"):
            response = self._client.describe_scalable_targets(
                ServiceNamespace="ecs", ResourceIds=[self._resource_id], ScalableDimension=_DIMENSION
            )
        targets = response.get("ScalableTargets", [])
        if not targets:
            raise AwsOperationError("DescribeScalableTargets", "NotRegistered", "the service has no scalable target")
        return Capacity(min=int(targets[0]["MinCapacity"]), max=int(targets[0]["MaxCapacity"]))

    def set_capacity(self, capacity: Capacity) -> None:
        with aws_call("RegisterScalableTarget"):
            self._client.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
                MinCapacity=capacity.min,
                MaxCapacity=capacity.max,
            )

    def put_action(self, name: str, at: datetime, capacity: Capacity) -> None:
        """A one-time scheduled action (``at(...)`` in UTC); putting an existing name replaces it."""
        with aws_call("PutScheduledAction"):
            self._client.put_scheduled_action(
                ServiceNamespace="ecs",
                ScheduledActionName=name,
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
                Schedule=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
                Timezone="UTC",
                ScalableTargetAction={"MinCapacity": capacity.min, "MaxCapacity": capacity.max},
            )

    def delete_action(self, name: str) -> None:
        with aws_call("DeleteScheduledAction"):
            self._client.delete_scheduled_action(
                ServiceNamespace="ecs",
                ScheduledActionName=name,
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
            )

    def scheduled_actions(self) -> list[ScheduledAction]:
        actions: list[ScheduledAction] = []
        with aws_call("DescribeScheduledActions"):
            pages = self._client.get_paginator("describe_scheduled_actions").paginate(
                ServiceNamespace="ecs", ResourceId=self._resource_id, ScalableDimension=_DIMENSION
            )
            for page in pages:
                actions.extend(_scheduled_action(raw) for raw in page.get("ScheduledActions", []))
        far_future = datetime.max.replace(tzinfo=UTC)
        return sorted(actions, key=lambda action: action.at or far_future)


def _scheduled_action(raw: dict[str, Any]) -> ScheduledAction:
    match = _AT.match(str(raw.get("Schedule", "")))
    at = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None
    target = raw.get("ScalableTargetAction", {})
    return ScheduledAction(
        name=str(raw["ScheduledActionName"]),
        schedule=str(raw.get("Schedule", "")),
        at=at,
        min=target.get("MinCapacity"),
        max=target.get("MaxCapacity"),
    )
