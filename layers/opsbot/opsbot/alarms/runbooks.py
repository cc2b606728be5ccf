"""Runbooks as data: load, validate with a clear error, and match an alarm transition to an action."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

from opsbot.alarms.actions import REGISTRY, scale_out
from opsbot.alarms.model import AlarmTransition
from opsbot.errors import ConfigError, UsageError
from opsbot.logic.durations import parse_duration
from opsbot.logic.last_good import LastGood

ACTIONS = tuple(REGISTRY)
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_DEFAULT_COOLDOWN = timedelta(minutes=15)


@dataclass(frozen=True)
class Match:
    alarm: re.Pattern[str] | None = None
    namespace: str | None = None
    metrics: frozenset[str] = frozenset()
    dimensions: Mapping[str, str] = field(default_factory=dict)
    state: str = "ALARM"


@dataclass(frozen=True)
class Runbook:
    name: str
    match: Match
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    cooldown: timedelta = _DEFAULT_COOLDOWN

    @property
    def expires(self) -> timedelta | None:
        if self.action != "scale_out":
            return None
        return scale_out.expires(self.params)


@dataclass(frozen=True)
class MatchOutcome:
    """The matching runbooks in order (the first applies; rollback may fall through), or why none matched."""

    runbooks: tuple[Runbook, ...]
    missing_dimensions: tuple[str, ...] = ()


def load_default_text() -> str:
    return resources.files("opsbot.alarms").joinpath("runbooks.yaml").read_text(encoding="utf-8")


class RunbookSource(LastGood[tuple[Runbook, ...]]):
    """The runbooks in force (``LastGood``): with no good runbooks yet, the ``ConfigError`` is raised and the
    delivery goes to the DLQ."""

    def __init__(self, read: Callable[[], str], placeholders: Mapping[str, str], origin: str) -> None:
        fixed = dict(placeholders)
        super().__init__(read, lambda text: parse_runbooks(text, fixed), "runbooks", origin)


def parse_runbooks(text: str, placeholders: Mapping[str, str]) -> tuple[Runbook, ...]:
    """Parse and validate; ``ConfigError`` names the runbook, the key and what is wrong."""
    import yaml  # only the alarm function needs it

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"runbooks are not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or document.get("version") != 1 or not isinstance(document.get("runbooks"), list):
        raise ConfigError("runbooks must be a mapping with `version: 1` and a `runbooks:` list")
    runbooks = tuple(_runbook(raw, index, placeholders) for index, raw in enumerate(document["runbooks"]))
    names = [r.name for r in runbooks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"runbook names must be unique: {', '.join(duplicates)}")
    return runbooks


def _runbook(raw: object, index: int, placeholders: Mapping[str, str]) -> Runbook:
    where = f"runbooks[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping")
    _only(raw, {"name", "match", "action", "params", "cooldown"}, where)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.name is required")
    where = f"runbook {name!r}"
    action = raw.get("action")
    if action not in ACTIONS:
        raise ConfigError(f"{where}: unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.params must be a mapping")
    schema = REGISTRY[action].params
    _only(params, set(schema), f"{where}.params")
    for key, kind in schema.items():
        if key in params and not isinstance(params[key], kind):
            raise ConfigError(f"{where}.params.{key} must be a {kind.__name__}")
    REGISTRY[action].validate(params, where)
    cooldown = _duration(raw.get("cooldown", "15m"), f"{where}.cooldown")
    return Runbook(
        name=name, match=_match(raw.get("match"), where, placeholders), action=action, params=params, cooldown=cooldown
    )


def _match(raw: object, where: str, placeholders: Mapping[str, str]) -> Match:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}.match must be a non-empty mapping")
    _only(raw, {"alarm", "namespace", "metric", "dimensions", "state"}, f"{where}.match")
    pattern = None
    if "alarm" in raw:
        try:
            pattern = re.compile(str(raw["alarm"]))
        except re.error as exc:
            raise ConfigError(f"{where}.match.alarm is not a valid regular expression: {exc}") from exc
    metrics = raw.get("metric", [])
    metrics = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise ConfigError(f"{where}.match.metric must be a name or a list of names")
    dimensions = raw.get("dimensions", {})
    if not isinstance(dimensions, dict):
        raise ConfigError(f"{where}.match.dimensions must be a mapping")
    try:
        resolved = {str(k): str(v).format_map(placeholders) for k, v in dimensions.items()}
    except KeyError as exc:
        raise ConfigError(f"{where}.match.dimensions uses unknown placeholder {exc}") from exc
    state = raw.get("state", "ALARM")
    if state not in STATES:
        raise ConfigError(f"{where}.match.state must be one of {', '.join(STATES)}")
    namespace = raw.get("namespace")
    return Match(
        alarm=pattern,
        namespace=str(namespace) if namespace else None,
        metrics=frozenset(metrics),
        dimensions=resolved,
        state=state,
    )


def _duration(value: object, where: str) -> timedelta:
    try:
        return parse_duration(str(value))
    except UsageError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _only(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where} has unknown keys: {', '.join(unknown)}")


def match(transition: AlarmTransition, runbooks: Sequence[Runbook]) -> MatchOutcome:
    """All runbooks that apply, in order. If a runbook matched by name but the alarm lacks the dimensions it
    requires, that is reported (the alarm is malformed or about another service) instead of silently skipped."""
    matched: list[Runbook] = []
    missing: list[str] = []
    for runbook in runbooks:
        rule = runbook.match
        if rule.state != transition.new_state:
            continue
        if rule.alarm is not None and not rule.alarm.fullmatch(transition.alarm_name):
            continue
        if rule.namespace and transition.namespace and rule.namespace != transition.namespace:
            continue
        if rule.metrics and transition.metric and transition.metric not in rule.metrics:
            continue
        absent = [k for k in rule.dimensions if k not in transition.dimensions]
        if absent:
            missing.extend(absent)
            continue
        if any(transition.dimensions[k] != v for k, v in rule.dimensions.items()):
            continue
        matched.append(runbook)
    return MatchOutcome(runbooks=tuple(matched), missing_dimensions=tuple(dict.fromkeys(missing)))
