"""Plain data of the capacity core."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from opsbot.logic.scaling import Capacity

# ``setting``: a person's permanent bounds; the newest one replaces the configured baseline (so it may lower it).
# ``raise``: a temporary (or election) raise layered on top; it can only add capacity, never take it away.
IntentKind = Literal["setting", "raise"]


@dataclass(frozen=True)
class Intent:
    """One owner's wish for the service's capacity. ``id`` is the operation that created it."""

    id: str
    owner: str  # a Slack user ID, ``alarm:<name>``, ``election:<slug>``
    kind: IntentKind
    min: int
    max: int
    start: datetime
    expires: datetime | None
    reason: str

    @property
    def owner_kind(self) -> str:
        """``person`` for a Slack user, else the system actor's kind (``alarm``, ``election``)."""
        kind, colon, _ = self.owner.partition(":")
        return kind if colon else "person"

    def active(self, at: datetime) -> bool:
        return self.start <= at and (self.expires is None or at < self.expires)

    @property
    def bounds(self) -> Capacity:
        return Capacity(self.min, self.max)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["expires"] = self.expires.isoformat() if self.expires else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intent:
        return cls(
            id=str(data["id"]),
            owner=str(data["owner"]),
            kind="setting" if data["kind"] == "setting" else "raise",
            min=int(data["min"]),
            max=int(data["max"]),
            start=datetime.fromisoformat(str(data["start"])),
            expires=datetime.fromisoformat(str(data["expires"])) if data.get("expires") else None,
            reason=str(data.get("reason", "")),
        )


@dataclass(frozen=True)
class PlannedAction:
    """A change point of the timeline, as an Application Auto Scaling scheduled action."""

    name: str
    at: datetime
    capacity: Capacity


@dataclass(frozen=True)
class Timeline:
    """Effective capacity now and at every later change point."""

    now: Capacity
    actions: tuple[PlannedAction, ...]


@dataclass(frozen=True)
class Generation:
    """The capacity version: bumped by every change of the intents (conditional write under the change lock)."""

    number: int = 0
    operation: str = ""  # the operation that made it
    by: str = ""
    summary: str = ""
    at: datetime | None = None
