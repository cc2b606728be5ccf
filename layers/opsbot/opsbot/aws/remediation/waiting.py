"""Alarms left in ALARM with "no action because …" (cooldown, budget, change lock, kill switch, mute), for the
watch run to re-evaluate when the reason has gone.

Keys (``pk`` / ``sk``): ``WAITING``/``<alarm>`` (``changed_at``: the state change of the episode it is about,
``reason``, ``since``; ``expires_at`` a day later: an alarm still waiting after that is for a person to look at).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from opsbot.aws.errors import aws_call
from opsbot.aws.remediation._table import TableItems
from opsbot.ports import Waiting

_KEEP = timedelta(days=1)


class WaitingAlarms(TableItems):
    def note_waiting(self, waiting: Waiting) -> None:
        with aws_call("PutItem (waiting alarm)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key("WAITING", waiting.alarm),
                    "changed_at": {"S": waiting.changed_at.isoformat()},
                    "reason": {"S": waiting.reason[:300]},
                    "since": {"S": waiting.since.isoformat()},
                    "expires_at": {"N": str(int((waiting.since + _KEEP).timestamp()))},
                },
            )

    def clear_waiting(self, alarm: str) -> None:
        with aws_call("DeleteItem (waiting alarm)"):
            self._client.delete_item(TableName=self._table, Key=self._key("WAITING", alarm))

    def waiting(self) -> list[Waiting]:
        items = []
        with aws_call("Query (waiting alarms)"):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "WAITING"}},
            )
            for page in pages:
                items.extend(page.get("Items", []))
        return [
            Waiting(
                alarm=item["sk"]["S"],
                changed_at=datetime.fromisoformat(item["changed_at"]["S"]),
                reason=item["reason"]["S"],
                since=datetime.fromisoformat(item["since"]["S"]),
            )
            for item in items
        ]
