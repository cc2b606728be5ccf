"""The team's answers to "window ended — scale back to baseline?" (the gated scale-down), and the markers that
make each of the election reconciler's Slack posts happen once.

Key ``ELECTION`` / ``HOLD#<slug>``: until when the window's last capacity is held (``Scale down now`` sets it to
the moment of the click, ``Keep for 6 h`` to six hours later). Key ``ELECTION`` / ``POSTED#<what>``: a post made
(``claim`` is a conditional write, so a retried run never posts twice). Both carry the ``expires_at`` TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write

_PK = "ELECTION"
_HOLD = "HOLD#"
_POSTED = "POSTED#"
_KEEP = timedelta(days=30)  # long past any hold: the record only explains itself in the table for a while


class ElectionHolds:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def holds(self) -> dict[str, datetime]:
        """slug -> until when the team chose to hold capacity."""
        found: dict[str, datetime] = {}
        with aws_call("Query (scale-down decisions)"):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": _PK}, ":prefix": {"S": _HOLD}},
                ConsistentRead=True,
            )
            for page in pages:
                for item in page.get("Items", []):
                    try:
                        found[item["sk"]["S"].removeprefix(_HOLD)] = datetime.fromisoformat(item["until"]["S"])
                    except (KeyError, ValueError):
                        continue  # not ours to interpret: the default fallback applies
        return found

    def hold(
        self, slug: str, until: datetime, by: str, now: datetime, operation: str = "", previous: datetime | None = None
    ) -> None:
        """Record the team's answer; ``operation`` (the button's audit key) and ``previous`` (the answer it replaces,
        None for none) let a cut-short press be taken back (``put_back``)."""
        item = {
            "pk": {"S": _PK},
            "sk": {"S": _HOLD + slug},
            "until": {"S": until.isoformat()},
            "by": {"S": by},
            "at": {"S": now.isoformat()},
            "expires_at": {"N": str(int((until + _KEEP).timestamp()))},
        }
        if operation:
            item["operation"] = {"S": operation}
        if previous is not None:
            item["previous"] = {"S": previous.isoformat()}
        with aws_call("PutItem (scale-down decision)"):
            self._client.put_item(TableName=self._table, Item=item)

    def decision(self, slug: str) -> tuple[str, datetime | None] | None:
        """The operation that recorded the answer on ``slug`` and the answer it replaced; None without one."""
        with aws_call("GetItem (scale-down decision)"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": _PK}, "sk": {"S": _HOLD + slug}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        previous = item.get("previous", {}).get("S")
        return item.get("operation", {}).get("S", ""), datetime.fromisoformat(previous) if previous else None

    def put_back(self, slug: str, previous: datetime | None, by: str, now: datetime) -> None:
        """Take an answer back after the change it stood for failed: the one before it again, or none."""
        if previous is not None:
            self.hold(slug, previous, by, now)
            return
        with aws_call("DeleteItem (scale-down decision)"):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": _PK}, "sk": {"S": _HOLD + slug}})

    def claim(self, what: str, now: datetime) -> bool:
        """True the first time ``what`` (e.g. ``window-ended#<slug>``) is claimed; False ever after."""
        return conditional_write(
            "PutItem (election post marker)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": _PK},
                    "sk": {"S": _POSTED + what},
                    "at": {"S": now.isoformat()},
                    "expires_at": {"N": str(int((now + _KEEP).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    def release(self, what: str) -> None:
        """Give a claim back when the post it stood for could not be made, so the next run tries again."""
        with aws_call("DeleteItem (election post marker)"):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": _PK}, "sk": {"S": _POSTED + what}})
