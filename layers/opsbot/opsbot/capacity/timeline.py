"""Effective capacity from intents, and its timeline (pure: no AWS, no clock).

Effective capacity at a moment = the newest active *setting* (a person's permanent bounds) or else the configured
baseline, raised by every active *raise*: the maximum of the minimums and the maximum of the maximums, capped at
the ceiling. So a raise never shortens or lowers another owner's raise; the earliest expiry simply stops counting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from opsbot.capacity.model import Intent, PlannedAction, Timeline
from opsbot.logic.scaling import Capacity

# Application Auto Scaling names: no colon, slash or pipe. The prefix marks the bot's own actions; any other
# scheduled action on the target belongs to a person or another tool and is never touched.
ACTION_PREFIX = "opsbot-capacity-"


def base(intents: Iterable[Intent], baseline: Capacity, at: datetime) -> tuple[Capacity, Intent | None]:
    settings = [i for i in intents if i.kind == "setting" and i.active(at)]
    if not settings:
        return baseline, None
    newest = max(settings, key=lambda i: (i.start, i.id))
    return newest.bounds, newest


def effective(intents: Sequence[Intent], baseline: Capacity, ceiling: int, at: datetime) -> Capacity:
    floor, _ = base(intents, baseline, at)
    raises = [i for i in intents if i.kind == "raise" and i.active(at)]
    top = min(max([floor.max, *(i.max for i in raises)]), ceiling)
    low = min(max([floor.min, *(i.min for i in raises)]), top)
    return Capacity(low, top)


def timeline(intents: Sequence[Intent], baseline: Capacity, ceiling: int, now: datetime) -> Timeline:
    """Now, and one action per later moment where the effective capacity changes."""
    current = effective(intents, baseline, ceiling, now)
    # Scheduled actions have whole seconds: a change point is rounded up to one, and the capacity from there on is
    # what the schedule sets, so a materialisation stays idempotent whatever precision the intents carry.
    points = sorted({_whole_second(t) for i in intents for t in (i.start, i.expires) if t is not None and t > now})
    actions: list[PlannedAction] = []
    previous = current
    for point in points:
        capacity = effective(intents, baseline, ceiling, point)
        if capacity != previous:
            actions.append(PlannedAction(action_name(point), point, capacity))
            previous = capacity
    return Timeline(now=current, actions=tuple(actions))


def _whole_second(at: datetime) -> datetime:
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def action_name(at: datetime) -> str:
    return f"{ACTION_PREFIX}{at.astimezone(UTC):%Y%m%dT%H%M%S}Z"  # to the second: two points in a minute stay apart


class Contribution(NamedTuple):
    intent: Intent
    sets_min: bool  # this intent is (one of) what holds the minimum where it is now
    sets_max: bool


def contributions(intents: Sequence[Intent], baseline: Capacity, ceiling: int, now: datetime) -> list[Contribution]:
    """The active intents, newest first, each with what it contributes to the effective capacity now."""
    now_capacity = effective(intents, baseline, ceiling, now)
    _, setting = base(intents, baseline, now)
    active = [i for i in intents if i.active(now) and (i.kind == "raise" or i is setting)]
    ordered = sorted(active, key=lambda i: (i.start, i.id), reverse=True)
    return [
        # Compared as capped at the ceiling: an intent asking for more than the ceiling holds the bound there.
        Contribution(
            i, sets_min=min(i.min, ceiling) == now_capacity.min, sets_max=min(i.max, ceiling) == now_capacity.max
        )
        for i in ordered
    ]


def live(intents: Iterable[Intent], now: datetime) -> list[Intent]:
    """Intents that still matter: active now or starting later (expired ones only wait for their TTL)."""
    return [i for i in intents if i.expires is None or i.expires > now]
