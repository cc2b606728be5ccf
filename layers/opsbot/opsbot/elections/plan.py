"""The election plan: which capacity intents the calendar wants, and how they differ from those stored (pure).

Each window of an upcoming election becomes one *raise* intent owned by ``election:<slug>`` (so it can only add
capacity to people's settings and the other raises, and its expiry never cuts below another window). Its id is
derived from the election, the phase and the start, so the same calendar always wants the same intents: a second
reconcile with nothing changed finds no difference and makes no mutating call. Only election intents are ever in
a plan; people's and alarms' intents are left as they are. The capacity core turns the combined intents into
Application Auto Scaling scheduled actions; the plan counts them against the service's limit of 200 per scalable
target, with a margin for people's own actions. Only windows that start within ``HORIZON`` are planned (five
years of monthly by-elections would need ~240 actions); the hourly reconcile brings later ones in as time passes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from opsbot.capacity.model import Intent
from opsbot.capacity.timeline import timeline
from opsbot.elections.calendar import windows
from opsbot.elections.model import Election, Window
from opsbot.errors import GuardrailViolation
from opsbot.logic.scaling import Capacity

OWNER_PREFIX = "election:"
SCHEDULED_ACTIONS_LIMIT = 200  # Application Auto Scaling, per scalable target
ACTIONS_BUDGET = 150  # what the bot's timeline may use of them: the rest stays free for people's own actions
HORIZON = timedelta(days=366)  # a year of elections is planned ahead; ~4 actions per by-election
_NOT_IN_ID = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ElectionPlan:
    wanted: tuple[Intent, ...]  # every election intent the calendar wants, live or later
    add: tuple[Intent, ...]
    remove: tuple[Intent, ...]  # stored election intents the calendar no longer wants (or wants changed)
    unchanged: tuple[Intent, ...]
    actions: int  # scheduled actions the whole timeline needs from now on

    @property
    def changes(self) -> bool:
        return bool(self.add or self.remove)


def wanted_intents(elections: Iterable[Election], now: datetime) -> tuple[Intent, ...]:
    """One raise per window not yet over that starts within the horizon (past elections drop out: every window
    is over), and one for the hold after the window: an election whose window has started applies from its
    current phase."""
    found = []
    for election in elections:
        spans = [*windows(election), *_hold(election)]
        for window in spans:
            if window.end <= now or window.start >= now + HORIZON:
                continue
            phase_key = _NOT_IN_ID.sub("-", window.phase.lower()).strip("-")
            # The id names the window and fingerprints its values: a changed window is a new intent replacing the
            # old one (never a rewrite of the same item inside the core's one transaction).
            values = f"{window.min}-{window.max}-{window.end:%Y%m%dT%H%MZ}"
            found.append(
                Intent(
                    id=f"election-{election.slug}-{phase_key}-{window.start:%Y%m%dT%H%MZ}-{_fingerprint(values)}",
                    owner=window.owner,
                    kind="raise",
                    min=window.min,
                    max=window.max,
                    start=window.start,
                    expires=window.end,
                    reason=f"{election.name}: {window.phase}",
                )
            )
    return tuple(sorted(found, key=lambda i: (i.start, i.id)))


HOLD_PHASE = "held after the window"


def _hold(election: Election) -> tuple[Window, ...]:
    """The gated scale-down: the window's last capacity held from its close until ``hold_until`` (the fallback
    the team's answer moves). Its end is in the intent's id, so moving it replaces the intent."""
    if election.hold_until is None:
        return ()
    spans = windows(election)
    closes = max(w.end for w in spans)
    if election.hold_until <= closes:
        return ()
    last = max((w for w in spans if w.end == closes), key=lambda w: (w.min, w.max))
    return (replace(last, phase=HOLD_PHASE, start=closes, end=election.hold_until, suspend_scale_in=False),)


def plan(
    stored: Sequence[Intent],
    elections: Iterable[Election],
    *,
    baseline: Capacity,
    ceiling: int,
    now: datetime,
) -> ElectionPlan:
    """The difference between the stored election intents and those the calendar wants; raises
    ``GuardrailViolation`` when the resulting timeline would need more scheduled actions than the budget."""
    wanted = wanted_intents(elections, now)
    ours = [i for i in stored if i.owner.startswith(OWNER_PREFIX) and (i.expires is None or i.expires > now)]
    stored_by_id = {i.id: i for i in ours}
    wanted_by_id = {i.id: i for i in wanted}
    add = tuple(i for i in wanted if stored_by_id.get(i.id) != i)
    remove = tuple(i for i in ours if wanted_by_id.get(i.id) != i)
    unchanged = tuple(i for i in wanted if stored_by_id.get(i.id) == i)
    others = [i for i in stored if not i.owner.startswith(OWNER_PREFIX)]
    actions = len(timeline([*others, *wanted], baseline, ceiling, now).actions)
    if actions > ACTIONS_BUDGET:
        raise GuardrailViolation(
            f"the election calendar needs {actions} scheduled actions from now on; the bot keeps to {ACTIONS_BUDGET}"
            f" of Application Auto Scaling's {SCHEDULED_ACTIONS_LIMIT} per target. Remove or merge elections"
        )
    return ElectionPlan(wanted=wanted, add=add, remove=remove, unchanged=unchanged, actions=actions)


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]
