"""Change how many web tasks may run, through the autoscaling target (min / max).

`scale <n>` — run at least n tasks (raises the autoscaling minimum to n; the autoscaler may still add more)
`scale min=<a> max=<b>` — set either or both bounds
`scale reset` — drop every person's capacity setting and raise: back to the baseline (alarm raises stay)
Add `for <duration>` (e.g. `for 6h`, `for 90m`) for a temporary raise that ends by itself, and `--dry-run` to
see the plan without changing anything. Capacity is the combination of everyone's intents (the baseline, your
settings and raises, an alarm's scale-out): a raise never cuts another one short, and `status` lists them all.
Bounds, the largest step per command and a confirmation threshold come from the guardrails; two changes to the
service never interleave. The result has an Undo button, which asks first if capacity changed since.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from opsbot.capacity import timeline as tl
from opsbot.capacity.model import Intent, PlannedAction
from opsbot.commands.base import (
    AUDIT_KEY,
    AuditOutcome,
    CommandContext,
    CommandSpec,
    Outcome,
    capacity_core,
    put_back,
)
from opsbot.commands.freeze import check as check_freeze
from opsbot.commands.freeze import take_override
from opsbot.config import Role
from opsbot.errors import (
    AwsOperationError,
    ChangeInProgress,
    ChangePutBack,
    ConfirmationExpired,
    GuardrailViolation,
    UsageError,
)
from opsbot.logic.durations import parse_duration
from opsbot.logic.scaling import Capacity, ScalePlan, ScaleRequest, plan_scale
from opsbot.logic.text import echo

if TYPE_CHECKING:  # the core is built by ``capacity_core`` when a change runs, never to parse or acknowledge one
    from opsbot.capacity.core import Change

USAGE = '/mycandidate scale <n> | min=<a> max=<b> | reset  [for <duration>] [--dry-run] [--override "<reason>"]'
# Slack clients may turn a typed "--" into an en or em dash.
_DRY_RUN_FLAGS = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}
_COUNT = re.compile(r"[0-9]{1,15}")
# What the bot itself puts in a Confirm/Cancel button: a uuid4 hex (Undo buttons carry an audit key, AUDIT_KEY).
_CONFIRMATION_ID = re.compile(r"[0-9a-f]{32}")
_BOUND = re.compile(r"(min|max)=(.*)", re.IGNORECASE)

ViewKind = Literal["applied", "dry-run", "confirm", "noop", "cancelled", "undone", "confirm-undo"]


@dataclass(frozen=True)
class ScaleView:
    kind: ViewKind
    before: Capacity
    after: Capacity
    revert_at: datetime | None = None
    confirmation_id: str = ""
    undo_key: str = ""
    note: str = ""
    later: tuple[PlannedAction, ...] = ()  # how effective capacity changes after now, by schedule


def parse(args: list[str]) -> ScaleRequest:
    """Parse the words after `scale`; every error names the offending word."""
    words, override = take_override(list(args), USAGE)
    request = _parse(words)
    return request._replace(override=override) if override else request


def _parse(words: list[str]) -> ScaleRequest:
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
    if request.override:
        text += f' --override "{request.override}"'
    return text + (" --dry-run" if request.dry_run else "")


# running -------------------------------------------------------------------------------------------------------
# ``run``, ``confirm`` and ``undo`` are bodies of the operation runner (``opsbot.operations.runner``): authorised,
# recorded as pending and holding the change lock before they are called.


class _IntentChange:
    """How a request changes the intents: what it adds and which existing intents it removes."""

    def __init__(self, add: tuple[Intent, ...], remove: Callable[[Intent], bool], plan: ScalePlan) -> None:
        self.add = add
        self.remove = remove
        self.plan = plan

    def proposed(self, intents: list[Intent]) -> list[Intent]:
        return [i for i in intents if not self.remove(i)] + list(self.add)


def run(request: ScaleRequest, ctx: CommandContext) -> Outcome:
    core = capacity_core(ctx)
    intents = core.intents(ctx.now)
    change = _intent_change(request, ctx, intents)
    before = core.effective(intents, ctx.now)
    preview = core.plan(change.proposed(intents), ctx.now)
    _freeze(request, ctx, intents, change)
    if _already_in_force(change, intents, ctx):
        view = ScaleView(kind="noop", before=before, after=before)
        return Outcome(view=view, audit=AuditOutcome(result="noop", before=before.state(), after=before.state()))
    if request.dry_run:
        view = ScaleView(
            kind="dry-run", before=before, after=preview.now, revert_at=change.plan.revert_at, later=preview.actions
        )
        return Outcome(
            view=view, audit=AuditOutcome(decision="dry-run", before=before.state(), after=preview.now.state())
        )
    if change.plan.needs_confirmation:
        confirmation_id = uuid.uuid4().hex
        ctx.ports.confirmations.put(confirmation_id, {"request": describe(request), "by": ctx.actor.user_id}, ctx.now)
        view = ScaleView(
            kind="confirm",
            before=before,
            after=preview.now,
            revert_at=change.plan.revert_at,
            confirmation_id=confirmation_id,
            later=preview.actions,
        )
        audit = AuditOutcome(
            decision="awaiting-confirmation", result="pending", before=before.state(), after=preview.now.state()
        )
        return Outcome(view=view, audit=audit)
    return apply(request, ctx, intents)


def apply(request: ScaleRequest, ctx: CommandContext, intents: list[Intent] | None = None) -> Outcome:
    """Change the intents and materialise them (the caller holds the change lock; ``intents``: as it read them
    under that lock)."""
    core = capacity_core(ctx)
    intents = core.intents(ctx.now) if intents is None else intents
    change = _intent_change(request, ctx, intents)
    result = core.change(
        ctx.now,
        operation=ctx.audit_key,
        by=ctx.actor.user_id,
        summary=f"scale {describe(request)}",
        add=change.add,
        remove=change.remove,
        current=intents,
    )
    if not result.changed:
        view = ScaleView(kind="noop", before=result.before, after=result.after)
        return Outcome(view=view, audit=AuditOutcome(result="noop", before=result.before.state()))
    view = ScaleView(
        kind="applied",
        before=result.before,
        after=result.after,
        revert_at=change.plan.revert_at,
        undo_key=ctx.audit_key,
        note=_held_by_others(result, ctx.now),
        later=result.timeline.actions if result.timeline else (),
    )
    return Outcome(view=view, audit=AuditOutcome(before=result.before.state(), after=result.record()))


def check(request: ScaleRequest, ctx: CommandContext) -> None:
    """The guardrails, read-only, before the runner records or locks anything: a refused request leaves one
    record and no pending one."""
    intents = capacity_core(ctx).intents(ctx.now)
    _freeze(request, ctx, intents, _intent_change(request, ctx, intents))


def _freeze(request: ScaleRequest, ctx: CommandContext, intents: list[Intent], change: _IntentChange) -> None:
    """During an election window: a reduction (of capacity now, or of the base a window sits on), or asking for
    fewer tasks than the window holds (which its intent would silently overrule), needs an admin's override; a
    raise never does."""
    from opsbot.commands.freeze import current

    core = capacity_core(ctx)
    before, after = core.effective(intents, ctx.now), core.plan(change.proposed(intents), ctx.now).now
    base, _ = tl.base(intents, core.baseline, ctx.now)
    lowered_base = any(i.kind == "setting" and (i.min < base.min or i.max < base.max) for i in change.add)
    asked = request.tasks if request.kind == "tasks" else request.new_min
    reduces = after.min < before.min or after.max < before.max or request.kind == "reset" or lowered_base
    found = current(ctx) if reduces or asked is not None else None
    if found is None or not (reduces or (asked is not None and asked < found.minimum)):
        return
    what = f"`scale {describe(request._replace(dry_run=False, override=''))}`"
    check_freeze(ctx, what=what, override=request.override, below_minimum=asked)


def _already_in_force(change: _IntentChange, intents: list[Intent], ctx: CommandContext) -> bool:
    """Nothing to do: a reset with no person's intent to drop, a setting equal to the base it would replace, or a
    raise the same person already has for at least as long. (A raise that another owner's raise covers for now is
    still kept: it must outlast that one if it ends or is undone.)"""
    if not change.add:
        return not any(change.remove(i) for i in intents)
    (new,) = change.add
    if new.kind == "setting":
        base, _ = tl.base(intents, capacity_core(ctx).baseline, ctx.now)
        return base == new.bounds
    return any(
        i.owner == new.owner
        and i.kind == "raise"
        and i.active(ctx.now)
        and i.bounds == new.bounds
        and (i.expires is None or (new.expires is not None and i.expires >= new.expires))
        for i in intents
    )


def _intent_change(request: ScaleRequest, ctx: CommandContext, intents: list[Intent]) -> _IntentChange:
    """Validate the request against the guardrails and turn it into intents. A temporary raise is planned from the
    effective capacity now; a permanent setting from the base it replaces (the baseline or the last setting)."""
    core = capacity_core(ctx)
    floor = ctx.settings.guardrails.floor
    if request.kind == "reset":
        plan = _plan(request, ctx, core.effective(intents, ctx.now))
        return _IntentChange((), lambda i: i.owner_kind == "person", plan)
    if request.duration is not None:
        effective = core.effective(intents, ctx.now)
        base, _ = tl.base(intents, core.baseline, ctx.now)
        try:
            plan = _plan(request, ctx, effective)
        except GuardrailViolation:
            if effective == base:
                raise
            # Covered for now by another raise, it still raises the base it would fall back to: judged against that.
            plan = _plan(request, ctx, base)
        if request.kind == "tasks":
            bounds = Capacity(plan.after.min, plan.after.min)
        else:
            low = request.new_min if request.new_min is not None else floor
            bounds = Capacity(low, max(low, request.new_max or 0))
        raise_ = _intent(ctx, "raise", bounds, plan.revert_at, request)
        return _IntentChange((raise_,), _removes_nothing, plan)
    base, _ = tl.base(intents, core.baseline, ctx.now)
    plan = _plan(request, ctx, base)
    setting = _intent(ctx, "setting", plan.after, None, request)
    return _IntentChange((setting,), lambda i: i.kind == "setting" and i.owner_kind == "person", plan)


def _removes_nothing(_: Intent) -> bool:
    return False


def _intent(
    ctx: CommandContext, kind: Any, bounds: Capacity, expires: datetime | None, request: ScaleRequest
) -> Intent:
    return Intent(
        id=ctx.audit_key,
        owner=ctx.actor.user_id,
        kind=kind,
        min=bounds.min,
        max=bounds.max,
        start=ctx.now,
        expires=expires,
        reason=f"scale {describe(request)}",
    )


def _held_by_others(result: Change, now: datetime) -> str:
    """Say when other owners' intents keep capacity above what this change asked for, or what it removed."""
    notes = []
    if result.removed:
        owners = sorted({_owner(i.owner) for i in result.removed})
        notes.append(f"removed {len(result.removed)} earlier intent(s) of {', '.join(owners)}")
    added = {i.id for i in result.added}
    others = [
        i
        for i in result.intents
        if i.id not in added and i.kind == "raise" and i.active(now) and i.min >= result.after.min
    ]
    for other in others[:3]:
        until = f" until {other.expires:%H:%M} UTC" if other.expires else ""
        notes.append(f"{_owner(other.owner)} keeps min {other.min}{until}")
    return "; ".join(notes)


