"""What a deploy reads and does in ECS and ECR: the service and its running task definition as ECS describes them,
the image in ECR with its scan, registering the new revision and starting the deployment (``UpdateService``)."""

from __future__ import annotations

import re
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.cutover.plan import ImageRef
from opsbot.cutover.preflight import ImageFacts
from opsbot.errors import AwsOperationError
from opsbot.observability import logger

_ECR = re.compile(r"(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+)")


class Deployments:
    def __init__(self, ecs: Any, ecr: Any, cluster: str, service: str) -> None:
        self._ecs = ecs
        self._ecr = ecr
        self._cluster = cluster
        self._service = service

    def service(self) -> dict[str, Any]:
        with aws_call("DescribeServices"):
            found = self._ecs.describe_services(cluster=self._cluster, services=[self._service])["services"]
        if not found or found[0].get("status") == "INACTIVE":
            raise AwsOperationError("DescribeServices", "ServiceNotFoundException", "the ECS service was not found")
        return dict(found[0])

    def in_progress(self) -> str | None:
        with aws_call("ListServiceDeployments"):
            found = self._ecs.list_service_deployments(
                cluster=self._cluster, service=self._service, status=["PENDING", "IN_PROGRESS"]
            ).get("serviceDeployments", [])
        return str(found[0]["serviceDeploymentArn"]) if found else None

    def task_definition(self, arn: str) -> dict[str, Any]:
        with aws_call("DescribeTaskDefinition"):
            return dict(self._ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])

    def image(self, current_image: str, ref: ImageRef) -> ImageFacts:
        """The image ``ref`` in the ECR repository of the running image (a public image: unknown, treated as
        missing: the bot only deploys images of its own registry)."""
        match = _ECR.match(current_image)
        if match is None:
            return ImageFacts(exists=False)
        image_id = {"imageDigest": ref.value} if ref.is_digest else {"imageTag": ref.value}
        try:
            with aws_call("DescribeImages"):
                found = self._ecr.describe_images(
                    registryId=match["registry"], repositoryName=match["repository"], imageIds=[image_id]
                )["imageDetails"]
        except AwsOperationError as exc:
            if exc.code in {"ImageNotFoundException", "RepositoryNotFoundException"}:
                return ImageFacts(exists=False)
            raise
        if not found:
            return ImageFacts(exists=False)
        summary = found[0].get("imageScanFindingsSummary")
        if not summary:
            return ImageFacts(exists=True, scanned=False)
        critical = int(summary.get("findingSeverityCounts", {}).get("CRITICAL", 0))
        return ImageFacts(exists=True, scanned=True, critical=critical)

    def latest(self) -> dict[str, Any] | None:
        """The service's most recent service deployment, as ``DescribeServiceDeployments`` describes it."""
        # The order of ListServiceDeployments is not documented: the newest is picked by createdAt.
        with aws_call("ListServiceDeployments"):
            found = self._ecs.list_service_deployments(cluster=self._cluster, service=self._service, maxResults=100)
        briefs = found.get("serviceDeployments", [])
        if not briefs:
            return None
        newest = max(briefs, key=lambda d: (d.get("createdAt") is not None, d.get("createdAt") or 0))
        return self.describe(str(newest["serviceDeploymentArn"]))

    def describe(self, deployment_arn: str) -> dict[str, Any] | None:
        with aws_call("DescribeServiceDeployments"):
            described = self._ecs.describe_service_deployments(serviceDeploymentArns=[deployment_arn])
        items = described.get("serviceDeployments", [])
        return dict(items[0]) if items else None

    def answer_pause(self, deployment_arn: str, hook_id: str, action: str) -> None:
        """``ContinueServiceDeployment`` with ``action`` always sent (left out, it means CONTINUE)."""
        with aws_call("ContinueServiceDeployment"):
            self._ecs.continue_service_deployment(serviceDeploymentArn=deployment_arn, hookId=hook_id, action=action)

    def stop(self, deployment_arn: str) -> None:
        with aws_call("StopServiceDeployment"):
            self._ecs.stop_service_deployment(serviceDeploymentArn=deployment_arn, stopType="ROLLBACK")

    def register(self, register: dict[str, Any]) -> str:
        with aws_call("RegisterTaskDefinition"):
            return str(self._ecs.register_task_definition(**register)["taskDefinition"]["taskDefinitionArn"])

    def start(self, task_definition_arn: str, deployment_configuration: dict[str, Any]) -> str:
        """``UpdateService`` to the new revision; the service deployment's ARN (what the thread is keyed by)."""
        with aws_call("UpdateService"):
            service = self._ecs.update_service(
                cluster=self._cluster, service=self._service, taskDefinition=task_definition_arn,
                deploymentConfiguration=deployment_configuration,
            )["service"]  # fmt: skip
        started = str(service.get("currentServiceDeployment", "") or "")
        if started:
            return started
        try:  # an older ECS answer without the field: ask for it — the deployment has started either way
            return self.in_progress() or ""
        except AwsOperationError as exc:
            logger.warning("started deployment's ARN not read", extra={"error": exc.code})
            return ""
