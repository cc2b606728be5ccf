"""The ``AWS_LAMBDA`` lifecycle hook's decision (pure, given its ports): at ``POST_TEST_TRAFFIC_SHIFT`` the smoke
tests against the test listener, then the analysis, one measurement per invocation, ``IN_PROGRESS`` with
``callBackDelay`` in between and the state carried in ``hookDetails`` (under ``opsbot``); ``SUCCEEDED`` or
``FAILED`` with the reason and every measured value.

A rollback runs the hooks of the recurring stages (``TEST_TRAFFIC_SHIFT``, ``PRODUCTION_TRAFFIC_SHIFT``) again, with
the same ``targetServiceRevisionArn`` and the traffic going back to the other revision ("Lambda hooks for Amazon ECS
service deployments", *Lifecycle hooks during rollback*): at those stages a target weight of 0 beside another
revision's weight above 0 is a rollback, and the hook lets it proceed at once instead of testing the old revision as
if it were new. (At ``PRE_PRODUCTION_TRAFFIC_SHIFT`` the target's production weight is 0 too, before the shift: not
a rollback, and the hook does not run there.)
Anything unexpected — a payload for another service, ``hookDetails`` of a shape the bot did not write — ends in
``FAILED`` with the reason, never in an exception (a crash also rolls back, but explains nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbot.cutover import analysis, migration, smoke

TESTED_STAGE = "POST_TEST_TRAFFIC_SHIFT"
MIGRATION_STAGE = "PRE_SCALE_UP"
# The stages ECS invokes again on a rollback, and the weights that show traffic going back.
RECURRING_STAGES = {"TEST_TRAFFIC_SHIFT": "testTrafficWeights", "PRODUCTION_TRAFFIC_SHIFT": "productionTrafficWeights"}
_STATE_KEYS = frozenset({"smoke", "measurements", "migration"})


@dataclass(frozen=True)
class HookConfig:
    cluster: str
    service: str
    test_url: str  # the test listener, e.g. https://mycandidate-alb…:8443
    wards: tuple[str, ...] = ("1",)
    smoke_timeout_s: float = 5.0
    analysis: analysis.AnalysisSpec = field(default_factory=analysis.AnalysisSpec)
    migration: tuple[str, ...] = ()  # the migration command at PRE_SCALE_UP; () = no migration
    snapshot_max_age: timedelta = timedelta(hours=6)  # what a migration needs first


@dataclass(frozen=True)
class HookPorts:
    get: smoke.Getter
    metrics: Callable[[], analysis.Sample]  # the green target group's last interval; raises OpsbotError
    migration: migration.MigrationPort | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Decision:
    response: dict[str, Any]  # what the function returns to ECS
    reason: str  # in words, for the audit trail and the deployment's thread
    final: bool  # SUCCEEDED or FAILED

    @property
    def status(self) -> str:
        return str(self.response["hookStatus"])


def _done(status: str, reason: str) -> Decision:
    return Decision({"hookStatus": status}, reason, True)


def decide(payload: object, config: HookConfig, ports: HookPorts) -> Decision:
    try:
        return _decide(payload, config, ports)
    except Exception as exc:
        return _done("FAILED", f"the hook could not decide: {type(exc).__name__}: {str(exc)[:200]}")


def _decide(payload: object, config: HookConfig, ports: HookPorts) -> Decision:
    if not isinstance(payload, dict):
        return _done("FAILED", "the hook payload is not a JSON object")
    stage = payload.get("lifecycleStage")
    details = payload.get("executionDetails")
    if not isinstance(stage, str) or not isinstance(details, dict):
        return _done("FAILED", "the hook payload has no lifecycleStage and executionDetails")
    service_arn = str(details.get("serviceArn", ""))
    if not service_arn.endswith(f":service/{config.cluster}/{config.service}"):
        return _done("FAILED", f"the hook was invoked for {service_arn[:200] or 'no service'}, not this bot's service")
    if _rolling_back(stage, details):
        return _done("SUCCEEDED", f"{stage}: a rollback (traffic is going back to the other revision); let it pass")
    if stage == MIGRATION_STAGE and config.migration:
        return _migrate(payload, config, ports)
    if stage != TESTED_STAGE:
        return _done("SUCCEEDED", f"{stage}: nothing to check at this stage")
    state = _state(payload.get("hookDetails"))
    if isinstance(state, str):
        return _done("FAILED", state)
    if not state.get("smoke"):
        results = smoke.run(ports.get, config.test_url, smoke.checks_for(config.wards), config.smoke_timeout_s)
        failed = [r for r in results if not r.passed]
        if failed:
            return _done("FAILED", "smoke test failed: " + "; ".join(f"{r.name}: {r.summary}" for r in failed))
        summary = "; ".join(f"{r.name}: {r.summary}" for r in results)
        return _again({"smoke": summary, "measurements": []}, f"smoke tests passed ({summary})", config)
    spec = config.analysis
    measurements = analysis.from_dicts(state.get("measurements", []))
    try:
        sample: analysis.Sample | str = ports.metrics()
    except Exception as exc:
        sample = f"{type(exc).__name__}: {exc}"
    measurements.append(analysis.measure(sample, spec))
    outcome, why = analysis.verdict(measurements, spec)
    if outcome == "Running":
        carried = {"smoke": state["smoke"], "measurements": [m.as_dict() for m in measurements]}
        return _again(carried, f"analysis: {why}; last: {measurements[-1].summary}", config)
    if outcome == "Successful":
        return _done("SUCCEEDED", f"smoke tests and analysis passed: {why}")
    return _done("FAILED", f"analysis {outcome.lower()}: {why}")


def _migrate(payload: Mapping[str, Any], config: HookConfig, ports: HookPorts) -> Decision:
    if ports.migration is None:
        return _done("FAILED", "a migration is configured but the hook cannot run tasks here")
    state = _state(payload.get("hookDetails"))
    if isinstance(state, str):
        return _done("FAILED", state)
    execution = str(payload.get("executionId", "")) or "no-execution-id"
    done = migration.step(state.get("migration"), config.migration, execution, ports.migration, ports.clock(),
                          config.snapshot_max_age)  # fmt: skip
    if done.status != "IN_PROGRESS":
        return _done(done.status, done.reason)
    return _again({"migration": done.state}, done.reason, config, delay=migration.POLL_S)


def _again(state: Mapping[str, Any], reason: str, config: HookConfig, delay: int | None = None) -> Decision:
    response = {
        "hookStatus": "IN_PROGRESS",
        "callBackDelay": delay if delay is not None else config.analysis.interval_s,
        "hookDetails": {"opsbot": dict(state)},
    }
    return Decision(response, reason, False)


def _rolling_back(stage: str, details: Mapping[str, Any]) -> bool:
    weights = details.get(RECURRING_STAGES.get(stage, ""))
    target = details.get("targetServiceRevisionArn")
    if not isinstance(weights, dict) or not isinstance(target, str) or target not in weights:
        return False
    others = [_weight(w) for arn, w in weights.items() if arn != target]
    return _weight(weights[target]) == 0 and any(w > 0 for w in others)


def _weight(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _state(hook_details: object) -> dict[str, Any] | str:
    """The bot's state carried between invocations, or why it cannot be read."""
    if hook_details is None:
        return {}
    if not isinstance(hook_details, dict):
        return "hookDetails is not a JSON object"
    ours = hook_details.get("opsbot")
    if ours is None:
        return {}
    if not isinstance(ours, dict) or set(ours) - _STATE_KEYS:
        return "hookDetails.opsbot is not a state the bot wrote (unknown keys); refusing to guess"
    if "smoke" in ours and not isinstance(ours["smoke"], str):
        return "hookDetails.opsbot.smoke is not a summary"
    if "migration" in ours and not isinstance(ours["migration"], dict):
        return "hookDetails.opsbot.migration is not a state the bot wrote"
    try:
        analysis.from_dicts(ours.get("measurements", []))
    except ValueError as exc:
        return f"hookDetails.opsbot.measurements: {exc}"
    return dict(ours)
