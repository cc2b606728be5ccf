"""ECS tasks on the replica go PENDING -> RUNNING: after a service's desired count rises, the new tasks show in
``pendingCount`` and, ``start_delay`` of replica time later, in ``runningCount``; when it falls, tasks stop at once.

Driven through moto's backend objects, because no ECS API sets a service's running or pending count: moto's
UpdateService jumps ``runningCount`` straight to the new desired count (and CreateService leaves every task pending
unless ``MOTO_ECS_SERVICE_RUNNING`` is set). So this module keeps its own count of each service's tasks and writes
it back onto moto's ``Service`` (``running_count``/``pending_count``, read by DescribeServices) and onto the
service's PRIMARY deployment entry (COMPLETED once a lone deployment is steady, as ECS reports it). It needs the
moto server in this process (``ThreadedMotoServer``, as ``devtools.local_stack.running_stack`` runs it). Test
support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.ecs.models import ecs_backends

START_DELAY = timedelta(seconds=60)


@dataclass
class _Tasks:
    running: int
    starting: list[tuple[datetime, int]] = field(default_factory=list)  # (running at, how many), in time order

    @property
    def pending(self) -> int:
        return sum(count for _, count in self.starting)


@dataclass
class Tasks:
    """Every ECS service of one account and region of the in-process moto backend."""

    account: str
    region: str
    start_delay: timedelta = START_DELAY
    _tasks: dict[str, _Tasks] = field(default_factory=dict)

    def next_due(self, after: datetime) -> datetime | None:
        times = [when for tasks in self._tasks.values() for when, _ in tasks.starting if when > after]
        return min(times, default=None)

    def act(self, since: datetime, now: datetime) -> None:  # noqa: ARG002 - starts are kept by this module
        backend = ecs_backends[self.account][self.region]
        for key, service in list(backend.services.items()):
            if getattr(service, "status", "ACTIVE") != "ACTIVE":
                self._tasks.pop(key, None)
                continue
            tasks = self._tasks.get(key)
            if tasks is None:  # first sight: moto's own counts (the seeded service's tasks are all still pending)
                tasks = self._tasks[key] = _Tasks(running=int(service.running_count))
                if int(service.pending_count) > 0:
                    tasks.starting.append((now + self.start_delay, int(service.pending_count)))
            self._follow(tasks, int(service.desired_count), now)
            self._write(service, tasks)

    def _follow(self, tasks: _Tasks, desired: int, now: datetime) -> None:
        while tasks.starting and tasks.starting[0][0] <= now:
            tasks.running += tasks.starting.pop(0)[1]
        excess = tasks.running + tasks.pending - desired
        if excess < 0:
            tasks.starting.append((now + self.start_delay, -excess))
        while excess > 0 and tasks.starting:  # the newest starts are cancelled first, then running tasks stop
            when, count = tasks.starting.pop()
            if count > excess:
                tasks.starting.append((when, count - excess))
            excess -= min(count, excess)
        tasks.running -= excess if excess > 0 else 0

    @staticmethod
    def _write(service: Any, tasks: _Tasks) -> None:
        service.running_count, service.pending_count = tasks.running, tasks.pending
        entries = getattr(service, "deployments", [])
        for entry in entries:
            if entry.get("status") == "PRIMARY":
                entry.update(desiredCount=service.desired_count, runningCount=tasks.running, pendingCount=tasks.pending)
                # A lone deployment whose tasks are all running has reached steady state, and ECS says so
                # (rolloutState COMPLETED). One beside another revision is finished by the deployment itself.
                steady = len(entries) == 1 and tasks.pending == 0 and tasks.running == service.desired_count
                if steady and entry.get("rolloutState") == "IN_PROGRESS":
                    reason = f"ECS deployment {entry['id']} completed."
                    entry.update(rolloutState="COMPLETED", rolloutStateReason=reason)
