"""Which Slack message follows which snapshot, so an RDS event for it updates that message in place.

Key ``SNAPSHOT#<identifier>`` / ``PROGRESS``: the channel and ts of the message, when following began, who asked.
Written once (a conditional put: a retried follow finds the message already posted). TTL: 2 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.snapshots.model import Followed

_KEEP = timedelta(days=2)


class SnapshotProgress:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @staticmethod
    def _key(identifier: str) -> dict[str, Any]:
        return {"pk": {"S": f"SNAPSHOT#{identifier}"}, "sk": {"S": "PROGRESS"}}

    def record(self, followed: Followed) -> bool:
        """False when a message already follows this snapshot (nothing written)."""
        item = {
            **self._key(followed.identifier),
            "channel": {"S": followed.channel},
            "ts": {"S": followed.ts},
            "started": {"S": followed.started.isoformat()},
            "by": {"S": followed.by},
            "expires_at": {"N": str(int((followed.started + _KEEP).timestamp()))},
        }
        return conditional_write(
            "PutItem (snapshot progress)",
            lambda: self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            ),
        )

    def get(self, identifier: str) -> Followed | None:
        with aws_call("GetItem (snapshot progress)"):
            item = self._client.get_item(TableName=self._table, Key=self._key(identifier), ConsistentRead=True)
        found = item.get("Item")
        if not found:
            return None
        return Followed(
            identifier, found["channel"]["S"], found["ts"]["S"], datetime.fromisoformat(found["started"]["S"]),
            found["by"]["S"],
        )  # fmt: skip
