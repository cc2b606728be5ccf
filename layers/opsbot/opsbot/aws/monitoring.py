"""CloudWatch alarms in ALARM and the age of the latest RDS snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError
from opsbot.ports import AlarmSummary


class AlarmsGateway:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def firing(self) -> list[AlarmSummary]:
        alarms: list[AlarmSummary] = []
        with aws_call("DescribeAlarms"):
            paginator = self._client.get_paginator("describe_alarms")
            for page in paginator.paginate(
                StateValue="ALARM", AlarmNamePrefix=self._prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            ):
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    if alarm.get("StateValue") != "ALARM":  # some emulators ignore StateValue with a name prefix
                        continue
                    alarms.append(
                        AlarmSummary(
                            name=str(alarm["AlarmName"]),
                            metric=str(alarm.get("MetricName", "composite")),
                            since=alarm.get("StateUpdatedTimestamp"),
                        )
                    )
        return alarms


class AlarmStatesGateway:
    """The alarms as CloudWatch describes them now, for the watch run (raw entries, parsed by the alarms package)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe(self, names: list[str]) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        for start in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
            with aws_call("DescribeAlarms"):
                paginator = self._client.get_paginator("describe_alarms")
                for page in paginator.paginate(
                    AlarmNames=names[start : start + 100], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
                ):
                    alarms.extend(page.get("MetricAlarms", []) + page.get("CompositeAlarms", []))
        return alarms


class SnapshotsGateway:
    def __init__(self, client: Any, db_instance: str) -> None:
        self._client = client
        self._db_instance = db_instance

    def latest_snapshot_time(self) -> datetime | None:
        latest: datetime | None = None
        with aws_call("DescribeDBSnapshots"):
            paginator = self._client.get_paginator("describe_db_snapshots")
            for page in paginator.paginate(DBInstanceIdentifier=self._db_instance):
                for snapshot in page.get("DBSnapshots", []):
                    created = snapshot.get("SnapshotCreateTime")
                    if created and (latest is None or created > latest):
                        latest = created
        return latest


class AlarmSilenceGateway:
    """Whether CloudWatch itself is keeping an alarm's actions quiet right now: an active alarm mute rule (the native
    maintenance window, ``ListAlarmMuteRules``), alarm actions switched off (``DisableAlarmActions``: EventBridge
    still reports the state change, SNS and the Lambda action do not), or a composite alarm's actions suppressor."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def silenced(self, alarm: str, composite: bool) -> str | None:
        rule = self._active_mute_rule(alarm)
        if rule is not None:
            return f"alarm mute rule {rule} is active"
        with aws_call("DescribeAlarms"):
            kinds = ["CompositeAlarm"] if composite else ["MetricAlarm", "CompositeAlarm"]
            found = self._client.describe_alarms(AlarmNames=[alarm], AlarmTypes=kinds)
        for described in found.get("MetricAlarms", []) + found.get("CompositeAlarms", []):
            if described.get("ActionsEnabled") is False:
                return "alarm actions are disabled"
            by = described.get("ActionsSuppressedBy")
            if by and described.get("StateValue") == "ALARM":
                return f"actions suppressed by {by}"
        return None

    def _active_mute_rule(self, alarm: str) -> str | None:
        try:
            with aws_call("ListAlarmMuteRules"):
                paginator = self._client.get_paginator("list_alarm_mute_rules")
                for page in paginator.paginate(AlarmName=alarm, Statuses=["ACTIVE"]):
                    for rule in page.get("AlarmMuteRuleSummaries", []):
                        if rule.get("Status") == "ACTIVE":  # "currently muting alarm actions" (GetAlarmMuteRule)
                            return str(rule.get("AlarmMuteRuleArn", "")).rsplit(":", 1)[-1] or "unnamed"
        except AwsOperationError as exc:
            if exc.code != "ResourceNotFoundException":  # no rule targets this alarm
                raise
        return None
