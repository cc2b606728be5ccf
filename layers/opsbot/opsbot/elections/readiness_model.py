"""The readiness report's data: a check's verdict, the report, what it reads from and the thresholds it judges by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from opsbot.capacity.core import CapacityCore
from opsbot.elections.calendar import local_instant
from opsbot.elections.model import Election
from opsbot.elections.ports import ReadinessReadsPort
from opsbot.ports import RemediationStatePort, ServicePort, SnapshotsPort

STATUSES = ("pass", "warn", "fail")
POLLS_OPEN = time(7, 0)  # polls open 07:00 local on polling day; the reports come 48 h and 24 h before
# The reconciler asks for a pre-election snapshot this long before polls open, so that the T-24 h report (and
# polling day) finds one younger than 24 h.
PRE_ELECTION_SNAPSHOT_LEAD = timedelta(hours=26)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | warn | fail
    figure: str  # the measurement behind the verdict
    link: str = ""  # where to look (an AWS console page in the service's region)
    fix: str = ""  # what to do, when not a pass


@dataclass(frozen=True)
class Readiness:
    election: Election
    polls_open: datetime
    checked_at: datetime
    checks: tuple[Check, ...]
    trigger: str = "on demand"  # or "T-48 h" / "T-24 h"

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=STATUSES.index, default="pass")

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)


@dataclass(frozen=True)
class Thresholds:
    ceiling: int
    db_max_connections: int
    connection_headroom_pct: int
    min_free_storage_gib: int


@dataclass(frozen=True)
class Links:
    """Console pages, built for the service's own region (nothing here leaves it)."""

    region: str
    cluster: str
    service: str
    db_instance: str
    cache_group: str

    def _console(self, path: str) -> str:
        return f"https://{self.region}.console.aws.amazon.com/{path}"

    @property
    def scaling(self) -> str:
        return self._console(f"ecs/v2/clusters/{self.cluster}/services/{self.service}/health?region={self.region}")

    @property
    def deployments(self) -> str:
        return self._console(f"ecs/v2/clusters/{self.cluster}/services/{self.service}/deployments?region={self.region}")

    @property
    def alarms(self) -> str:
        return self._console(f"cloudwatch/home?region={self.region}#alarmsV2:?~(state~'ALARM)")

    @property
    def snapshots(self) -> str:
        return self._console(f"rds/home?region={self.region}#db-snapshots:")

    @property
    def database(self) -> str:
        return self._console(f"rds/home?region={self.region}#database:id={self.db_instance}")

    @property
    def cache(self) -> str:
        return self._console(f"elasticache/home?region={self.region}#/redis/{self.cache_group}")

    @property
    def quotas(self) -> str:
        return self._console(f"servicequotas/home/services/fargate/quotas?region={self.region}")


@dataclass(frozen=True)
class ReadinessSources:
    core: CapacityCore
    service: ServicePort
    snapshots: SnapshotsPort
    remediation: RemediationStatePort | None
    reads: ReadinessReadsPort
    thresholds: Thresholds
    links: Links


class Read(NamedTuple):
    value: Any = None
    error: str = ""


class Facts(NamedTuple):
    """What the reads found, each as a value or the error that stopped it."""

    intents: Read
    actions: Read  # every scheduled action of the target (all owners)
    service: Read
    alarms: Read  # (name, state) of the service's alarms
    remediation: Read  # (enabled, {alarm: muted until}, [MuteRule])
    snapshot: Read  # latest snapshot time or None
    database: Read  # DatabaseMetrics
    cache: Read  # CacheState
    quota: Read  # Fargate on-demand vCPU quota


def polls_open(election: Election) -> datetime:
    return local_instant(election.polling_date, POLLS_OPEN, ZoneInfo(election.zone))
