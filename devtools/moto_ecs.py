"""Test support: moto's ECS backend extended with service deployments (ECS-native blue/green).

moto 5.2 lacks ``ListServiceDeployments``, ``DescribeServiceDeployments``, ``StopServiceDeployment`` and
``ContinueServiceDeployment``, and drops ``deploymentConfiguration`` on ``CreateService``. :func:`install`
patches moto's ECS backend and response classes in this process, so in-process ``mock_aws()`` and a
``ThreadedMotoServer`` / ``moto.server.main`` started here both gain:

- ``deploymentConfiguration`` kept as given (strategy, bake time, lifecycle hooks, canary/linear, alarms,
  circuit breaker) on ``CreateService``, merged on ``UpdateService``, returned by ``DescribeServices``;
- a service deployment record per rollout: ``CreateService`` records a SUCCESSFUL one; ``UpdateService``
  with a new task definition (or ``forceNewDeployment``) starts an IN_PROGRESS one and stops the earlier
  unfinished one. A BLUE_GREEN/LINEAR/CANARY deployment walks the lifecycle stages until a PAUSE hook
  (``AWAITING_ACTION`` until ``ContinueServiceDeployment``) or ``BAKE_TIME``; Lambda hooks pass at once.
  Nothing finishes on its own: a test calls :func:`complete_service_deployment`. Unless a deployment engine
  (``devtools.replica.deployments``) is attached for the account and region with :func:`attach_engine`: then
  UpdateService and ContinueServiceDeployment only record what was asked, and the engine walks the stages on the
  replica's clock, invoking the Lambda hooks (and the records' timestamps come from that clock);
- the four operations above, plus the service's ``deployments`` list kept consistent with them.

Every request to the four operations and ``deploymentConfiguration`` on Create/UpdateService is validated
against botocore's ECS service model (botocore's own validator plus enum and max checks); every response is
validated against the operation's output shape before moto serializes it. Never shipped in the Lambda layer.
"""

from __future__ import annotations

import base64
import copy
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

__all__ = [
    "LOCK",
    "STAGES",
    "Revision",
    "ServiceDeployment",
    "attach_engine",
    "check_request",
    "check_response",
    "complete_service_deployment",
    "detach_engine",
    "install",
    "model_errors",
    "service_deployments",
    "stamp_with",
    "start_rollback",
]

_LOCK = threading.RLock()
LOCK: Final = _LOCK  # what an attached engine holds while it changes the records (never while it invokes a hook)
_INSTALLED_FLAG: Final = "_opsbot_service_deployments"
_STATE_ATTR: Final = "_opsbot_service_deployment_state"

IN_PROGRESS: Final = "IN_PROGRESS"
SUCCESSFUL: Final = "SUCCESSFUL"
STOPPED: Final = "STOPPED"
STOP_REQUESTED: Final = "STOP_REQUESTED"
ROLLBACK_REQUESTED: Final = "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS: Final = "ROLLBACK_IN_PROGRESS"
ROLLBACK_SUCCESSFUL: Final = "ROLLBACK_SUCCESSFUL"
_UNFINISHED: Final = frozenset({"PENDING", IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS})
# "You can stop a deployment that is in any of the following states" (ECS developer guide); only PENDING and
# IN_PROGRESS change state, the others are already stopping.
_STOPPABLE: Final = _UNFINISHED

# Lifecycle hook stages in the order a blue/green deployment passes them (DeploymentLifecycleHookStage, plus the
# hookless SCALE_UP). PRE_PRODUCTION_TRAFFIC_SHIFT is a hook stage, not a ServiceDeploymentLifecycleStage.
_STAGES: Final = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
)
STAGES: Final = _STAGES
_REPORTED_STAGE: Final = {"PRE_PRODUCTION_TRAFFIC_SHIFT": "POST_TEST_TRAFFIC_SHIFT"}
_DEFAULT_PAGE: Final = 20
_MAX_PAGE: Final = 100
_MAX_DESCRIBE: Final = 20
_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


# --------------------------------------------------------------------------------------------- validation


