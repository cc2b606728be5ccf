"""One Slack thread per service deployment, keyed by its ARN, kept up to date from ECS's hook and deployment events
and, since EventBridge delivery is best effort, from the watch run's poll.

``follow`` reads the deployment (``DescribeServiceDeployments``) and the hook's verdicts (the audit trail), starts
the thread when there is none yet (for a deployment still running, or one an event names), then posts each line the
deployment's state justifies and has not been posted (a conditional claim per line, released when the post fails,
so an event and the poll arriving together post it once), and the gate — the pause's Promote / Roll back buttons —
once per pause. When the deployment ends, the thread's top message is updated with how it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from opsbot.commands.cutover import gate_view
from opsbot.cutover.gate import standing
from opsbot.cutover.ports import DeploymentsPort
from opsbot.cutover.thread import Line, Verdict, lines
from opsbot.ports import AuditPort, ConfirmationPort, IncidentDeliveryError, IncidentNotifierPort

HOOK_VERB = "cutover-hook"  # opsbot.cutover.entry.AUDIT_VERB (not imported: that module builds the hook's clients)


class ThreadsPort(Protocol):
    def thread(self, deployment: str) -> tuple[str, str] | None: ...
    def start(self, deployment: str, channel: str, ts: str, now: datetime) -> None: ...
    def claim(self, deployment: str, key: str, now: datetime) -> bool: ...
    def release(self, deployment: str, key: str) -> None: ...


@dataclass(frozen=True)
class ThreadTop:
    deployment: str
    requester: str  # "" when the bot did not start it
    image: str
    ended: str = ""  # the end line's text, once over


@dataclass(frozen=True)
class Render:
    top: Callable[[ThreadTop], dict[str, Any]]
    line: Callable[[Line], dict[str, Any]]
    gate: Callable[[Any], dict[str, Any]]  # a CutoverView with its buttons


class Tracker:
    def __init__(
        self, deployments: DeploymentsPort, threads: ThreadsPort, notifier: IncidentNotifierPort, audit: AuditPort,
        confirmations: ConfirmationPort, render: Render, region: str, clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self._deployments = deployments
        self._threads = threads
        self._notifier = notifier
        self._audit = audit
        self._confirmations = confirmations
        self._render = render
        self._region = region
        self._clock = clock

    def follow(self, deployment: str = "") -> int:
        """Bring the thread of ``deployment`` (default: the service's latest) up to date; the lines posted."""
        described = self._deployments.describe(deployment) if deployment else self._deployments.latest()
        if described is None:
            return 0
        arn = str(described.get("serviceDeploymentArn", ""))
        found = standing(described)
        now = self._clock()
        thread = self._threads.thread(arn)
        if thread is None:
            if found.finished and not deployment:
                return 0  # an old deployment the bot never followed: not worth a thread now
            thread = self._start(arn, now)
            if thread is None:
                return 0  # another delivery is starting it; it posts the lines
        channel, ts = thread
        verdicts = self._verdicts(arn)
        posted = 0
        for line in lines(described, verdicts, self._region):
            if self._post(arn, line.key, now, thread, partial(self._render.line, line)):
                posted += 1
                if line.end:
                    self._notifier.update(channel, ts, self._render.top(self._top(arn, line.text)))
        gate = found.gate
        if gate is not None:
            # The gate's confirmation is written only once its post is claimed, not at every poll.
            gated = partial(gate_view, found, self._audit, self._confirmations, now)
            if self._post(arn, f"gate#{gate.hook_id}", now, thread, lambda: self._render.gate(gated())):
                posted += 1
        return posted

    def _start(self, arn: str, now: datetime) -> tuple[str, str] | None:
        if not self._threads.claim(arn, "top", now):
            return None
        try:
            channel, ts = self._notifier.post(self._render.top(self._top(arn)))
        except IncidentDeliveryError:
            self._threads.release(arn, "top")
            raise
        self._threads.start(arn, channel, ts, now)
        return channel, ts

    def _post(
        self, arn: str, key: str, now: datetime, thread: tuple[str, str], build: Callable[[], dict[str, Any]]
    ) -> bool:
        if not self._threads.claim(arn, key, now):
            return False
        try:
            self._notifier.reply(*thread, build())
        except IncidentDeliveryError:
            self._threads.release(arn, key)
            raise
        return True

    def _top(self, arn: str, ended: str = "") -> ThreadTop:
        for entry in self._audit.latest(50):
            if entry.verb == "deploy" and entry.after.get("deployment") == arn:
                requester = str(entry.after.get("requested_by") or entry.actor)  # prod: approved by another
                return ThreadTop(arn, requester, str(entry.after.get("image", "")), ended)
        return ThreadTop(arn, "", "", ended)

    def _verdicts(self, arn: str) -> list[Verdict]:
        found = [e for e in self._audit.latest(100) if e.verb == HOOK_VERB and e.after.get("deployment") == arn]
        found.sort(key=lambda e: e.at)
        return [Verdict(str(e.after.get("stage", "")), str(e.after.get("status", "")), str(e.after.get("reason", "")))
                for e in found]  # fmt: skip
