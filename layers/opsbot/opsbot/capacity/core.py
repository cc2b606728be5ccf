"""Change the set of capacity intents and materialise it — always under the caller's change lock.

The intents in the operations table are the truth; the scalable target's bounds and the bot's scheduled actions
(``opsbot-capacity-<time>``, one per change point) are derived from them. A change bumps the generation first (a
conditional write, so the loser of a race writes nothing), then writes the intents, then brings AWS in line, so a
crash in between leaves intents that the next materialisation (or the sweeper) applies; an AWS failure puts the
previous intents back and re-materialises them. Materialising what is already in place makes no mutating call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from opsbot.capacity import timeline as tl
from opsbot.capacity.model import Generation, Intent, Timeline
from opsbot.config import Settings
from opsbot.errors import ActionFailed, AwsOperationError, ChangePutBack
from opsbot.logic.scaling import Capacity
from opsbot.ports import CapacityPort, IntentStorePort, ScheduledAction


@dataclass(frozen=True)
class Materialised:
    before: Capacity
    after: Capacity
    timeline: Timeline
    calls: tuple[str, ...] = ()  # the mutating AWS calls made, in order


@dataclass(frozen=True)
class Change:
    """What one change of the intents did."""

    before: Capacity
    after: Capacity
    generation: Generation
    added: tuple[Intent, ...] = ()
    removed: tuple[Intent, ...] = ()
    timeline: Timeline | None = None
    calls: tuple[str, ...] = field(default_factory=tuple)
    intents: tuple[Intent, ...] = ()  # the intents in force after the change

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def record(self, **extra: Any) -> dict[str, Any]:
        """What the audit trail keeps of the change: enough for a versioned Undo."""
        return {
            **self.after.state(),
            "generation": self.generation.number,
            "added": [i.id for i in self.added],
            "removed": [i.to_dict() for i in self.removed],
            "calls": len(self.calls),  # mutating AWS calls of the materialisation
            **extra,
        }


# The marker an operation leaves with its intents (``IntentStorePort.marker``), read by the sweeper.
APPLIED = "applied"
PUT_BACK = "put back"


class CapacityCore:
    def __init__(self, settings: Settings, target: CapacityPort, store: IntentStorePort) -> None:
        self._settings = settings
        self._target = target
        self._store = store

    @property
    def baseline(self) -> Capacity:
        return Capacity(self._settings.baseline_min, self._settings.baseline_max)

    @property
    def ceiling(self) -> int:
        return self._settings.guardrails.ceiling

    def intents(self, now: datetime) -> list[Intent]:
        return tl.live(self._store.intents(), now)

    def generation(self) -> Generation:
        return self._store.generation()

    def marker(self, operation: str) -> str | None:
        """``APPLIED`` when the operation's change of the intents was committed, ``PUT_BACK`` when it was then put
        back after AWS refused it, ``None`` when it never changed the intents."""
        return self._store.marker(operation)

    def effective(self, intents: Sequence[Intent], now: datetime) -> Capacity:
        return tl.effective(intents, self.baseline, self.ceiling, now)

    def plan(self, intents: Sequence[Intent], now: datetime) -> Timeline:
        return tl.timeline(intents, self.baseline, self.ceiling, now)

    # changing -------------------------------------------------------------------------------------------------
    def change(
        self,
        now: datetime,
        operation: str,
        by: str,
        summary: str,
        add: Sequence[Intent] = (),
        remove: Callable[[Intent], bool] | None = None,
        current: Sequence[Intent] | None = None,
    ) -> Change:
        """Add intents and remove those ``remove`` selects, bump the generation, then materialise. ``current``: the
        live intents as the caller read them under the same change lock (read here when not given)."""
        generation = self._store.generation()
        # A caller's ``now`` is when its invocation began: a change committed since (its generation's time) may
        # have started an intent after it. Planning at the earlier instant would take that intent for a future
        # one and put the bounds back until a scheduled action caught up.
        now = max(now, generation.at) if generation.at is not None else now
        current = list(self.intents(now) if current is None else current)
        removed = tuple(i for i in current if remove is not None and remove(i))
        kept = [i for i in current if i not in removed]
        proposed = kept + list(add)
        before = self._target.get_capacity()
        if not add and not removed:
            return Change(before=before, after=before, generation=generation)
        # One transaction: the conditional generation bump, the intents and the operation's marker. A change that lost
        # a race (``ChangeInProgress``) or failed has written nothing; one that committed is complete in the table,
        # so a crash before AWS is in line leaves the sweeper a marker and the intents to materialise.
        bumped = Generation(generation.number + 1, operation, by, summary, now)
        self._store.commit(generation.number, bumped, put=add, delete=[i.id for i in removed], marker=APPLIED)
        try:
            # ``before`` is still the target's state (the change lock keeps every other change out): reusing it saves
            # one DescribeScalableTargets per change.
            result = self.materialise(now, proposed, capacity=before)
        except AwsOperationError as exc:
            self._put_back(now, current, add, removed, bumped, exc)
        return Change(
            before=before,
            after=result.after,
            generation=bumped,
            added=tuple(add),
            removed=removed,
            timeline=result.timeline,
            calls=result.calls,
            intents=tuple(proposed),
        )

    def _put_back(
        self,
        now: datetime,
        previous: list[Intent],
        added: Sequence[Intent],
        removed: Sequence[Intent],
        bumped: Generation,
        cause: AwsOperationError,
    ) -> NoReturn:
        """AWS refused part of the change: restore the intents as they were and bring AWS back in line."""
        try:
            restored = Generation(bumped.number + 1, bumped.operation, bumped.by, f"put back: {cause.code}", now)
            self._store.commit(bumped.number, restored, put=removed, delete=[i.id for i in added], marker=PUT_BACK)
            back = self.materialise(now, previous)
        except AwsOperationError as exc:
            now_capacity = self._safe_capacity()
            raise ActionFailed(
                f"{cause}; capacity could NOT be put back ({exc.code}), it is {now_capacity} — run `scale reset` "
                "or `status`",
                now=now_capacity.state() if now_capacity else {},
            ) from exc
        raise ChangePutBack(f"{cause}; capacity was put back to {back.after}", now=back.after.state()) from cause

    def _safe_capacity(self) -> Capacity | None:
        try:
            return self._target.get_capacity()
        except AwsOperationError:
            return None

    # materialising --------------------------------------------------------------------------------------------
    def materialise(
        self, now: datetime, intents: Sequence[Intent] | None = None, capacity: Capacity | None = None
    ) -> Materialised:
        """Make the scalable target and the bot's scheduled actions match the intents; touch nothing else.
        Future actions go in first: if the bounds then fail, the schedule still returns capacity on time.
        ``capacity``: the target's bounds as the caller just read them under the change lock (read here if not)."""
        intents = self.intents(now) if intents is None else list(intents)
        plan = self.plan(intents, now)
        current = self._target.get_capacity() if capacity is None else capacity
        own = {a.name: a for a in self._target.scheduled_actions() if self.is_own(a)}
        wanted = {a.name: a for a in plan.actions}
        calls: list[str] = []
        for name, action in wanted.items():
            existing = own.get(name)
            if existing is None or (existing.at, existing.min, existing.max) != (
                action.at,
                action.capacity.min,
                action.capacity.max,
            ):
                self._target.put_action(name, action.at, action.capacity)
                calls.append(f"PutScheduledAction {name}")
        if current != plan.now:
            self._target.set_capacity(plan.now)
            calls.append(f"RegisterScalableTarget {plan.now}")
        for name in sorted(set(own) - set(wanted)):
            self._target.delete_action(name)
            calls.append(f"DeleteScheduledAction {name}")
        return Materialised(before=current, after=plan.now, timeline=plan, calls=tuple(calls))

    def is_own(self, action: ScheduledAction) -> bool:
        # ``opsbot-revert-<service>`` is the single revert slot of earlier versions: ours, replaced by the timeline.
        return action.name.startswith(tl.ACTION_PREFIX) or action.name == self._settings.revert_action_name

    def scheduled_actions(self) -> list[ScheduledAction]:
        """Every scheduled action of the target, the bot's and other owners'."""
        return self._target.scheduled_actions()

    def own_actions(self) -> list[ScheduledAction]:
        return [a for a in self._target.scheduled_actions() if self.is_own(a)]

    def foreign_actions(self) -> list[ScheduledAction]:
        return [a for a in self._target.scheduled_actions() if not self.is_own(a)]
