"""The interfaces the election feature depends on (the shared ones are in ``opsbot.ports``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from opsbot.elections.model import Election


class ElectionEntriesPort(Protocol):
    """Elections added from Slack, in the operations table (``opsbot.aws.elections``)."""

    def add(self, entry: Mapping[str, Any], by: str, now: datetime) -> bool:
        """False when an entry with the slug exists already (nothing written)."""
        ...

    def remove(self, slug: str) -> bool:
        """False when there was no entry with the slug."""
        ...

    def entries(self) -> list[dict[str, Any]]: ...


class CalendarPort(Protocol):
    """The calendar in force: the repository's (or the SSM parameter's) merged with the Slack entries."""

    def elections(self) -> tuple[Election, ...]: ...
