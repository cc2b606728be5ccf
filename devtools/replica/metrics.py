"""The replica's CloudWatch metrics keep time: when the clock moves, fresh datapoints of the database and the
cache are put at the new time (``seed.seed_metrics``), so the readiness report, read at any replica time, sees
the last hour's storage and the last day's connections as a real account would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devtools.replica.seed import ReplicaSpec, seed_metrics

REFRESH = timedelta(minutes=30)


class Metrics:
    def __init__(self, cloudwatch: Any, elasticache: Any, spec: ReplicaSpec) -> None:
        self._cloudwatch = cloudwatch
        self._elasticache = elasticache
        self._spec = spec
        self._last: datetime | None = None
        self._members: list[str] | None = None

    def next_due(self, after: datetime) -> datetime | None:  # noqa: ARG002 - the Simulated protocol
        return None  # nothing of its own falls due; it follows wherever the clock stops

    def act(self, since: datetime, now: datetime) -> None:  # noqa: ARG002 - the Simulated protocol
        if self._last is not None and now - self._last < REFRESH:
            return
        if self._members is None:
            group = self._elasticache.describe_replication_groups(ReplicationGroupId=self._spec.cache_replication_group)
            self._members = list(group["ReplicationGroups"][0].get("MemberClusters", []))
        seed_metrics(self._cloudwatch, self._spec, self._members, now)
        self._last = now
