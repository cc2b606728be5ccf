"""Guardrails on automatic actions: per-scope cooldowns and a per-service budget over a sliding hour.

Keys (``pk`` / ``sk``): ``COOLDOWN#<scope>``/``COOLDOWN`` (``until``, epoch seconds; expires a minute after it);
``BUDGET#<service>``/``SLOT#<i>`` for ``i`` in ``0..limit-1`` (``used_at``, epoch seconds of the action that holds
the slot; expires 2 hours after it). A slot is free when it is absent or its ``used_at`` is an hour old or more, so
at most ``limit`` actions can be counted in any rolling 60 minutes. Slots at ``i >= limit`` (left by a larger limit)
are ignored. Items ``BUDGET#<service>``/``<hour>`` from the former per-clock-hour counter are ignored and expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.aws.remediation._table import TableItems

BUDGET_WINDOW = timedelta(hours=1)
_SLOT = "SLOT#"
_SLOT_RETENTION = timedelta(hours=2)


class Guardrails(TableItems):
    # cooldowns --------------------------------------------------------------------------------------------------
    def claim_cooldown(self, scope: str, until: datetime, now: datetime) -> datetime | None:
        """Claim the scope until ``until``. Returns ``None`` when claimed, else when the current cooldown ends."""
        claimed = conditional_write(
            "PutItem (cooldown)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"COOLDOWN#{scope}", "COOLDOWN"),
                    "until": {"N": str(until.timestamp())},
                    "expires_at": {"N": str(int(until.timestamp()) + 60)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #until < :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(now.timestamp())}},
            ),
        )
        if claimed:
            return None
        with aws_call("GetItem (cooldown)"):
            item = self._client.get_item(TableName=self._table, Key=self._key(f"COOLDOWN#{scope}", "COOLDOWN"))
        ends = item.get("Item", {}).get("until", {}).get("N")
        return datetime.fromtimestamp(float(ends), tz=now.tzinfo) if ends else now

    def release_cooldown(self, scope: str) -> None:
        """Give a cooldown back when the action it was claimed for did not happen."""
        with aws_call("DeleteItem (cooldown)"):
            self._client.delete_item(TableName=self._table, Key=self._key(f"COOLDOWN#{scope}", "COOLDOWN"))

    # budget -----------------------------------------------------------------------------------------------------
    def count_action(self, service: str, limit: int, now: datetime) -> bool:
        """Count one automatic action against the service's budget of ``limit`` actions in any rolling hour:
        claim a free slot; ``False`` (and nothing counted) when all ``limit`` slots were used in the last hour.

        The slots are read once; each claim is a conditional write that holds only if the slot is still free, so
        a slot taken by a concurrent writer after the read is skipped and the next free one is tried."""
        hour_ago = (now - BUDGET_WINDOW).timestamp()
        used = self._slots(service)
        for slot in range(limit):
            if slot in used and used[slot] > hour_ago:
                continue
            if self._claim_slot(service, slot, now, hour_ago):
                return True
        return False

    def refund_action(self, service: str, now: datetime) -> None:
        """Give back the slot counted at ``now`` (the action did not happen after all); nothing if there is none."""
        at = now.timestamp()
        for slot, used_at in sorted(self._slots(service).items()):
            if used_at == at and self._release_slot(service, slot, at):
                return

    def _slots(self, service: str) -> dict[int, float]:
        """Each budget slot of the service that exists, with the epoch seconds it was last claimed at."""
        used: dict[int, float] = {}
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :slot)",
            "ExpressionAttributeNames": {"#used_at": "used_at"},
            "ExpressionAttributeValues": {":pk": {"S": f"BUDGET#{service}"}, ":slot": {"S": _SLOT}},
            "ProjectionExpression": "sk, #used_at",
            "ConsistentRead": True,
        }
        while True:
            with aws_call("Query (budget)"):
                response = self._client.query(**request)
            for item in response.get("Items", []):
                index = item["sk"]["S"].removeprefix(_SLOT)
                if index.isdigit() and "used_at" in item:
                    used[int(index)] = float(item["used_at"]["N"])
            if "LastEvaluatedKey" not in response:
                return used
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _claim_slot(self, service: str, slot: int, now: datetime, hour_ago: float) -> bool:
        return conditional_write(
            "PutItem (budget)",
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"BUDGET#{service}", f"{_SLOT}{slot}"),
                    "used_at": {"N": str(now.timestamp())},
                    "expires_at": {"N": str(int((now + _SLOT_RETENTION).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR #used_at <= :hour_ago",
                ExpressionAttributeNames={"#used_at": "used_at"},
                ExpressionAttributeValues={":hour_ago": {"N": str(hour_ago)}},
            ),
        )

    def _release_slot(self, service: str, slot: int, at: float) -> bool:
        return conditional_write(
            "DeleteItem (budget refund)",
            lambda: self._client.delete_item(
                TableName=self._table,
                Key=self._key(f"BUDGET#{service}", f"{_SLOT}{slot}"),
                ConditionExpression="#used_at = :at",
                ExpressionAttributeNames={"#used_at": "used_at"},
                ExpressionAttributeValues={":at": {"N": str(at)}},
            ),
        )
