"""Elections added from Slack (``schedule add``), kept in the operations table next to the other state.

Key ``ELECTION`` / ``ENTRY#<slug>``; the item holds the entry as the calendar document would (JSON), who added it
and when. Entries are validated when added and again whenever the calendar is assembled (``opsbot.elections``), so
a stored entry is data like the YAML calendar's, never trusted code. A slug is added once: a second ``add`` of
the same slug is refused here (conditional write), not overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write

_PK = "ELECTION"
_PREFIX = "ENTRY#"


class ElectionEntries:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(self, entry: Mapping[str, Any], by: str, now: datetime) -> bool:
        """Store one entry; False when an entry with its slug exists already."""
        return conditional_write(
            "PutItem (election entry)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": _PK},
                    "sk": {"S": _PREFIX + str(entry["slug"])},
                    "entry": {"S": json.dumps(dict(entry), default=str, sort_keys=True)},
                    "added_by": {"S": by},
                    "added_at": {"S": now.isoformat()},
                },
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    def remove(self, slug: str) -> bool:
        """Delete one entry; False when there was none with that slug."""
        return conditional_write(
            "DeleteItem (election entry)",
            lambda: self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": _PK}, "sk": {"S": _PREFIX + slug}},
                ConditionExpression="attribute_exists(pk)",
            ),
        )

    def entries(self) -> list[dict[str, Any]]:
        """Every stored entry, as added (oldest slug first); unreadable JSON is returned as a slug-only entry, which
        the calendar's validation then refuses by name."""
        found = []
        with aws_call("Query (election entries)"):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": _PK}, ":prefix": {"S": _PREFIX}},
                ConsistentRead=True,
            )
            for page in pages:
                for item in page.get("Items", []):
                    found.append(_entry(item))
        return found


def _entry(item: Mapping[str, Any]) -> dict[str, Any]:
    slug = item["sk"]["S"].removeprefix(_PREFIX)
    try:
        document = json.loads(item.get("entry", {}).get("S", ""))
    except ValueError:
        return {"slug": slug}
    return document if isinstance(document, dict) else {"slug": slug}