def _constraint_errors(value: Any, shape: Shape, name: str, out: list[str]) -> None:
    """The enum and max constraints of the model, which botocore's client-side validator leaves to the service."""
    where = name or "input"
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for key, member in shape.members.items():
            if key in value:
                _constraint_errors(value[key], member, f"{name}.{key}" if name else key, out)
        return
    if isinstance(shape, ListShape) and isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _constraint_errors(item, shape.member, f"{name}[{index}]", out)
    elif isinstance(shape, MapShape) and isinstance(value, Mapping):
        for key, item in value.items():
            _constraint_errors(item, shape.value, f"{name}.{key}", out)
    metadata: Mapping[str, Any] = shape.metadata
    enum = metadata.get("enum")
    if enum and isinstance(value, str) and value not in enum:
        out.append(f"Invalid value for parameter {where}: {value!r}, valid values: {', '.join(enum)}")
    maximum = metadata.get("max")
    if maximum is None:
        return
    if isinstance(value, str | list | tuple) and len(value) > maximum:
        out.append(f"Invalid length for parameter {where}: {len(value)}, valid max length: {maximum}")
    elif isinstance(value, int) and not isinstance(value, bool) and value > maximum:
        out.append(f"Invalid value for parameter {where}: {value}, valid max value: {maximum}")


def _shape(name: str) -> Shape:
    return get_service_model("ecs").shape_for(name)


def model_errors(shape: Shape, value: Any) -> list[str]:
    """What is wrong with ``value`` for a shape of botocore's ECS model (empty if nothing)."""
    errors = ParamValidator().validate(value, shape)
    problems = errors.generate_report().splitlines() if errors.has_errors() else []
    _constraint_errors(value, shape, "", problems)
    return problems


def check_request(operation: str, params: Mapping[str, Any]) -> None:
    """Raise ECS's InvalidParameterException unless ``params`` fit the operation's input shape."""
    shape = get_service_model("ecs").operation_model(operation).input_shape
    problems = model_errors(shape, _plain(params))
    if problems:
        raise InvalidParameterException("; ".join(problems))


