"""Turn a CloudWatch alarm state change, however it was delivered, into the normalised model.

Three delivery paths are recognised:

* EventBridge ``CloudWatch Alarm State Change`` events (``detail`` holds the alarm data);
* Lambda SNS events whose ``Message`` is the classic CloudWatch alarm notification JSON;
* the direct CloudWatch Lambda alarm action (``alarmData`` holds the same alarm data as EventBridge's ``detail``).

Parsing is pure (no AWS calls) and total: whatever arrives, the result is a :class:`ParsedDelivery`, with a
:class:`Rejection` naming the reason for anything that cannot be used. The payloads are walked as plain dicts and
every value read is type-checked here (Powertools' event data classes validate nothing, and importing them loads
some forty event modules on every cold start of the alarm function).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from opsbot.alarms.model import AlarmKind, AlarmTransition, ParsedDelivery, Rejection, Source
from opsbot.logic.arns import region_and_account

ALARM_STATES = frozenset({"ALARM", "OK", "INSUFFICIENT_DATA"})
EVENTBRIDGE_DETAIL_TYPE = "CloudWatch Alarm State Change"
CLOUDWATCH_SOURCE = "aws.cloudwatch"

_T = TypeVar("_T")

_ANOMALY_BAND = re.compile(r"ANOMALY_DETECTION_BAND\s*\(\s*(?P<id>\w+)", re.IGNORECASE)
# "... 3 out of the last 3 datapoints [91.7 (29/05/26 04:59:00), 85.1 (...)] were greater ..." - newest first.
_REASON_LATEST_DATAPOINT = re.compile(
    r"datapoints?\s*\[\s*(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*\("
)


class _Unusable(Exception):
    """A delivery recognised as such but not usable; becomes a :class:`Rejection`."""

    def __init__(self, reason: str, alarm_name: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.alarm_name = alarm_name


@dataclass(frozen=True)
class _Shape:
    """What the alarm watches, as far as the delivery says."""

    kind: AlarmKind
    namespace: str | None = None
    metric: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str | None = None
    period_seconds: int | None = None


def parse_delivery(event: object) -> ParsedDelivery:
    """Parse one Lambda invocation payload carrying CloudWatch alarm state changes.

    Args:
        event: The raw Lambda event: an EventBridge alarm state change, a Lambda SNS event (one transition or
            rejection per record) or a CloudWatch Lambda alarm action event.

    Returns:
        The transitions found, and a rejection with a specific reason for each part that could not be used. An
        alarm that is identifiable but whose configuration is not understood becomes an ``AlarmKind.UNKNOWN``
        transition. Never raises.
    """
    if not isinstance(event, dict):
        return _rejected(f"event is not a JSON object (got {type(event).__name__})")
    if "Records" in event:
        return _parse_sns_event(event)
    if "alarmData" in event:
        return _collect([_guarded(Source.LAMBDA_ACTION, lambda: _from_lambda_action(event))])
    if "detail-type" in event:
        return _collect([_guarded(Source.EVENTBRIDGE, lambda: _from_eventbridge(event))])
    return _rejected(
        "unrecognised event: not an EventBridge alarm state change, an SNS event or a CloudWatch Lambda alarm action"
    )


# --- delivery paths -------------------------------------------------------------------------------------------------


def _from_eventbridge(event: Mapping[str, Any]) -> AlarmTransition:
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != CLOUDWATCH_SOURCE or detail_type != EVENTBRIDGE_DETAIL_TYPE:
        raise _Unusable(
            f"EventBridge event is not a CloudWatch alarm state change (source {source!r}, detail-type {detail_type!r})"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise _Unusable("EventBridge alarm state change has no detail object")
    resources = [arn for arn in _list(event.get("resources")) if isinstance(arn, str)]
    alarm_arns = [arn for arn in resources if ":alarm:" in arn]
    return _from_alarm_data(
        detail,
        source=Source.EVENTBRIDGE,
        alarm_arn=alarm_arns[0] if alarm_arns else "",
        account=_str(event.get("account")),
        region=_str(event.get("region")),
        fallback_time=event.get("time"),
        other_arns=resources,
    )


def _from_lambda_action(event: Mapping[str, Any]) -> AlarmTransition:
    if event.get("source") != CLOUDWATCH_SOURCE:
        raise _Unusable(f"alarm action event is not from {CLOUDWATCH_SOURCE} (source {event.get('source')!r})")
    data = event.get("alarmData")
    if not isinstance(data, dict):
        raise _Unusable("alarm action event has no alarmData object")
    return _from_alarm_data(
        data,
        source=Source.LAMBDA_ACTION,
        alarm_arn=_str(event.get("alarmArn")),
        account=_str(event.get("accountId")),
        region=_str(event.get("region")),
        fallback_time=event.get("time"),
    )


def _parse_sns_event(event: dict[str, Any]) -> ParsedDelivery:
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return _rejected("event has no Records", source=Source.SNS)
    return _collect([_guarded(Source.SNS, partial(_from_sns_record, record)) for record in records])


def _from_sns_record(record: object) -> AlarmTransition:
    if not isinstance(record, dict):
        raise _Unusable("SNS event record is not a JSON object")
    if record.get("EventSource") != "aws:sns":
        found = record.get("EventSource", record.get("eventSource"))
        raise _Unusable(f"record is not an SNS record (EventSource {found!r})")
    sns = record.get("Sns")
    if not isinstance(sns, dict):
        raise _Unusable("SNS record has no Sns object")
    message = sns.get("Message")
    if not isinstance(message, str):
        raise _Unusable("SNS record has no Message")
    try:
        payload = json.loads(message)
    except ValueError:
        raise _Unusable("SNS message is not JSON") from None
    if not isinstance(payload, dict) or not _str(payload.get("AlarmName")) or not _str(payload.get("NewStateValue")):
        raise _Unusable("SNS message is not a CloudWatch alarm notification (missing AlarmName/NewStateValue)")
    return _from_alarm_notification(payload, topic_arn=_str(sns.get("TopicArn")))


# --- the two payload formats ----------------------------------------------------------------------------------------


def _from_alarm_data(
    data: Mapping[str, Any],
    *,
    source: Source,
    alarm_arn: str,
    account: str,
    region: str,
    fallback_time: object,
    other_arns: Sequence[str] = (),
) -> AlarmTransition:
    """EventBridge ``detail`` and Lambda action ``alarmData`` share one format."""
    name = _str(data.get("alarmName"))
    if not name:
        raise _Unusable("alarm data has no alarmName")
    state = _mapping(data.get("state"))
    new_state = _str(state.get("value"))
    if new_state not in ALARM_STATES:
        raise _Unusable(f"alarm state is missing or unknown ({new_state!r})", name)
    changed_at = _timestamp(state.get("timestamp")) or _timestamp(fallback_time)
    if changed_at is None:
        raise _Unusable("alarm state has no parseable timestamp", name)
    reason_data = _json_object(state.get("reasonData"))
    configuration = data.get("configuration")
    shape = _shape_from_configuration(configuration if isinstance(configuration, dict) else {})
    arn_region, arn_account = region_and_account(alarm_arn)
    origins = [(region, account), *map(region_and_account, [alarm_arn, *other_arns])]
    datapoints = [value for value in map(_float, _list(reason_data.get("recentDatapoints"))) if value is not None]
    return AlarmTransition(
        source=source,
        alarm_name=name,
        alarm_arn=alarm_arn,
        account=account or arn_account,
        region=region or arn_region,
        kind=shape.kind,
        new_state=new_state,
        old_state=_str(_mapping(data.get("previousState")).get("value")),
        reason=_str(state.get("reason")),
        changed_at=changed_at,
        namespace=shape.namespace,
        metric=shape.metric,
        dimensions=shape.dimensions,
        statistic=shape.statistic or _opt_str(reason_data.get("statistic")),
        threshold=_float(reason_data.get("threshold")),
        comparison=None,  # not carried by this format
        value=datapoints[-1] if datapoints else None,
        period_seconds=shape.period_seconds or _int(reason_data.get("period")),
        accounts=_named(account for _, account in origins),
        regions=_named(region for region, _ in origins),
        actions_suppressed_by=_str(state.get("actionsSuppressedBy")),
        actions_suppressed_reason=_str(state.get("actionsSuppressedReason")),
    )


def _from_alarm_notification(payload: Mapping[str, Any], *, topic_arn: str) -> AlarmTransition:
    """The classic SNS alarm notification (``AlarmName``, ``NewStateValue``, ``Trigger`` ...)."""
    name = _str(payload.get("AlarmName"))
    new_state = _str(payload.get("NewStateValue"))
    if new_state not in ALARM_STATES:
        raise _Unusable(f"alarm state is missing or unknown ({new_state!r})", name)
    changed_at = _timestamp(payload.get("StateChangeTime"))
    if changed_at is None:
        raise _Unusable("SNS alarm notification has no parseable StateChangeTime", name)
    alarm_arn = _str(payload.get("AlarmArn"))
    arn_region, arn_account = region_and_account(alarm_arn)
    topic_region, topic_account = region_and_account(topic_arn)
    reason = _str(payload.get("NewStateReason"))
    trigger = _mapping(payload.get("Trigger"))
    shape = _Shape(AlarmKind.COMPOSITE) if _str(payload.get("AlarmRule")) else _shape_from_trigger(trigger)
    watches_metric = shape.kind is not AlarmKind.COMPOSITE
    return AlarmTransition(
        source=Source.SNS,
        alarm_name=name,
        alarm_arn=alarm_arn,
        account=_str(payload.get("AWSAccountId")) or arn_account or topic_account,
        region=arn_region or topic_region,  # the payload's "Region" is a display name such as "Africa (Cape Town)"
        kind=shape.kind,
        new_state=new_state,
        old_state=_str(payload.get("OldStateValue")),
        reason=reason,
        changed_at=changed_at,
        namespace=shape.namespace,
        metric=shape.metric,
        dimensions=shape.dimensions,
        statistic=shape.statistic,
        threshold=_float(trigger.get("Threshold")) if shape.kind in (AlarmKind.METRIC, AlarmKind.METRIC_MATH) else None,
        comparison=_opt_str(trigger.get("ComparisonOperator")) if watches_metric else None,
        value=_latest_datapoint_in_reason(reason) if watches_metric else None,
        period_seconds=shape.period_seconds or (_int(trigger.get("Period")) if watches_metric else None),
        accounts=_named([_str(payload.get("AWSAccountId")), arn_account, topic_account]),
        regions=_named([arn_region, topic_region]),
        # The classic notification has no suppression fields (CloudWatch sends none while suppressed); tolerate
        # them anyway, so a delivery that does carry them is never acted on.
        actions_suppressed_by=_str(payload.get("ActionsSuppressedBy")),
        actions_suppressed_reason=_str(payload.get("ActionsSuppressedReason")),
    )


def transition_from_description(alarm: Mapping[str, Any]) -> AlarmTransition:
    """An alarm as ``DescribeAlarms`` returns it now (a ``MetricAlarms`` or ``CompositeAlarms`` entry), for the watch
    run's re-evaluation. The description has the SNS notification's ``Trigger`` fields, so it is read the same way."""
    changed = alarm.get("StateTransitionedTimestamp") or alarm.get("StateUpdatedTimestamp")
    trigger_fields = (
        "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Threshold",
        "ComparisonOperator", "Metrics", "ThresholdMetricId",
    )  # fmt: skip
    trigger: dict[str, Any] = {key: alarm[key] for key in trigger_fields if key in alarm}
    if "ExtendedStatistic" in alarm:
        trigger["StatisticType"] = "ExtendedStatistic"
    suppressed_by = _str(alarm.get("ActionsSuppressedBy"))
    payload = {
        "AlarmName": alarm.get("AlarmName"),
        "AlarmArn": alarm.get("AlarmArn"),
        "NewStateValue": alarm.get("StateValue"),
        "NewStateReason": alarm.get("StateReason", ""),
        "StateChangeTime": changed.isoformat() if isinstance(changed, datetime) else changed,
        "AlarmRule": alarm.get("AlarmRule", ""),
        "ActionsSuppressedBy": "" if suppressed_by == "None" else suppressed_by,
        "ActionsSuppressedReason": alarm.get("ActionsSuppressedReason", ""),
        "Trigger": trigger,
    }
    return replace(_from_alarm_notification(payload, topic_arn=""), source=Source.WATCH)


# --- alarm shape ----------------------------------------------------------------------------------------------------


def _shape_from_configuration(configuration: Mapping[str, Any]) -> _Shape:
    if _str(configuration.get("alarmRule")):
        return _Shape(AlarmKind.COMPOSITE)
    return _shape_from_metrics([query for query in _list(configuration.get("metrics")) if isinstance(query, dict)])


def _shape_from_trigger(trigger: Mapping[str, Any]) -> _Shape:
    queries = [query for query in _list(trigger.get("Metrics")) if isinstance(query, dict)]
    if queries:
        return _shape_from_metrics([_camel_metric_query(query) for query in queries])
    metric = _opt_str(trigger.get("MetricName"))
    if metric is None:
        return _Shape(AlarmKind.UNKNOWN)
    extended = trigger.get("StatisticType") == "ExtendedStatistic"
    return _Shape(
        AlarmKind.METRIC,
        namespace=_opt_str(trigger.get("Namespace")),
        metric=metric,
        dimensions=_dimensions(trigger.get("Dimensions")),
        statistic=_statistic(trigger.get("ExtendedStatistic") if extended else trigger.get("Statistic")),
        period_seconds=_int(trigger.get("Period")),
    )


def _shape_from_metrics(queries: Sequence[Mapping[str, Any]]) -> _Shape:
    """Metric queries in EventBridge form: one metricStat (metric), expressions (math), or a band (anomaly).

    An anomaly alarm describes the metric its band is computed from. A math alarm keeps only what all its input
    metrics share (namespace, dimensions, period); its statistic and metric name would describe an input, not the
    value compared with the threshold, so they are left out.
    """
    stats = {_str(query.get("id")): _mapping(query.get("metricStat")) for query in queries if query.get("metricStat")}
    expressions = [expression for query in queries if (expression := _str(query.get("expression")))]
    for expression in expressions:
        if band := _ANOMALY_BAND.search(expression):
            watched = stats.get(band["id"]) or next(iter(stats.values()), {})
            return _shape_of_stat(AlarmKind.ANOMALY_DETECTION, watched)
    if expressions:
        shapes = [_shape_of_stat(AlarmKind.METRIC_MATH, stat) for stat in stats.values()]
        return _Shape(
            AlarmKind.METRIC_MATH,
            namespace=_common([shape.namespace for shape in shapes]),
            dimensions=_common([shape.dimensions for shape in shapes]) or {},
            period_seconds=_common([shape.period_seconds for shape in shapes]),
        )
    if len(queries) == 1 and len(stats) == 1:
        shape = _shape_of_stat(AlarmKind.METRIC, next(iter(stats.values())))
        if shape.metric:
            return shape
    return _Shape(AlarmKind.UNKNOWN)


def _shape_of_stat(kind: AlarmKind, stat: Mapping[str, Any]) -> _Shape:
    metric = _mapping(stat.get("metric"))
    return _Shape(
        kind,
        namespace=_opt_str(metric.get("namespace")),
        metric=_opt_str(metric.get("name")),
        dimensions=_dimensions(metric.get("dimensions")),
        statistic=_statistic(stat.get("stat")),
        period_seconds=_int(stat.get("period")),
    )


def _camel_metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """An SNS ``Trigger.Metrics`` entry (PascalCase, dimensions as a list) in EventBridge form."""
    camel: dict[str, Any] = {
        "id": query.get("Id"),
        "expression": query.get("Expression"),
        "label": query.get("Label"),
        "returnData": query.get("ReturnData"),
    }
    stat = _mapping(query.get("MetricStat"))
    if stat:
        metric = _mapping(stat.get("Metric"))
        camel["metricStat"] = {
            "metric": {
                "namespace": metric.get("Namespace"),
                "name": metric.get("MetricName"),
                "dimensions": _dimensions(metric.get("Dimensions")),
            },
            "period": stat.get("Period"),
            "stat": stat.get("Stat"),
        }
    return camel


# --- small, total value readers -------------------------------------------------------------------------------------


def _guarded(source: Source, build: Callable[[], AlarmTransition]) -> AlarmTransition | Rejection:
    try:
        return build()
    except _Unusable as unusable:
        return Rejection(reason=unusable.reason, source=source.value, alarm_name=unusable.alarm_name)
    # A shape no check above anticipated (also OverflowError from absurd dates, RecursionError from absurd
    # nesting): the parser's contract is "never raise", so it becomes a logged rejection, not a retry to the DLQ.
    except Exception as error:
        return Rejection(
            reason=f"malformed {source.value} delivery ({type(error).__name__}: {error})", source=source.value
        )


def _collect(outcomes: Sequence[AlarmTransition | Rejection]) -> ParsedDelivery:
    return ParsedDelivery(
        transitions=tuple(outcome for outcome in outcomes if isinstance(outcome, AlarmTransition)),
        rejections=tuple(outcome for outcome in outcomes if isinstance(outcome, Rejection)),
    )


def _rejected(reason: str, source: Source | None = None) -> ParsedDelivery:
    return ParsedDelivery(rejections=(Rejection(reason=reason, source=source.value if source else ""),))


def _timestamp(value: object) -> datetime | None:
    """``2026-05-29T05:00:00.123+0000``, ``...Z``, ``...+00:00`` as aware UTC; naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _named(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value for value in values if value)


