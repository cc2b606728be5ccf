"""moto's ECS backend, extended by ``devtools.moto_ecs``, answers the service deployment API like ECS does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws
from moto.core.utils import get_service_model
from moto.server import ThreadedMotoServer

from devtools import moto_ecs

REGION = "af-south-1"
CLUSTER = "mycandidate"
SERVICE = "web"
BLUE_GREEN = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "maximumPercent": 200, "minimumHealthyPercent": 100}


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway credentials, and no endpoint or profile that could send a call anywhere but moto."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"):
        monkeypatch.delenv(name, raising=False)
    moto_ecs.install()


@pytest.fixture
def ecs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION)


def register(ecs: Any, tag: str) -> str:
    container = {"name": "web", "image": f"ghcr.io/mycandidate/web:{tag}", "memory": 512}
    return str(
        ecs.register_task_definition(family="web", containerDefinitions=[container])["taskDefinition"][
            "taskDefinitionArn"
        ]
    )


def create_service(ecs: Any, configuration: dict[str, Any] | None = None) -> str:
    ecs.create_cluster(clusterName=CLUSTER)
    return str(
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=register(ecs, "v1"),
            desiredCount=2,
            deploymentController={"type": "ECS"},
            deploymentConfiguration=configuration or BLUE_GREEN,
        )["service"]["serviceArn"]
    )


def listed(ecs: Any, **filters: Any) -> list[dict[str, Any]]:
    return list(ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, **filters)["serviceDeployments"])


def described(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0])


def start_deployment(ecs: Any) -> str:
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=register(ecs, "v2"))
    [deployment] = listed(ecs, status=["IN_PROGRESS"])
    return str(deployment["serviceDeploymentArn"])


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_install_is_idempotent() -> None:
    # Given the extension installed (by the fixture)
    # When it is installed again
    moto_ecs.install()

    # Then the operations are patched once, not wrapped twice
    from moto.ecs.responses import EC2ContainerServiceResponse

    assert getattr(EC2ContainerServiceResponse, "_opsbot_service_deployments", False) is True


def test_the_deployment_configuration_round_trips(ecs: Any) -> None:
    # Given a blue/green service
    create_service(ecs, {**BLUE_GREEN, "deploymentCircuitBreaker": {"enable": True, "rollback": True}})

    # When it is described
    [service] = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]

    # Then ECS-native blue/green is kept as given
    configuration = service["deploymentConfiguration"]
    assert configuration["strategy"] == "BLUE_GREEN"
    assert configuration["bakeTimeInMinutes"] == 5
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_creating_a_service_records_one_successful_deployment(ecs: Any) -> None:
    # Given a new service
    service_arn = create_service(ecs)

    # When its deployments are listed
    [deployment] = listed(ecs)

    # Then there is the initial one, finished, in the documented ARN format
    assert deployment["status"] == "SUCCESSFUL"
    assert deployment["serviceArn"] == service_arn
    assert deployment["serviceDeploymentArn"].startswith(
        f"arn:aws:ecs:{REGION}:123456789012:service-deployment/{CLUSTER}/{SERVICE}/"
    )


def test_a_new_task_definition_starts_a_blue_green_deployment(ecs: Any) -> None:
    # Given a blue/green service
    create_service(ecs)

    # When it is updated with a new task definition
    arn = start_deployment(ecs)

    # Then exactly one deployment is in progress, baking, from the old revision to the new one
    deployment = described(ecs, arn)
    assert deployment["status"] == "IN_PROGRESS"
    assert deployment["lifecycleStage"] == "BAKE_TIME"
    assert deployment["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    [source] = deployment["sourceServiceRevisions"]
    assert source["arn"] != deployment["targetServiceRevision"]["arn"]
    assert deployment["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    # and the service shows its task definition as an ARN, with the rollout in its deployments
    [service] = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert service["taskDefinition"].endswith(":task-definition/web:2")
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def test_a_stop_with_rollback_rolls_back_and_a_finished_deployment_cannot_be_stopped(ecs: Any) -> None:
    # Given a deployment in progress
    create_service(ecs)
    arn = start_deployment(ecs)

    # When it is stopped with ROLLBACK
    answer = ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")

    # Then it rolls back and is no longer in progress; the service returns to the old task definition
    assert answer["serviceDeploymentArn"] == arn
    assert described(ecs, arn)["status"] == "ROLLBACK_IN_PROGRESS"
    assert described(ecs, arn)["rollback"]["serviceRevisionArn"]
    assert listed(ecs, status=["IN_PROGRESS"]) == []
    [service] = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert service["taskDefinition"].endswith(":task-definition/web:1")

    # When it is stopped again while rolling back, the rollback simply continues (ECS developer guide)
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert described(ecs, arn)["status"] == "ROLLBACK_IN_PROGRESS"

    # When the rollback finishes and it is stopped again
    assert moto_ecs.complete_service_deployment(REGION, arn) == "ROLLBACK_SUCCESSFUL"
    with pytest.raises(ClientError) as refused:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")

    # Then ECS refuses with a ConflictException
    assert error_code(refused) == "ConflictException"


def test_an_abort_stops_the_deployment(ecs: Any) -> None:
    # Given a deployment in progress
    create_service(ecs)
    arn = start_deployment(ecs)

    # When it is stopped with ABORT
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")

    # Then it is STOPPED, with the time it stopped
    deployment = described(ecs, arn)
    assert deployment["status"] == "STOPPED"
    assert "stoppedAt" in deployment


def test_completing_a_deployment_makes_it_successful(ecs: Any) -> None:
    # Given a deployment in progress
    create_service(ecs)
    arn = start_deployment(ecs)

    # When the test completes it
    status = moto_ecs.complete_service_deployment(REGION, arn)

    # Then it is SUCCESSFUL and the service's rollout is completed on the new task definition
    assert status == "SUCCESSFUL"
    assert described(ecs, arn)["status"] == "SUCCESSFUL"
    [service] = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert service["deployments"][0]["taskDefinition"].endswith(":task-definition/web:2")


def test_a_newer_deployment_supersedes_an_unfinished_one(ecs: Any) -> None:
    # Given a deployment in progress
    create_service(ecs)
    first = start_deployment(ecs)

    # When the service is forced into another deployment
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)

    # Then the first one is STOPPED and only the new one is in progress, newest first in the list
    assert described(ecs, first)["status"] == "STOPPED"
    [current] = listed(ecs, status=["IN_PROGRESS"])
    assert current["serviceDeploymentArn"] != first
    assert [d["serviceDeploymentArn"] for d in listed(ecs)][1] == first


def test_a_pause_hook_waits_for_continue(ecs: Any) -> None:
    # Given a blue/green service with a PAUSE hook after test traffic shifted
    pause = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    create_service(ecs, {**BLUE_GREEN, "lifecycleHooks": [pause]})

    # When a deployment starts
    arn = start_deployment(ecs)

    # Then it waits at the hook
    deployment = described(ecs, arn)
    assert deployment["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    [hook] = deployment["lifecycleHookDetails"]
    assert (hook["targetType"], hook["status"]) == ("PAUSE", "AWAITING_ACTION")

    # When it is continued
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")

    # Then it moves on to the bake time, the hook succeeded
    deployment = described(ecs, arn)
    assert deployment["lifecycleStage"] == "BAKE_TIME"
    assert deployment["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"

    # And continuing a hook that no longer waits is refused
    with pytest.raises(ClientError) as refused:
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])
    assert error_code(refused) == "InvalidParameterException"


def test_a_pause_hook_can_roll_back(ecs: Any) -> None:
    # Given a deployment waiting at a PAUSE hook
    pause = {"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"]}
    create_service(ecs, {**BLUE_GREEN, "lifecycleHooks": [pause]})
    arn = start_deployment(ecs)
    [hook] = described(ecs, arn)["lifecycleHookDetails"]

    # When the operator rolls back at the hook
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")

    # Then the deployment rolls back
    assert described(ecs, arn)["status"] == "ROLLBACK_IN_PROGRESS"


def test_unknown_arns_are_failures_and_unknown_deployments_are_not_found(ecs: Any) -> None:
    # Given a service with its initial deployment
    create_service(ecs)
    [known] = listed(ecs)
    unknown = f"arn:aws:ecs:{REGION}:123456789012:service-deployment/{CLUSTER}/{SERVICE}/doesNotExist"

    # When both are described
    answer = ecs.describe_service_deployments(serviceDeploymentArns=[known["serviceDeploymentArn"], unknown])

    # Then the known one is described and the unknown one is a failure
    assert [d["serviceDeploymentArn"] for d in answer["serviceDeployments"]] == [known["serviceDeploymentArn"]]
    assert answer["failures"] == [{"arn": unknown, "reason": "MISSING"}]
    # and stopping the unknown one is ServiceDeploymentNotFoundException
    with pytest.raises(ClientError) as refused:
        ecs.stop_service_deployment(serviceDeploymentArn=unknown)
    assert error_code(refused) == "ServiceDeploymentNotFoundException"


def test_invalid_requests_are_refused(ecs: Any) -> None:
    # Given a deployment in progress
    create_service(ecs)
    arn = start_deployment(ecs)

    # When a stop type outside the model's enum is sent (botocore does not check enums client-side)
    with pytest.raises(ClientError) as sideways:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="SIDEWAYS")

    # Then the service refuses it, and the deployment is untouched
    assert error_code(sideways) == "InvalidParameterException"
    assert "stopType" in str(sideways.value)
    assert described(ecs, arn)["status"] == "IN_PROGRESS"

    # And a required member missing is caught by botocore, or by the extension when botocore does not check
    with pytest.raises(ParamValidationError):
        ecs.stop_service_deployment(stopType="ROLLBACK")
    unchecked: Any = boto3.client("ecs", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as missing:
        unchecked.stop_service_deployment(stopType="ROLLBACK")
    assert error_code(missing) == "InvalidParameterException"
    assert "serviceDeploymentArn" in str(missing.value)

    # And out-of-range pages and unknown strategies are refused too
    with pytest.raises(ClientError) as too_many:
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=101)
    assert error_code(too_many) == "InvalidParameterException"
    with pytest.raises(ClientError) as strategy:
        ecs.update_service(cluster=CLUSTER, service=SERVICE, deploymentConfiguration={"strategy": "BLUEGREEN"})
    assert error_code(strategy) == "InvalidParameterException"


def test_listing_filters_and_pages(ecs: Any) -> None:
    # Given the initial deployment and two more, the last one in progress
    create_service(ecs)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)

    # When they are listed one per page, and filtered by status and by creation time
    first = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=1)
    rest = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=5, nextToken=first["nextToken"])
    newest = first["serviceDeployments"][0]
    after_newest = listed(ecs, createdAt={"after": newest["createdAt"]})

    # Then paging walks all three, newest first, and the filters narrow them
    assert [d["status"] for d in first["serviceDeployments"] + rest["serviceDeployments"]] == [
        "IN_PROGRESS",
        "STOPPED",
        "SUCCESSFUL",
    ]
    assert "nextToken" not in rest
    assert [d["status"] for d in listed(ecs, status=["SUCCESSFUL", "STOPPED"])] == ["STOPPED", "SUCCESSFUL"]
    assert after_newest == []
    # and a service ARN alone names its cluster
    service_arn = newest["serviceArn"]
    assert len(ecs.list_service_deployments(service=service_arn)["serviceDeployments"]) == 3


def test_responses_fit_the_output_shapes_and_the_validator_catches_what_does_not(ecs: Any) -> None:
    # Given a deployment in progress, described through boto3 (moto serialised it, botocore parsed it)
    create_service(
        ecs, {**BLUE_GREEN, "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"]}]}
    )
    arn = start_deployment(ecs)
    answer = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    answer.pop("ResponseMetadata")
    output = get_service_model("ecs").operation_model("DescribeServiceDeployments").output_shape

    # When the parsed answer and a broken one are validated against the output shape
    problems = moto_ecs.model_errors(output, answer)
    broken = moto_ecs.model_errors(output, {"serviceDeployments": [{"status": "WEIRD", "startedAt": "noon"}]})

    # Then the answer fits and the broken one is reported, enum included
    assert problems == []
    assert any("WEIRD" in line for line in broken)
    with pytest.raises(Exception, match=r"invalid ListServiceDeployments response"):
        moto_ecs.check_response("ListServiceDeployments", {"serviceDeployments": [{"status": "WEIRD"}]})


def test_a_threaded_moto_server_in_this_process_serves_the_extension() -> None:
    # Given a moto server on loopback in this process
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        ecs = boto3.client("ecs", region_name=REGION, endpoint_url=f"http://{host}:{port}")

        # When a blue/green service gets a new task definition through the server
        create_service(ecs)
        arn = start_deployment(ecs)

        # Then the deployment is visible there, and the in-process helper completes it
        assert moto_ecs.complete_service_deployment(REGION, arn) == "SUCCESSFUL"
        assert described(ecs, arn)["status"] == "SUCCESSFUL"
    finally:
        server.stop()
