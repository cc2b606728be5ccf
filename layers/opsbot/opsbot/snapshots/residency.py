"""The residency guard (pure): no copy of the candidate database leaves the region. A violation is a red line in
Slack saying what was found and how to undo it:

- a snapshot of the instance shared (its ``restore`` attribute lists ``all`` or any account);
- automated backups replicated to another region (``DBInstanceAutomatedBackupsReplications``);
- a read replica outside the region;
- storage not encrypted, or encrypted with a KMS key of another region;
- a snapshot the bot made that is not encrypted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from opsbot.snapshots.model import Instance, Snapshot


@dataclass(frozen=True)
class Violation:
    what: str
    fix: str


def _region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 else ""


def violations(
    instance: Instance, snapshots: Iterable[Snapshot], shared_with: Mapping[str, list[str]], region: str, db: str
) -> list[Violation]:
    """``shared_with``: snapshot identifier -> the values of its ``restore`` attribute."""
    found: list[Violation] = []
    for identifier, accounts in sorted(shared_with.items()):
        if accounts:
            whom = "everyone (public)" if "all" in accounts else "account(s) " + ", ".join(sorted(accounts))
            found.append(Violation(
                f"snapshot {identifier} is shared with {whom}",
                f"remove the share (ModifyDBSnapshotAttribute restore, ValuesToRemove {', '.join(sorted(accounts))})",
            ))  # fmt: skip
    for arn in instance.backup_replications:
        found.append(Violation(
            f"automated backups are replicated to {_region_of(arn) or arn}",
            "stop the replication (StopDBInstanceAutomatedBackupsReplication)",
        ))  # fmt: skip
    for replica in instance.read_replicas:
        where = _region_of(replica)
        if where and where != region:
            found.append(Violation(f"read replica {replica} is in {where}", "delete or promote it inside the region"))
    if not instance.encrypted:
        found.append(
            Violation(f"the storage of {instance.identifier} is not encrypted", "restore into an encrypted instance")
        )
    elif _region_of(instance.kms_key_id) not in ("", region):
        found.append(Violation(
            f"the storage is encrypted with a KMS key in {_region_of(instance.kms_key_id)}",
            f"use a KMS key in {region}",
        ))  # fmt: skip
    for snapshot in snapshots:
        if snapshot.is_ours(db) and not snapshot.encrypted:
            found.append(
                Violation(f"the bot's snapshot {snapshot.identifier} is not encrypted", "delete it and take another")
            )
    return found
