"""Decide what a capacity change does, and whether it is allowed.

Capacity is changed through the Application Auto Scaling scalable target (min/max), never through a raw
``desiredCount`` that target tracking would undo: ``scale 4`` raises the minimum to 4, which makes the
autoscaler run at least 4 tasks while still letting it scale out further under load.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from opsbot.config import Guardrails
from opsbot.errors import GuardrailViolation
from opsbot.logic.durations import format_duration


class Capacity(NamedTuple):
    """The scalable target's bounds."""

    min: int
    max: int

    def __str__(self) -> str:
        return f"min {self.min} / max {self.max}"

    def state(self) -> dict[str, Any]:
        """The bounds as the audit trail records them (``before`` / ``after``)."""
        return {"min": self.min, "max": self.max}


class ScaleRequest(NamedTuple):
    """What the user asked for, already parsed."""

    kind: Literal["tasks", "bounds", "reset"]
    tasks: int | None = None
    new_min: int | None = None
    new_max: int | None = None
    duration: timedelta | None = None
    dry_run: bool = False
    override: str = ""  # an admin's reason to act during an election change freeze (audited)


class ScalePlan(NamedTuple):
    """The change to apply, and what to do afterwards."""

    before: Capacity
    after: Capacity
    revert_at: datetime | None
    needs_confirmation: bool
    cancels_pending_revert: bool

    @property
    def is_noop(self) -> bool:
        return self.before == self.after and not self.cancels_pending_revert


def plan_scale(
    request: ScaleRequest,
    current: Capacity,
    baseline: Capacity,
    guardrails: Guardrails,
    now: datetime,
) -> ScalePlan:
    """Turn a request into a plan, or raise ``GuardrailViolation`` saying exactly which bound was hit."""
    after = _target_capacity(request, current, baseline)
    _check_bounds(after, guardrails)
    if request.kind != "reset":  # going back to the baseline is always allowed, however far away it is
        _check_step(current, after, guardrails)
    revert_at = None
    if request.duration is not None:
        revert_at = _revert_time(request.duration, current, after, guardrails, now)
    return ScalePlan(
        before=current,
        after=after,
        revert_at=revert_at,
        needs_confirmation=after.min > guardrails.confirm_above and after.min > current.min,
        cancels_pending_revert=request.kind == "reset",
    )


def _target_capacity(request: ScaleRequest, current: Capacity, baseline: Capacity) -> Capacity:
    if request.kind == "reset":
        return baseline
    if request.kind == "tasks":
        assert request.tasks is not None
        return Capacity(min=request.tasks, max=max(current.max, request.tasks))
    new_min = current.min if request.new_min is None else request.new_min
    new_max = current.max if request.new_max is None else request.new_max
    if new_min > new_max:
        raise GuardrailViolation(f"min {new_min} is above max {new_max}")
    return Capacity(min=new_min, max=new_max)


def _check_bounds(after: Capacity, g: Guardrails) -> None:
    if after.min < g.floor:
        raise GuardrailViolation(f"min {after.min} is below the floor of {g.floor} tasks")
    if after.max > g.ceiling:
        raise GuardrailViolation(f"{after.max} tasks is above the absolute maximum of {g.ceiling}")


def _check_step(current: Capacity, after: Capacity, g: Guardrails) -> None:
    for label, old, new in (("min", current.min, after.min), ("max", current.max, after.max)):
        if abs(new - old) > g.max_step:
            raise GuardrailViolation(
                f"changing {label} from {old} to {new} is a step of {abs(new - old)}; "
                f"the largest step per command is {g.max_step} — scale in smaller steps"
            )


def _revert_time(duration: timedelta, current: Capacity, after: Capacity, g: Guardrails, now: datetime) -> datetime:
    if after.min <= current.min and after.max <= current.max:
        raise GuardrailViolation("`for <duration>` only applies to a raise; a reduction is already the safe direction")
    if duration < g.min_temporary:
        raise GuardrailViolation(f"a temporary change must last at least {format_duration(g.min_temporary)}")
    if duration > g.max_temporary:
        raise GuardrailViolation(f"a temporary change may last at most {format_duration(g.max_temporary)}")
    # Application Auto Scaling schedules have minute granularity; round up so the change lasts at least as asked.
    revert = now + duration
    if revert.second or revert.microsecond:
        revert = revert.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return revert
