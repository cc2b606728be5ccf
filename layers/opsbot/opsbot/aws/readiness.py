"""The reads only the readiness report needs: the service's alarms (all states) and their CloudWatch mute rules,
the database's storage and connections (one ``GetMetricData``), the cache's replication group and its evictions,
and the account's Fargate On-Demand vCPU quota."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.elections.ports import CacheState, DatabaseMetrics, MuteRule
from opsbot.errors import AwsOperationError

FARGATE = "fargate"
FARGATE_ON_DEMAND_VCPU = "L-3032A538"  # "Fargate On-Demand vCPU resource count"
_DAY = timedelta(hours=24)


class ReadinessReads:
    def __init__(
        self,
        cloudwatch: Any,
        elasticache: Any,
        quotas: Any,
        *,
        alarm_prefix: str,
        db_instance: str,
        cache_group: str,
    ) -> None:
        self._cloudwatch = cloudwatch
        self._elasticache = elasticache
        self._quotas = quotas
        self._prefix = alarm_prefix
        self._db_instance = db_instance
        self._cache_group = cache_group

    def service_alarms(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        with aws_call("DescribeAlarms"):
            paginator = self._cloudwatch.get_paginator("describe_alarms")
            for page in paginator.paginate(AlarmNamePrefix=self._prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    found.append((str(alarm["AlarmName"]), str(alarm.get("StateValue", ""))))
        return found

    def mute_rules(self, alarms: Sequence[str]) -> list[MuteRule]:
        """Rules muting or scheduled to mute each alarm. ``ListAlarmMuteRules`` filters by one alarm per call, so
        the calls go out together."""
        if not alarms:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(alarms)), thread_name_prefix="mute-rules") as pool:
            return [rule for rules in pool.map(self._mute_rules, alarms) for rule in rules]

    def _mute_rules(self, alarm: str) -> list[MuteRule]:
        rules: list[MuteRule] = []
        try:
            with aws_call("ListAlarmMuteRules"):
                paginator = self._cloudwatch.get_paginator("list_alarm_mute_rules")
                for page in paginator.paginate(AlarmName=alarm, Statuses=["ACTIVE", "SCHEDULED"]):
                    for rule in page.get("AlarmMuteRuleSummaries", []):
                        name = str(rule.get("AlarmMuteRuleArn", "")).rsplit(":", 1)[-1] or "unnamed"
                        rules.append(MuteRule(name, alarm, str(rule.get("Status", "")), rule.get("ExpireDate")))
        except AwsOperationError as exc:
            if exc.code != "ResourceNotFoundException":  # no rule targets this alarm
                raise
        return rules

    def database_metrics(self, now: datetime) -> DatabaseMetrics:
        dimensions = [{"Name": "DBInstanceIdentifier", "Value": self._db_instance}]
        queries = [
            _query("storage", "AWS/RDS", "FreeStorageSpace", dimensions, "Minimum", 300),
            _query("connections", "AWS/RDS", "DatabaseConnections", dimensions, "Maximum", 3600),
        ]
        values = self._metric_data(queries, now - _DAY, now)
        storage = [v for at, v in values.get("storage", []) if at >= now - timedelta(hours=1)]
        connections = [v for _, v in values.get("connections", [])]
        return DatabaseMetrics(
            free_storage_bytes=min(storage) if storage else None,
            peak_connections=max(connections) if connections else None,
        )

    def cache(self, now: datetime) -> CacheState:
        try:
            with aws_call("DescribeReplicationGroups"):
                groups = self._elasticache.describe_replication_groups(ReplicationGroupId=self._cache_group)
        except AwsOperationError as exc:
            if exc.code == "ReplicationGroupNotFoundFault":
                return CacheState(status="", members=0, evictions=None)
            raise
        group = (groups.get("ReplicationGroups") or [{}])[0]
        members = [str(m) for m in group.get("MemberClusters", [])]
        evictions: float | None = None
        if members:  # Evictions is a per-node metric, by CacheClusterId
            queries = [
                _query(f"e{i}", "AWS/ElastiCache", "Evictions", [{"Name": "CacheClusterId", "Value": m}], "Sum", 3600)
                for i, m in enumerate(members)
            ]
            values = self._metric_data(queries, now - _DAY, now)
            points = [v for series in values.values() for _, v in series]
            evictions = sum(points) if points else None
        return CacheState(status=str(group.get("Status", "")), members=len(members), evictions=evictions)

    def fargate_vcpu_quota(self) -> float:
        try:
            with aws_call("GetServiceQuota"):
                quota = self._quotas.get_service_quota(ServiceCode=FARGATE, QuotaCode=FARGATE_ON_DEMAND_VCPU)
        except AwsOperationError as exc:
            if exc.code != "NoSuchResourceException":
                raise
            with aws_call("GetAWSDefaultServiceQuota"):  # no value applied to the account: the default holds
                quota = self._quotas.get_aws_default_service_quota(
                    ServiceCode=FARGATE, QuotaCode=FARGATE_ON_DEMAND_VCPU
                )
        return float(quota["Quota"]["Value"])

    def _metric_data(
        self, queries: list[dict[str, Any]], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, float]]]:
        found: dict[str, list[tuple[datetime, float]]] = {}
        with aws_call("GetMetricData"):
            paginator = self._cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(MetricDataQueries=queries, StartTime=start, EndTime=end):
                for result in page.get("MetricDataResults", []):
                    series = found.setdefault(str(result["Id"]), [])
                    series.extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
        return found


def _query(
    query_id: str, namespace: str, metric: str, dimensions: list[dict[str, str]], stat: str, period: int
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }
