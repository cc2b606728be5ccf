"""Ordering of an alarm's state changes: the latest one handled, and the flap history.

Keys (``pk`` / ``sk``): ``LATEST#<alarm>``/``LATEST`` (``at``; expires 7 days after it); ``FLAP#<alarm>``/``<time>``
(ISO time of the change, ``state``; expires 2 hours after it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.aws.remediation._table import TableItems

_FLAP_RETENTION = timedelta(hours=2)


class Ordering(TableItems):
    def __init__(self, client: Any, table: str, flap_window: timedelta) -> None:
        super().__init__(client, table)
        self._flap_window = flap_window

    def mark_latest(self, alarm: str, at: datetime) -> bool:
        """Record ``at`` as the alarm's latest state change; ``False`` if a later one was already handled."""
        return conditional_write(
            "PutItem (latest state change)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"LATEST#{alarm}", "LATEST"),
                    "at": {"S": at.isoformat()},
                    "expires_at": {"N": str(int((at + timedelta(days=7)).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR #at <= :at",
                ExpressionAttributeNames={"#at": "at"},
                ExpressionAttributeValues={":at": {"S": at.isoformat()}},
            ),
        )

    def record_transition(self, alarm: str, at: datetime, state: str) -> int:
        """Remember this state change; return how many changes the alarm made within the flap window."""
        with aws_call("PutItem (flap history)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"FLAP#{alarm}", at.isoformat()),
                    "state": {"S": state},
                    "expires_at": {"N": str(int((at + _FLAP_RETENTION).timestamp()))},
                },
            )
        with aws_call("Query (flap history)"):
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
                ExpressionAttributeValues={
                    ":pk": {"S": f"FLAP#{alarm}"},
                    ":start": {"S": (at - self._flap_window).isoformat()},
                    ":end": {"S": at.isoformat()},
                },
                Select="COUNT",
            )
        return int(response.get("Count", 0))
