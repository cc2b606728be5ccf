"""Capacity intents and the capacity generation, in the operations table.

- ``INTENT#<cluster>/<service>`` / ``<intent id>`` — one item per intent (TTL a day after it expires);
- ``CAPACITY#<cluster>/<service>`` / ``GENERATION`` — the generation number and the operation that made it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.capacity.model import Generation, Intent
from opsbot.errors import ChangeInProgress

_KEEP_AFTER_EXPIRY = timedelta(days=1)


class IntentStore:
    """Implements ``IntentStorePort`` for one service."""

    def __init__(self, client: Any, table: str, service_key: str) -> None:
        self._client = client
        self._table = table
        self._pk = f"INTENT#{service_key}"
        self._generation_key = {"pk": {"S": f"CAPACITY#{service_key}"}, "sk": {"S": "GENERATION"}}

    def intents(self) -> list[Intent]:
        items: list[dict[str, Any]] = []
        with aws_call("Query (intents)"):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": self._pk}},
                ConsistentRead=True,
            )
            for page in pages:
                items.extend(page.get("Items", []))
        return [Intent.from_dict(json.loads(item["intent"]["S"])) for item in items]

    def put_intent(self, intent: Intent) -> None:
        item: dict[str, Any] = {
            "pk": {"S": self._pk},
            "sk": {"S": intent.id},
            "intent": {"S": json.dumps(intent.to_dict(), sort_keys=True)},
        }
        if intent.expires is not None:
            item["expires_at"] = {"N": str(int((intent.expires + _KEEP_AFTER_EXPIRY).timestamp()))}
        with aws_call("PutItem (intent)"):
            self._client.put_item(TableName=self._table, Item=item)

    def delete_intent(self, intent_id: str) -> None:
        with aws_call("DeleteItem (intent)"):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": self._pk}, "sk": {"S": intent_id}})

    def generation(self) -> Generation:
        with aws_call("GetItem (capacity generation)"):
            item = self._client.get_item(TableName=self._table, Key=self._generation_key, ConsistentRead=True).get(
                "Item"
            )
        if not item:
            return Generation()
        return Generation(
            number=int(item["generation"]["N"]),
            operation=item["operation"]["S"],
            by=item["by"]["S"],
            summary=item["summary"]["S"],
            at=datetime.fromisoformat(item["at"]["S"]),
        )

    def bump_generation(self, expected: int, new: Generation) -> None:
        assert new.at is not None
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected:
            condition = {
                "ConditionExpression": "#generation = :expected",
                "ExpressionAttributeNames": {"#generation": "generation"},
                "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
            }
        item = {
            **self._generation_key,
            "generation": {"N": str(new.number)},
            "operation": {"S": new.operation},
            "by": {"S": new.by},
            "summary": {"S": new.summary[:300]},
            "at": {"S": new.at.isoformat()},
        }
        written = conditional_write(
            "PutItem (capacity generation)",
            lambda: self._client.put_item(TableName=self._table, Item=item, **condition),
        )
        if not written:
            raise ChangeInProgress("capacity was changed by another operation at the same moment; try again")
