"""The kill switch for automatic remediation and per-alarm mutes.

Keys (``pk`` / ``sk``): ``CONFIG``/``AUTOREMEDIATION`` (``enabled``, ``by``, ``at``; never expires);
``MUTE#<alarm>``/``MUTE`` (``until``, ``by``; ``expires_at`` = ``until``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opsbot.aws.errors import aws_call
from opsbot.aws.remediation._table import TableItems


class Switches(TableItems):
    def autoremediation_enabled(self) -> bool:
        with aws_call("GetItem (kill switch)"):
            item = self._client.get_item(TableName=self._table, Key=self._key("CONFIG", "AUTOREMEDIATION")).get("Item")
        return True if item is None else bool(item["enabled"]["BOOL"])  # on unless someone turned it off

    def set_autoremediation(self, enabled: bool, by: str, now: datetime) -> None:
        with aws_call("PutItem (kill switch)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key("CONFIG", "AUTOREMEDIATION"),
                    "enabled": {"BOOL": enabled},
                    "by": {"S": by},
                    "at": {"S": now.isoformat()},
                },
            )

    def muted_until(self, alarm: str, now: datetime) -> datetime | None:
        with aws_call("GetItem (mute)"):
            item = self._client.get_item(TableName=self._table, Key=self._key(f"MUTE#{alarm}", "MUTE")).get("Item")
        if not item:
            return None
        until = datetime.fromisoformat(item["until"]["S"])
        return until if until > now else None

    def mutes(self, alarms: Sequence[str], now: datetime) -> dict[str, datetime]:
        """One ``BatchGetItem`` per 100 alarms (its limit); keys DynamoDB leaves unprocessed are asked again."""
        found: dict[str, datetime] = {}
        names = sorted(set(alarms))
        for start in range(0, len(names), 100):
            keys = [self._key(f"MUTE#{name}", "MUTE") for name in names[start : start + 100]]
            for _ in range(5):
                with aws_call("BatchGetItem (mutes)"):
                    response = self._client.batch_get_item(RequestItems={self._table: {"Keys": keys}})
                for item in response.get("Responses", {}).get(self._table, []):
                    until = datetime.fromisoformat(item["until"]["S"])
                    if until > now:
                        found[item["pk"]["S"].removeprefix("MUTE#")] = until
                keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                if not keys:
                    break
        return found

    def mute(self, alarm: str, until: datetime, by: str) -> None:
        with aws_call("PutItem (mute)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"MUTE#{alarm}", "MUTE"),
                    "until": {"S": until.isoformat()},
                    "by": {"S": by},
                    "expires_at": {"N": str(int(until.timestamp()))},
                },
            )

    def unmute(self, alarm: str) -> None:
        with aws_call("DeleteItem (mute)"):
            self._client.delete_item(TableName=self._table, Key=self._key(f"MUTE#{alarm}", "MUTE"))
