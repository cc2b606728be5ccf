"""The replica's clock: what the bot's ``clock`` parameters take, stepped forward by hand.

``ReplicaClock()`` returns the same aware UTC instant on every call until ``advance``/``advance_to`` moves it. Moving
it makes the simulated services (``autoscaling``, ``ecs``, ``scheduler``: whatever was attached) act on everything
that falls due in between, in time order: the clock stops at each instant where something is due, lets every service
act on the interval since the previous stop, then goes on. Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Simulated(Protocol):
    """A simulated control-plane behaviour driven by the clock."""

    def next_due(self, after: datetime) -> datetime | None:
        """The earliest instant strictly after ``after`` at which this service has something to do, if any."""

    def act(self, since: datetime, now: datetime) -> None:
        """Do everything that falls due in ``(since, now]``; ``now`` is the replica's time while it acts."""


_MAX_STEPS = 100_000  # a service whose next_due never passes the target would otherwise loop forever


class ReplicaClock:
    """A controllable clock for the offline stack: call it for the time, ``advance`` it to make time pass."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError(f"the clock's start must be an aware datetime, not {start.isoformat()!r}")
        self._now = start.astimezone(UTC)
        self._services: list[Simulated] = []

    def __call__(self) -> datetime:
        return self._now

    def attach(self, *services: Simulated) -> None:
        """Services act in the order they were attached at every stop (scaling before the tasks it starts)."""
        self._services.extend(services)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError(f"the replica's time only moves forward, not by {delta}")
        return self.advance_to(self._now + delta)

    def advance_to(self, instant: datetime) -> datetime:
        """Step to ``instant``, stopping wherever a service has something due; returns the new time."""
        if instant.tzinfo is None:
            raise ValueError(f"advance_to needs an aware datetime, not {instant.isoformat()!r}")
        target = instant.astimezone(UTC)
        if target < self._now:
            raise ValueError(f"the replica's time only moves forward: {target.isoformat()} is before {self._now}")
        for _ in range(_MAX_STEPS):
            dues = [due for service in self._services if (due := service.next_due(self._now)) is not None]
            step = min((due for due in dues if due <= target), default=target)
            since, self._now = self._now, step
            for service in self._services:
                service.act(since, step)
            if step == target:
                return self._now
        raise RuntimeError(f"the replica did not reach {target.isoformat()} in {_MAX_STEPS} steps")

    def settle(self) -> None:
        """Let every service act on the present instant (after a request changed something, time standing still)."""
        for service in self._services:
            service.act(self._now, self._now)
