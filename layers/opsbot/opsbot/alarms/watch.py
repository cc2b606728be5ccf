"""The watch run (every few minutes, EventBridge Scheduler): keep watching what the bot left undone.

1. **Re-evaluate** every alarm left in ALARM with "no action because …" (cooldown, budget, change lock, kill
   switch, mute): CloudWatch will not notify again while the alarm stays in ALARM, so without this a "no action"
   would be final. If the alarm is still in ALARM (and no newer state change is in flight), the same remediation
   runs again as a transition of source ``watch`` — one more operation through the runner, idempotent per alarm and
   window (``AlarmTransition.watch_window``) — and acts when the reason has gone; its incident is updated in place.
   An alarm no longer in ALARM is forgotten.
2. **Sweep** operations cut short (``opsbot.operations.sweeper``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from opsbot.alarms.model import Decision
from opsbot.alarms.parsing import transition_from_description
from opsbot.alarms.remediation import Remediator
from opsbot.errors import OpsbotError
from opsbot.idempotency import Once
from opsbot.observability import logger
from opsbot.operations.sweeper import Sweeper
from opsbot.ports import RemediationStatePort

WINDOW = timedelta(minutes=5)  # the schedule's rate: one re-evaluation per alarm per window
_IN_FLIGHT = timedelta(seconds=2)  # a state change this much newer than the one handled has its own delivery


class AlarmStatesPort(Protocol):
    def describe(self, names: list[str]) -> list[dict[str, Any]]: ...


def watch_window(event: Mapping[str, Any], now: datetime) -> datetime:
    """The window this run covers: the scheduled time Scheduler passes in (so a retried run is the same window),
    else the clock; floored to ``WINDOW``."""
    at = now
    raw = event.get("scheduled_at")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
            at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except ValueError:
            logger.warning("watch event has an unreadable scheduled_at; using the clock")
    seconds = int(WINDOW.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, tz=UTC)


class Watch:
    def __init__(
        self,
        remediator: Remediator,
        state: RemediationStatePort,
        alarms: AlarmStatesPort,
        sweeper: Sweeper,
        once: Once,
        clock: Callable[[], datetime],
        gates: Callable[[], bool] | None = None,
    ) -> None:
        self._remediator = remediator
        self._state = state
        self._alarms = alarms
        self._sweeper = sweeper
        self._once = once
        self._clock = clock
        self._gates = gates  # brings the latest deployment's Slack thread up to date (opsbot.cutover.tracker)

    def run(self, event: Mapping[str, Any]) -> dict[str, int]:
        window = watch_window(event, self._clock())
        summary = {"watched": 0, "reevaluated": 0, "acted": 0, "swept": 0, "gates": 0}
        waiting = self._state.waiting()
        summary["watched"] = len(waiting)
        try:
            if waiting:
                described = {str(a.get("AlarmName")): a for a in self._alarms.describe([w.alarm for w in waiting])}
                for note in waiting:
                    acted = self._reevaluate(note.alarm, note.changed_at, described.get(note.alarm), window)
                    if acted is not None:
                        summary["reevaluated"] += 1
                        summary["acted"] += int(acted)
        finally:  # whatever happened to the alarms, operations cut short are still completed
            summary["swept"] = len(self._sweeper.sweep())
            summary["gates"] = self._post_gates()
        return summary

    def _post_gates(self) -> int:
        if self._gates is None:
            return 0
        try:
            return int(self._gates())
        except OpsbotError as exc:  # reported in the log; the next watch run tries again
            logger.warning("deployment gate not posted", extra={"error": str(exc)})
            return 0

    def _reevaluate(
        self, alarm: str, changed_at: datetime, description: Mapping[str, Any] | None, window: datetime
    ) -> bool | None:
        """``None`` when not re-evaluated; else whether it acted."""
        if description is None or description.get("StateValue") != "ALARM":
            self._state.clear_waiting(alarm)  # recovered (its OK may still be on its way) or deleted
            return None
        try:
            current = transition_from_description(description)
        except Exception:  # an alarm the parser cannot read is left to its own deliveries
            logger.exception("alarm description unreadable; not re-evaluated", extra={"alarm": alarm})
            return None
        if current.changed_at > changed_at + _IN_FLIGHT:
            return None  # a newer state change: its own delivery decides
        # The episode's own state-change time, so ordering and the incident treat this as the same ALARM.
        rerun = replace(current, changed_at=changed_at, watch_window=window.isoformat())
        try:
            # The result is stored by the idempotency layer, so it is kept to a plain word.
            ran, result = self._once(rerun.dedupe_key, lambda: _outcome(self._remediator.handle(rerun)))
        except Exception as exc:  # one alarm that cannot be handled must not stop the others or the sweep
            text = str(exc) if isinstance(exc, OpsbotError) else type(exc).__name__
            logger.warning("re-evaluation failed; the next window tries again", extra={"alarm": alarm, "error": text})
            return None
        if not ran:
            return None
        return bool(result == "acted")


def _outcome(decision: object) -> str:
    return "acted" if isinstance(decision, Decision) and decision.acted else "decided"
