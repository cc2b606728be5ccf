"""Scheduled actions of other owners (people's own, other tools') that work against an election window (pure).

The bot never touches them; it says so. An action conflicts when it falls inside a window and would set the
maximum below the window's maximum or the minimum below the window's minimum (Application Auto Scaling applies
whatever runs last, so such an action can undo the window's capacity until the bot's next change point)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from opsbot.elections.model import Window
from opsbot.ports import ScheduledAction


@dataclass(frozen=True)
class Conflict:
    action: ScheduledAction
    window: Window

    def describe(self) -> str:
        a, w = self.action, self.window
        bounds = ", ".join(f"{k} {v}" for k, v in (("min", a.min), ("max", a.max)) if v is not None)
        return (
            f"{a.name} at {a.at:%Y-%m-%d %H:%M} UTC sets {bounds} during {w.slug} {w.phase}"
            f" (window min {w.min}, max {w.max}); it is not the bot's and is left alone"
        )


def conflicts(foreign: Iterable[ScheduledAction], windows: Iterable[Window]) -> list[Conflict]:
    spans = list(windows)
    found = []
    for action in foreign:
        if action.at is None:
            continue  # recurring (cron/rate) actions are not judged here
        for window in spans:
            if window.start <= action.at < window.end and (
                (action.max is not None and action.max < window.max)
                or (action.min is not None and action.min < window.min)
            ):
                found.append(Conflict(action, window))
                break
    return found
