"""ECS service deployments on the replica's clock: what ECS does between UpdateService and SUCCESSFUL.

``devtools.moto_ecs`` records deployments; once :meth:`Deployments.engage` attaches this engine to the backend,
moto_ecs stops walking them itself and the engine does, on the clock (the ``Simulated`` protocol):

- the lifecycle stages of the strategy: BLUE_GREEN shifts production traffic at once; CANARY and LINEAR shift it in
  steps (``canaryConfiguration`` / ``linearConfiguration``), baking between steps, with the
  PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT hooks fired at every step; SCALE_UP takes
  ``scale_up``; ``bakeTimeInMinutes`` after production traffic shifted; then SUCCESSFUL (the target becomes stable);
- AWS_LAMBDA hooks invoked through ``invoke`` with the payload ECS sends (the developer guide's "Lambda hooks for
  Amazon ECS service deployments"), again after ``callBackDelay`` while they answer IN_PROGRESS; PAUSE hooks
  waiting for ContinueServiceDeployment; both timing out per ``timeoutConfiguration``;
- rollbacks (a hook FAILED or unanswerable, a timeout with action ROLLBACK, StopServiceDeployment(ROLLBACK),
  ContinueServiceDeployment(ROLLBACK), a rollback alarm in ALARM read from moto's CloudWatch backend): the
  TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT Lambda hooks are invoked again with the traffic back on the source
  revision, then ROLLBACK_SUCCESSFUL after ``rollback``;
- the EventBridge events "ECS Hook State Change" and "ECS Deployment State Change", appended to ``events`` and
  handed to ``emit`` if set.

Changes made through the API between two stops of the clock (a new deployment, a stop, a continue, an alarm) are
picked up 1 ms later. Never holds moto_ecs's lock while invoking a hook or emitting an event, because both may
call the moto server back. Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from moto.cloudwatch.models import cloudwatch_backends

from devtools import moto_ecs
from devtools.moto_ecs import ServiceDeployment

Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]
Emit = Callable[[dict[str, Any]], None]
Steps = Generator[datetime | None, None, None]  # yields when to resume (None: only when replaced)

SCALE_UP: Final = timedelta(seconds=30)
ROLLBACK: Final = timedelta(seconds=60)
CALLBACK_DELAY: Final = 30  # seconds, when an IN_PROGRESS answer gives no valid callBackDelay
_NUDGE: Final = timedelta(milliseconds=1)  # how soon a change made through the API is acted on
_MAX_RESUMES: Final = 10_000
# ECS's documented defaults for canaryConfiguration; linearConfiguration's are the replica's choice.
_CANARY_PERCENT, _CANARY_BAKE = 5.0, 10
_LINEAR_STEP, _LINEAR_BAKE = 10.0, 6


def _iso(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


def _ms(at: datetime) -> datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


@dataclass
class _Run:
    deployment: ServiceDeployment
    rolling_back: bool
    ecs_id: str  # the service's ``deployments`` entry this run reports on
    steps: Steps | None = None
    due: datetime | None = None
    waiting: dict[str, Any] | None = None  # a PAUSE hook awaiting ContinueServiceDeployment
    hook: tuple[dict[str, Any], str] | None = None  # the hook being run and its stage


class Deployments:
    """The service deployments of one account and region of the in-process moto backend."""

    def __init__(
        self,
        account: str,
        region: str,
        invoke: Invoke | None = None,
        emit: Emit | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        scale_up: timedelta = SCALE_UP,
        rollback: timedelta = ROLLBACK,
    ) -> None:
        self.account, self.region = account, region
        self.invoke = invoke  # how an AWS_LAMBDA hook is invoked: (function ARN, payload) -> answer
        self.emit = emit  # called with each event after it is appended to ``events``
        self.clock = clock  # stamps moto_ecs's records while engaged (the replica's clock)
        self.scale_up, self.rollback = scale_up, rollback
        self.events: list[dict[str, Any]] = []
        self.invocations: list[tuple[datetime, str, dict[str, Any]]] = []  # (when, function ARN, payload)
        self.engaged = False
        self._runs: dict[str, _Run] = {}
        self._seen: set[str] = set()  # deployments finished, or already there when engaged
        self._outbox: list[dict[str, Any]] = []
        self._at = datetime.now(UTC)  # the instant the engine is acting at

    # ------------------------------------------------------------------------------------------ attachment

    def engage(self) -> None:
        """Drive this backend's deployments from now on; the ones already recorded keep their state."""
        with moto_ecs.LOCK:
            self._seen.update(moto_ecs.service_deployments(self.account, self.region))
            moto_ecs.attach_engine(self.account, self.region, self, self.clock)
            self.engaged = True

    def disengage(self) -> None:
        with moto_ecs.LOCK:
            moto_ecs.detach_engine(self.account, self.region)
            self.engaged = False
            self._runs.clear()

    # ------------------------------------------------------------------------------------------- Simulated

    def next_due(self, after: datetime) -> datetime | None:
        if not self.engaged:
            return None
        with moto_ecs.LOCK:
            if self._changed():
                return after + _NUDGE
            dues = [run.due for run in self._runs.values() if run.due is not None]
        if any(due <= after for due in dues):
            return after + _NUDGE
        return min(dues, default=None)

    def act(self, since: datetime, now: datetime) -> None:  # noqa: ARG002 - the runs keep their own times
        if not self.engaged:
            return
        for _ in range(_MAX_RESUMES):
            self._scan(now)
            self._flush()
            ready = [(self._when(run, now), arn) for arn, run in self._runs.items() if self._ready(run, now)]
            if not ready:
                return
            self._at, arn = min(ready)
            self._resume(self._runs[arn])
            self._flush()
        raise RuntimeError(f"the deployments did not settle at {now.isoformat()} in {_MAX_RESUMES} steps")

    @staticmethod
    def _ready(run: _Run, now: datetime) -> bool:
        woken = run.waiting is not None and run.waiting["status"] != "AWAITING_ACTION"
        return woken or (run.due is not None and run.due <= now)

    @staticmethod
    def _when(run: _Run, now: datetime) -> datetime:
        return run.due if run.due is not None and run.due <= now else now

    def _resume(self, run: _Run) -> None:
        assert run.steps is not None
        try:
            run.due = next(run.steps)
        except StopIteration:
            self._runs.pop(run.deployment.arn, None)
            self._seen.add(run.deployment.arn)

    # ---------------------------------------------------------------------------- what changed elsewhere

    def _records(self) -> dict[str, ServiceDeployment]:
        return moto_ecs.service_deployments(self.account, self.region)

    def _changed(self) -> bool:
        """Whether :meth:`_scan` has something to do or a PAUSE hook was answered (hold the lock)."""
        records = self._records()
        for arn, record in records.items():
            run = self._runs.get(arn)
            if run is None:
                if arn not in self._seen:
                    return True
                continue
            replaced = run.deployment is not record or record.status != self._expected(run)
            answered = run.waiting is not None and run.waiting["status"] != "AWAITING_ACTION"
            if replaced or answered or (not run.rolling_back and self._alarm(record)):
                return True
        return any(arn not in records for arn in self._runs)

    @staticmethod
    def _expected(run: _Run) -> str:
        return moto_ecs.ROLLBACK_IN_PROGRESS if run.rolling_back else moto_ecs.IN_PROGRESS

    def _scan(self, now: datetime) -> None:
        """Start runs for new deployments, and follow what the API did to the others (stops, rollbacks, alarms)."""
        self._at = now
        with moto_ecs.LOCK:
            records = self._records()
            for arn in [arn for arn, run in self._runs.items() if records.get(arn) is not run.deployment]:
                del self._runs[arn]  # moto was reset
            for arn, record in records.items():
                run = self._runs.get(arn)
                if run is None:
                    if arn in self._seen:
                        continue
                    if record.status == moto_ecs.IN_PROGRESS:
                        self._start(record, rolling_back=False)
                    elif record.status == moto_ecs.ROLLBACK_IN_PROGRESS:
                        self._start(record, rolling_back=True)
                    else:
                        self._seen.add(arn)
                    continue
                if not run.rolling_back and record.status == moto_ecs.IN_PROGRESS:
                    alarm = self._alarm(record)
                    if alarm is None:
                        continue
                    record.triggered_alarms.append(alarm)
                    moto_ecs.start_rollback(
                        self.account,
                        self.region,
                        record,
                        f"Service deployment rolled back: the rollback alarm {alarm} went into ALARM.",
                    )
                if record.status != self._expected(run):
                    self._interrupted(run)

    def _start(self, record: ServiceDeployment, *, rolling_back: bool) -> None:
        run = _Run(record, rolling_back, record.ecs_deployment_id, due=self._at)
        run.steps = self._backward(run) if rolling_back else self._forward(run)
        self._runs[record.arn] = run
        self._deployment_event(run, "SERVICE_DEPLOYMENT_IN_PROGRESS", f"ECS deployment {run.ecs_id} in progress.")

    def _interrupted(self, run: _Run) -> None:
        """The API changed the deployment under a run: report it, and start the rollback if one began."""
        record = run.deployment
        if run.hook is not None:
            detail, stage = run.hook
            if detail["status"] == "IN_PROGRESS":
                detail["status"] = "FAILED"
            if detail["status"] == "FAILED":
                self._hook_event(run, detail, stage, "HOOK_FAILED")
        assert run.steps is not None
        run.steps.close()
        del self._runs[record.arn]
        if record.status == moto_ecs.SUCCESSFUL:
            self._deployment_event(run, "SERVICE_DEPLOYMENT_COMPLETED", f"ECS deployment {run.ecs_id} completed.")
        elif not run.rolling_back:
            self._deployment_event(run, "SERVICE_DEPLOYMENT_FAILED", record.status_reason)
        if record.status == moto_ecs.ROLLBACK_IN_PROGRESS and not run.rolling_back:
            self._start(record, rolling_back=True)
        else:
            self._seen.add(record.arn)

    def _alarm(self, record: ServiceDeployment) -> str | None:
        """The first of the deployment's rollback alarms in ALARM, read from moto's CloudWatch in this process."""
        alarms = record.configuration.get("alarms") or {}
        if not (alarms.get("enable") and alarms.get("rollback")):
            return None
        known = cloudwatch_backends[self.account][self.region].alarms
        for name in alarms.get("alarmNames", []):
            alarm = known.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                return str(name)
        return None

    # -------------------------------------------------------------------------------------------- the walk

    def _forward(self, run: _Run) -> Steps:
        record = run.deployment
        if not record.staged:  # ROLLING: the new tasks start, the old ones drain
            yield self._at + self.scale_up
            self._finish(run)
            return
        if len(record.sources) > 1:
            self._enter(record, "RECONCILE_SERVICE", test=0.0, production=0.0)
            yield from self._hooks_or_rollback(run, "RECONCILE_SERVICE", {}, {})
        for stage in ("PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"):
            tested = stage in {"TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"}
            self._enter(record, stage, test=100.0 if tested else 0.0, production=0.0)
            if stage == "SCALE_UP":
                yield self._at + self.scale_up
                with moto_ecs.LOCK:
                    record.target.running, record.target.pending = record.target.requested, 0
                continue
            test = self._weights(record, 100.0) if stage == "TEST_TRAFFIC_SHIFT" else {}
            yield from self._hooks_or_rollback(run, stage, test, {})
        percents, step_bake = self._steps(record)
        shifted = 0.0
        for index, percent in enumerate(percents):
            shown = "POST_TEST_TRAFFIC_SHIFT" if index == 0 else "PRODUCTION_TRAFFIC_SHIFT"
            self._enter(record, "PRE_PRODUCTION_TRAFFIC_SHIFT", shown, test=100.0, production=shifted)
            yield from self._hooks_or_rollback(run, "PRE_PRODUCTION_TRAFFIC_SHIFT", {}, self._weights(record, shifted))
            self._enter(record, "PRODUCTION_TRAFFIC_SHIFT", test=100.0, production=percent)
            shifted = percent
            yield from self._hooks_or_rollback(run, "PRODUCTION_TRAFFIC_SHIFT", {}, self._weights(record, percent))
            if percent < 100.0:
                yield self._at + step_bake
        self._enter(record, "POST_PRODUCTION_TRAFFIC_SHIFT", test=100.0, production=100.0)
        yield from self._hooks_or_rollback(run, "POST_PRODUCTION_TRAFFIC_SHIFT", {}, {})
        self._enter(record, "BAKE_TIME", test=100.0, production=100.0)
        yield self._at + timedelta(minutes=int(record.configuration.get("bakeTimeInMinutes", 0) or 0))
        self._finish(run)

    def _backward(self, run: _Run) -> Steps:
        """A rollback: the traffic-shift hooks see the traffic go back to the source revision, then it is done.

        A hook failing during a rollback cannot stop it; its status says so and the rollback goes on."""
        record = run.deployment
        if record.staged:
            back = self._weights(record, 0.0)
            for stage in ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"):
                self._enter(record, stage)
                test, production = (back, {}) if stage == "TEST_TRAFFIC_SHIFT" else ({}, back)
                yield from self._hooks(run, stage, test, production, lambda_only=True)
        yield self._at + self.rollback
        self._finish(run)

    def _finish(self, run: _Run) -> None:
        """SUCCESSFUL or ROLLBACK_SUCCESSFUL, exactly as :func:`moto_ecs.complete_service_deployment` does it."""
        moto_ecs.complete_service_deployment(self.region, run.deployment.arn)
        run.ecs_id = run.deployment.ecs_deployment_id
        self._deployment_event(run, "SERVICE_DEPLOYMENT_COMPLETED", f"ECS deployment {run.ecs_id} completed.")

    def _enter(
        self,
        record: ServiceDeployment,
        stage: str,
        shown: str | None = None,
        *,
        test: float | None = None,
        production: float | None = None,
    ) -> None:
        with moto_ecs.LOCK:
            record.lifecycle_stage = shown or stage
            if test is not None and production is not None:
                record.target.test_weight, record.target.production_weight = test, production
                for source in record.sources:
                    source.test_weight, source.production_weight = 100.0 - test, 100.0 - production
            record.touch()

    @staticmethod
    def _steps(record: ServiceDeployment) -> tuple[list[float], timedelta]:
        """The production traffic percentages after each shift, and the bake time between two shifts."""
        configuration = record.configuration
        if record.strategy == "CANARY":
            canary = configuration.get("canaryConfiguration") or {}
            first = float(canary.get("canaryPercent", _CANARY_PERCENT))
            percents, bake = [first, 100.0], int(canary.get("canaryBakeTimeInMinutes", _CANARY_BAKE))
        elif record.strategy == "LINEAR":
            linear = configuration.get("linearConfiguration") or {}
            step = float(linear.get("stepPercent", _LINEAR_STEP))
            count = math.ceil(100.0 / step)
            percents = [min(100.0, round(step * (i + 1), 1)) for i in range(count)]
            bake = int(linear.get("stepBakeTimeInMinutes", _LINEAR_BAKE))
        else:
            percents, bake = [100.0], 0
        return sorted(set(percents)), timedelta(minutes=bake)

    @staticmethod
    def _weights(record: ServiceDeployment, green: float) -> dict[str, float | int]:
        """Traffic weights as the hook payload carries them: service revision ARN -> percent."""
        out: dict[str, float | int] = {record.target.arn: _number(green)}
        for source in record.sources:
            out.setdefault(source.arn, _number(100.0 - green))
        return out

    # ----------------------------------------------------------------------------------------------- hooks

    def _hooks_or_rollback(
        self, run: _Run, stage: str, test: dict[str, Any], production: dict[str, Any]
    ) -> Generator[datetime | None, None, None]:
        failure = yield from self._hooks(run, stage, test, production)
        if failure is None:
            return
        moto_ecs.start_rollback(self.account, self.region, run.deployment, f"Service deployment rolled back: {failure}")
        while True:
            yield None  # the next scan sees the rollback and replaces this run

    def _hooks(
        self, run: _Run, stage: str, test: dict[str, Any], production: dict[str, Any], *, lambda_only: bool = False
    ) -> Generator[datetime | None, None, str | None]:
        """Run the hooks registered at ``stage`` in order; the first failure's reason, or None."""
        for hook in run.deployment.configuration.get("lifecycleHooks", []):
            if not isinstance(hook, dict) or stage not in hook.get("lifecycleStages", []):
                continue
            if lambda_only and hook.get("targetType") == "PAUSE":
                continue
            failure = yield from self._hook(run, hook, stage, test, production)
            if failure is not None:
                return failure
        return None

    def _hook(
        self, run: _Run, hook: dict[str, Any], stage: str, test: dict[str, Any], production: dict[str, Any]
    ) -> Generator[datetime | None, None, str | None]:
        record = run.deployment
        kind = str(hook.get("targetType", "AWS_LAMBDA"))
        timeout = hook.get("timeoutConfiguration") or {}
        minutes = int(timeout.get("timeoutInMinutes", 1440))
        expires = self._at + timedelta(minutes=minutes)
        detail: dict[str, Any] = {
            "hookId": str(uuid.uuid4()),
            "targetType": kind,
            "status": "AWAITING_ACTION" if kind == "PAUSE" else "IN_PROGRESS",
            "expiresAt": _ms(expires),
            "timeoutAction": str(timeout.get("action", "ROLLBACK")),
        }
        if hook.get("hookTargetArn"):
            detail["targetArn"] = str(hook["hookTargetArn"])
        name = f"{detail['hookId']} ({kind}{' ' + detail['targetArn'] if 'targetArn' in detail else ''}) at {stage}"
        with moto_ecs.LOCK:
            record.hooks.append(detail)
            record.touch()
        run.hook = (detail, stage)
        self._hook_event(run, detail, stage, "HOOK_AWAITING_ACTION" if kind == "PAUSE" else "HOOK_IN_PROGRESS")
        if kind == "PAUSE":
            run.waiting = detail
            while detail["status"] == "AWAITING_ACTION" and self._at < expires:
                yield expires
            run.waiting = None
            if detail["status"] == "SUCCEEDED":  # ContinueServiceDeployment(CONTINUE)
                return self._hook_done(run, detail, stage, None)
            if detail["status"] != "AWAITING_ACTION":  # rolled back through the API; the next scan takes over
                while True:
                    yield None
            return self._timed_out(run, detail, stage, name, minutes)
        configured = dict(hook.get("hookDetails") or {})
        carried = copy.deepcopy(configured)
        while True:
            payload: dict[str, Any] = {
                "executionId": str(uuid.uuid4()),
                "lifecycleStage": stage,
                "resourceArn": record.arn,
                "executionDetails": {
                    "serviceArn": record.service_arn,
                    "targetServiceRevisionArn": record.target.arn,
                    "testTrafficWeights": dict(test),
                    "productionTrafficWeights": dict(production),
                },
            }
            if carried:
                payload["hookDetails"] = copy.deepcopy(carried)
            answer, problem = self._call(str(hook.get("hookTargetArn", "")), payload)
            status = answer.get("hookStatus")
            if status == "SUCCEEDED":
                return self._hook_done(run, detail, stage, None)
            if status == "FAILED":
                return self._hook_done(run, detail, stage, f"the lifecycle hook {name} answered FAILED.")
            if status != "IN_PROGRESS":
                why = problem or f"hookStatus {status!r}"
                return self._hook_done(run, detail, stage, f"the lifecycle hook {name} gave no valid answer ({why}).")
            delay = answer.get("callBackDelay", CALLBACK_DELAY)
            if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
                delay = CALLBACK_DELAY
            returned = answer.get("hookDetails")
            carried = {**copy.deepcopy(configured), **(returned if isinstance(returned, dict) else {})}
            again = self._at + timedelta(seconds=delay)
            if again >= expires:
                yield expires
                return self._timed_out(run, detail, stage, name, minutes)
            yield again

    def _call(self, function_arn: str, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Invoke the hook; its answer, or {} and what went wrong."""
        self._flush()
        self.invocations.append((self._at, function_arn, copy.deepcopy(payload)))
        if self.invoke is None:
            return {}, "no invoke is configured for AWS_LAMBDA hooks"
        try:
            answer = self.invoke(function_arn, payload)
        except Exception as exc:  # a crashing hook rolls back, as in ECS
            return {}, f"the invoke raised {type(exc).__name__}: {str(exc)[:200]}"
        if not isinstance(answer, dict):
            return {}, "the answer is not a JSON object"
        return answer, ""

    def _hook_done(self, run: _Run, detail: dict[str, Any], stage: str, failure: str | None) -> str | None:
        with moto_ecs.LOCK:
            detail["status"] = "SUCCEEDED" if failure is None else "FAILED"
            run.deployment.touch()
        run.hook = None
        self._hook_event(run, detail, stage, f"HOOK_{detail['status']}")
        return failure

    def _timed_out(self, run: _Run, detail: dict[str, Any], stage: str, name: str, minutes: int) -> str | None:
        with moto_ecs.LOCK:
            detail["status"] = "TIMED_OUT"
            run.deployment.touch()
        run.hook = None
        self._hook_event(run, detail, stage, "HOOK_TIMED_OUT")
        if detail["timeoutAction"] == "CONTINUE":
            return None
        return f"the lifecycle hook {name} timed out after {minutes} minutes."

    # ---------------------------------------------------------------------------------------------- events

    def _envelope(self, detail_type: str, resources: list[str], detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aws.ecs",
            "account": self.account,
            "time": f"{self._at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
            "region": self.region,
            "resources": resources,
            "detail": detail,
        }

    def _hook_event(self, run: _Run, detail: dict[str, Any], stage: str, name: str) -> None:
        record = run.deployment
        self._outbox.append(
            self._envelope(
                "ECS Hook State Change",
                [record.arn],
                {
                    "eventType": "INFO",
                    "eventName": name,
                    "hookId": detail["hookId"],
                    "hookType": detail["targetType"],
                    "expiresAt": _iso(detail["expiresAt"]),
                    "lifecycleStage": stage,
                    "clusterArn": record.cluster_arn,
                    "serviceArn": record.service_arn,
                    "serviceDeploymentArn": record.arn,
                    "updatedAt": _iso(self._at),
                },
            )
        )

    def _deployment_event(self, run: _Run, name: str, reason: str) -> None:
        detail = {
            "eventType": "ERROR" if name == "SERVICE_DEPLOYMENT_FAILED" else "INFO",
            "eventName": name,
            "deploymentId": run.ecs_id,
            "updatedAt": _iso(self._at),
            "reason": reason,
        }
        self._outbox.append(self._envelope("ECS Deployment State Change", [run.deployment.service_arn], detail))

    def _flush(self) -> None:
        """Deliver what was queued (never under moto_ecs's lock: the receiver may call the moto server)."""
        while self._outbox:
            event = self._outbox.pop(0)
            self.events.append(event)
            if self.emit is not None:
                self.emit(event)
