"""How the bot's scheduled actions on the scalable target compare with the timeline it wants (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from opsbot.capacity.model import PlannedAction
from opsbot.ports import ScheduledAction


@dataclass(frozen=True)
class ActionState:
    name: str
    state: str  # ok | missing | drifted | unexpected
    planned: PlannedAction | None
    found: ScheduledAction | None

    def describe(self) -> str:
        """What was found, in words (for the drift report)."""
        if self.state == "missing":
            assert self.planned is not None
            return f"{self.name} (min {self.planned.capacity.min}, max {self.planned.capacity.max}) was deleted"
        if self.state == "drifted":
            assert self.planned is not None
            assert self.found is not None
            return (
                f"{self.name} was changed to min {self.found.min}, max {self.found.max}"
                f" (planned min {self.planned.capacity.min}, max {self.planned.capacity.max})"
            )
        if self.state == "unexpected":
            assert self.found is not None
            return f"{self.name} (min {self.found.min}, max {self.found.max}) is not in the plan"
        return f"{self.name} is as planned"


def compare(planned: Sequence[PlannedAction], own: Iterable[ScheduledAction]) -> list[ActionState]:
    """Every planned action with its live state, then the bot's actions that the plan does not have."""
    found = {a.name: a for a in own}
    states = []
    for action in planned:
        live = found.pop(action.name, None)
        if live is None:
            state = "missing"
        elif (live.at, live.min, live.max) != (action.at, action.capacity.min, action.capacity.max):
            state = "drifted"
        else:
            state = "ok"
        states.append(ActionState(action.name, state, action, live))
    states.extend(ActionState(name, "unexpected", None, live) for name, live in sorted(found.items()))
    return states
