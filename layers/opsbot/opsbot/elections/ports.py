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


class HoldsPort(Protocol):
    """The gated scale-down's decisions and the once-only markers of the reconciler's posts
    (``opsbot.aws.election_holds``)."""

    def holds(self) -> dict[str, datetime]: ...
    def hold(self, slug: str, until: datetime, by: str, now: datetime) -> None: ...
    def claim(self, what: str, now: datetime) -> bool: ...
    def release(self, what: str) -> None: ...


class SuspensionPort(Protocol):
    """The scalable target's scale-in suspension (``opsbot.aws.suspension``)."""

    def suspended(self) -> bool: ...
    def set_scale_in(self, suspended: bool) -> None: ...


class WakeUpPort(Protocol):
    """The reconciler's one-time Scheduler schedules (``opsbot.aws.wake_ups``)."""

    @property
    def configured(self) -> bool: ...
    def names(self) -> set[str]: ...
    def create(self, name: str, at: datetime) -> None: ...
    def delete(self, name: str) -> None: ...
