"""Change how many web tasks may run, through the autoscaling target (min / max).

`scale <n>` — run at least n tasks (raises the autoscaling minimum to n; the autoscaler may still add more)
`scale min=<a> max=<b>` — set either or both bounds
`scale reset` — back to the configured baseline and cancel any pending automatic revert
Add `for <duration>` (e.g. `for 6h`, `for 90m`) to revert automatically, and `--dry-run` to see the plan
without changing anything. Bounds, the largest step per command and a confirmation threshold come from the
guardrails; two changes to the service never interleave. The result has an Undo button.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from opsbot.commands.base import AUDIT_KEY, AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import (
    ActionFailed,
    AwsOperationError,
    ChangeInProgress,
    ConfirmationExpired,
    GuardrailViolation,
    UsageError,
)
from opsbot.logic.durations import parse_duration
from opsbot.logic.scaling import Capacity, ScalePlan, ScaleRequest, plan_scale
from opsbot.logic.text import echo
from opsbot.observability import logger

USAGE = "/mycandidate scale <n> | min=<a> max=<b> | reset  [for <duration>] [--dry-run]"
# Slack clients may turn a typed "--" into an en or em dash.
_DRY_RUN_FLAGS = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}
_COUNT = re.compile(r"[0-9]{1,15}")
# What the bot itself puts in a Confirm/Cancel button: a uuid4 hex (Undo buttons carry an audit key, AUDIT_KEY).
_CONFIRMATION_ID = re.compile(r"[0-9a-f]{32}")
_BOUND = re.compile(r"(min|max)=(.*)", re.IGNORECASE)

ViewKind = Literal["applied", "dry-run", "confirm", "noop", "cancelled", "undone"]


@dataclass(frozen=True)
class ScaleView:
    kind: ViewKind
    before: Capacity
    after: Capacity
    revert_at: datetime | None = None
    confirmation_id: str = ""
    undo_key: str = ""
    note: str = ""


def parse(args: list[str]) -> ScaleRequest:
    """Parse the words after `scale`; every error names the offending word."""
    words = list(args)
    dry_run = any(word.lower() in _DRY_RUN_FLAGS for word in words)
    words = [word for word in words if word.lower() not in _DRY_RUN_FLAGS]
    duration = None
    if "for" in (lowered := [word.lower() for word in words]):
        at = lowered.index("for")
        if at + 1 >= len(words):
            raise UsageError("`for` needs a duration after it, e.g. `for 6h`", USAGE)
        duration = parse_duration(words[at + 1].lower(), USAGE)
        words = words[:at] + words[at + 2 :]
    if not words:
        raise UsageError("tell me what to scale to: a task count, `min=`/`max=` or `reset`", USAGE)
    if words[0].lower() == "reset":
        _no_extra(words[1:])
        if duration is not None:
            raise UsageError("`scale reset` is permanent; it cannot take `for <duration>`", USAGE)
        return ScaleRequest(kind="reset", dry_run=dry_run)
    if _BOUND.fullmatch(words[0]):
        return _parse_bounds(words, duration, dry_run)
    tasks = _count(words[0], "task count")
    _no_extra(words[1:])
    return ScaleRequest(kind="tasks", tasks=tasks, duration=duration, dry_run=dry_run)


def _parse_bounds(words: list[str], duration: Any, dry_run: bool) -> ScaleRequest:
    bounds: dict[str, int] = {}
    for word in words:
        match = _BOUND.fullmatch(word)
        if not match:
            raise UsageError(f"unexpected `{echo(word)}`; after min=/max= nothing else is allowed", USAGE)
        name = match.group(1).lower()
        if name in bounds:
            raise UsageError(f"`{name}=` is given twice", USAGE)
        bounds[name] = _count(match.group(2), name)
    return ScaleRequest(
        kind="bounds", new_min=bounds.get("min"), new_max=bounds.get("max"), duration=duration, dry_run=dry_run
    )


def _count(word: str, what: str) -> int:
    if not word:
        raise UsageError(f"`{what}=` needs a number after it, e.g. `{what}=4`", USAGE)
    if not _COUNT.fullmatch(word):
        hint = " (counts are positive)" if word.startswith("-") else ""
        raise UsageError(f"`{echo(word)}` is not a valid {what}; use a whole number{hint}", USAGE)
    return int(word)


def _no_extra(extra: list[str]) -> None:
    if extra:
        raise UsageError(f"unexpected `{echo(' '.join(extra))}`; give one task count", USAGE)


def describe(request: ScaleRequest) -> str:
    """The canonical text of a request, for confirmations and the audit trail."""
    if request.kind == "reset":
        text = "reset"
    elif request.kind == "tasks":
        text = str(request.tasks)
    else:
        text = " ".join(f"{k}={v}" for k, v in (("min", request.new_min), ("max", request.new_max)) if v is not None)
    if request.duration is not None:
        text += f" for {int(request.duration.total_seconds() // 60)}m"
    return text + (" --dry-run" if request.dry_run else "")


# running -------------------------------------------------------------------------------------------------------


def run(request: ScaleRequest, ctx: CommandContext) -> Outcome:
    plan = _plan(request, ctx, ctx.ports.capacity.get_capacity())
    if plan.is_noop:
        view = ScaleView(kind="noop", before=plan.before, after=plan.after)
        return Outcome(
            view=view, audit=AuditOutcome(result="noop", before=_state(plan.before), after=_state(plan.after))
        )
    if request.dry_run:
        view = ScaleView(kind="dry-run", before=plan.before, after=plan.after, revert_at=plan.revert_at)
        return Outcome(
            view=view, audit=AuditOutcome(decision="dry-run", before=_state(plan.before), after=_state(plan.after))
        )
    if plan.needs_confirmation:
        confirmation_id = uuid.uuid4().hex
        ctx.ports.confirmations.put(confirmation_id, {"request": describe(request), "by": ctx.actor.user_id}, ctx.now)
        view = ScaleView(
            kind="confirm",
            before=plan.before,
            after=plan.after,
            revert_at=plan.revert_at,
            confirmation_id=confirmation_id,
        )
        return Outcome(
            view=view,
            audit=AuditOutcome(
                decision="awaiting-confirmation", result="pending", before=_state(plan.before), after=_state(plan.after)
            ),
        )
    return apply(request, ctx)


def apply(request: ScaleRequest, ctx: CommandContext, lock_wait: float = 0.0) -> Outcome:
    """Apply under the per-service lock, re-planning from the capacity read inside the lock."""
    with service_lock(ctx, lock_wait):
        capacity = ctx.ports.capacity
        plan = _plan(request, ctx, capacity.get_capacity())
        pending = _pending_revert(ctx)
        if plan.before == plan.after and not (plan.cancels_pending_revert and pending):
            view = ScaleView(kind="noop", before=plan.before, after=plan.after)
            return Outcome(view=view, audit=AuditOutcome(result="noop", before=_state(plan.before)))
        before = _state(plan.before, pending)
        # A second temporary raise still returns to the bounds from before the first one.
        revert_to = Capacity(pending["revert_min"], pending["revert_max"]) if pending else plan.before
        after = _apply_plan(plan, revert_to, ctx, before)
    note = ""
    if pending and plan.revert_at is not None:
        note = f"this replaces the automatic revert that was due at {_hhmm(pending['revert_at'])}"
    elif pending and not plan.cancels_pending_revert:
        note = f"the automatic revert at {_hhmm(pending['revert_at'])} is still scheduled"
    view = ScaleView(
        kind="applied",
        before=plan.before,
        after=plan.after,
        revert_at=plan.revert_at,
        undo_key=ctx.audit_key,
        note=note,
    )
    return Outcome(view=view, audit=AuditOutcome(before=before, after=after))


@contextmanager
def service_lock(ctx: CommandContext, wait: float = 0.0) -> Iterator[None]:
    """Hold the per-service change lock. People are refused at once (``wait=0``); automatic remediation waits up
    to ``wait`` seconds for a concurrent change to finish. A failed release is logged, not raised: the lock
    expires by itself, and raising here would hide the outcome of a change that did happen."""
    resource = ctx.settings.service_key
    deadline = time.monotonic() + wait
    while True:
        try:
            ctx.ports.locks.acquire(resource, ctx.request_id, ctx.now)
            break
        except ChangeInProgress:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05 + random.random() * 0.1)
    try:
        yield
    finally:
        try:
            ctx.ports.locks.release(resource, ctx.request_id)
        except AwsOperationError as exc:
            logger.warning("change lock not released; it will expire", extra={"resource": resource, "code": exc.code})


def _apply_plan(plan: ScalePlan, revert_to: Capacity, ctx: CommandContext, before: dict[str, Any]) -> dict[str, Any]:
    capacity = ctx.ports.capacity
    capacity.set_capacity(plan.after)
    try:
        if plan.revert_at is not None:
            capacity.schedule_revert(plan.revert_at, revert_to)
        elif plan.cancels_pending_revert:
            capacity.cancel_revert()
    except AwsOperationError as exc:
        # Never leave a temporary raise without its revert: put the bounds back, then report.
        _put_back(capacity, plan.before, plan.after, exc, before)
    after = _state(plan.after)
    if plan.revert_at is not None:
        after.update(_revert_fields(plan.revert_at, revert_to))
    return after


def _put_back(
    capacity: Any, previous: Capacity, changed: Capacity, cause: AwsOperationError, before: dict[str, Any]
) -> None:
    try:
        capacity.set_capacity(previous)
    except AwsOperationError as undo_exc:
        raise ActionFailed(
            f"{cause}; capacity is now {changed} and could NOT be put back ({undo_exc.code}) — run `scale reset`",
            before=before,
            now=_state(changed),
        ) from undo_exc
    raise ActionFailed(f"{cause}; capacity was put back to {previous}", before=before, now=_state(previous)) from cause


def _hhmm(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%H:%M} UTC"


def _plan(request: ScaleRequest, ctx: CommandContext, current: Capacity) -> ScalePlan:
    baseline = Capacity(ctx.settings.baseline_min, ctx.settings.baseline_max)
    return plan_scale(request, current, baseline, ctx.settings.guardrails, ctx.now)


def _pending_revert(ctx: CommandContext) -> dict[str, Any]:
    """The bot's revert, if it is still due. One-time actions stay listed after they ran: those are ignored."""
    for action in ctx.ports.capacity.scheduled_actions():
        if action.name != ctx.settings.revert_action_name or action.min is None or action.max is None:
            continue
        if action.at is not None and action.at > ctx.now:
            return _revert_fields(action.at, Capacity(action.min, action.max))
    return {}


