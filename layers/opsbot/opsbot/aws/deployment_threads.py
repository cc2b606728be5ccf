"""Where each service deployment's Slack thread is, and which of its lines were posted (``opsbot.cutover.tracker``).

Key ``DEPLOYMENT#<service deployment ARN>`` / ``THREAD``: the channel and the ``ts`` of its top message. Key
``DEPLOYMENT#<arn>`` / ``POSTED#<line key>``: a line posted (``claim`` is a conditional write, so an EventBridge
event and the watch run's poll arriving together post it once). Both carry the ``expires_at`` TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write

_THREAD = "THREAD"
_POSTED = "POSTED#"
_KEEP = timedelta(days=30)


class DeploymentThreads:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @staticmethod
    def _pk(deployment: str) -> dict[str, str]:
        return {"S": f"DEPLOYMENT#{deployment}"}

    def thread(self, deployment: str) -> tuple[str, str] | None:
        with aws_call("GetItem (deployment thread)"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": self._pk(deployment), "sk": {"S": _THREAD}}, ConsistentRead=True
            ).get("Item")
        if not item or "ts" not in item:
            return None
        return item["channel"]["S"], item["ts"]["S"]

    def start(self, deployment: str, channel: str, ts: str, now: datetime) -> None:
        with aws_call("PutItem (deployment thread)"):
            self._client.put_item(TableName=self._table, Item={
                "pk": self._pk(deployment), "sk": {"S": _THREAD}, "channel": {"S": channel}, "ts": {"S": ts},
                "at": {"S": now.isoformat()}, "expires_at": {"N": str(int((now + _KEEP).timestamp()))},
            })  # fmt: skip

    def claim(self, deployment: str, key: str, now: datetime) -> bool:
        """True the first time ``key`` is claimed for ``deployment``; False ever after."""
        return conditional_write(
            "PutItem (deployment thread line)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": self._pk(deployment),
                    "sk": {"S": _POSTED + key[:200]},
                    "at": {"S": now.isoformat()},
                    "expires_at": {"N": str(int((now + _KEEP).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            ),
        )

    def release(self, deployment: str, key: str) -> None:
        """Give a claim back when its post failed, so the next event or poll tries again."""
        with aws_call("DeleteItem (deployment thread line)"):
            self._client.delete_item(
                TableName=self._table, Key={"pk": self._pk(deployment), "sk": {"S": _POSTED + key[:200]}}
            )
