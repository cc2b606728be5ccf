"""The audit trail: its own DynamoDB table, append-only.

Every record is put once with ``attribute_not_exists`` and never updated or deleted by the bot (the functions'
IAM allows only PutItem, GetItem and Query on this table; records expire by TTL after 400 days). Keys: ``pk`` =
``AUDIT``, ``sk`` = ``<operation id>`` for an outcome, ``<operation id>#pending`` for the record a change writes
before it acts. Operation ids start with the time the bot decided, so the trail sorts by time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.errors import AuditRecordExists
from opsbot.ports import AuditEntry

_RETENTION = timedelta(days=400)
_PENDING = "#pending"


class AuditStore:
    """Implements ``AuditPort``."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def record(self, entry: AuditEntry) -> None:
        sk = entry.key + (_PENDING if entry.phase == "pending" else "")
        item = {
            "pk": {"S": "AUDIT"},
            "sk": {"S": sk},
            "operation": {"S": entry.key},
            "phase": {"S": entry.phase},
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
            "expires_at": {"N": str(int((entry.at + _RETENTION).timestamp()))},
        }
        written = conditional_write(
            "PutItem (audit)",
            lambda: self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(sk)"
            ),
        )
        if not written:
            raise AuditRecordExists(f"audit record {sk} already exists; the trail is never rewritten")

    def get(self, key: str) -> AuditEntry | None:
        for sk in (key, key + _PENDING):
            with aws_call("GetItem (audit)"):
                item = self._client.get_item(
                    TableName=self._table, Key={"pk": {"S": "AUDIT"}, "sk": {"S": sk}}, ConsistentRead=True
                ).get("Item")
            if item:
                return _entry(item)
        return None

    def latest(self, limit: int) -> list[AuditEntry]:
        """The newest operations, one entry each: the outcome, or the pending record of one still running."""
        with aws_call("Query (audit)"):
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "AUDIT"}},
                ScanIndexForward=False,
                Limit=limit * 2 + 1,
            )
        entries = [_entry(item) for item in response.get("Items", [])]
        outcomes = {e.key for e in entries if e.phase == "outcome"}
        folded = [e for e in entries if e.phase == "outcome" or e.key not in outcomes]
        return folded[:limit]

    def unfinished(self, since: datetime, until: datetime) -> list[AuditEntry]:
        items: list[dict[str, Any]] = []
        with aws_call("Query (audit)"):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :since AND :until",
                ExpressionAttributeValues={
                    ":pk": {"S": "AUDIT"},
                    ":since": {"S": f"{since:%Y-%m-%dT%H:%M:%S.%f}Z"},
                    ":until": {"S": f"{until:%Y-%m-%dT%H:%M:%S.%f}Z"},
                },
            )
            for page in pages:
                items.extend(page.get("Items", []))
        entries = [_entry(item) for item in items]
        finished = {e.key for e in entries if e.phase == "outcome"}
        pending = [e for e in entries if e.phase == "pending" and e.key not in finished]
        # An outcome written after ``until`` is outside the query: look for it before calling the operation lost.
        return [e for e in pending if (found := self.get(e.key)) is None or found.phase == "pending"]


def _entry(item: dict[str, Any]) -> AuditEntry:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    sk = text("sk")
    phase = text("phase") or ("pending" if sk.endswith(_PENDING) else "outcome")
    return AuditEntry(
        key=text("operation") or sk.removesuffix(_PENDING),
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
        phase=phase,
    )