def check_response(operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``body`` as a plain dict; raise ECS's ServerException (a bug here) unless it fits the output shape."""
    shape = get_service_model("ecs").operation_model(operation).output_shape
    plain = cast(dict[str, Any], _plain(body))
    problems = model_errors(shape, plain)
    if problems:
        raise ECSException("ServerException", f"moto_ecs built an invalid {operation} response: {'; '.join(problems)}")
    return plain


def _plain(value: Any) -> Any:
    """Deep copy of parsed request data as plain dicts and lists, without ``None`` members."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------- state


@dataclass
class _Revision:
    arn: str
    task_definition: str
    requested: int
    running: int = 0
    pending: int = 0
    test_weight: float | None = None
    production_weight: float | None = None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "arn": self.arn,
            "requestedTaskCount": self.requested,
            "runningTaskCount": self.running,
            "pendingTaskCount": self.pending,
        }
        if self.test_weight is not None:
            out["requestedTestTrafficWeight"] = self.test_weight
        if self.production_weight is not None:
            out["requestedProductionTrafficWeight"] = self.production_weight
        return out


@dataclass
class _Deployment:
    arn: str
    service_arn: str
    cluster_arn: str
    configuration: dict[str, Any]
    target: _Revision
    sources: list[_Revision]
    created_at: datetime
    status: str
    status_reason: str
    ecs_deployment_id: str  # the matching entry of the service's ``deployments``
    updated_at: datetime = field(init=False)
    started_at: datetime = field(init=False)
    finished_at: datetime | None = None
    stopped_at: datetime | None = None
    lifecycle_stage: str | None = None
    hooks: list[dict[str, Any]] = field(default_factory=list)
    stage_index: int = 0
    hook_index: int = 0
    rollback: dict[str, Any] | None = None
    triggered_alarms: list[str] = field(default_factory=list)  # rollback alarms that went into ALARM

    def __post_init__(self) -> None:
        self.updated_at = self.started_at = self.created_at

    @property
    def strategy(self) -> str:
        return str(self.configuration.get("strategy", "ROLLING"))

    @property
    def staged(self) -> bool:
        return self.strategy != "ROLLING"

    def touch(self) -> datetime:
        self.updated_at = _now()
        return self.updated_at

    def brief(self) -> dict[str, Any]:
        out = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target.arn,
            "status": self.status,
            "statusReason": self.status_reason,
        }
        return {k: v for k, v in out.items() if v is not None}

    def full(self) -> dict[str, Any]:
        finished = self.status not in _UNFINISHED
        monitor = "MONITORING_COMPLETE" if finished else "MONITORING"
        breaker = self.configuration.get("deploymentCircuitBreaker") or {}
        alarms = self.configuration.get("alarms") or {}
        out: dict[str, Any] = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": [revision.summary() for revision in self.sources],
            "targetServiceRevision": self.target.summary(),
            "status": self.status,
            "statusReason": self.status_reason,
            "lifecycleStage": self.lifecycle_stage,
            "lifecycleHookDetails": copy.deepcopy(self.hooks) if self.hooks else None,
            "deploymentConfiguration": copy.deepcopy(self.configuration),
            "rollback": copy.deepcopy(self.rollback),
            "deploymentCircuitBreaker": {
                "status": monitor if breaker.get("enable") else "DISABLED",
                "failureCount": 0,
                "threshold": min(200, max(3, math.ceil(self.target.requested / 2))),
            },
            "alarms": {
                "status": ("TRIGGERED" if self.triggered_alarms else monitor) if alarms.get("enable") else "DISABLED",
                "alarmNames": list(alarms.get("alarmNames", [])),
                "triggeredAlarmNames": list(self.triggered_alarms),
            },
        }
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class _State:
    deployments: dict[str, _Deployment] = field(default_factory=dict)
    stable: dict[str, _Revision] = field(default_factory=dict)  # service ARN -> revision serving production


def _state(backend: EC2ContainerServiceBackend) -> _State:
    # Kept on the backend instance, so moto's reset (which clears the instance __dict__) clears it too.
    state = backend.__dict__.get(_STATE_ATTR)
    if state is None:
        state = backend.__dict__[_STATE_ATTR] = _State()
    return cast(_State, state)


ServiceDeployment = _Deployment  # the record an attached engine walks
Revision = _Revision

# (account, region) -> the engine driving that backend's deployments; its clock stamps the records.
_ENGINES: dict[tuple[str, str], Any] = {}
_CLOCKS: dict[tuple[str, str], Callable[[], datetime]] = {}
_STAMPS: dict[tuple[str, str], Callable[[], datetime]] = {}  # the clock when no engine's is attached


def attach_engine(account: str, region: str, engine: object, clock: Callable[[], datetime] | None = None) -> None:
    """From now on ``engine`` walks the service deployments of this backend (see the module docstring)."""
    with _LOCK:
        _ENGINES[(account, region)] = engine
        if clock is not None:
            _CLOCKS[(account, region)] = clock


def stamp_with(account: str, region: str, clock: Callable[[], datetime] | None) -> None:
    """Stamp this backend's records with ``clock`` (the offline stack's), engine or not: what the bot compares with
    its own clock must agree with it, as AWS's and Lambda's clocks do. ``None`` goes back to real time."""
    with _LOCK:
        if clock is None:
            _STAMPS.pop((account, region), None)
        else:
            _STAMPS[(account, region)] = clock


def detach_engine(account: str, region: str) -> None:
    with _LOCK:
        _ENGINES.pop((account, region), None)
        _CLOCKS.pop((account, region), None)


def _driven(backend: EC2ContainerServiceBackend) -> bool:
    return (backend.account_id, backend.region_name) in _ENGINES


def service_deployments(account: str, region: str) -> dict[str, _Deployment]:
    """The deployment records of one backend by ARN, in creation order (hold :data:`LOCK` while using them)."""
    return _state(ecs_backends[account][region]).deployments


def start_rollback(account: str, region: str, deployment: _Deployment, reason: str) -> None:
    """Roll ``deployment`` back as StopServiceDeployment(ROLLBACK) does, with ``reason`` as the why."""
    with _LOCK:
        _start_rollback(ecs_backends[account][region], deployment, reason)


def _now() -> datetime:
    # One engine's clock at a time in practice (the offline stack has one account and region).
    clock = next(iter(_CLOCKS.values()), None) or next(iter(_STAMPS.values()), None)
    now = clock() if clock is not None else datetime.now(UTC)
    now = now.astimezone(UTC)  # ECS (and the wire format) carry milliseconds; filters compare what clients saw
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _random_id(length: int = 22) -> str:
    return "".join(mock_random.choice(_ID_ALPHABET) for _ in range(length))


def _arn_prefix(backend: EC2ContainerServiceBackend) -> str:
    return f"arn:{get_partition(backend.region_name)}:ecs:{backend.region_name}:{backend.account_id}"


def _new_revision(backend: EC2ContainerServiceBackend, service: Service, task_definition: str) -> _Revision:
    number = mock_random.randint(10**18, 10**19 - 1)
    arn = f"{_arn_prefix(backend)}:service-revision/{service.cluster_name}/{service.name}/{number}"
    return _Revision(arn=arn, task_definition=task_definition, requested=service.desired_count)


def _new_deployment(
    backend: EC2ContainerServiceBackend,
    service: Service,
    target: _Revision,
    sources: list[_Revision],
    status: str,
    reason: str,
    ecs_deployment_id: str,
) -> _Deployment:
    deployment = _Deployment(
        arn=f"{_arn_prefix(backend)}:service-deployment/{service.cluster_name}/{service.name}/{_random_id()}",
        service_arn=service.arn,
        cluster_arn=service.cluster_arn,
        configuration=copy.deepcopy(_configuration(service)),
        target=target,
        sources=sources,
        created_at=_now(),
        status=status,
        status_reason=reason,
        ecs_deployment_id=ecs_deployment_id,
    )
    _state(backend).deployments[deployment.arn] = deployment
    return deployment


def _configuration(service: Service) -> dict[str, Any]:
    return cast(dict[str, Any], getattr(service, "deployment_configuration", None) or {})


def _with_defaults(configuration: Mapping[str, Any] | None) -> dict[str, Any]:
    """What ECS answers for a service created with ``configuration`` (its documented defaults filled in)."""
    out: dict[str, Any] = {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "strategy": "ROLLING",
    }
    out.update(_plain(configuration or {}))
    return out


def _check_configuration(configuration: Any) -> None:
    problems = model_errors(_shape("DeploymentConfiguration"), _plain(configuration))
    if problems:
        raise InvalidParameterException("deploymentConfiguration: " + "; ".join(problems))


# -------------------------------------------------------------------- the service's ``deployments`` list


def _ecs_deployment(service: Service, task_definition: str, rollout_state: str, reason: str) -> dict[str, Any]:
    now = _now()
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    return {
        "createdAt": now,
        "desiredCount": service.desired_count,
        "failedTasks": 0,
        "id": deployment_id,
        "launchType": service.launch_type,
        "pendingCount": service.desired_count if rollout_state == IN_PROGRESS else 0,
        "rolloutState": rollout_state,
        "rolloutStateReason": reason.replace("{id}", deployment_id),
        "runningCount": 0 if rollout_state == IN_PROGRESS else service.desired_count,
        "platformVersion": service.platform_version,
        "networkConfiguration": service.network_configuration or None,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": now,
    }


def _start_ecs_deployment(service: Service, task_definition: str) -> str:
    for entry in service.deployments:
        if entry.get("status") == "PRIMARY":
            entry["status"] = "ACTIVE"
            entry["updatedAt"] = _now()
    entry = _ecs_deployment(service, task_definition, IN_PROGRESS, "ECS deployment {id} in progress.")
    service.deployments.insert(0, entry)
    return str(entry["id"])


def _set_rollout(service: Service, deployment_id: str, state: str, reason: str) -> None:
    for entry in service.deployments:
        if entry.get("id") == deployment_id:
            entry["rolloutState"] = state
            entry["rolloutStateReason"] = reason
            entry["updatedAt"] = _now()
            if state == "COMPLETED":
                entry["runningCount"], entry["pendingCount"] = entry.get("desiredCount", 0), 0


def _finish_ecs_deployments(service: Service, primary_id: str) -> None:
    """The primary deployment completed: the other revisions are drained and disappear from the list."""
    service.deployments[:] = [entry for entry in service.deployments if entry.get("id") == primary_id]
    _set_rollout(service, primary_id, "COMPLETED", f"ECS deployment {primary_id} completed.")


def _service_of(backend: EC2ContainerServiceBackend, deployment: _Deployment) -> Service | None:
    for service in backend.services.values():
        if service.arn == deployment.service_arn:
            return service
    return None


# ----------------------------------------------------------------------------------------------- lifecycle


def _set_weights(deployment: _Deployment) -> None:
    if not deployment.staged:
        return
    stage = _STAGES[min(deployment.stage_index, len(_STAGES) - 1)]
    position = _STAGES.index(stage)
    test = 100.0 if position >= _STAGES.index("TEST_TRAFFIC_SHIFT") else 0.0
    production = 100.0 if position > _STAGES.index("PRODUCTION_TRAFFIC_SHIFT") else 0.0
    if stage == "PRODUCTION_TRAFFIC_SHIFT":
        if deployment.strategy == "CANARY":
            production = float(deployment.configuration.get("canaryConfiguration", {}).get("canaryPercent", 5.0))
        elif deployment.strategy == "LINEAR":
            production = float(deployment.configuration.get("linearConfiguration", {}).get("stepPercent", 10.0))
        else:
            production = 0.0
    deployment.target.test_weight, deployment.target.production_weight = test, production
    for source in deployment.sources:
        source.test_weight, source.production_weight = 100.0 - test, 100.0 - production
    scaled = position >= _STAGES.index("SCALE_UP")
    deployment.target.running = deployment.target.requested if scaled else 0
    deployment.target.pending = 0 if scaled else deployment.target.requested


def _advance(deployment: _Deployment) -> None:
    """Walk the lifecycle stages from the cursor until a PAUSE hook waits or BAKE_TIME is reached."""
    if not deployment.staged:
        return
    hooks = [hook for hook in deployment.configuration.get("lifecycleHooks", []) if isinstance(hook, dict)]
    bake = _STAGES.index("BAKE_TIME")
    while deployment.stage_index < bake:
        stage = _STAGES[deployment.stage_index]
        deployment.lifecycle_stage = _REPORTED_STAGE.get(stage, stage)
        _set_weights(deployment)
        at_stage = [hook for hook in hooks if stage in hook.get("lifecycleStages", [])]
        while deployment.hook_index < len(at_stage):
            hook = at_stage[deployment.hook_index]
            target_type = str(hook.get("targetType", "AWS_LAMBDA"))
            timeout = hook.get("timeoutConfiguration") or {}
            detail: dict[str, Any] = {
                "hookId": str(mock_random.uuid4()),
                "targetType": target_type,
                "status": "AWAITING_ACTION" if target_type == "PAUSE" else "SUCCEEDED",
                "expiresAt": _now() + timedelta(minutes=int(timeout.get("timeoutInMinutes", 1440))),
                "timeoutAction": str(timeout.get("action", "ROLLBACK")),
            }
            if hook.get("hookTargetArn"):
                detail["targetArn"] = hook["hookTargetArn"]
            deployment.hooks.append(detail)
            deployment.touch()
            if target_type == "PAUSE":
                return  # ContinueServiceDeployment moves the cursor on
            deployment.hook_index += 1  # Lambda hooks are not invoked here; they succeed at once
        deployment.stage_index += 1
        deployment.hook_index = 0
    deployment.lifecycle_stage = "BAKE_TIME"
    _set_weights(deployment)


def _start_rollback(backend: EC2ContainerServiceBackend, deployment: _Deployment, reason: str) -> None:
    now = deployment.touch()
    stable = deployment.sources[0] if deployment.sources else deployment.target
    deployment.status = ROLLBACK_IN_PROGRESS
    deployment.status_reason = reason
    deployment.rollback = {"reason": reason, "startedAt": now, "serviceRevisionArn": stable.arn}
    if deployment.staged:
        deployment.target.test_weight = deployment.target.production_weight = 0.0
        for source in deployment.sources:
            source.test_weight = source.production_weight = 100.0
    for hook in deployment.hooks:
        if hook["status"] == "AWAITING_ACTION":
            hook["status"] = "FAILED"
    service = _service_of(backend, deployment)
    if service is not None:
        _set_rollout(service, deployment.ecs_deployment_id, "FAILED", f"ECS deployment rolled back: {reason}")
        service.task_definition = stable.task_definition
        deployment.ecs_deployment_id = _start_ecs_deployment(service, stable.task_definition)


def _stop(deployment: _Deployment, reason: str) -> None:
    now = deployment.touch()
    deployment.status, deployment.status_reason = STOPPED, reason
    deployment.stopped_at = deployment.finished_at = now
    for hook in deployment.hooks:
        if hook["status"] == "AWAITING_ACTION":
            hook["status"] = "FAILED"


# ----------------------------------------------------------------------------------------- backend events


def _on_service_created(backend: EC2ContainerServiceBackend, service: Service) -> None:
    state = _state(backend)
    for arn in [arn for arn, d in state.deployments.items() if d.service_arn == service.arn]:
        del state.deployments[arn]  # moto replaces a service on a repeated CreateService; so does its history
    state.stable.pop(service.arn, None)
    if not service.task_definition or service.deployment_controller.get("type", "ECS") != "ECS":
        return
    target = _new_revision(backend, service, service.task_definition)
    target.running = target.requested
    if _configuration(service).get("strategy", "ROLLING") != "ROLLING":
        target.test_weight = target.production_weight = 100.0
    state.stable[service.arn] = target
    ecs_id = str(service.deployments[0]["id"]) if service.deployments else ""
    deployment = _new_deployment(
        backend, service, target, [], SUCCESSFUL, "Service deployment completed successfully.", ecs_id
    )
    deployment.finished_at = deployment.created_at


def _on_new_deployment(backend: EC2ContainerServiceBackend, service: Service, saved: list[dict[str, Any]]) -> None:
    """UpdateService changed the task definition or forced a new deployment."""
    state = _state(backend)
    service.deployments[:] = saved  # undo moto's in-place id change of the primary on forceNewDeployment
    stable = state.stable.get(service.arn)
    sources = [copy.deepcopy(stable)] if stable else []
    for earlier in state.deployments.values():
        if earlier.service_arn == service.arn and earlier.status in _UNFINISHED:
            if earlier.target.arn not in {s.arn for s in sources} and earlier.status == IN_PROGRESS:
                sources.append(copy.deepcopy(earlier.target))
            _stop(earlier, "Service deployment was superseded by a newer service deployment.")
    ecs_id = _start_ecs_deployment(service, str(service.task_definition))
    target = _new_revision(backend, service, str(service.task_definition))
    target.pending = target.requested
    for source in sources:
        source.requested = source.running = service.desired_count
        source.pending = 0
    deployment = _new_deployment(backend, service, target, sources, IN_PROGRESS, "", ecs_id)
    deployment.status_reason = "Service deployment in progress."
    deployment.stage_index = 0 if len(sources) > 1 else _STAGES.index("PRE_SCALE_UP")
    if _driven(backend):  # the engine walks it on the clock; until then it is where it starts
        if deployment.staged:
            deployment.lifecycle_stage = _STAGES[deployment.stage_index]
            _set_weights(deployment)
        return
    _advance(deployment)


def complete_service_deployment(region: str, arn: str) -> str:
    """Finish a service deployment as ECS would once its tasks are healthy; returns the final status.

    IN_PROGRESS becomes SUCCESSFUL (the target revision serves production), ROLLBACK_IN_PROGRESS /
    ROLLBACK_REQUESTED become ROLLBACK_SUCCESSFUL, STOP_REQUESTED becomes STOPPED. A deployment paused at a
    lifecycle hook completes too (its waiting hooks count as continued). Raises KeyError for an unknown ARN
    and ValueError for a deployment that already finished.
    """
    parts = arn.split(":")
    if len(parts) < 6 or parts[3] != region:
        raise KeyError(f"not a service deployment ARN in {region}: {arn}")
    backend = ecs_backends[parts[4]][region]
    with _LOCK:
        state = _state(backend)
        deployment = state.deployments.get(arn)
        if deployment is None:
            raise KeyError(f"no such service deployment: {arn}")
        service = _service_of(backend, deployment)
        now = deployment.touch()
        if deployment.status == IN_PROGRESS:
            for hook in deployment.hooks:
                if hook["status"] == "AWAITING_ACTION":
                    hook["status"] = "SUCCEEDED"
            deployment.status, deployment.status_reason = SUCCESSFUL, "Service deployment completed successfully."
            if deployment.staged:
                deployment.stage_index = len(_STAGES)
                deployment.lifecycle_stage = "CLEAN_UP"
                deployment.target.test_weight = deployment.target.production_weight = 100.0
            deployment.target.running, deployment.target.pending = deployment.target.requested, 0
            for source in deployment.sources:
                source.running = source.pending = source.requested = 0
                if deployment.staged:
                    source.test_weight = source.production_weight = 0.0
            state.stable[deployment.service_arn] = copy.deepcopy(deployment.target)
        elif deployment.status in {ROLLBACK_IN_PROGRESS, ROLLBACK_REQUESTED}:
            # The reason stays the why (which hook, alarm or request), as ECS keeps it once rolled back.
            why = str((deployment.rollback or {}).get("reason") or "Service deployment rolled back.")
            deployment.status, deployment.status_reason = ROLLBACK_SUCCESSFUL, why
            deployment.target.running = deployment.target.pending = deployment.target.requested = 0
        elif deployment.status == STOP_REQUESTED:
            deployment.status, deployment.status_reason = STOPPED, "Service deployment stopped."
            deployment.stopped_at = now
        else:
            raise ValueError(f"service deployment {arn} already finished: {deployment.status}")
        deployment.finished_at = now
        if service is not None and deployment.status != STOPPED:
            _finish_ecs_deployments(service, deployment.ecs_deployment_id)
        return deployment.status


# ---------------------------------------------------------------------------------------------- operations


def _find(backend: EC2ContainerServiceBackend, arn: str) -> _Deployment:
    if ":service-deployment/" not in arn:
        raise InvalidParameterException(f"Invalid service deployment ARN: {arn}")
    deployment = _state(backend).deployments.get(arn)
    if deployment is None:
        raise ECSException("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")
    return deployment


def _list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    params = _plain(self._get_params())
    check_request("ListServiceDeployments", params)
    service_ref = str(params["service"])
    cluster_ref = params.get("cluster")
    if cluster_ref is None:
        # A long service ARN names its cluster: ...:service/<cluster>/<service>
        path = service_ref.split(":service/", 1)[-1].split("/") if ":service/" in service_ref else []
        cluster_ref = path[0] if len(path) == 2 else "default"
    page_size = int(params.get("maxResults", _DEFAULT_PAGE))
    if not 1 <= page_size <= _MAX_PAGE:
        raise InvalidParameterException(f"maxResults must be between 1 and {_MAX_PAGE}.")
    offset = _decode_token(params.get("nextToken"))
    backend = self.ecs_backend
    with _LOCK:
        service = backend._get_service(str(cluster_ref), service_ref)  # ClusterNotFound / ServiceNotFound
        wanted = set(params.get("status", []))
        created = params.get("createdAt", {})
        before, after = _aware(created.get("before")), _aware(created.get("after"))
        found = [
            d
            for d in _state(backend).deployments.values()
            if d.service_arn == service.arn
            and (not wanted or d.status in wanted)
            and (before is None or d.created_at < before)
            and (after is None or d.created_at > after)
        ]
        found.reverse()  # newest first (records are kept in creation order)
        page = found[offset : offset + page_size]
        body: dict[str, Any] = {"serviceDeployments": [d.brief() for d in page]}
    if offset + page_size < len(found):
        body["nextToken"] = _encode_token(offset + page_size)
    return ActionResult(check_response("ListServiceDeployments", body))


def _describe_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    params = _plain(self._get_params())
    check_request("DescribeServiceDeployments", params)
    arns = [str(arn) for arn in params["serviceDeploymentArns"]]
    if not arns or len(arns) > _MAX_DESCRIBE:
        raise InvalidParameterException(f"serviceDeploymentArns must hold 1 to {_MAX_DESCRIBE} ARNs.")
    backend = self.ecs_backend
    found, failures = [], []
    with _LOCK:
        deployments = _state(backend).deployments
        for arn in arns:
            if arn in deployments:
                found.append(deployments[arn].full())
            else:
                failures.append({"arn": arn, "reason": "MISSING"})
    body = {"serviceDeployments": found, "failures": failures}
    return ActionResult(check_response("DescribeServiceDeployments", body))


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    params = _plain(self._get_params())
    check_request("StopServiceDeployment", params)
    arn = str(params["serviceDeploymentArn"])
    stop_type = str(params.get("stopType", "ROLLBACK"))
    backend = self.ecs_backend
    with _LOCK:
        deployment = _find(backend, arn)
        if deployment.status not in _STOPPABLE:
            raise ECSException(
                "ConflictException",
                f"The service deployment {arn} is {deployment.status} and can no longer be stopped.",
            )
        if deployment.status in {"PENDING", IN_PROGRESS}:
            if stop_type == "ROLLBACK":
                _start_rollback(
                    backend, deployment, "Service deployment rolled back: stopped by the user (StopServiceDeployment)."
                )
            else:
                _stop(deployment, "Service deployment stopped because of a stop request.")
                service = _service_of(backend, deployment)
                if service is not None:
                    _set_rollout(service, deployment.ecs_deployment_id, "FAILED", "ECS deployment stopped.")
        # STOP_REQUESTED / ROLLBACK_*: already stopping, which simply continues.
    return ActionResult(check_response("StopServiceDeployment", {"serviceDeploymentArn": arn}))


def _continue_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    params = _plain(self._get_params())
    check_request("ContinueServiceDeployment", params)
    arn, hook_id = str(params["serviceDeploymentArn"]), str(params["hookId"])
    action = str(params.get("action", "CONTINUE"))
    backend = self.ecs_backend
    with _LOCK:
        deployment = _find(backend, arn)
        waiting = [h for h in deployment.hooks if h["hookId"] == hook_id and h["status"] == "AWAITING_ACTION"]
        if deployment.status != IN_PROGRESS or not waiting:
            raise InvalidParameterException(
                f"The service deployment {arn} is not paused at lifecycle hook {hook_id} ({deployment.status})."
            )
        if action == "ROLLBACK":
            waiting[0]["status"] = "FAILED"
            reason = (
                f"Service deployment rolled back at lifecycle hook {hook_id} ({deployment.lifecycle_stage}): "
                "ContinueServiceDeployment asked for ROLLBACK."
            )
            _start_rollback(backend, deployment, reason)
        else:
            waiting[0]["status"] = "SUCCEEDED"
            deployment.touch()
            if not _driven(backend):  # an attached engine moves on when it next acts
                deployment.hook_index += 1
                _advance(deployment)
    return ActionResult(check_response("ContinueServiceDeployment", {"serviceDeploymentArn": arn}))


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"moto-ecs:{offset}".encode()).decode()


def _decode_token(token: Any) -> int:
    if token is None:
        return 0
    try:
        prefix, _, offset = base64.urlsafe_b64decode(str(token).encode()).decode().partition(":")
        if prefix == "moto-ecs" and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidParameterException("Invalid nextToken.")


# ------------------------------------------------------------------------------------------------- install


def install() -> None:
    """Patch moto's ECS classes in this process (idempotent). Affects every later mock_aws and moto server."""
    with _LOCK:
        if getattr(EC2ContainerServiceResponse, _INSTALLED_FLAG, False):
            return
        original_create: Callable[[EC2ContainerServiceResponse], ActionResult] = (
            EC2ContainerServiceResponse.create_service
        )
        original_update: Callable[[EC2ContainerServiceBackend, dict[str, Any]], Service] = (
            EC2ContainerServiceBackend.update_service
        )

        def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
            configuration = self._get_param("deploymentConfiguration")
            if configuration is not None:
                _check_configuration(configuration)
            result = original_create(self)
            service = cast(dict[str, Service], result.result)["service"]
            with _LOCK:
                service.deployment_configuration = _with_defaults(configuration)  # type: ignore[attr-defined]
                _on_service_created(self.ecs_backend, service)
            return result

        def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
            configuration = service_properties.get("deployment_configuration")
            if configuration is not None:
                _check_configuration(configuration)
            force = bool(service_properties.get("force_new_deployment"))
            requested_definition = service_properties.get("task_definition")
            try:
                before = self._get_service(
                    str(service_properties.get("cluster", "default")), str(service_properties["service"])
                )
            except (ECSException, KeyError):
                return original_update(self, service_properties)  # moto raises the proper error
            with _LOCK:
                old_configuration = copy.deepcopy(_configuration(before))
                old_definition = before.task_definition
                saved = copy.deepcopy(before.deployments)
                service = original_update(self, service_properties)
                if configuration is not None:
                    service.deployment_configuration = {  # type: ignore[attr-defined]
                        **(old_configuration or _with_defaults(None)),
                        **_plain(configuration),
                    }
                if requested_definition:
                    # moto stores the string as given (family:revision); ECS answers with the full ARN.
                    service.task_definition = self.describe_task_definition(str(requested_definition)).arn
                changed = service.task_definition != old_definition
                if (changed or force) and service.task_definition and service.deployment_controller["type"] == "ECS":
                    _on_new_deployment(self, service, saved)
                return service

        responses = {
            "create_service": create_service,
            "list_service_deployments": _list_service_deployments,
            "describe_service_deployments": _describe_service_deployments,
            "stop_service_deployment": _stop_service_deployment,
            "continue_service_deployment": _continue_service_deployment,
        }
        for name, method in responses.items():
            setattr(EC2ContainerServiceResponse, name, method)
        setattr(EC2ContainerServiceBackend, "update_service", update_service)  # noqa: B010
        setattr(EC2ContainerServiceResponse, _INSTALLED_FLAG, True)