def _revert_fields(at: datetime, capacity: Capacity) -> dict[str, Any]:
    return {"revert_at": at.isoformat(), "revert_min": capacity.min, "revert_max": capacity.max}


def _state(capacity: Capacity, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"min": capacity.min, "max": capacity.max, **(extra or {})}


# buttons -------------------------------------------------------------------------------------------------------


def parse_confirmation_id(value: str) -> str:
    """A Confirm/Cancel button's value, validated like any user input (button values can be forged)."""
    if not _CONFIRMATION_ID.fullmatch(value):
        raise UsageError(f"`{echo(value) or 'nothing'}` is not a confirmation this bot issued")
    return value


def parse_undo_key(value: str) -> str:
    """An Undo button's value: the audit key of the change it undoes."""
    if not AUDIT_KEY.fullmatch(value):
        raise UsageError(f"`{echo(value) or 'nothing'}` is not a change this bot recorded; there is nothing to undo")
    return value


def confirm(confirmation_id: str, ctx: CommandContext) -> Outcome:
    """The Confirm button: consume the pending confirmation exactly once, then apply."""
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is None:
        raise ConfirmationExpired("this confirmation has expired or was already used; run the command again")
    request = parse(str(pending["request"]).split())
    try:
        return apply(request, ctx)
    except ChangeInProgress:
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)  # the button stays usable
        raise


