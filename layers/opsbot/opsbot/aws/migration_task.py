"""The migration task in ECS (``opsbot.cutover.migration``): ``RunTask`` of the service's task definition with the
migration command in the web container, in the service's own network configuration and launch type or capacity
providers, and ``DescribeTasks`` to follow it; the age of the newest database snapshot from RDS.

At ``PRE_SCALE_UP`` ``UpdateService`` has already made the new revision the service's task definition, so
``DescribeServices`` names the task definition being deployed (``DescribeServiceRevisions`` would too, one call more).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.aws.monitoring import SnapshotsGateway
from opsbot.cutover.migration import TaskState
from opsbot.errors import AwsOperationError


class MigrationTasks:
    def __init__(self, ecs: Any, rds: Any, cluster: str, service: str, container: str, db_instance: str) -> None:
        self._ecs = ecs
        self._snapshots = SnapshotsGateway(rds, db_instance)
        self._cluster = cluster
        self._service = service
        self._container = container

    def latest_snapshot_time(self) -> datetime | None:
        return self._snapshots.latest_snapshot_time()

    def run(self, command: Sequence[str], client_token: str) -> str:
        with aws_call("DescribeServices"):
            service = self._ecs.describe_services(cluster=self._cluster, services=[self._service])["services"][0]
        params: dict[str, Any] = {
            "cluster": self._cluster,
            "taskDefinition": service["taskDefinition"],
            "count": 1,
            "startedBy": "opsbot-migration",
            "clientToken": client_token,
            "overrides": {"containerOverrides": [{"name": self._container, "command": list(command)}]},
        }
        if service.get("networkConfiguration"):
            params["networkConfiguration"] = service["networkConfiguration"]
        if service.get("capacityProviderStrategy"):
            params["capacityProviderStrategy"] = service["capacityProviderStrategy"]
        else:
            params["launchType"] = service.get("launchType") or "FARGATE"
        with aws_call("RunTask"):
            answer = self._ecs.run_task(**params)
        tasks = answer.get("tasks") or []
        if not tasks:
            failure = (answer.get("failures") or [{}])[0]
            raise AwsOperationError("RunTask", str(failure.get("reason", "no task")), str(failure.get("detail", "")))
        return str(tasks[0]["taskArn"])

    def task(self, task_arn: str) -> TaskState:
        with aws_call("DescribeTasks"):
            found = self._ecs.describe_tasks(cluster=self._cluster, tasks=[task_arn]).get("tasks") or []
        if not found:
            return TaskState("STOPPED", None, "the task is gone (ECS keeps stopped tasks about an hour)")
        task = found[0]
        container: dict[str, Any] = next(
            (c for c in task.get("containers", []) if c.get("name") == self._container), {}
        )
        code = container.get("exitCode")
        reason = str(task.get("stoppedReason", "") or container.get("reason", "") or "")
        return TaskState(str(task.get("lastStatus", "")), int(code) if code is not None else None, reason)
