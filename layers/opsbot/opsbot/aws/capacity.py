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
    """Reads and changes min/max of ``service/<cluster>/<service>``; temporary raises revert by schedule."""

    def __init__(self, client: Any, resource_id: str, revert_action_name: str) -> None:
        self._client = client
        self._resource_id = resource_id
        self._revert_action = revert_action_name

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

    def schedule_revert(self, at: datetime, capacity: Capacity) -> None:
        """A one-time scheduled action; replaces any earlier pending revert so only one exists."""
        with aws_call("PutScheduledAction"):
            self._client.put_scheduled_action(
                ServiceNamespace="ecs",
                ScheduledActionName=self._revert_action,
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
                Schedule=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
                Timezone="UTC",
                ScalableTargetAction={"MinCapacity": capacity.min, "MaxCapacity": capacity.max},
            )

    def cancel_revert(self) -> bool:
        """Delete the pending revert; ``False`` when there was none."""
        if not any(action.name == self._revert_action for action in self.scheduled_actions()):
            return False
        with aws_call("DeleteScheduledAction"):
            self._client.delete_scheduled_action(
                ServiceNamespace="ecs",
                ScheduledActionName=self._revert_action,
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
            )
        return True

    def scheduled_actions(self) -> list[ScheduledAction]:
        with aws_call("DescribeScheduledActions"):
            response = self._client.describe_scheduled_actions(
                ServiceNamespace="ecs", ResourceId=self._resource_id, ScalableDimension=_DIMENSION
            )
        actions = [_scheduled_action(raw) for raw in response.get("ScheduledActions", [])]
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