def _owner(owner: str) -> str:
    return owner  # a Slack user ID or a system actor's name; escaped where the message is built


def _plan(request: ScaleRequest, ctx: CommandContext, current: Capacity) -> ScalePlan:
    baseline = Capacity(ctx.settings.baseline_min, ctx.settings.baseline_max)
    return plan_scale(request, current, baseline, ctx.settings.guardrails, ctx.now)


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
    """The Confirm button: consume the pending confirmation exactly once, then apply. (The runner takes the lock
    before this runs, so a busy lock leaves the confirmation unused and the button usable.)"""
    pending = _take(confirmation_id, "request", ctx)
    if pending is None:
        raise ConfirmationExpired("this confirmation has expired or was already used; run the command again")
    return _unless_nothing_changed(
        confirmation_id, pending, ctx, lambda: apply(parse(str(pending["request"]).split()), ctx)
    )


# What a confirmed change raises when it changed nothing: an AWS call failed before the intents were committed, the
# commit lost a race, or AWS refused part of it and the bot put it back.
_NOTHING_CHANGED = (AwsOperationError, ChangeInProgress, ChangePutBack)


def _unless_nothing_changed(
    confirmation_id: str, pending: dict[str, Any], ctx: CommandContext, change: Callable[[], Outcome]
) -> Outcome:
    """Run a confirmed change; if it failed and changed nothing, the confirmation is put back, so that the same
    button tries again instead of answering "already used" for a change that never happened."""
    try:
        return change()
    except _NOTHING_CHANGED:
        put_back(ctx, confirmation_id, pending)
        raise


