"""parse_delivery: CloudWatch alarm state changes via EventBridge, SNS and the Lambda alarm action."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devtools.events import EVENTS_DIR, load_event
from opsbot.alarms.model import AlarmKind, AlarmTransition, ParsedDelivery, Source
from opsbot.alarms.parsing import parse_delivery

ALARM_EVENTS = sorted(path.name for path in Path(EVENTS_DIR).glob("alarm_*.json"))
CPU_HIGH_ARN = "arn:aws:cloudwatch:af-south-1:123456789012:alarm:mycandidate-ecs-cpu-high"
LB = "app/mycandidate-alb/0123456789abcdef"
ECS_DIMENSIONS = {"ClusterName": "mycandidate", "ServiceName": "web"}


def _only(parsed: ParsedDelivery) -> AlarmTransition:
    assert parsed.rejections == ()
    assert len(parsed.transitions) == 1
    return parsed.transitions[0]


def _parse_one(name: str) -> AlarmTransition:
    return _only(parse_delivery(load_event(name)))


def _sns_message(event: dict[str, Any], index: int = 0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(event["Records"][index]["Sns"]["Message"])
    return message


def _set_sns_message(event: dict[str, Any], message: object, index: int = 0) -> None:
    event["Records"][index]["Sns"]["Message"] = message if isinstance(message, str) else json.dumps(message)


def _only_rejection_reason(parsed: ParsedDelivery) -> str:
    assert parsed.transitions == ()
    assert len(parsed.rejections) == 1
    return parsed.rejections[0].reason


# --- every sample -------------------------------------------------------------------------------------------------


def test_there_are_samples_for_every_delivery_path() -> None:
    # Given the sample events directory
    # Then it holds alarm samples for all three paths
    assert {name.split("_")[1] for name in ALARM_EVENTS} >= {"eventbridge", "sns", "lambda"}
    assert len(ALARM_EVENTS) >= 24


@pytest.mark.parametrize("name", ALARM_EVENTS)
def test_every_alarm_sample_parses_without_raising_into_transitions_or_rejections(name: str) -> None:
    # Given a sample alarm delivery
    event = load_event(name)
    # When it is parsed
    parsed = parse_delivery(event)
    # Then the outcome is a ParsedDelivery accounting for it, and every transition is well formed
    assert isinstance(parsed, ParsedDelivery)
    assert parsed.transitions or parsed.rejections
    for transition in parsed.transitions:
        assert transition.alarm_name
        assert transition.alarm_arn.endswith(f":alarm:{transition.alarm_name}")
        assert transition.account == ("210987654321" if "foreign" in name else "123456789012")
        assert transition.accounts == {transition.account}
        assert transition.new_state in {"ALARM", "OK", "INSUFFICIENT_DATA"}
        assert transition.changed_at.tzinfo is not None
        assert transition.changed_at.utcoffset() == UTC.utcoffset(None)
        assert transition.reason


# --- kinds --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source", "kind"),
    [
        ("alarm_eventbridge_cpu_high.json", Source.EVENTBRIDGE, AlarmKind.METRIC),
        ("alarm_eventbridge_math_5xx_rate.json", Source.EVENTBRIDGE, AlarmKind.METRIC_MATH),
        ("alarm_eventbridge_anomaly_response_time.json", Source.EVENTBRIDGE, AlarmKind.ANOMALY_DETECTION),
        ("alarm_eventbridge_composite_web_degraded.json", Source.EVENTBRIDGE, AlarmKind.COMPOSITE),
        ("alarm_sns_cpu_high.json", Source.SNS, AlarmKind.METRIC),
        ("alarm_sns_math_5xx_rate.json", Source.SNS, AlarmKind.METRIC_MATH),
        ("alarm_sns_anomaly_response_time.json", Source.SNS, AlarmKind.ANOMALY_DETECTION),
        ("alarm_sns_composite_web_degraded.json", Source.SNS, AlarmKind.COMPOSITE),
        ("alarm_lambda_action_cpu_high.json", Source.LAMBDA_ACTION, AlarmKind.METRIC),
        ("alarm_lambda_action_math_5xx_rate.json", Source.LAMBDA_ACTION, AlarmKind.METRIC_MATH),
        ("alarm_lambda_action_anomaly_response_time.json", Source.LAMBDA_ACTION, AlarmKind.ANOMALY_DETECTION),
        ("alarm_lambda_action_composite_web_degraded.json", Source.LAMBDA_ACTION, AlarmKind.COMPOSITE),
        ("alarm_lambda_action_rds_free_storage.json", Source.LAMBDA_ACTION, AlarmKind.METRIC),
        ("alarm_sns_memory_high.json", Source.SNS, AlarmKind.METRIC),
        ("alarm_sns_redis_evictions.json", Source.SNS, AlarmKind.METRIC),
        ("alarm_eventbridge_unhealthy_hosts.json", Source.EVENTBRIDGE, AlarmKind.METRIC),
        ("alarm_eventbridge_rds_connections.json", Source.EVENTBRIDGE, AlarmKind.METRIC),
    ],
)
def test_kind_and_source_are_recognised_on_every_path(name: str, source: Source, kind: AlarmKind) -> None:
    # Given a sample delivery of a known alarm shape
    # When it is parsed
    transition = _parse_one(name)
    # Then its path and alarm kind are identified
    assert transition.source is source
    assert transition.kind is kind


def test_an_identifiable_alarm_with_no_configuration_is_an_unknown_kind_transition() -> None:
    # Given an EventBridge state change whose configuration is missing
    event = load_event("alarm_eventbridge_cpu_high.json")
    del event["detail"]["configuration"]
    # When it is parsed
    transition = _parse_one_event(event)
    # Then it is still a transition (notify only downstream) of unknown kind, without metric details
    assert transition.kind is AlarmKind.UNKNOWN
    assert transition.alarm_name == "mycandidate-ecs-cpu-high"
    assert (transition.namespace, transition.metric, dict(transition.dimensions)) == (None, None, {})


def test_an_sns_alarm_notification_without_trigger_or_rule_is_an_unknown_kind_transition() -> None:
    # Given an SNS alarm notification stripped of its Trigger
    event = load_event("alarm_sns_cpu_high.json")
    message = _sns_message(event)
    del message["Trigger"]
    _set_sns_message(event, message)
    # When it is parsed
    transition = _parse_one_event(event)
    # Then it is an unknown-kind transition of the right alarm
    assert transition.kind is AlarmKind.UNKNOWN
    assert transition.alarm_arn == CPU_HIGH_ARN


def test_metric_stat_without_a_metric_name_is_unknown_not_metric() -> None:
    # Given a metric alarm event whose only metric has no name
    event = load_event("alarm_lambda_action_cpu_high.json")
    del event["alarmData"]["configuration"]["metrics"][0]["metricStat"]["metric"]["name"]
    # When it is parsed
    # Then the alarm shape is unknown
    assert _parse_one_event(event).kind is AlarmKind.UNKNOWN


def _parse_one_event(event: object) -> AlarmTransition:
    return _only(parse_delivery(event))


# --- the same state change by every path -------------------------------------------------------------------------


def test_the_same_cpu_high_state_change_has_one_dedupe_key_on_all_three_paths() -> None:
    # Given the same ALARM transition delivered by EventBridge, SNS and the Lambda alarm action
    deliveries = [
        _parse_one("alarm_eventbridge_cpu_high.json"),
        _parse_one("alarm_sns_cpu_high.json"),
        _parse_one("alarm_lambda_action_cpu_high.json"),
    ]
    # Then all three have the same dedupe key, identity, state and change time
    assert {transition.source for transition in deliveries} == set(Source) - {Source.WATCH}
    assert len({transition.dedupe_key for transition in deliveries}) == 1
    assert deliveries[0].dedupe_key == f"{CPU_HIGH_ARN}|ALARM|2026-05-29T05:00:00.123+00:00"
    for transition in deliveries:
        assert transition.changed_at == datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)
        assert (transition.alarm_name, transition.region, transition.old_state) == (
            "mycandidate-ecs-cpu-high",
            "af-south-1",
            "OK",
        )
        assert transition.value == pytest.approx(91.7)
        assert transition.threshold == pytest.approx(80.0)
        assert dict(transition.dimensions) == ECS_DIMENSIONS


@pytest.mark.parametrize("alarm", ["math_5xx_rate", "anomaly_response_time", "composite_web_degraded"])
def test_math_anomaly_and_composite_state_changes_also_dedupe_across_paths(alarm: str) -> None:
    # Given one state change of a math, anomaly or composite alarm by all three paths
    keys = {_parse_one(f"alarm_{path}_{alarm}.json").dedupe_key for path in ("eventbridge", "sns", "lambda_action")}
    # Then there is a single dedupe key
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-05-29T05:00:00.123+0000", datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-29T05:00:00.123Z", datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-29T05:00:00.123+00:00", datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-29T07:00:00.123+0200", datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-29T05:00:00Z", datetime(2026, 5, 29, 5, 0, 0, tzinfo=UTC)),
        ("2026-05-29T05:00:00.123", datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_state_timestamps_in_any_iso_form_become_aware_utc(timestamp: str, expected: datetime) -> None:
    # Given the SNS cpu_high delivery with StateChangeTime written in another ISO-8601 form
    event = load_event("alarm_sns_cpu_high.json")
    message = _sns_message(event)
    message["StateChangeTime"] = timestamp
    _set_sns_message(event, message)
    # When it is parsed
    changed_at = _parse_one_event(event).changed_at
    # Then the change time is the same instant, in UTC
    assert changed_at == expected
    assert changed_at.tzinfo is UTC


def test_z_and_plus_0000_forms_of_one_time_give_the_same_dedupe_key() -> None:
    # Given the EventBridge cpu_high event with its state timestamp in "Z" form
    event = load_event("alarm_eventbridge_cpu_high.json")
    event["detail"]["state"]["timestamp"] = "2026-05-29T05:00:00.123Z"
    # When it and the SNS delivery ("+0000" form) are parsed
    # Then they deduplicate
    assert _parse_one_event(event).dedupe_key == _parse_one("alarm_sns_cpu_high.json").dedupe_key


def test_the_envelope_time_is_used_when_the_state_has_no_timestamp() -> None:
    # Given a Lambda alarm action event whose state lacks a timestamp
    event = load_event("alarm_lambda_action_cpu_high.json")
    del event["alarmData"]["state"]["timestamp"]
    # When it is parsed
    # Then the invocation's time (same instant on this path) stands in
    assert _parse_one_event(event).changed_at == datetime(2026, 5, 29, 5, 0, 0, 123000, tzinfo=UTC)


# --- states -------------------------------------------------------------------------------------------------------


def test_alarm_to_ok_is_a_later_ok_transition_with_its_own_dedupe_key() -> None:
    # Given the cpu alarm going to ALARM and, later, back to OK
    high = _parse_one("alarm_eventbridge_cpu_high.json")
    ok = _parse_one("alarm_eventbridge_cpu_ok.json")
    # Then the OK transition is later, from ALARM, with the recovering value, and not a duplicate
    assert (ok.new_state, ok.old_state) == ("OK", "ALARM")
    assert ok.changed_at > high.changed_at
    assert ok.value == pytest.approx(61.2)
    assert ok.dedupe_key != high.dedupe_key


def test_ok_to_insufficient_data_has_no_value_but_keeps_the_threshold() -> None:
    # Given the cpu alarm going from OK to INSUFFICIENT_DATA
    transition = _parse_one("alarm_eventbridge_insufficient_data.json")
    # Then the states are right and there is no latest datapoint
    assert (transition.new_state, transition.old_state) == ("INSUFFICIENT_DATA", "OK")
    assert transition.value is None
    assert transition.threshold == pytest.approx(80.0)
    assert transition.kind is AlarmKind.METRIC


# --- metric details per path -------------------------------------------------------------------------------------


def test_eventbridge_metric_alarm_details_come_from_configuration_and_reason_data() -> None:
    # Given the EventBridge unhealthy-hosts alarm
    transition = _parse_one("alarm_eventbridge_unhealthy_hosts.json")
    # Then metric identity comes from configuration, threshold and value from state.reasonData
    assert (transition.namespace, transition.metric) == ("AWS/ApplicationELB", "UnHealthyHostCount")
    assert dict(transition.dimensions) == {
        "TargetGroup": "targetgroup/mycandidate-blue/0123456789abcdef",
        "LoadBalancer": LB,
    }
    assert (transition.statistic, transition.period_seconds) == ("Maximum", 60)
    assert transition.threshold == pytest.approx(1.0)
    assert transition.value == pytest.approx(2.0)
    # And the comparison operator is not carried by EventBridge
    assert transition.comparison is None


def test_sns_metric_alarm_details_come_from_the_trigger_and_the_reason_text() -> None:
    # Given the SNS redis evictions alarm ("Statistic": "SUM", "Region": "Africa (Cape Town)")
    transition = _parse_one("alarm_sns_redis_evictions.json")
    # Then everything comes from Trigger, the value from the reason's newest datapoint, the region from the ARN
    assert (transition.namespace, transition.metric) == ("AWS/ElastiCache", "Evictions")
    assert dict(transition.dimensions) == {"CacheClusterId": "mycandidate-redis"}
    assert (transition.statistic, transition.period_seconds) == ("Sum", 300)
    assert transition.threshold == pytest.approx(100.0)
    assert transition.comparison == "GreaterThanThreshold"
    assert transition.value == pytest.approx(1342.0)
    assert transition.region == "af-south-1"


def test_sns_memory_alarm_value_is_the_newest_datapoint_in_the_reason() -> None:
    # Given the SNS memory alarm whose reason lists datapoints newest first
    transition = _parse_one("alarm_sns_memory_high.json")
    # Then the value is the first listed datapoint
    assert transition.value == pytest.approx(87.3)
    assert transition.metric == "MemoryUtilization"
    assert dict(transition.dimensions) == ECS_DIMENSIONS


def test_lambda_action_metric_alarm_details_match_eventbridge() -> None:
    # Given the free-storage alarm via the Lambda alarm action
    transition = _parse_one("alarm_lambda_action_rds_free_storage.json")
    # Then details come from alarmData.configuration and state.reasonData
    assert (transition.namespace, transition.metric) == ("AWS/RDS", "FreeStorageSpace")
    assert dict(transition.dimensions) == {"DBInstanceIdentifier": "mycandidate-db"}
    assert transition.statistic == "Minimum"
    assert transition.threshold == pytest.approx(10737418240.0)
    assert transition.value == pytest.approx(9663676416.0)
    assert transition.comparison is None


def test_rds_connections_value_is_the_last_recent_datapoint() -> None:
    # Given the EventBridge RDS connections alarm (recentDatapoints oldest first)
    transition = _parse_one("alarm_eventbridge_rds_connections.json")
    # Then the value is the last one
    assert transition.value == pytest.approx(212.0)
    assert transition.threshold == pytest.approx(180.0)


@pytest.mark.parametrize(
    "name",
    [
        "alarm_eventbridge_math_5xx_rate.json",
        "alarm_sns_math_5xx_rate.json",
        "alarm_lambda_action_math_5xx_rate.json",
    ],
)
def test_metric_math_alarm_keeps_what_its_inputs_share(name: str) -> None:
    # Given the 5xx-rate math alarm (m1 / m2 * 100 over two ALB metrics)
    transition = _parse_one(name)
    # Then the shared namespace and dimensions are kept, but no single metric name or statistic
    assert transition.namespace == "AWS/ApplicationELB"
    assert dict(transition.dimensions) == {"LoadBalancer": LB}
    assert (transition.metric, transition.statistic) == (None, None)
    assert transition.period_seconds == 60
    assert transition.threshold == pytest.approx(5.0)
    assert transition.value == pytest.approx(7.8)


@pytest.mark.parametrize(
    ("name", "comparison"),
    [
        ("alarm_eventbridge_anomaly_response_time.json", None),
        ("alarm_sns_anomaly_response_time.json", "LessThanLowerOrGreaterThanUpperThreshold"),
        ("alarm_lambda_action_anomaly_response_time.json", None),
    ],
)
def test_anomaly_alarm_describes_the_banded_metric_and_has_no_fixed_threshold(
    name: str, comparison: str | None
) -> None:
    # Given the response-time anomaly alarm
    transition = _parse_one(name)
    # Then the metric inside the band is described, with the latest value and no static threshold
    assert (transition.namespace, transition.metric) == ("AWS/ApplicationELB", "TargetResponseTime")
    assert dict(transition.dimensions) == {"LoadBalancer": LB}
    assert transition.statistic == "Average"
    assert transition.threshold is None
    assert transition.value == pytest.approx(1.84)
    assert transition.comparison == comparison


@pytest.mark.parametrize(
    "name",
    [
        "alarm_eventbridge_composite_web_degraded.json",
        "alarm_sns_composite_web_degraded.json",
        "alarm_lambda_action_composite_web_degraded.json",
    ],
)
def test_composite_alarm_has_no_metric_details(name: str) -> None:
    # Given the composite web-degraded alarm
    transition = _parse_one(name)
    # Then it is identified but carries no metric, threshold or value
    assert transition.alarm_name == "mycandidate-web-degraded"
    assert (transition.new_state, transition.old_state) == ("ALARM", "OK")
    assert (transition.namespace, transition.metric, transition.threshold, transition.value) == (None,) * 4
    assert dict(transition.dimensions) == {}


def test_missing_dimensions_still_parse_as_a_metric_alarm_with_none() -> None:
    # Given the cpu alarm with empty dimensions
    transition = _parse_one("alarm_missing_dimensions.json")
    # Then it is a metric alarm with no dimensions (the decision is left to later stages)
    assert transition.kind is AlarmKind.METRIC
    assert dict(transition.dimensions) == {}
    assert transition.metric == "CPUUtilization"


def test_an_alarm_from_another_region_parses_with_that_region() -> None:
    # Given an EventBridge alarm from eu-west-1
    transition = _parse_one("alarm_other_region.json")
    # Then it parses; its region is reported for a later stage to reject
    assert transition.region == "eu-west-1"
    assert transition.alarm_arn.startswith("arn:aws:cloudwatch:eu-west-1:")


# --- SNS records --------------------------------------------------------------------------------------------------


def test_an_sns_event_with_two_records_yields_two_transitions() -> None:
    # Given one SNS event carrying the cpu and memory notifications
    event = load_event("alarm_sns_cpu_high.json")
    event["Records"].extend(load_event("alarm_sns_memory_high.json")["Records"])
    # When it is parsed
    parsed = parse_delivery(event)
    # Then both transitions come out, in order
    assert parsed.rejections == ()
    assert [transition.alarm_name for transition in parsed.transitions] == [
        "mycandidate-ecs-cpu-high",
        "mycandidate-ecs-memory-high",
    ]


def test_a_bad_sns_record_is_rejected_without_losing_the_good_one() -> None:
    # Given an SNS event with a malformed record and an alarm record
    event = load_event("alarm_sns_malformed_message.json")
    event["Records"].extend(load_event("alarm_sns_redis_evictions.json")["Records"])
    # When it is parsed
    parsed = parse_delivery(event)
    # Then the good record is a transition and the bad one a rejection
    assert [transition.alarm_name for transition in parsed.transitions] == ["mycandidate-redis-evictions"]
    assert [rejection.reason for rejection in parsed.rejections] == ["SNS message is not JSON"]


# --- rejections ---------------------------------------------------------------------------------------------------


def test_an_sns_message_that_is_another_json_notification_is_rejected() -> None:
    # Given an SNS record carrying an RDS event notification
    parsed = parse_delivery(load_event("alarm_sns_not_an_alarm.json"))
    # Then it is rejected as not an alarm notification
    assert _only_rejection_reason(parsed) == (
        "SNS message is not a CloudWatch alarm notification (missing AlarmName/NewStateValue)"
    )
    assert parsed.rejections[0].source == "sns"


def test_an_sns_message_that_is_not_json_is_rejected() -> None:
    # Given an SNS record whose Message is plain text
    # When it is parsed
    # Then it is rejected as not JSON
    assert _only_rejection_reason(parse_delivery(load_event("alarm_sns_malformed_message.json"))) == (
        "SNS message is not JSON"
    )


def test_an_unknown_event_shape_is_rejected() -> None:
    # Given a JSON object that is none of the three deliveries
    # When it is parsed
    reason = _only_rejection_reason(parse_delivery(load_event("alarm_unknown_shape.json")))
    # Then it is rejected as unrecognised
    assert reason.startswith("unrecognised event")


@pytest.mark.parametrize("event", [None, [], ["Records"], "ALARM", 42, 4.2, True, b"{}"])
def test_non_object_input_is_rejected(event: object) -> None:
    # Given an input that is not a JSON object
    # When it is parsed
    reason = _only_rejection_reason(parse_delivery(event))
    # Then it is rejected, naming the type
    assert reason == f"event is not a JSON object (got {type(event).__name__})"


def test_an_eventbridge_alarm_configuration_change_is_not_a_state_change() -> None:
    # Given an EventBridge alarm event of another detail-type
    event = load_event("alarm_eventbridge_cpu_high.json")
    event["detail-type"] = "CloudWatch Alarm Configuration Change"
    # When it is parsed
    reason = _only_rejection_reason(parse_delivery(event))
    # Then it is rejected, naming the detail-type
    assert "not a CloudWatch alarm state change" in reason
    assert "CloudWatch Alarm Configuration Change" in reason


def test_an_eventbridge_event_from_another_service_is_rejected() -> None:
    # Given an ECS task state change from EventBridge
    event = {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "STOPPED"}}
    # When it is parsed
    # Then it is rejected as an EventBridge event that is not an alarm state change
    reason = _only_rejection_reason(parse_delivery(event))
    assert "'aws.ecs'" in reason


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda event: event["detail"].pop("alarmName"), "alarm data has no alarmName"),
        (lambda event: event["detail"].pop("state"), "alarm state is missing or unknown ('')"),
        (lambda event: event["detail"]["state"].update(value="PENDING"), "alarm state is missing or unknown"),
        (lambda event: event.pop("detail"), "EventBridge alarm state change has no detail object"),
        (
            lambda event: (event["detail"]["state"].pop("timestamp"), event.pop("time")),
            "alarm state has no parseable timestamp",
        ),
    ],
)
def test_an_eventbridge_alarm_event_missing_essentials_is_rejected(mutate: Any, expected: str) -> None:
    # Given an EventBridge alarm state change with something essential missing
    event = load_event("alarm_eventbridge_cpu_high.json")
    mutate(event)
    # When it is parsed
    parsed = parse_delivery(event)
    # Then it is rejected with a specific reason, naming the path
    assert _only_rejection_reason(parsed).startswith(expected)
    assert parsed.rejections[0].source == "eventbridge"


def test_a_lambda_action_without_an_alarm_name_is_rejected() -> None:
    # Given a Lambda alarm action whose alarmData lacks alarmName
    event = load_event("alarm_lambda_action_cpu_high.json")
    del event["alarmData"]["alarmName"]
    # When it is parsed
    parsed = parse_delivery(event)
    # Then it is rejected for the lambda-action path
    assert _only_rejection_reason(parsed) == "alarm data has no alarmName"
    assert parsed.rejections[0].source == "lambda-action"


def test_an_sns_notification_with_an_unparseable_time_is_rejected_naming_the_alarm() -> None:
    # Given an SNS alarm notification whose StateChangeTime is garbage
    event = load_event("alarm_sns_cpu_high.json")
    message = _sns_message(event)
    message["StateChangeTime"] = "yesterday"
    _set_sns_message(event, message)
    # When it is parsed
    parsed = parse_delivery(event)
    # Then it is rejected with the alarm named
    assert _only_rejection_reason(parsed) == "SNS alarm notification has no parseable StateChangeTime"
    assert parsed.rejections[0].alarm_name == "mycandidate-ecs-cpu-high"


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], "event has no Records"),
        ("nope", "event has no Records"),
        ([{"eventSource": "aws:sqs", "body": "{}"}], "record is not an SNS record ('aws:sqs')"),
        (["not-a-record"], "SNS event record is not a JSON object"),
        ([{"EventSource": "aws:sns"}], "SNS record has no Sns object"),
        ([{"EventSource": "aws:sns", "Sns": {"TopicArn": "arn:aws:sns:af-south-1:1:t"}}], "SNS record has no Message"),
        ([{"EventSource": "aws:sns", "Sns": {"Message": "[1, 2]"}}], "SNS message is not a CloudWatch alarm"),
    ],
)
def test_malformed_sns_events_are_rejected_with_specific_reasons(records: object, expected: str) -> None:
    # Given a Records event that is not a usable SNS delivery
    # When it is parsed
    reason = _only_rejection_reason(parse_delivery({"Records": records}))
    # Then the rejection says why
    assert reason.startswith(expected.replace("('aws:sqs')", "(EventSource 'aws:sqs')"))


def test_wrongly_typed_fields_never_raise() -> None:
    # Given alarm events with fields of the wrong JSON types throughout
    eventbridge = load_event("alarm_eventbridge_math_5xx_rate.json")
    eventbridge["resources"] = "not-a-list"
    eventbridge["detail"]["configuration"]["metrics"] = [1, "x", {"id": 3, "metricStat": "no"}]
    eventbridge["detail"]["state"]["reasonData"] = "{not json"
    lambda_action = load_event("alarm_lambda_action_cpu_high.json")
    lambda_action["alarmData"]["configuration"] = ["metrics"]
    lambda_action["alarmData"]["previousState"] = "OK"
    sns = load_event("alarm_sns_math_5xx_rate.json")
    message = _sns_message(sns)
    message["Trigger"]["Metrics"] = [{"Id": "e1", "Expression": 7}, {"MetricStat": {"Metric": "x"}}]
    message["Trigger"]["Threshold"] = "NaN"
    _set_sns_message(sns, message)
    # When they are parsed
    parsed = [parse_delivery(event) for event in (eventbridge, lambda_action, sns)]
    # Then each is still one transition, with what could be read
    assert [_only(delivery).kind for delivery in parsed] == [AlarmKind.UNKNOWN, AlarmKind.UNKNOWN, AlarmKind.UNKNOWN]
    assert parsed[0].transitions[0].alarm_arn == ""
    assert parsed[1].transitions[0].old_state == ""
    assert parsed[2].transitions[0].threshold is None


# --- identity and suppression, carried for the remediator's checks ---------------------------------------------


def test_every_account_and_region_a_delivery_names_is_kept() -> None:
    # Given an SNS alarm whose topic belongs to another account than the alarm it carries
    event = load_event("alarm_sns_cpu_high.json")
    event["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:eu-west-1:210987654321:mycandidate-alarms"
    # When it is parsed
    (transition,) = parse_delivery(event).transitions
    # Then both accounts and both regions are known, so one foreign name is enough to reject it
    assert transition.accounts == {"123456789012", "210987654321"}
    assert transition.regions == {"af-south-1", "eu-west-1"}


@pytest.mark.parametrize(
    "name", ["alarm_eventbridge_composite_web_degraded.json", "alarm_lambda_action_composite_web_degraded.json"]
)
def test_suppressed_actions_are_read_from_the_alarm_state(name: str) -> None:
    # Given a composite alarm state change whose actions its suppressor alarm holds back
    event = load_event(name)
    data = event.get("detail") or event["alarmData"]
    data["state"]["actionsSuppressedBy"] = "WaitPeriod"
    data["state"]["actionsSuppressedReason"] = "Actions suppressed by WaitPeriod"
    # When it is parsed
    (transition,) = parse_delivery(event).transitions
    # Then the suppression is part of the transition
    assert (transition.actions_suppressed_by, transition.actions_suppressed_reason) == (
        "WaitPeriod",
        "Actions suppressed by WaitPeriod",
    )


def test_suppression_of_the_previous_state_is_not_taken_for_the_new_one() -> None:
    # Given the documented example where only previousState carries actionsSuppressedBy
    event = load_event("alarm_lambda_action_composite_web_degraded.json")
    event["alarmData"]["previousState"]["actionsSuppressedBy"] = "WaitPeriod"
    # When it is parsed
    (transition,) = parse_delivery(event).transitions
    # Then the new state is not suppressed
    assert transition.actions_suppressed_by == ""
