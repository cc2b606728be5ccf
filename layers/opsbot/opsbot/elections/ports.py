"""The interfaces the election feature depends on (the shared ones are in ``opsbot.ports``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from opsbot.elections.model import Election


class ElectionEntriesPort(Protocol):
    """Elections added from Slack, in the operations table (``opsbot.aws.elections``)."""

    def add(self, entry: Mapping[str, Any], by: str, now: datetime) -> bool:
        """False when an entry with the slug exists already (nothing written)."""
        ...

    def remove(self, slug: str) -> bool:
        """False when there was no entry with the slug."""
        ...

    def entries(self) -> list[dict[str, Any]]: ...


class CalendarPort(Protocol):
    """The calendar in force: the repository's (or the SSM parameter's) merged with the Slack entries."""

    def elections(self) -> tuple[Election, ...]: ...


class HoldsPort(Protocol):
    """The gated scale-down's decisions and the once-only markers of the reconciler's posts
    (``opsbot.aws.election_holds``)."""

    def holds(self) -> dict[str, datetime]: ...
    def hold(
        self, slug: str, until: datetime, by: str, now: datetime, operation: str = "", previous: datetime | None = None
    ) -> None: ...
    def decision(self, slug: str) -> tuple[str, datetime | None] | None:
        """(the operation that recorded the answer, the answer it replaced), or None without an answer."""
        ...

    def put_back(self, slug: str, previous: datetime | None, by: str, now: datetime) -> None: ...
    def claim(self, what: str, now: datetime) -> bool: ...
    def release(self, what: str) -> None: ...


class SuspensionPort(Protocol):
    """The scalable target's scale-in suspension (``opsbot.aws.suspension``)."""

    def suspended(self) -> bool: ...
    def set_scale_in(self, suspended: bool) -> None: ...


class WakeUpPort(Protocol):
    """The reconciler's one-time Scheduler schedules (``opsbot.aws.wake_ups``)."""

    @property
    def configured(self) -> bool: ...
    def names(self) -> set[str]: ...
    def create(self, name: str, at: datetime) -> None: ...
    def delete(self, name: str) -> None: ...


class DatabaseMetrics(NamedTuple):
    """From CloudWatch ``GetMetricData``: ``None`` where there was no datapoint."""

    free_storage_bytes: float | None  # FreeStorageSpace, the lowest in the last hour
    peak_connections: float | None  # DatabaseConnections, the highest in the last 24 h


class CacheState(NamedTuple):
    status: str  # the replication group's Status ("" when it does not exist)
    members: int  # its member clusters (nodes)
    evictions: float | None  # Evictions summed over the members in the last 24 h


class MuteRule(NamedTuple):
    """A CloudWatch alarm mute rule that is muting (``ACTIVE``) or will mute (``SCHEDULED``) one of our alarms."""

    name: str
    alarm: str
    status: str
    expires: datetime | None


class ReadinessReadsPort(Protocol):
    """The reads only the readiness report needs (``opsbot.aws.readiness``)."""

    def service_alarms(self) -> list[tuple[str, str]]:
        """Every alarm of the service (by the configured prefix), with its state."""
        ...

    def mute_rules(self, alarms: Sequence[str]) -> list[MuteRule]: ...
    def database_metrics(self, now: datetime) -> DatabaseMetrics: ...
    def cache(self, now: datetime) -> CacheState: ...
    def fargate_vcpu_quota(self) -> float: ...