def cancel(confirmation_id: str, ctx: CommandContext) -> Outcome:
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is None:
        raise ConfirmationExpired("this confirmation has expired or was already used")
    current = ctx.ports.capacity.get_capacity()
    return Outcome(
        view=ScaleView(kind="cancelled", before=current, after=current),
        audit=AuditOutcome(decision="cancelled", result="noop"),
    )


def undo(audit_key: str, ctx: CommandContext) -> Outcome:
    """The Undo button: restore the bounds (and pending revert) recorded before a change, if nothing moved since."""
    entry = ctx.ports.audit.get(audit_key)
    # Changes by `scale` and by alarm remediation (`remediate`, scale_out) record bounds and can be undone.
    undoable = entry is not None and entry.verb in {"scale", "remediate"} and "min" in entry.before
    if entry is None or not undoable or entry.result != "ok" or entry.decision != "allowed":
        raise GuardrailViolation("there is no applied scale change to undo here")
    restore = Capacity(entry.before["min"], entry.before["max"])
    changed_to = Capacity(entry.after["min"], entry.after["max"])
    with service_lock(ctx):
        capacity = ctx.ports.capacity
        current = capacity.get_capacity()
        if current == restore and current != changed_to:
            raise GuardrailViolation(f"already undone: capacity is {current}")
        if current != changed_to:
            raise GuardrailViolation(
                f"capacity has changed since that action (now {current}, it set {changed_to}); "
                "use `scale` to set what you need"
            )
        capacity.set_capacity(restore)
        try:
            revert_note = _restore_revert(entry.before, ctx)
        except AwsOperationError as exc:
            _put_back(capacity, current, restore, exc, _state(current))
    view = ScaleView(kind="undone", before=current, after=restore, note=revert_note)
    return Outcome(
        view=view, audit=AuditOutcome(before=_state(current), after={**_state(restore), "undoes": audit_key})
    )


def _restore_revert(before: dict[str, Any], ctx: CommandContext) -> str:
    capacity = ctx.ports.capacity
    revert_at = datetime.fromisoformat(before["revert_at"]) if "revert_at" in before else None
    if revert_at is not None and revert_at > ctx.now:
        capacity.schedule_revert(revert_at, Capacity(before["revert_min"], before["revert_max"]))
        return f"the automatic revert at {revert_at:%H:%M} UTC is scheduled again"
    if capacity.cancel_revert():
        return "the automatic revert it scheduled was cancelled"
    return ""


SPEC = CommandSpec(
    name="scale", usage=USAGE, required_role=Role.OPERATOR, parse=parse, run=run, mutating=True, doc=__doc__ or ""
)
