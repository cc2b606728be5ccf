"""The operations table (DynamoDB, in-region): audit trail, change locks, pending confirmations.

Single-table layout, keys ``pk``/``sk``, TTL attribute ``expires_at``:

- ``AUDIT`` / ``<iso time>#<id>`` — one item per attempt (kept 400 days);
- ``LOCK#<cluster>/<service>`` / ``LOCK`` — the per-service change lock (expires by itself);
- ``CONFIRM#<id>`` / ``CONFIRM`` — a change waiting for its confirmation button.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.errors import ChangeInProgress
from opsbot.ports import AuditEntry

_AUDIT_RETENTION = timedelta(days=400)


class OperationsStore:
    """Implements ``AuditPort``, ``LockPort`` and ``ConfirmationPort`` on one table."""

    def __init__(self, client: Any, table: str, lock_ttl: timedelta, confirmation_ttl: timedelta) -> None:
        self._client = client
        self._table = table
        self._lock_ttl = lock_ttl
        self._confirmation_ttl = confirmation_ttl

    # audit -----------------------------------------------------------------------------------------------
    def record(self, entry: AuditEntry) -> None:
        item = {
            "pk": {"S": "AUDIT"},
            "sk": {"S": entry.key},
            "at": {"S": entry.at.isoformat()},
            "actor": {"S": entry.actor},
            "channel": {"S": entry.channel},
            "verb": {"S": entry.verb},
            "arguments": {"S": entry.arguments},
            "decision": {"S": entry.decision},
            "result": {"S": entry.result},
            "before": {"S": json.dumps(entry.before, sort_keys=True)},
            "after": {"S": json.dumps(entry.after, sort_keys=True)},
            "error": {"S": entry.error},
            "expires_at": {"N": str(int((entry.at + _AUDIT_RETENTION).timestamp()))},
        }
        with aws_call("PutItem (audit)"):
            self._client.put_item(TableName=self._table, Item=item)

    def get(self, key: str) -> AuditEntry | None:
        with aws_call("GetItem (audit)"):
            response = self._client.get_item(TableName=self._table, Key={"pk": {"S": "AUDIT"}, "sk": {"S": key}})
        item = response.get("Item")
        return _audit_entry(item) if item else None

    def latest(self, limit: int) -> list[AuditEntry]:
        with aws_call("Query (audit)"):
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "AUDIT"}},
                ScanIndexForward=False,
                Limit=limit,
            )
        return [_audit_entry(item) for item in response.get("Items", [])]

    # change lock -----------------------------------------------------------------------------------------
    def acquire(self, resource: str, owner: str, now: datetime) -> None:
        """Take the lock, or raise ``ChangeInProgress``. A lock past its TTL is stale and may be taken over."""
        taken = conditional_write(
            "PutItem (lock)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"LOCK#{resource}"},
                    "sk": {"S": "LOCK"},
                    "owner": {"S": owner},
                    "since": {"S": now.isoformat()},
                    "expires_at": {"N": str(int((now + self._lock_ttl).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            ),
        )
        if not taken:
            raise ChangeInProgress(f"another change to {resource} is in progress; try again when it has finished")

    def release(self, resource: str, owner: str) -> None:
        # A failed condition means the lock expired and someone else holds it now: nothing to release.
        conditional_write(
            "DeleteItem (lock)",
            lambda: self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"LOCK#{resource}"}, "sk": {"S": "LOCK"}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            ),
        )

    # confirmations ---------------------------------------------------------------------------------------
    def put(self, confirmation_id: str, payload: dict[str, Any], now: datetime) -> None:
        with aws_call("PutItem (confirmation)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"CONFIRM#{confirmation_id}"},
                    "sk": {"S": "CONFIRM"},
                    "payload": {"S": json.dumps(payload, sort_keys=True)},
                    "expires_at": {"N": str(int((now + self._confirmation_ttl).timestamp()))},
                },
            )

    def take(self, confirmation_id: str, now: datetime) -> dict[str, Any] | None:
        """Consume a confirmation exactly once; ``None`` if it is unknown, used or expired."""
        with aws_call("DeleteItem (confirmation)"):
            response = self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"CONFIRM#{confirmation_id}"}, "sk": {"S": "CONFIRM"}},
                ReturnValues="ALL_OLD",
            )
        item = response.get("Attributes")
        if not item or int(item["expires_at"]["N"]) < int(now.timestamp()):
            return None
        payload: dict[str, Any] = json.loads(item["payload"]["S"])
        return payload


def _audit_entry(item: dict[str, Any]) -> AuditEntry:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return AuditEntry(
        key=text("sk"),
        at=datetime.fromisoformat(text("at")),
        actor=text("actor"),
        channel=text("channel"),
        verb=text("verb"),
        arguments=text("arguments"),
        decision=text("decision"),
        result=text("result"),
        before=json.loads(text("before") or "{}"),
        after=json.loads(text("after") or "{}"),
        error=text("error"),
    )
