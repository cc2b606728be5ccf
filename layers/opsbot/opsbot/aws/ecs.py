"""The ECS service: counts, task definition, deployments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError
from opsbot.ports import Deployment, ServiceState

_IN_PROGRESS = ("IN_PROGRESS", "PENDING")
_WINDING_DOWN = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED")


class EcsServiceGateway:
    def __init__(self, client: Any, cluster: str, service: str) -> None:
        self._client = client
        self._cluster = cluster
        self._service = service

    def describe(self) -> ServiceState:
        with aws_call("DescribeServices"):
            response = self._client.describe_services(cluster=self._cluster, services=[self._service])
        services = response.get("services", [])
        if not services or services[0].get("status") == "INACTIVE":
            raise AwsOperationError("DescribeServices", "ServiceNotFoundException", "the ECS service was not found")
        service = services[0]
        task_definition_arn = str(service.get("taskDefinition", ""))
        image_tag, task_vcpu = self._task_definition(task_definition_arn)
        return ServiceState(
            desired=int(service.get("desiredCount", 0)),
            running=int(service.get("runningCount", 0)),
            pending=int(service.get("pendingCount", 0)),
            task_definition=task_definition_arn.rsplit("/", 1)[-1],
            image_tag=image_tag,
            task_vcpu=task_vcpu,
            deployments=tuple(
                Deployment(
                    id=str(d.get("id", "")),
                    status=str(d.get("status", "")),
                    rollout_state=str(d.get("rolloutState", "COMPLETED" if d.get("status") == "PRIMARY" else "")),
                    task_definition=str(d.get("taskDefinition", "")).rsplit("/", 1)[-1],
                )
                for d in service.get("deployments", [])
            ),
        )

    def in_progress_deployment(self, created_by: datetime | None = None, moving: bool = False) -> str | None:
        """The ARN of the service's ECS deployment in progress, if any (ECS-native service deployments);
        ``created_by``: only one ECS created at or before that instant; ``moving``: also one being rolled back or
        stopped (still replacing tasks, but no longer one to roll back)."""
        statuses = [*_IN_PROGRESS, *(_WINDING_DOWN if moving else ())]
        with aws_call("ListServiceDeployments"):
            response = self._client.list_service_deployments(
                cluster=self._cluster, service=self._service, status=statuses
            )
        deployments = [
            d for d in response.get("serviceDeployments", [])
            if created_by is None or d.get("createdAt") is None or d["createdAt"] <= created_by
        ]  # fmt: skip
        return str(deployments[0]["serviceDeploymentArn"]) if deployments else None

    def stop_deployment(self, deployment_arn: str) -> None:
        """Roll the deployment back: ECS shifts traffic back to the previous revision."""
        with aws_call("StopServiceDeployment"):
            self._client.stop_service_deployment(serviceDeploymentArn=deployment_arn, stopType="ROLLBACK")

    def force_new_deployment(self) -> None:
        """Replace every task with a fresh one of the same revision."""
        with aws_call("UpdateService"):
            self._client.update_service(cluster=self._cluster, service=self._service, forceNewDeployment=True)

    def _task_definition(self, task_definition_arn: str) -> tuple[str, float]:
        """The image tag of the first container, and the task's CPU in vCPU (task-level ``cpu`` is in CPU units,
        1024 to a vCPU; Fargate requires it)."""
        if not task_definition_arn:
            return "unknown", 0.0
        with aws_call("DescribeTaskDefinition"):
            response = self._client.describe_task_definition(taskDefinition=task_definition_arn)
        definition = response["taskDefinition"]
        cpu = str(definition.get("cpu", "") or "")
        vcpu = int(cpu) / 1024 if cpu.isdigit() else 0.0
        return _image_tag(definition.get("containerDefinitions", [])), vcpu


def _image_tag(containers: list[dict[str, Any]]) -> str:
    if not containers:
        return "unknown"
    image = str(containers[0].get("image", ""))
    if "@" in image:
        return image.rsplit("@", 1)[-1][:19]
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[-1] if ":" in last else "latest"
