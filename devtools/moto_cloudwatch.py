"""Test support: moto's CloudWatch extended with alarm mute rules (the native maintenance windows of 2026), and
GetMetricData's percentile statistics (``p95``), which moto 5.2 answers with nothing (nearest-rank here).

moto 5.2 lacks ``PutAlarmMuteRule``, ``GetAlarmMuteRule``, ``ListAlarmMuteRules`` and ``DeleteAlarmMuteRule``.
:func:`install` adds them to moto's CloudWatch response class in this process, so ``mock_aws()`` and a moto
server started here (``devtools.moto_server``) both serve them. Status follows the API reference: ``SCHEDULED``
(configured, will mute in the future), ``ACTIVE`` (muting alarm actions now), ``EXPIRED`` (past its
``ExpireDate`` or its one-time window). One-time ``at(yyyy-mm-ddThh:mm)`` windows are evaluated against the
clock, and so are recurring ``cron(minute hour day-of-month month day-of-week)`` windows (numbers, ``*``, lists,
ranges, steps, ``SUN``-``SAT`` / ``JAN``-``DEC``), in the rule's time zone.

Every request is validated against botocore's CloudWatch model and every response against the output shape.
Never shipped in the Lambda layer.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botocore.validate import ParamValidator
from moto.cloudwatch.exceptions import CloudWatchException, ResourceNotFoundException, ValidationError
from moto.cloudwatch.models import Statistics
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model

__all__ = ["install", "rule_status"]

_LOCK = threading.RLock()
_INSTALLED_FLAG: Final = "_opsbot_alarm_mute_rules"
_STATE_ATTR: Final = "_opsbot_alarm_mute_rules_by_name"  # kept on moto's backend, so moto's reset clears it
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2})?\)")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")
_CRON = re.compile(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+)\)")
_NAMES = {
    **{day: str(i) for i, day in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
    **{
        month: str(i + 1)
        for i, month in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
    },
}
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d{1,2})?)")  # GetMetricData's pNN / pNN.NN statistics


def _percentile(values: list[float], rank: float) -> float | None:
    """The nearest-rank percentile of sorted ``values`` (moto 5.2 returns nothing for a pNN statistic)."""
    if not values:
        return None
    index = max(0, min(len(values) - 1, math.ceil(rank / 100 * len(values)) - 1))
    return values[index]


class _InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


@dataclass
class _Rule:
    name: str
    arn: str
    expression: str
    duration: str
    timezone: str
    alarm_names: list[str]
    description: str = ""
    start_date: datetime | None = None
    expire_date: datetime | None = None
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def one_time(self) -> bool:
        return self.expression.startswith("at(")


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text)
    if not match or not any(match.groups()):
        raise ValidationError(f"Invalid Duration {text!r}; use ISO 8601 such as PT4H")
    days, hours, minutes = (int(group or 0) for group in match.groups())
    length = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(minutes=1) <= length <= timedelta(days=15):
        raise ValidationError("Duration must be between PT1M and P15D")
    return length


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Invalid Timezone {name!r}") from None


def _cron_values(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.upper().split(","):
        for name, number in _NAMES.items():
            part = part.replace(name, number)
        span, _, step = part.partition("/")
        if span in {"*", "?"}:
            first, last = low, high
        elif "-" in span:
            first, last = (int(x) for x in span.split("-", 1))
        else:
            first = last = int(span)
        values.update(range(first, last + 1, int(step or 1)))
    return values


def _cron_matches(expression: str, at: datetime) -> bool:
    match = _CRON.fullmatch(expression)
    if match is None:
        raise ValidationError(f"Invalid cron expression {expression!r}")
    minute, hour, day, month, weekday = (
        _cron_values(field, low, high) for field, (low, high) in zip(match.groups(), _CRON_RANGES, strict=True)
    )
    cron_weekday = (at.weekday() + 1) % 7  # Python: Monday 0; cron: Sunday 0
    return at.minute in minute and at.hour in hour and at.day in day and at.month in month and cron_weekday in weekday


def _in_cron_window(rule: _Rule, now: datetime) -> bool:
    """Did a window start within the last ``Duration`` (minute by minute, in the rule's zone)?"""
    local = now.astimezone(_zone(rule.timezone)).replace(second=0, microsecond=0)
    minutes = int(_duration(rule.duration).total_seconds() // 60)
    return any(_cron_matches(rule.expression, local - timedelta(minutes=back)) for back in range(minutes))


def rule_status(rule: _Rule, now: datetime) -> str:
    """SCHEDULED | ACTIVE | EXPIRED at ``now`` (aware)."""
    if rule.expire_date is not None and now >= rule.expire_date:
        return "EXPIRED"
    if rule.start_date is not None and now < rule.start_date:
        return "SCHEDULED"
    at = _AT.fullmatch(rule.expression)
    if at is None:
        return "ACTIVE" if _in_cron_window(rule, now) else "SCHEDULED"
    start = datetime.fromisoformat(at.group(1)).replace(tzinfo=_zone(rule.timezone))
    if now < start:
        return "SCHEDULED"
    return "ACTIVE" if now < start + _duration(rule.duration) else "EXPIRED"


def _validate(operation: str, params: Mapping[str, Any], output: bool = False) -> None:
    model = get_service_model("cloudwatch").operation_model(operation)
    shape = model.output_shape if output else model.input_shape
    if shape is None:
        return
    report = ParamValidator().validate(dict(params), shape)
    if report.has_errors():
        raise ValidationError(report.generate_report().replace("\n", "; "))


def _rules(response: CloudWatchResponse) -> dict[str, _Rule]:
    backend = response.cloudwatch_backend
    rules: dict[str, _Rule] | None = getattr(backend, _STATE_ATTR, None)
    if rules is None:
        rules = {}
        setattr(backend, _STATE_ATTR, rules)
    return rules


def _params(response: CloudWatchResponse, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: value for name in names if (value := response._get_param(name)) is not None}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _put_alarm_mute_rule(self: CloudWatchResponse) -> ActionResult:
    params = _params(self, ("Name", "Description", "Rule", "MuteTargets", "Tags", "StartDate", "ExpireDate"))
    _validate("PutAlarmMuteRule", params)
    schedule = params["Rule"]["Schedule"]
    expression = str(schedule["Expression"])
    if not (_AT.fullmatch(expression) or _CRON.fullmatch(expression)):
        raise ValidationError(f"Invalid schedule Expression {expression!r}; use at(...) or cron(...)")
    if expression.startswith("cron("):
        _cron_matches(expression, datetime.now(UTC))  # rejects fields it cannot read
    _duration(str(schedule["Duration"]))
    _zone(str(schedule.get("Timezone", "")))
    name = str(params["Name"])
    rule = _Rule(
        name=name,
        arn=f"arn:aws:cloudwatch:{self.region}:{self.current_account}:alarm-mute:{name}",
        expression=expression,
        duration=str(schedule["Duration"]),
        timezone=str(schedule.get("Timezone", "")),
        alarm_names=[str(n) for n in params.get("MuteTargets", {}).get("AlarmNames", [])],
        description=str(params.get("Description", "")),
        start_date=_aware(params.get("StartDate")),
        expire_date=_aware(params.get("ExpireDate")),
    )
    with _LOCK:
        _rules(self)[name] = rule
    return EmptyResult()


def _summary(rule: _Rule, now: datetime) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "AlarmMuteRuleArn": rule.arn,
        "Status": rule_status(rule, now),
        "MuteType": "ONE_TIME" if rule.one_time else "RECURRING",
        "LastUpdatedTimestamp": rule.updated,
    }
    if rule.expire_date is not None:
        summary["ExpireDate"] = rule.expire_date
    return summary


def _list_alarm_mute_rules(self: CloudWatchResponse) -> ActionResult:
    params = _params(self, ("AlarmName", "Statuses", "MaxRecords", "NextToken"))
    _validate("ListAlarmMuteRules", params)
    now = datetime.now(UTC)
    with _LOCK:
        rules = sorted(_rules(self).values(), key=lambda rule: rule.name)
    wanted = set(params.get("Statuses", []))
    alarm = params.get("AlarmName")
    found = [
        _summary(rule, now)
        for rule in rules
        if (alarm is None or alarm in rule.alarm_names) and (not wanted or rule_status(rule, now) in wanted)
    ]
    token = str(params.get("NextToken", "0"))
    if not token.isdigit():
        raise _InvalidNextToken("Invalid NextToken.")
    offset = int(token)
    size = int(params.get("MaxRecords", 50))
    body: dict[str, Any] = {"AlarmMuteRuleSummaries": found[offset : offset + size]}
    if offset + size < len(found):
        body["NextToken"] = str(offset + size)
    _validate("ListAlarmMuteRules", body, output=True)
    return ActionResult(body)


def _get_alarm_mute_rule(self: CloudWatchResponse) -> ActionResult:
    params = _params(self, ("AlarmMuteRuleName",))
    _validate("GetAlarmMuteRule", params)
    with _LOCK:
        rule = _rules(self).get(str(params["AlarmMuteRuleName"]))
    if rule is None:
        raise ResourceNotFoundException(f"The alarm mute rule {params['AlarmMuteRuleName']} does not exist.")
    now = datetime.now(UTC)
    schedule = {"Expression": rule.expression, "Duration": rule.duration}
    if rule.timezone:
        schedule["Timezone"] = rule.timezone
    body: dict[str, Any] = {
        **_summary(rule, now),
        "Name": rule.name,
        "Description": rule.description,
        "Rule": {"Schedule": schedule},
        "MuteTargets": {"AlarmNames": rule.alarm_names},
    }
    if rule.start_date is not None:
        body["StartDate"] = rule.start_date
    _validate("GetAlarmMuteRule", body, output=True)
    return ActionResult(body)


def _delete_alarm_mute_rule(self: CloudWatchResponse) -> ActionResult:
    params = _params(self, ("AlarmMuteRuleName",))
    _validate("DeleteAlarmMuteRule", params)
    with _LOCK:
        _rules(self).pop(str(params["AlarmMuteRuleName"]), None)
    return EmptyResult()


def install() -> None:
    """Add the four operations to moto's CloudWatch responses in this process (idempotent)."""
    with _LOCK:
        if getattr(CloudWatchResponse, _INSTALLED_FLAG, False):
            return
        operations: dict[str, Callable[[CloudWatchResponse], ActionResult]] = {
            "put_alarm_mute_rule": _put_alarm_mute_rule,
            "list_alarm_mute_rules": _list_alarm_mute_rules,
            "get_alarm_mute_rule": _get_alarm_mute_rule,
            "delete_alarm_mute_rule": _delete_alarm_mute_rule,
        }
        for name, method in operations.items():
            setattr(CloudWatchResponse, name, method)
        original_statistic = Statistics.get_statistics_for_type

        def get_statistics_for_type(self: Statistics, stat: str) -> Any:
            match = _PERCENTILE.fullmatch(stat)
            if match is None:
                return original_statistic(self, stat)
            return _percentile(sorted(self.metric_single_values_list), float(match.group(1)))

        Statistics.get_statistics_for_type = get_statistics_for_type  # type: ignore[method-assign]
        setattr(CloudWatchResponse, _INSTALLED_FLAG, True)
