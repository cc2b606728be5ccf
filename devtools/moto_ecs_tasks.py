"""Test support: moto's ``RunTask`` for a Fargate task definition whose containers leave memory to the task.

ECS accepts containers without ``memory`` / ``memoryReservation`` when the task definition sets task-level
``memory`` (required on Fargate); moto 5.2 adds each container's ``memory`` to its resource count and fails with
a TypeError (a 500) on the first one without. :func:`install` counts a missing container memory as 0, which is what
the sum means on Fargate. Never shipped in the Lambda layer.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend

_FLAG = "_opsbot_task_memory"


def install() -> None:
    if getattr(EC2ContainerServiceBackend, _FLAG, False):
        return
    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> dict[str, Any]:
        containers = task_definition.container_definitions
        patched = [dict(c) for c in containers]
        for container in patched:
            if not any(container.get(k) is not None for k in ("memory", "memoryReservation", "Memory",
                                                                 "MemoryReservation")):  # fmt: skip
                container["memory"] = 0
        task_definition.container_definitions = patched
        try:
            return original(task_definition)
        finally:
            task_definition.container_definitions = containers

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)  # type: ignore[method-assign]
    setattr(EC2ContainerServiceBackend, _FLAG, True)
