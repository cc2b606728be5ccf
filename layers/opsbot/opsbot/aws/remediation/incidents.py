"""The open incident of each alarm episode (the Slack message that reports it).

Keys (``pk`` / ``sk``): ``INCIDENT#<alarm>``/``OPEN`` (one item per alarm episode: written when the episode opens,
rewritten by each new ALARM of it, deleted at OK; expires 7 days after the last ALARM it shows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.aws.remediation._table import TableItems
from opsbot.ports import Incident


class Incidents(TableItems):
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
