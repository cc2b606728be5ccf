"""Hands a snapshot to the snapshots function: Lambda ``Invoke`` with ``InvocationType=Event``, so the Slack
function (or the reconciler) returns at once and the snapshots function follows the snapshot to the end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import ConfigError


class SnapshotJobs:
    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function = function_name

    def follow(self, identifier: str, channel: str, requested_by: str) -> None:
        self._invoke({"opsbot": "snapshot-follow", "identifier": identifier, "channel": channel, "by": requested_by})

    def take(self, reason: str, scheduled_at: datetime) -> None:
        """Ask the snapshots function for a snapshot for ``reason`` (the reconciler's pre-election snapshot)."""
        at = scheduled_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._invoke({"opsbot": "snapshot-take", "reason": reason, "scheduled_at": at})

    def _invoke(self, payload: dict[str, str]) -> None:
        if not self._function:
            raise ConfigError("OPSBOT_SNAPSHOTS_FUNCTION is not set: the snapshots function cannot be reached")
        with aws_call("Invoke (snapshots function)"):
            self._client.invoke(FunctionName=self._function, InvocationType="Event", Payload=json.dumps(payload))
