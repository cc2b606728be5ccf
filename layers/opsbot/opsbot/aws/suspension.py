"""Scale-in suspension of the service's scalable target (``SuspendedState.DynamicScalingInSuspended``).

``RegisterScalableTarget`` on an existing target changes only what it is given ("Any parameters that you don't
specify are not changed by this update request", RegisterScalableTarget API reference); the other two flags are
sent as they are, so the bot never resumes scale-out or scheduled scaling that someone else suspended."""

from __future__ import annotations

from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError

_DIMENSION = "ecs:service:DesiredCount"
_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


class ScaleInSuspension:
    def __init__(self, client: Any, resource_id: str) -> None:
        self._client = client
        self._resource_id = resource_id

    def state(self) -> dict[str, bool]:
        with aws_call("DescribeScalableTargets"):
            response = self._client.describe_scalable_targets(
                ServiceNamespace="ecs", ResourceIds=[self._resource_id], ScalableDimension=_DIMENSION
            )
        targets = response.get("ScalableTargets", [])
        if not targets:
            raise AwsOperationError("DescribeScalableTargets", "NotRegistered", "the service has no scalable target")
        suspended = targets[0].get("SuspendedState") or {}
        return {flag: bool(suspended.get(flag, False)) for flag in _FLAGS}

    def suspended(self) -> bool:
        return self.state()["DynamicScalingInSuspended"]

    def set_scale_in(self, suspended: bool) -> None:
        state = {**self.state(), "DynamicScalingInSuspended": suspended}
        with aws_call("RegisterScalableTarget (SuspendedState)"):
            self._client.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=self._resource_id,
                ScalableDimension=_DIMENSION,
                SuspendedState=state,
            )
