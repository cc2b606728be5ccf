"""The election reconcile: read the stored intents → plan against the calendar → apply the difference → report.

It runs as the system actor ``election:calendar`` through the operation runner (verb ``capacity``: authorised by
the actor kind's permissions, a pending and an outcome audit record, the service's change lock) and changes
capacity only through the capacity core, so the election intents combine with people's and alarms' intents and
become Application Auto Scaling scheduled actions. A run whose plan has no difference still materialises, which
puts back a bot-owned scheduled action changed or deleted by hand and otherwise makes no mutating call. A dry run
returns the plan and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from opsbot.capacity.core import CapacityCore
from opsbot.capacity.drift import ActionState, compare
from opsbot.elections.model import Election
from opsbot.elections.plan import ElectionPlan, plan
from opsbot.logic.scaling import Capacity
from opsbot.operations.model import Actor, AuditOutcome, Operation, Outcome, RunOptions
from opsbot.operations.runner import OperationRunner

ACTOR_NAME = "calendar"


@dataclass(frozen=True)
class SyncView:
    """What a sync planned and did: the plan; the bot's scheduled actions as they were against what the plan
    makes of them (``states``: ok / missing / drifted / unexpected, for the dry run and the drift report); for a
    real run the mutating AWS calls and the bounds."""

    plan: ElectionPlan
    dry_run: bool
    calls: tuple[str, ...] = ()
    before: Capacity | None = None
    after: Capacity | None = None
    states: tuple[ActionState, ...] = ()

    @property
    def repaired_drift(self) -> bool:
        """Nothing to plan, yet the materialisation made calls: a bot-owned action had been changed by hand."""
        return not self.plan.changes and bool(self.calls)


def sync(
    runner: OperationRunner,
    core: CapacityCore,
    elections: Callable[[], Sequence[Election]],
    *,
    now: datetime,
    operation_key: str,
    lock_owner: str,
    service: str,
    channel: str = "",
    dry_run: bool = False,
) -> Outcome:
    """One reconcile of the calendar with the service's capacity; refusals and failures come back as outcomes."""
    actor = Actor.system("election", ACTOR_NAME, channel)
    operation = Operation(
        key=operation_key,
        verb="capacity",
        arguments="sync the election calendar" + (" --dry-run" if dry_run else ""),
        actor=actor,
        lock_owner=lock_owner,
    )
    body = partial(apply, core, elections, now=now, operation_key=operation_key, by=actor.user_id, dry_run=dry_run)
    return runner.run(operation, body, options=RunOptions(dry_run=dry_run, lock=None if dry_run else service))


def apply(
    core: CapacityCore,
    elections: Callable[[], Sequence[Election]],
    *,
    now: datetime,
    operation_key: str,
    by: str,
    dry_run: bool = False,
) -> Outcome:
    """The body of a sync, for whichever runner operation holds the lock (the system actor's, or a person's
    `schedule sync`): read the intents, plan, apply the difference through the capacity core."""
    current = core.intents(now)
    planned = plan(current, elections(), baseline=core.baseline, ceiling=core.ceiling, now=now)
    leaving = {intent.id for intent in planned.remove}
    proposed = [i for i in current if i.id not in leaving] + list(planned.add)
    states = tuple(compare(core.plan(proposed, now).actions, core.own_actions()))
    if dry_run:
        view = SyncView(planned, dry_run=True, states=states)
        return Outcome(view=view, audit=AuditOutcome(decision="dry-run"))
    if planned.changes:
        change = core.change(
            now,
            operation=operation_key,
            by=by,
            summary=f"election calendar: {len(planned.add)} intent(s) in, {len(planned.remove)} out",
            add=planned.add,
            remove=lambda intent: intent.id in leaving,
            current=current,
        )
        view = SyncView(planned, False, change.calls, change.before, change.after, states)
        return Outcome(view=view, audit=AuditOutcome(before=change.before.state(), after=change.record()))
    done = core.materialise(now, current)  # nothing to plan: repair drift, or make no call at all
    view = SyncView(planned, False, done.calls, done.before, done.after, states)
    return Outcome(
        view=view,
        audit=AuditOutcome(before=done.before.state(), after={**done.after.state(), "calls": len(done.calls)}),
    )