def _take(confirmation_id: str, kind: str, ctx: CommandContext) -> dict[str, Any] | None:
    """Consume a confirmation of this ``kind`` (``request`` or ``undo``); one of the other kind, sent by a forged
    or misrouted button, is put back untouched."""
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is not None and kind not in pending:
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)
        return None
    return pending


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
    """The Undo button: remove the intents that change added and restore those it removed — but if capacity
    changed since (the generation moved), say what changed and ask first."""
    return _undo(audit_key, ctx, confirmed_generation=None)


def confirm_undo(confirmation_id: str, ctx: CommandContext) -> Outcome:
    pending = _take(confirmation_id, "undo", ctx)
    if pending is None:
        raise ConfirmationExpired("this confirmation has expired or was already used; press Undo again")
    undone = parse_undo_key(str(pending["undo"]))
    return _unless_nothing_changed(
        confirmation_id, pending, ctx, lambda: _undo(undone, ctx, confirmed_generation=int(pending["generation"]))
    )


def _undo(audit_key: str, ctx: CommandContext, confirmed_generation: int | None) -> Outcome:
    entry = ctx.ports.audit.get(audit_key)
    if (
        entry is None
        or entry.phase != "outcome"
        or "generation" not in entry.after
        or (entry.result, entry.decision) != ("ok", "allowed")
    ):
        raise GuardrailViolation("there is no applied scale change to undo here")
    core = capacity_core(ctx)
    now_capacity = ctx.ports.capacity.get_capacity()
    intents = core.intents(ctx.now)
    live = {i.id for i in intents}
    added = {str(i) for i in entry.after.get("added", [])} & live
    # A setting that a later setting replaced stays replaced: putting it back would change nothing.
    settings = [(i.start, i.id) for i in intents if i.kind == "setting" and i.id not in added]
    restore = tuple(
        intent
        for intent in (Intent.from_dict(d) for d in entry.after.get("removed", []))
        if intent.id not in live
        and (intent.expires is None or intent.expires > ctx.now)
        and not (intent.kind == "setting" and any(newer > (intent.start, intent.id) for newer in settings))
    )
    if not added and not restore:
        raise GuardrailViolation(
            f"nothing to undo: that change is already undone, expired or replaced (capacity is {now_capacity})"
        )
    generation = core.generation()
    if generation.number != entry.after["generation"] and generation.number != confirmed_generation:
        return _ask_before_undo(audit_key, generation.number, generation.summary, generation.by, now_capacity, ctx)
    # The change freeze holds for Undo as for `scale`: taking a raise away during an election window lowers
    # capacity (a button carries no override; an admin types the `scale … --override` instead).
    proposed = [i for i in intents if i.id not in added] + list(restore)
    before, after = core.effective(intents, ctx.now), core.plan(proposed, ctx.now).now
    if after.min < before.min or after.max < before.max:
        check_freeze(ctx, what=f"undoing `{entry.verb} {entry.arguments}`", override="")
    result = core.change(
        ctx.now,
        operation=ctx.audit_key,
        by=ctx.actor.user_id,
        summary=f"undo of {entry.verb} {entry.arguments}",
        add=restore,
        remove=lambda i: i.id in added,
        current=intents,
    )
    view = ScaleView(
        kind="undone",
        before=result.before,
        after=result.after,
        undo_key=ctx.audit_key,
        later=result.timeline.actions if result.timeline else (),
    )
    return Outcome(view=view, audit=AuditOutcome(before=result.before.state(), after=result.record(undoes=audit_key)))


