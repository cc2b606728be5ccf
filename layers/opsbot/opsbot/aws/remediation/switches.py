"""The kill switch for automatic remediation and per-alarm mutes.

Keys (``pk`` / ``sk``): ``CONFIG``/``AUTOREMEDIATION`` (``enabled``, ``by``, ``at``; never expires);
``MUTE#<alarm>``/``MUTE`` (``until``, ``by``; ``expires_at`` = ``until``).
"""

from __future__ import annotations

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
