"""The green target group's metrics for the cutover's analysis: one ``GetMetricData`` over the last interval (and
the minute before it, since CloudWatch's periods are aligned to the minute, not to the call) —
``RequestCount`` and ``HTTPCode_Target_5XX_Count`` (Sum) and ``TargetResponseTime`` (p95) of the target group
behind the load balancer (AWS/ApplicationELB, dimensions ``TargetGroup`` and ``LoadBalancer``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.cutover.analysis import Sample


class GreenMetrics:
    def __init__(
        self, client: Any, *, green: Callable[[], tuple[str, str]], interval_s: int, clock: Callable[[], datetime]
    ) -> None:
        """``green``: the (LoadBalancer, TargetGroup) dimensions of the green target group, asked at each sample."""
        self._client = client
        self._green = green
        self._interval = max(60, int(interval_s))
        self._clock = clock

    def sample(self) -> Sample:
        end = self._clock()
        load_balancer, target_group = self._green()
        dimensions = [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": load_balancer}]
        queries = [
            self._query("requests", "RequestCount", "Sum", dimensions),
            self._query("errors", "HTTPCode_Target_5XX_Count", "Sum", dimensions),
            self._query("p95", "TargetResponseTime", "p95", dimensions),
        ]
        with aws_call("GetMetricData"):
            response = self._client.get_metric_data(
                MetricDataQueries=queries, StartTime=end - timedelta(seconds=self._interval + 60), EndTime=end
            )
        values = {r["Id"]: list(r.get("Values", [])) for r in response.get("MetricDataResults", [])}
        p95 = values.get("p95") or []
        return Sample(
            requests=float(sum(values.get("requests") or [])),
            errors_5xx=float(sum(values.get("errors") or [])),
            p95_s=float(max(p95)) if p95 else None,
        )

    def _query(self, query_id: str, metric: str, stat: str, dimensions: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": dimensions},
                "Period": self._interval,
                "Stat": stat,
            },
            "ReturnData": True,
        }
