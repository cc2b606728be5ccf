"""RDS snapshots on the replica go ``creating`` -> ``available`` as the clock advances, and the matching RDS
events reach the bot: moto makes a manual snapshot available at once, so while a replica is running
:func:`install`'s wrapper leaves a new manual snapshot ``creating`` (``PercentProgress`` 0); at the first stop of
the clock after that, RDS-EVENT-0040 ("A manual DB snapshot is being created") is delivered, and ``creation``
later the snapshot is ``available`` (``PercentProgress`` 100) and RDS-EVENT-0042 ("A manual DB snapshot has been
created") is delivered, shaped as EventBridge's "RDS DB Snapshot Event"
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html#USER_Events.Messages.snapshot).

Driven through moto's backend objects (no RDS API sets a snapshot's status); needs the moto server in this process.
Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from moto.rds.models import RDSBackend, rds_backends

CREATION: Final = timedelta(minutes=4)
_LOCK = threading.RLock()
_ACTIVE: list[Snapshots] = []  # replicas running in this process; a new snapshot is theirs to drive
_INSTALLED_FLAG: Final = "_opsbot_snapshot_lifecycle"

Delivery = Callable[[dict[str, Any]], None]


@dataclass
class Snapshots:
    """The replica's manual snapshots of one account and region, and the events they emit."""

    account: str
    region: str
    deliver: Delivery
    clock: Callable[[], datetime]  # the replica's: a snapshot is created at its time and ready ``creation`` later
    creation: timedelta = CREATION
    _new: list[str] = field(default_factory=list)  # created, RDS-EVENT-0040 not yet delivered
    _ready_at: dict[str, datetime] = field(default_factory=dict)

    def start(self) -> None:
        install()
        with _LOCK:
            _ACTIVE.append(self)

    def stop(self) -> None:
        with _LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)

    def created(self, snapshot: Any) -> None:
        """A manual snapshot moto just made: ``creating`` from the replica's present until ``creation`` later."""
        now = self.clock()
        snapshot.status = "creating"
        snapshot.percent_progress = 0
        snapshot.created = now  # SnapshotCreateTime: the replica's time, not the host's
        with _LOCK:
            self._new.append(snapshot.db_snapshot_identifier)
            self._ready_at[snapshot.db_snapshot_identifier] = now + self.creation

    def next_due(self, after: datetime) -> datetime | None:
        return min((when for when in self._ready_at.values() if when > after), default=None)

    def act(self, since: datetime, now: datetime) -> None:  # noqa: ARG002 - creation times are kept here
        backend = rds_backends[self.account][self.region]
        with _LOCK:
            new, self._new = self._new, []
        for identifier in new:
            self._emit(identifier, "RDS-EVENT-0040", "Creating manual snapshot", now)
        for identifier, when in sorted(self._ready_at.items(), key=lambda item: item[1]):
            if when > now:
                continue
            del self._ready_at[identifier]
            snapshot = backend.database_snapshots.get(identifier)
            if snapshot is None:
                continue
            snapshot.status = "available"
            snapshot.percent_progress = 100  # type: ignore[attr-defined]
            self._emit(identifier, "RDS-EVENT-0042", "Manual snapshot created", when)

    def _emit(self, identifier: str, event_id: str, message: str, at: datetime) -> None:
        arn = f"arn:aws:rds:{self.region}:{self.account}:snapshot:{identifier}"
        self.deliver({
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "RDS DB Snapshot Event",
            "source": "aws.rds",
            "account": self.account,
            "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [arn],
            "detail": {
                "EventCategories": ["creation"],
                "SourceType": "SNAPSHOT",
                "SourceArn": arn,
                "Date": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "Message": message,
                "SourceIdentifier": identifier,
                "EventID": event_id,
            },
        })  # fmt: skip


def install() -> None:
    """Wrap moto's ``create_db_snapshot`` in this process (idempotent): with a replica running, a new manual
    snapshot starts ``creating`` and is handed to that replica."""
    with _LOCK:
        if getattr(RDSBackend, _INSTALLED_FLAG, False):
            return
        original = RDSBackend.create_db_snapshot

        def create_db_snapshot(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
            snapshot = original(self, *args, **kwargs)
            with _LOCK:
                owners = [s for s in _ACTIVE if (s.account, s.region) == (self.account_id, self.region_name)]
            if owners and getattr(snapshot, "snapshot_type", "manual") == "manual":
                owners[-1].created(snapshot)
            return snapshot

        RDSBackend.create_db_snapshot = create_db_snapshot  # type: ignore[method-assign]
        setattr(RDSBackend, _INSTALLED_FLAG, True)
