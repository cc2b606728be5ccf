"""RDS: the instance, its snapshots and tags, the manual-snapshot quota, sharing attributes and the waiter.

The bot never copies or shares a snapshot: no call here can, and its IAM policy denies both explicitly."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import WaiterError

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError
from opsbot.snapshots.model import Instance, Quota, Snapshot

WAIT_DELAY_S = 15  # between DescribeDBSnapshots polls while waiting (RDS's waiter default is 30)


def _snapshot(item: dict[str, Any]) -> Snapshot:
    created = item.get("SnapshotCreateTime")
    size = item.get("AllocatedStorage")
    return Snapshot(
        identifier=str(item["DBSnapshotIdentifier"]),
        instance=str(item.get("DBInstanceIdentifier", "")),
        kind=str(item.get("SnapshotType", "")),
        status=str(item.get("Status", "")),
        created=created if isinstance(created, datetime) else None,
        size_gib=int(size) if size is not None else None,
        encrypted=bool(item.get("Encrypted", False)),
        kms_key_id=str(item.get("KmsKeyId", "") or ""),
        arn=str(item.get("DBSnapshotArn", "")),
        progress=item.get("PercentProgress"),
        tags={str(t["Key"]): str(t.get("Value", "")) for t in item.get("TagList", [])},
    )


class RdsSnapshots:
    def __init__(self, client: Any, db_instance: str) -> None:
        self._client = client
        self._db = db_instance

    @property
    def db(self) -> str:
        return self._db

    def instance(self) -> Instance:
        with aws_call("DescribeDBInstances"):
            found = self._client.describe_db_instances(DBInstanceIdentifier=self._db)["DBInstances"]
        item = found[0]
        return Instance(
            identifier=str(item["DBInstanceIdentifier"]),
            status=str(item.get("DBInstanceStatus", "")),
            arn=str(item.get("DBInstanceArn", "")),
            encrypted=bool(item.get("StorageEncrypted", False)),
            kms_key_id=str(item.get("KmsKeyId", "") or ""),
            backup_window=str(item.get("PreferredBackupWindow", "") or ""),
            maintenance_window=str(item.get("PreferredMaintenanceWindow", "") or ""),
            backup_replications=tuple(
                str(r.get("DBInstanceAutomatedBackupsArn", ""))
                for r in item.get("DBInstanceAutomatedBackupsReplications", [])
            ),
            read_replicas=tuple(str(r) for r in item.get("ReadReplicaDBInstanceIdentifiers", [])),
        )

    def snapshots(self) -> list[Snapshot]:
        found: list[Snapshot] = []
        with aws_call("DescribeDBSnapshots"):
            paginator = self._client.get_paginator("describe_db_snapshots")
            for page in paginator.paginate(DBInstanceIdentifier=self._db):
                found.extend(_snapshot(item) for item in page.get("DBSnapshots", []))
        return found

    def snapshot(self, identifier: str) -> Snapshot | None:
        try:
            with aws_call("DescribeDBSnapshots"):
                found = self._client.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
        except AwsOperationError as exc:
            if exc.code == "DBSnapshotNotFound":
                return None
            raise
        return _snapshot(found[0]) if found else None

    def quota(self) -> Quota | None:
        with aws_call("DescribeAccountAttributes"):
            quotas = self._client.describe_account_attributes().get("AccountQuotas", [])
        for quota in quotas:
            if quota.get("AccountQuotaName") == "ManualSnapshots":
                return Quota(used=int(quota.get("Used", 0)), max=int(quota.get("Max", 0)))
        return None

    def create(self, identifier: str, tags: Sequence[dict[str, str]]) -> Snapshot:
        with aws_call("CreateDBSnapshot"):
            item = self._client.create_db_snapshot(
                DBSnapshotIdentifier=identifier, DBInstanceIdentifier=self._db, Tags=list(tags)
            )["DBSnapshot"]
        return _snapshot(item)

    def delete(self, identifier: str) -> None:
        with aws_call("DeleteDBSnapshot"):
            self._client.delete_db_snapshot(DBSnapshotIdentifier=identifier)

    def set_tag(self, arn: str, key: str, value: str) -> None:
        with aws_call("AddTagsToResource"):
            self._client.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": key, "Value": value}])

    def remove_tag(self, arn: str, key: str) -> None:
        with aws_call("RemoveTagsFromResource"):
            self._client.remove_tags_from_resource(ResourceName=arn, TagKeys=[key])

    def shared_with(self, identifier: str) -> list[str]:
        with aws_call("DescribeDBSnapshotAttributes"):
            result = self._client.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)
        for attribute in result.get("DBSnapshotAttributesResult", {}).get("DBSnapshotAttributes", []):
            if attribute.get("AttributeName") == "restore":
                return [str(v) for v in attribute.get("AttributeValues", [])]
        return []

    def wait_available(self, identifier: str, timeout_s: int) -> Snapshot:
        if timeout_s > 0:
            attempts = max(1, math.ceil(timeout_s / WAIT_DELAY_S))
            # Timed out, or RDS says it failed (WaiterError): what RDS says now is reported below.
            with aws_call("DescribeDBSnapshots (waiter)"), contextlib.suppress(WaiterError):
                self._client.get_waiter("db_snapshot_available").wait(
                    DBSnapshotIdentifier=identifier, WaiterConfig={"Delay": WAIT_DELAY_S, "MaxAttempts": attempts}
                )
        found = self.snapshot(identifier)
        if found is None:
            raise AwsOperationError("DescribeDBSnapshots", "DBSnapshotNotFound", f"snapshot {identifier} is gone")
        return found
