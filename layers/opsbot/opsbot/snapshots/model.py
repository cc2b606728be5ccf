"""Snapshots as plain data: what RDS says about the instance and its snapshots, and the bot's tag scheme.

A snapshot is the bot's when it carries ``opsbot:created-by=opsbot`` **and** its identifier starts with the bot's
prefix ``opsbot-<db>-``: either alone could be a person's copy or a coincidence, and retention only ever deletes
what is the bot's by both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

CREATED_BY = "opsbot:created-by"
CREATED_BY_VALUE = "opsbot"
REASON = "opsbot:reason"
REQUESTED_BY = "opsbot:requested-by"
NOTE = "opsbot:note"
KEEP = "opsbot:keep"


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    instance: str
    kind: str  # SnapshotType: manual | automated | awsbackup | shared | public
    status: str  # creating | available | failed | deleting | …
    created: datetime | None
    size_gib: int | None = None
    encrypted: bool = False
    kms_key_id: str = ""
    arn: str = ""
    progress: int | None = None  # PercentProgress while creating
    tags: Mapping[str, str] = field(default_factory=dict)

    def is_ours(self, db: str) -> bool:
        return self.tags.get(CREATED_BY) == CREATED_BY_VALUE and self.identifier.startswith(prefix(db))

    @property
    def pinned(self) -> bool:
        return self.tags.get(KEEP, "").lower() == "true"

    @property
    def reason(self) -> str:
        return self.tags.get(REASON, "")

    @property
    def requested_by(self) -> str:
        return self.tags.get(REQUESTED_BY, "")


@dataclass(frozen=True)
class Instance:
    identifier: str
    status: str
    arn: str = ""
    encrypted: bool = False
    kms_key_id: str = ""
    backup_window: str = ""  # PreferredBackupWindow, UTC "hh:mm-hh:mm"
    maintenance_window: str = ""  # PreferredMaintenanceWindow, UTC "ddd:hh:mm-ddd:hh:mm"
    backup_replications: tuple[str, ...] = ()  # DBInstanceAutomatedBackupsReplications' ARNs
    read_replicas: tuple[str, ...] = ()  # ReadReplicaDBInstanceIdentifiers (ARNs when in another region)


@dataclass(frozen=True)
class Quota:
    """``DescribeAccountAttributes`` ``ManualSnapshots``: manual snapshots of the account and region."""

    used: int
    max: int

    @property
    def share(self) -> float:
        return self.used / self.max if self.max else 1.0


class Followed(NamedTuple):
    """The Slack message that follows a snapshot (``opsbot.aws.snapshot_progress``)."""

    identifier: str
    channel: str
    ts: str
    started: datetime
    by: str


def prefix(db: str) -> str:
    return f"opsbot-{db}-"
