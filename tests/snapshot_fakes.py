"""An in-memory RDS for the snapshot tests: the instance, its snapshots with tags, the quota, sharing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from opsbot.errors import AwsOperationError
from opsbot.snapshots.model import CREATED_BY, CREATED_BY_VALUE, REASON, Instance, Quota, Snapshot

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
DB = "mycandidate-db"


def ours(identifier: str, age: timedelta, reason: str = "nightly", **extra: str) -> Snapshot:
    return Snapshot(
        identifier=identifier, instance=DB, kind="manual", status="available", created=NOW - age, size_gib=100,
        encrypted=True, arn=f"arn:aws:rds:af-south-1:123456789012:snapshot:{identifier}",
        tags={CREATED_BY: CREATED_BY_VALUE, REASON: reason, **extra},
    )  # fmt: skip


@dataclass
class FakeRds:
    db: str = DB
    status: str = "available"
    items: dict[str, Snapshot] = field(default_factory=dict)
    quota_figures: Quota | None = field(default_factory=lambda: Quota(used=10, max=100))
    shares: dict[str, list[str]] = field(default_factory=dict)
    instance_figures: Instance | None = None
    calls: list[str] = field(default_factory=list)
    fail_delete: set[str] = field(default_factory=set)
    becomes: str = "available"  # what a waited-for snapshot turns into

    def add(self, *snapshots: Snapshot) -> None:
        self.items.update({s.identifier: s for s in snapshots})

    def instance(self) -> Instance:
        return self.instance_figures or Instance(
            DB, self.status, encrypted=True, kms_key_id="arn:aws:kms:af-south-1:123456789012:key/k",
            backup_window="00:00-00:30", maintenance_window="sun:01:00-sun:01:30",
        )  # fmt: skip

    def snapshots(self) -> list[Snapshot]:
        return list(self.items.values())

    def snapshot(self, identifier: str) -> Snapshot | None:
        return self.items.get(identifier)

    def quota(self) -> Quota | None:
        return self.quota_figures

    def create(self, identifier: str, tags: Sequence[dict[str, str]]) -> Snapshot:
        self.calls.append(f"CreateDBSnapshot {identifier}")
        snapshot = Snapshot(
            identifier, DB, "manual", "creating", NOW, 100, True, arn=f"arn:aws:rds:af-south-1:1:snapshot:{identifier}",
            tags={t["Key"]: t["Value"] for t in tags},
        )  # fmt: skip
        self.items[identifier] = snapshot
        return snapshot

    def delete(self, identifier: str) -> None:
        self.calls.append(f"DeleteDBSnapshot {identifier}")
        if identifier in self.fail_delete:
            raise AwsOperationError("DeleteDBSnapshot", "InvalidDBSnapshotState", "the snapshot is being copied")
        del self.items[identifier]

    def set_tag(self, arn: str, key: str, value: str) -> None:
        self.calls.append(f"AddTagsToResource {key}={value}")
        for s in self.items.values():
            if s.arn == arn:
                self.items[s.identifier] = replace(s, tags={**s.tags, key: value})

    def remove_tag(self, arn: str, key: str) -> None:
        self.calls.append(f"RemoveTagsFromResource {key}")
        for s in self.items.values():
            if s.arn == arn:
                self.items[s.identifier] = replace(s, tags={k: v for k, v in s.tags.items() if k != key})

    def shared_with(self, identifier: str) -> list[str]:
        return list(self.shares.get(identifier, []))

    def wait_available(self, identifier: str, timeout_s: int) -> Snapshot:
        self.items[identifier] = replace(self.items[identifier], status=self.becomes)
        return self.items[identifier]
