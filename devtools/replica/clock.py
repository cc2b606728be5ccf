"""The replica's clock: what the bot's ``clock`` parameters take, stepped forward by hand.

``ReplicaClock()`` starts at ``start`` (default: now) and runs with real time; ``frozen=True`` makes it return the
same instant on every call until moved (deterministic tests; note that the bot then stamps every record of a test
with one instant). ``advance``/``advance_to`` move it forward and make the simulated services (``autoscaling``,
``ecs``, ``scheduler``: whatever was attached) act on everything that falls due in between, in time order: the clock
stops at each instant where something is due, lets every service act on the interval since the previous stop, then
goes on. ``settle`` does the same up to the present (what fell due while real time ran, and what a request just
changed). Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import time
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

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError(f"the clock's start must be an aware datetime, not {start.isoformat()!r}")
        self.frozen = frozen
        self._set(start.astimezone(UTC))
        self._acted = self._base  # the services have acted on everything due up to here
        self._services: list[Simulated] = []

    def _set(self, instant: datetime) -> None:
        self._base, self._since = instant, time.monotonic()

    def __call__(self) -> datetime:
        if self.frozen:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._since)

    def attach(self, *services: Simulated) -> None:
        """Services act in the order they were attached at every stop (scaling before the tasks it starts)."""
        self._services.extend(services)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError(f"the replica's time only moves forward, not by {delta}")
        return self.advance_to(self() + delta)

    def advance_to(self, instant: datetime) -> datetime:
        """Step to ``instant``, stopping wherever a service has something due; returns the new time."""
        if instant.tzinfo is None:
            raise ValueError(f"advance_to needs an aware datetime, not {instant.isoformat()!r}")
        target = instant.astimezone(UTC)
        if target < self._acted:
            raise ValueError(f"the replica's time only moves forward: {target.isoformat()} is before {self._acted}")
        present = self()  # a running clock never goes back, even when asked for an instant real time has passed
        for _ in range(_MAX_STEPS):
            dues = [due for service in self._services if (due := service.next_due(self._acted)) is not None]
            step = min((due for due in dues if due <= target), default=target)
            since, self._acted = self._acted, step
            self._set(max(step, present))
            for service in self._services:
                service.act(since, step)
            if step == target:
                self._set(max(target, present))
                return self()
        raise RuntimeError(f"the replica did not reach {target.isoformat()} in {_MAX_STEPS} steps")

    def settle(self) -> None:
        """Let every service act on everything due up to the present (time standing still if frozen)."""
        self.advance_to(max(self(), self._acted))