def _ask_before_undo(
    audit_key: str, generation: int, summary: str, by: str, current: Capacity, ctx: CommandContext
) -> Outcome:
    confirmation_id = uuid.uuid4().hex
    ctx.ports.confirmations.put(
        confirmation_id, {"undo": audit_key, "generation": generation, "by": ctx.actor.user_id}, ctx.now
    )
    since = _changes_since(audit_key, ctx) or [f"`{echo(summary, 80)}`" + (f" by {_owner(by)}" if by else "")]
    shown = "; ".join(since[:3]) + (f" and {len(since) - 3} more" if len(since) > 3 else "")
    note = (
        f"capacity changed since that change: {shown}. Undo removes only what that change added and puts back "
        "what it removed; the later changes stay."
    )
    view = ScaleView(kind="confirm-undo", before=current, after=current, confirmation_id=confirmation_id, note=note)
    return Outcome(view=view, audit=AuditOutcome(decision="awaiting-confirmation", result="pending"))


def _changes_since(audit_key: str, ctx: CommandContext) -> list[str]:
    """The capacity changes recorded after ``audit_key``, oldest first (operation ids sort by time)."""
    later = [
        e
        for e in ctx.ports.audit.latest(50)
        if e.key > audit_key and e.phase == "outcome" and e.result == "ok" and "generation" in e.after
    ]
    return [f"`{echo(f'{e.verb} {e.arguments}', 80)}` by {_owner(e.actor)}" for e in reversed(later)]


SPEC = CommandSpec(
    name="scale",
    usage=USAGE,
    required_role=Role.OPERATOR,
    parse=parse,
    run=run,
    mutating=True,
    doc=__doc__ or "",
    locks=True,
    guard=check,
)
