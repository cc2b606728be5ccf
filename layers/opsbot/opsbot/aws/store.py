"""The operations table (DynamoDB, in-region): change locks and pending confirmations (the audit trail has a
table of its own, ``opsbot.aws.audit``; capacity intents are in ``opsbot.aws.intents``).

Single-table layout, keys ``pk``/``sk``, TTL attribute ``expires_at``:

- ``LOCK#<cluster>/<service>`` / ``LOCK`` — the per-service change lock (expires by itself);
- ``CONFIRM#<id>`` / ``CONFIRM`` — a change waiting for its confirmation button.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.errors import ChangeInProgress


class OperationsStore:
    """Implements ``LockPort`` and ``ConfirmationPort`` on one table."""

    def __init__(self, client: Any, table: str, lock_ttl: timedelta, confirmation_ttl: timedelta) -> None:
        self._client = client
        self._table = table
        self._lock_ttl = lock_ttl
        self._confirmation_ttl = confirmation_ttl

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
    def put(self, confirmation_id: str, payload: dict[str, Any], now: datetime, ttl: timedelta | None = None) -> None:
        """``ttl``: how long it may be answered (default: the confirmation TTL; a deploy approval's is longer)."""
        with aws_call("PutItem (confirmation)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"CONFIRM#{confirmation_id}"},
                    "sk": {"S": "CONFIRM"},
                    "payload": {"S": json.dumps(payload, sort_keys=True)},
                    "expires_at": {"N": str(int((now + (ttl or self._confirmation_ttl)).timestamp()))},
                },
            )

    def waiting(self, confirmation_id: str) -> bool:
        """Whether the confirmation is still there to be taken (the sweeper's question about a button cut short)."""
        with aws_call("GetItem (confirmation)"):
            found = self._client.get_item(
                TableName=self._table,
                Key={"pk": {"S": f"CONFIRM#{confirmation_id}"}, "sk": {"S": "CONFIRM"}},
                ConsistentRead=True,
            )
        return "Item" in found

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
