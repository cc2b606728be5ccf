"""What the snapshot feature needs from RDS (``opsbot.aws.rds_snapshots``); tests hand in fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from opsbot.snapshots.model import Instance, Quota, Snapshot


class SnapshotJobsPort(Protocol):
    def follow(self, identifier: str, channel: str, requested_by: str) -> None:
        """Hand the snapshot to the snapshots function (asynchronously): it posts one message to ``channel`` and
        updates it as the snapshot progresses, from RDS's events or, where they do not come, by polling."""
        ...

    def take(self, reason: str, scheduled_at: datetime) -> None:
        """Ask the snapshots function (asynchronously) for a snapshot for ``reason``, once per ``scheduled_at``."""
        ...


class RdsSnapshotsPort(Protocol):
    @property
    def db(self) -> str: ...
    def instance(self) -> Instance: ...
    def snapshots(self) -> list[Snapshot]:
        """Every manual and automated snapshot of the instance, with its tags."""
        ...

    def snapshot(self, identifier: str) -> Snapshot | None: ...
    def quota(self) -> Quota | None:
        """``ManualSnapshots`` of ``DescribeAccountAttributes``; None when RDS does not say."""
        ...

    def create(self, identifier: str, tags: Sequence[dict[str, str]]) -> Snapshot: ...
    def delete(self, identifier: str) -> None: ...
    def set_tag(self, arn: str, key: str, value: str) -> None: ...
    def remove_tag(self, arn: str, key: str) -> None: ...
    def shared_with(self, identifier: str) -> list[str]:
        """The ``restore`` attribute: account IDs, or ``all`` for a public snapshot."""
        ...

    def wait_available(self, identifier: str, timeout_s: int) -> Snapshot:
        """Until the snapshot is available (botocore's waiter), at most ``timeout_s``; then it as RDS says."""
        ...
