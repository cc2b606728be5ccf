"""scripts/trim_botocore.py: the dependencies layer keeps botocore's data for the bot's services only, cut to the
operations the bot calls; every client the bot builds from the trimmed data resolves the same af-south-1 endpoint,
has every operation and paginator the bot uses, and sends and parses the same as from botocore's full data."""

from __future__ import annotations

import datetime
import gzip
import importlib.util
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.model import Shape

from opsbot.aws.sdk_operations import REQUIRED_OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS_FILE = ROOT / "layers" / "opsbot" / "opsbot" / "aws" / "sdk_operations.py"
FULL_DATA = Path(botocore.__file__).parent / "data"


def _kept_services() -> set[str]:
    makefile = (ROOT / "layers" / "dependencies" / "Makefile").read_text()
    (line,) = [line for line in makefile.splitlines() if line.startswith("KEEP_SERVICES :=")]
    return set(line.split(":=", 1)[1].split())


def _trim_module() -> Any:
    spec = importlib.util.spec_from_file_location("trim_botocore", ROOT / "scripts" / "trim_botocore.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("botocore") / "data"
    shutil.copytree(FULL_DATA, data)
    module = _trim_module()
    module.trim(data, _kept_services(), module.load_operations(OPERATIONS_FILE))
    return data


def _session(data: Path | None) -> botocore.session.Session:
    """A session reading ``data`` only (a ``data_path`` setting would be searched before botocore's own data, not
    instead of it), or botocore's full data."""
    session = botocore.session.Session()
    if data is not None:
        loader = botocore.loaders.Loader(extra_search_paths=[str(data)], include_default_search_paths=False)
        session.register_component("data_loader", loader)
    return session


def _client(service: str, data: Path | None) -> Any:
    return _session(data).create_client(
        service, region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def _endpoint(service: str, data_path: Path | None) -> str:
    return str(_client(service, data_path).meta.endpoint_url)


def test_only_the_kept_models_remain_and_endpoints_json_shrinks(trimmed: Path) -> None:
    assert {path.name for path in trimmed.iterdir() if path.is_dir()} == _kept_services()
    endpoints = json.loads((trimmed / "endpoints.json").read_text())
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    assert "monitoring" in aws["services"]  # CloudWatch is kept under its endpoint prefix, not its model name
    assert "s3" not in aws["services"]
    assert (trimmed / "endpoints.json").stat().st_size < 100_000  # from about 1.25 MB


@pytest.mark.parametrize("service", sorted(_kept_services()))
def test_every_kept_service_resolves_the_same_endpoint_from_the_trimmed_data(trimmed: Path, service: str) -> None:
    assert _endpoint(service, trimmed) == _endpoint(service, None)


def test_a_service_botocore_does_not_know_fails_the_build(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(SystemExit, match="no model for nosuchservice"):
        _trim_module().trim(data, {"nosuchservice"}, {})


def test_an_operation_botocore_does_not_know_fails_the_build_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(FULL_DATA / "ecs", data / "ecs")
    shutil.copy(FULL_DATA / "endpoints.json", data)
    with pytest.raises(SystemExit, match="ecs model has no describe_servises"):
        _trim_module().trim(data, {"ecs"}, {"ecs": ("describe_services", "describe_servises")})


def test_the_operations_file_is_read_without_importing_opsbot() -> None:
    assert _trim_module().load_operations(OPERATIONS_FILE) == REQUIRED_OPERATIONS


@pytest.mark.parametrize("service", sorted(_kept_services()))
def test_the_scripts_snake_case_names_are_botocores(service: str) -> None:
    names = _session(None).get_service_model(service).operation_names
    xform = _trim_module().xform_name
    assert [xform(name) for name in names] == [botocore.xform_name(name) for name in names]


def test_the_trimmed_session_reads_the_trimmed_data_only(trimmed: Path) -> None:
    loader = _session(trimmed).get_component("data_loader")
    assert loader.search_paths == [str(trimmed)]
    _, path = loader.load_data_with_path("dynamodb/2012-08-10/service-2")
    assert path == str(trimmed / "dynamodb" / "2012-08-10" / "service-2")
    assert (trimmed / "dynamodb" / "2012-08-10" / "service-2.json").exists()
    assert not (trimmed / "dynamodb" / "2012-08-10" / "service-2.json.gz").exists()


def test_models_keep_their_latest_version_only_without_examples(trimmed: Path) -> None:
    assert [path.name for path in (trimmed / "dynamodb").iterdir()] == ["2012-08-10"]
    assert [path.name for path in (trimmed / "lambda").iterdir()] == ["2015-03-31"]
    assert [path.name for path in (trimmed / "rds").iterdir()] == ["2014-10-31"]
    assert [path.parts[-3] for path in trimmed.glob("*/*/examples-1.json*")] == ["sts"]  # left whole
    assert not list(trimmed.glob("*/*/*.sdk-extras.json"))


def test_sts_is_left_whole(trimmed: Path) -> None:
    for path in (FULL_DATA / "sts").rglob("*"):
        copy = trimmed / path.relative_to(FULL_DATA)
        assert copy.exists()
        if path.is_file():
            assert copy.read_bytes() == path.read_bytes()


def test_the_ecs_model_is_a_fraction_of_its_size_without_documentation(trimmed: Path) -> None:
    original = gzip.decompress((FULL_DATA / "ecs" / "2014-11-13" / "service-2.json.gz").read_bytes())
    cut = (trimmed / "ecs" / "2014-11-13" / "service-2.json").read_bytes()
    assert len(cut) < len(original) / 4  # 1.3 MB -> about 40 KB
    assert b'"documentation"' not in cut


@pytest.mark.parametrize("service", sorted(REQUIRED_OPERATIONS))
def test_every_required_operation_and_its_paginator_is_kept_as_it_was(trimmed: Path, service: str) -> None:
    full, cut = _client(service, None), _client(service, trimmed)
    for operation in REQUIRED_OPERATIONS[service]:
        assert callable(getattr(cut, operation))
        name = full.meta.method_to_api_mapping[operation]
        before, after = full.meta.service_model.operation_model(name), cut.meta.service_model.operation_model(name)
        assert _shape_tree(after.input_shape) == _shape_tree(before.input_shape)
        assert _shape_tree(after.output_shape) == _shape_tree(before.output_shape)
        assert [e.name for e in after.error_shapes] == [e.name for e in before.error_shapes]
        assert after.http == before.http
        assert cut.can_paginate(operation) == full.can_paginate(operation)
        if full.can_paginate(operation):
            assert cut.get_paginator(operation)._pagination_cfg == full.get_paginator(operation)._pagination_cfg
    # And the waiters on those operations (the bot uses none, but they cost nothing)
    kept = {full.meta.method_to_api_mapping[operation] for operation in REQUIRED_OPERATIONS[service]}
    waiters = full._get_waiter_config().get("waiters", {})
    assert set(cut.waiter_names) == {botocore.xform_name(k) for k, v in waiters.items() if v["operation"] in kept}


def _shape_tree(shape: Shape | None, seen: frozenset[str] = frozenset()) -> Any:
    """What botocore serializes and parses by: type, wire names and traits, recursively (a recursive shape, such as
    DynamoDB's AttributeValue, is named where it repeats)."""
    if shape is None:
        return None
    if shape.name in seen:
        return shape.name
    seen |= {shape.name}
    traits = {k: v for k, v in shape.metadata.items() if k not in ("documentation", "documentationUrl")}
    tree: dict[str, Any] = {"type": shape.type_name, "serialization": shape.serialization, "traits": traits}
    for attribute in ("members", "member", "key", "value"):
        child = getattr(shape, attribute, None)
        if isinstance(child, dict):
            tree[attribute] = {name: _shape_tree(member, seen) for name, member in child.items()}
        elif child is not None:
            tree[attribute] = _shape_tree(child, seen)
    return tree


@pytest.mark.parametrize(
    ("service", "dropped"),
    [("dynamodb", "scan"), ("dynamodb", "create_table"), ("ecs", "create_cluster"), ("lambda", "create_function")],
)
def test_an_operation_the_bot_does_not_call_is_gone(trimmed: Path, service: str, dropped: str) -> None:
    full, cut = _client(service, None), _client(service, trimmed)
    assert callable(getattr(full, dropped))
    assert not hasattr(cut, dropped)
    name = full.meta.method_to_api_mapping[dropped]
    assert name not in cut.meta.service_model.operation_names
    paginators = json.loads(next((trimmed / service).glob("*/paginators-1.json")).read_text())
    assert name not in paginators["pagination"]


class _Raw(io.BytesIO):
    """A urllib3 response as AWSResponse reads it: whole (``stream``) or as a streaming body (``read``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _exchange(
    service: str, data: Path | None, operation: str, params: dict[str, Any], status: int, body: bytes
) -> tuple[dict[str, Any], Any]:
    """The request ``operation`` sends (less its signature and timestamps) and what the canned response parses
    to (or the error it raises)."""
    client = _client(service, data)
    sent: dict[str, Any] = {}

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        # The signature, timestamps and ids differ per request; the user agent lists SDK features in no set order.
        unsigned = ("Authorization", "X-Amz-Date", "amz-sdk-invocation-id", "amz-sdk-request", "User-Agent")
        sent.update(
            method=request.method,
            url=request.url,
            headers={k: v for k, v in request.headers.items() if k not in unsigned},
            body=request.body,
        )
        return AWSResponse(request.url, status, {"x-amzn-RequestId": "r-1"}, _Raw(body))  # type: ignore[arg-type]

    client.meta.events.register("before-send", answer)
    try:
        parsed: Any = getattr(client, operation)(**params)
    except ClientError as error:
        parsed = (type(error).__name__, error.response)
    if isinstance(parsed, dict):
        parsed.pop("ResponseMetadata", None)
        if "Payload" in parsed:
            parsed["Payload"] = parsed["Payload"].read()
    return sent, parsed


_AT = 1767225600.0  # 2026-01-01T00:00:00Z
EXCHANGES = [
    (
        "dynamodb",
        "put_item",
        {
            "TableName": "ops",
            "Item": {"pk": {"S": "svc#web"}, "n": {"N": "3"}, "tags": {"SS": ["a", "b"]}, "m": {"M": {"x": {"L": []}}}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValues": "ALL_OLD",
        },
        200,
        {"Attributes": {"pk": {"S": "svc#web"}, "b": {"B": "aGk="}}, "ConsumedCapacity": {"CapacityUnits": 1.0}},
    ),
    (
        "dynamodb",
        "put_item",
        {"TableName": "ops", "Item": {"pk": {"S": "svc#web"}}, "ConditionExpression": "attribute_not_exists(pk)"},
        400,
        {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "failed"},
    ),
    (
        "dynamodb",
        "transact_write_items",
        {
            "TransactItems": [
                {"Put": {"TableName": "ops", "Item": {"pk": {"S": "a"}}}},
                {
                    "Update": {
                        "TableName": "ops",
                        "Key": {"pk": {"S": "b"}},
                        "UpdateExpression": "SET #s = :s",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "done"}},
                    }
                },
                {"Delete": {"TableName": "ops", "Key": {"pk": {"S": "c"}}}},
            ],
            "ClientRequestToken": "token-1",
        },
        200,
        {"ConsumedCapacity": [{"TableName": "ops", "CapacityUnits": 3.0}]},
    ),
    (
        "dynamodb",
        "query",
        {
            "TableName": "ops",
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "a"}},
            "ScanIndexForward": False,
            "Limit": 5,
        },
        200,
        {"Items": [{"pk": {"S": "a"}, "at": {"N": "1.5"}}], "Count": 1, "LastEvaluatedKey": {"pk": {"S": "a"}}},
    ),
    (
        "application-autoscaling",
        "put_scheduled_action",
        {
            "ServiceNamespace": "ecs",
            "ScheduledActionName": "opsbot-scale-back",
            "ResourceId": "service/c/web",
            "ScalableDimension": "ecs:service:DesiredCount",
            "Schedule": "at(2026-01-01T00:00:00)",
            "StartTime": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 4},
        },
        200,
        {},
    ),
    (
        "application-autoscaling",
        "describe_scheduled_actions",
        {"ServiceNamespace": "ecs", "ResourceId": "service/c/web"},
        200,
        {
            "ScheduledActions": [
                {
                    "ScheduledActionName": "a",
                    "ScheduledActionARN": "arn:a",
                    "ServiceNamespace": "ecs",
                    "Schedule": "at(2026-01-01T00:00:00)",
                    "ResourceId": "service/c/web",
                    "CreationTime": _AT,
                    "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 2},
                }
            ]
        },
    ),
    (
        "ecs",
        "describe_services",
        {"cluster": "c", "services": ["web"]},
        200,
        {
            "services": [
                {
                    "serviceName": "web",
                    "desiredCount": 2,
                    "deployments": [{"id": "d", "status": "PRIMARY", "createdAt": _AT, "rolloutState": "COMPLETED"}],
                    "events": [{"id": "e", "createdAt": _AT, "message": "steady"}],
                }
            ],
            "failures": [],
        },
    ),
    (
        "lambda",
        "invoke",
        {"FunctionName": "arn:aws:lambda:af-south-1:1:function:f", "InvocationType": "Event", "Payload": b"{}"},
        202,
        b"",
    ),
    (
        "rds",
        "describe_db_snapshots",
        {"DBInstanceIdentifier": "db", "SnapshotType": "manual"},
        200,
        b'<DescribeDBSnapshotsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBSnapshotsResult>'
        b"<DBSnapshots><DBSnapshot><DBSnapshotIdentifier>s</DBSnapshotIdentifier><Status>available</Status>"
        b"<SnapshotCreateTime>2026-01-01T00:00:00Z</SnapshotCreateTime><AllocatedStorage>20</AllocatedStorage>"
        b"</DBSnapshot></DBSnapshots></DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>",
    ),
    (
        "secretsmanager",
        "get_secret_value",
        {"SecretId": "opsbot/slack"},
        200,
        {"ARN": "arn:s", "Name": "opsbot/slack", "SecretString": "{}", "CreatedDate": _AT},
    ),
]


@pytest.mark.parametrize(
    ("service", "operation", "params", "status", "response"),
    EXCHANGES,
    ids=[f"{service}-{operation}-{status}" for service, operation, _, status, _ in EXCHANGES],
)
def test_a_request_and_its_response_are_the_same_as_from_the_full_model(
    trimmed: Path, service: str, operation: str, params: dict[str, Any], status: int, response: Any
) -> None:
    body = response if isinstance(response, bytes) else json.dumps(response).encode()
    before = _exchange(service, None, operation, params, status, body)
    after = _exchange(service, trimmed, operation, params, status, body)
    assert after == before
    assert before[0]["url"].startswith("https://")
    assert before[1] or response == {}  # something was parsed (or raised) to compare


def test_a_modelled_error_is_still_its_own_exception(trimmed: Path) -> None:
    body = json.dumps({"__type": "ConditionalCheckFailedException", "message": "failed"}).encode()
    _, raised = _exchange("dynamodb", trimmed, "put_item", {"TableName": "t", "Item": {}}, 400, body)
    assert raised[0] == "ConditionalCheckFailedException"