def _dimensions(value: object) -> dict[str, str]:
    """EventBridge gives ``{"Name": "value"}``; SNS gives ``[{"name": ..., "value": ...}]``."""
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if isinstance(key, str) and isinstance(item, str)}
    dimensions: dict[str, str] = {}
    for entry in _list(value):
        entry_map = _mapping(entry)
        key = _str(entry_map.get("name", entry_map.get("Name")))
        item = entry_map.get("value", entry_map.get("Value"))
        if key and isinstance(item, str):
            dimensions[key] = item
    return dimensions


def _statistic(value: object) -> str | None:
    """SNS spells statistics ``AVERAGE``/``SAMPLE_COUNT``; EventBridge ``Average``/``SampleCount``. Use the latter."""
    statistic = _opt_str(value)
    if statistic and statistic.isupper():
        return "".join(part.capitalize() for part in statistic.split("_"))
    return statistic


def _latest_datapoint_in_reason(reason: str) -> float | None:
    match = _REASON_LATEST_DATAPOINT.search(reason)
    return _float(match["value"]) if match else None


def _json_object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, str):
        return _mapping(value)
    try:
        return _mapping(json.loads(value))
    except ValueError:
        return {}


def _common(values: Sequence[_T]) -> _T | None:
    return values[0] if values and all(value == values[0] for value in values) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number.is_integer() else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
