"""Capacity intents and the capacity generation, in the operations table.

- ``INTENT#<cluster>/<service>`` / ``<intent id>`` — one item per intent (TTL a day after it expires);
- ``CAPACITY#<cluster>/<service>`` / ``GENERATION`` — the generation number and the operation that made it;
- ``CAPACITY#<cluster>/<service>`` / ``OP#<operation id>`` — the marker a change leaves (``applied``, or ``put back``
  when AWS refused it), kept 7 days, for the sweeper to tell a change cut short from one that never happened.

A change is one ``TransactWriteItems``: the conditional generation put, the intent puts and deletes and the marker,
all or nothing (IAM: the item actions PutItem and DeleteItem cover it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.capacity.model import Generation, Intent
from opsbot.errors import AwsOperationError, ChangeInProgress

_KEEP_AFTER_EXPIRY = timedelta(days=1)
_KEEP_MARKER = timedelta(days=7)
_TRANSACTION_LIMIT = 100


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
        with aws_call("PutItem (intent)"):
            self._client.put_item(TableName=self._table, Item=self._intent_item(intent))

    def _intent_item(self, intent: Intent) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": self._pk},
            "sk": {"S": intent.id},
            "intent": {"S": json.dumps(intent.to_dict(), sort_keys=True)},
        }
        if intent.expires is not None:
            item["expires_at"] = {"N": str(int((intent.expires + _KEEP_AFTER_EXPIRY).timestamp()))}
        return item

    def commit(self, expected: int, new: Generation, put: Sequence[Intent], delete: Sequence[str], marker: str) -> None:
        assert new.at is not None
        generation: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                **self._generation_key,
                "generation": {"N": str(new.number)},
                "operation": {"S": new.operation},
                "by": {"S": new.by},
                "summary": {"S": new.summary[:300]},
                "at": {"S": new.at.isoformat()},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if expected:
            generation["ConditionExpression"] = "#generation = :expected"
            generation["ExpressionAttributeNames"] = {"#generation": "generation"}
            generation["ExpressionAttributeValues"] = {":expected": {"N": str(expected)}}
        items: list[dict[str, Any]] = [{"Put": generation}]
        items += [{"Put": {"TableName": self._table, "Item": self._intent_item(i)}} for i in put]
        items += [
            {"Delete": {"TableName": self._table, "Key": {"pk": {"S": self._pk}, "sk": {"S": intent_id}}}}
            for intent_id in delete
        ]
        items.append(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": self._generation_key["pk"],
                        "sk": {"S": f"OP#{new.operation}"},
                        "state": {"S": marker},
                        "generation": {"N": str(new.number)},
                        "expires_at": {"N": str(int((new.at + _KEEP_MARKER).timestamp()))},
                    },
                }
            }
        )
        if len(items) > _TRANSACTION_LIMIT:
            raise AwsOperationError(
                "TransactWriteItems", "TooManyItems", f"a change may touch at most {_TRANSACTION_LIMIT - 2} intents"
            )
        try:
            with aws_call("TransactWriteItems (capacity change)"):
                self._client.transact_write_items(TransactItems=items)
        except AwsOperationError as exc:
            if exc.code == "TransactionCanceledException" and _condition_failed(exc):
                raise ChangeInProgress(
                    "capacity was changed by another operation at the same moment; try again"
                ) from exc
            raise

    def marker(self, operation: str) -> str | None:
        with aws_call("GetItem (capacity marker)"):
            item = self._client.get_item(
                TableName=self._table,
                Key={"pk": self._generation_key["pk"], "sk": {"S": f"OP#{operation}"}},
                ConsistentRead=True,
            ).get("Item")
        return str(item["state"]["S"]) if item else None

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


def _condition_failed(exc: AwsOperationError) -> bool:
    """Whether a cancelled transaction was cancelled by a failed condition (the generation moved)."""
    cause = exc.__cause__
    response = getattr(cause, "response", {}) if cause is not None else {}
    reasons = response.get("CancellationReasons", [])
    if reasons:
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return "ConditionalCheckFailed" in str(response.get("Error", {}).get("Message", ""))
