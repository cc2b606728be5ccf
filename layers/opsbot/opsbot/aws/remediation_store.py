"""Remediation state in the operations table: kill switch, mutes, cooldowns, hourly budget, flap history and
open incidents. Every claim is a conditional write, so concurrent deliveries cannot both act.

Keys (``pk`` / ``sk``): ``CONFIG``/``AUTOREMEDIATION``; ``MUTE#<alarm>``/``MUTE``; ``COOLDOWN#<scope>``/
``COOLDOWN``; ``BUDGET#<service>``/``<hour>``; ``FLAP#<alarm>``/``<time>``; ``INCIDENT#<alarm>``/``OPEN`` (one item
per alarm episode: written when the episode opens, rewritten by each new ALARM of it, deleted at OK).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call, conditional_write
from opsbot.ports import Incident

_FLAP_RETENTION = timedelta(hours=2)


class RemediationStore:
    def __init__(self, client: Any, table: str, flap_window: timedelta) -> None:
        self._client = client
        self._table = table
        self._flap_window = flap_window

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    # kill switch ----------------------------------------------------------------------------------------------
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

    # mutes ----------------------------------------------------------------------------------------------------
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

    # cooldowns and budget -------------------------------------------------------------------------------------
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

    def count_action(self, service: str, limit: int, now: datetime) -> bool:
        """Count one automatic action against this hour's budget; ``False`` (and no count) when it is spent."""
        return conditional_write(
            "UpdateItem (budget)",
            lambda: self._client.update_item(
                TableName=self._table,
                Key=self._key(f"BUDGET#{service}", now.strftime("%Y-%m-%dT%H")),
                UpdateExpression="ADD #count :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(int((now + timedelta(hours=2)).timestamp()))},
                },
            ),
        )

    def refund_action(self, service: str, now: datetime) -> None:
        """Give back one count (the action did not happen after all)."""
        with aws_call("UpdateItem (budget refund)"):
            self._client.update_item(
                TableName=self._table,
                Key=self._key(f"BUDGET#{service}", now.strftime("%Y-%m-%dT%H")),
                UpdateExpression="ADD #count :minus_one",
                ConditionExpression="#count > :zero",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
            )

    # ordering ---------------------------------------------------------------------------------------------------
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

    # flap detection ---------------------------------------------------------------------------------------------
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

    # incidents --------------------------------------------------------------------------------------------------
    def open_incident(self, incident: Incident) -> None:
        """Store the episode's incident (a later ALARM of the same episode rewrites it with its summary)."""
        with aws_call("PutItem (incident)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    **self._key(f"INCIDENT#{incident.alarm}", "OPEN"),
                    "channel": {"S": incident.channel},
                    "ts": {"S": incident.ts},
                    "opened_at": {"S": incident.opened_at.isoformat()},
                    "last_alarm_at": {"S": incident.shown_alarm_at.isoformat()},
                    "alarms": {"N": str(incident.alarms)},
                    "summary": {"S": incident.summary},
                    "expires_at": {"N": str(int((incident.shown_alarm_at + timedelta(days=7)).timestamp()))},
                },
            )

    def get_incident(self, alarm: str) -> Incident | None:
        with aws_call("GetItem (incident)"):
            item = self._client.get_item(TableName=self._table, Key=self._key(f"INCIDENT#{alarm}", "OPEN")).get("Item")
        return _incident(alarm, item) if item else None

    def close_incident(self, alarm: str) -> Incident | None:
        """Remove and return the open incident, exactly once (a second close gets ``None``)."""
        with aws_call("DeleteItem (incident)"):
            item = self._client.delete_item(
                TableName=self._table, Key=self._key(f"INCIDENT#{alarm}", "OPEN"), ReturnValues="ALL_OLD"
            ).get("Attributes")
        return _incident(alarm, item) if item else None


def _incident(alarm: str, item: dict[str, Any]) -> Incident:
    return Incident(
        alarm=alarm,
        channel=item["channel"]["S"],
        ts=item["ts"]["S"],
        opened_at=datetime.fromisoformat(item["opened_at"]["S"]),
        summary=item["summary"]["S"],
        # Items written before episodes were tracked have neither: the episode is then the one ALARM they show.
        last_alarm_at=datetime.fromisoformat(item["last_alarm_at"]["S"]) if "last_alarm_at" in item else None,
        alarms=int(item["alarms"]["N"]) if "alarms" in item else 1,
    )
