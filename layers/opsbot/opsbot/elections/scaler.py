"""One run of the election reconciler (hourly, at a wake-up, or on demand): the calendar's capacity through the
capacity core, the scale-in suspension and the wake-ups, then what the team must hear, each post made once.

1. **Capacity** — ``reconcile.sync`` as ``election:calendar``: the intents planned and applied; with nothing to
   change, a materialisation that puts back a bot-owned scheduled action changed or deleted by hand (drift) and
   otherwise makes no mutating call.
2. **Suspension and wake-ups** — a second operation, only when something differs: scale-in suspended while a
   phase says so, lifted after; one-time schedules at the next boundaries.
3. **Posts** — the drift report (once: the repair removes the drift it reports), other owners' scheduled actions
   that work against a window (once per action), the readiness report 48 h and 24 h before polls open, and the
   gated scale-down question when a window has closed (each once per election, claimed in the operations table
   before it is posted and released when the post fails, so a retry neither repeats nor loses it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from opsbot.capacity.core import CapacityCore
from opsbot.capacity.drift import ActionState, compare
from opsbot.capacity.timeline import ACTION_PREFIX
from opsbot.elections.calendar import upcoming, window_span, windows
from opsbot.elections.conflicts import Conflict, conflicts
from opsbot.elections.model import Election
from opsbot.elections.ports import CalendarPort, HoldsPort, SuspensionPort, WakeUpPort
from opsbot.elections.reconcile import ACTOR_NAME, SyncView, sync
from opsbot.elections.suspension import WAKE_UP_PREFIX, suspending, wake_up_name, wake_ups
from opsbot.errors import OpsbotError
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.operations.runner import OperationRunner
from opsbot.ports import IncidentDeliveryError, IncidentNotifierPort
from opsbot.snapshots.ports import SnapshotJobsPort


@dataclass(frozen=True)
class WindowEnded:
    """The gated scale-down question for one election."""

    election: Election
    closed: datetime
    fallback: datetime  # when capacity returns to the baseline if nobody answers


@dataclass(frozen=True)
class ConflictsFound:
    """Other owners' scheduled actions that work against a window, each reported once."""

    found: tuple[Conflict, ...]


@dataclass(frozen=True)
class DriftRepaired:
    found: tuple[ActionState, ...]
    calls: tuple[str, ...]


@dataclass(frozen=True)
class SyncFailed:
    """A part of the run could not be brought in line with the calendar (the next hourly run tries again)."""

    part: str  # "capacity" | "scale-in suspension and wake-ups"
    elections: int
    reason: str  # the runner's message: the AWS operation, a human reason and the code
    done: str = ""  # what that part had changed before it stopped


@dataclass
class RunSummary:
    elections: int = 0
    intents_added: int = 0
    intents_removed: int = 0
    calls: int = 0
    drift_repaired: int = 0
    suspension: str = ""  # "on" / "off" when changed
    wake_ups_created: int = 0
    wake_ups_deleted: int = 0
    snapshots_requested: list[str] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ScalerPorts:
    core: CapacityCore
    calendar: CalendarPort
    suspension: SuspensionPort
    wake_ups: WakeUpPort
    holds: HoldsPort
    notifier: IncidentNotifierPort | None
    scheduled_actions: Callable[[], Sequence[Any]]  # the target's scheduled actions (all owners)
    # (election, calendar, now, trigger) -> the readiness report (``opsbot.elections.readiness``); None: not posted
    readiness: Callable[[Election, Sequence[Election], datetime, str], Any] | None = None
    snapshots: SnapshotJobsPort | None = None  # asks the snapshots function for the pre-election snapshot


class ElectionScaler:
    def __init__(
        self,
        runner: OperationRunner,
        ports: ScalerPorts,
        *,
        service: str,
        channel: str,
        render: Callable[[Any], dict[str, Any]],
    ) -> None:
        self._runner = runner
        self._ports = ports
        self._service = service
        self._channel = channel
        self._render = render  # a report (DriftRepaired, WindowEnded) -> a Slack message

    def run(self, now: datetime, operation_key: str, lock_owner: str) -> RunSummary:
        summary = RunSummary()
        elections = self._ports.calendar.elections()
        summary.elections = len(elections)
        found = self._drift(now)
        outcome = sync(
            self._runner,
            self._ports.core,
            lambda: elections,
            now=now,
            operation_key=operation_key,
            lock_owner=lock_owner,
            service=self._service,
            channel=self._channel,
        )
        if isinstance(outcome.view, ErrorView):
            summary.failed.append(f"capacity: {outcome.view.message}")
            self._failed("capacity", elections, outcome.view.message, "", now, summary)
        elif isinstance(outcome.view, SyncView):
            view = outcome.view
            summary.intents_added, summary.intents_removed = len(view.plan.add), len(view.plan.remove)
            summary.calls = len(view.calls)
            if not view.plan.changes and view.calls and found:
                summary.drift_repaired = len(found)
                self._post(f"drift#{operation_key}", DriftRepaired(tuple(found), view.calls), now, summary, once=False)
        self._suspension_and_wake_ups(elections, now, f"{operation_key}-suspension", lock_owner, summary)
        self._conflicts(elections, now, summary)
        self._pre_election_snapshots(elections, now, summary)
        self._readiness(elections, now, summary)
        for ended in self._windows_ended(elections, now):
            self._post(f"window-ended#{ended.election.slug}", ended, now, summary)
        return summary

    # capacity ----------------------------------------------------------------------------------------------
    def _drift(self, now: datetime) -> list[ActionState]:
        """The bot's scheduled actions that differ from the timeline of the stored intents, before the run."""
        core = self._ports.core
        planned = core.plan(core.intents(now), now).actions
        own = [a for a in self._ports.scheduled_actions() if a.name.startswith(ACTION_PREFIX)]
        # An action of ours whose time has passed is not drift: it ran, and the materialisation tidies it away.
        return [
            s
            for s in compare(planned, own)
            if s.state != "ok" and not (s.state == "unexpected" and s.found and s.found.at and s.found.at <= now)
        ]

    # suspension and wake-ups ---------------------------------------------------------------------------------
    def _suspension_and_wake_ups(
        self, elections: Sequence[Election], now: datetime, key: str, lock_owner: str, summary: RunSummary
    ) -> None:
        ports = self._ports
        wanted_suspended = bool(suspending(elections, now))
        wanted = {wake_up_name(at): at for at in wake_ups(elections, now)} if ports.wake_ups.configured else {}
        actor = Actor.system("election", ACTOR_NAME, self._channel)
        operation = Operation(
            key=key,
            verb="capacity",
            arguments=f"scale-in suspension {'on' if wanted_suspended else 'off'}; {len(wanted)} wake-up(s)",
            actor=actor,
            lock_owner=lock_owner,
        )
        try:
            existing = ports.wake_ups.names() if ports.wake_ups.configured else set()
            existing = {n for n in existing if _still_ahead(n, now)}
            differs = ports.suspension.suspended() != wanted_suspended or set(wanted) != existing
        except OpsbotError as exc:  # audited, reported; the hourly run tries again
            summary.failed.append(f"suspension: {exc}")
            audit = AuditOutcome(result="failed", error=str(exc)[:500])
            self._runner.record(operation, Outcome(view=ErrorView(kind="failed", message=str(exc)), audit=audit))
            self._failed(_SUSPENSION, elections, str(exc), "", now, summary)
            return
        if not differs:
            return

        def body() -> Outcome:
            before = ports.suspension.suspended()
            if before != wanted_suspended:
                ports.suspension.set_scale_in(wanted_suspended)
                summary.suspension = "on" if wanted_suspended else "off"
            present = ports.wake_ups.names() if ports.wake_ups.configured else set()
            for name in sorted(set(wanted) - present):
                ports.wake_ups.create(name, wanted[name])
                summary.wake_ups_created += 1
            # Only future wake-ups the calendar no longer needs: one whose time has come deletes itself after it
            # ran (ActionAfterCompletion=DELETE), and the run it started may be this one.
            for name in sorted(n for n in present - set(wanted) if _still_ahead(n, now)):
                ports.wake_ups.delete(name)
                summary.wake_ups_deleted += 1
            return Outcome(
                view=None,
                audit=AuditOutcome(
                    before={"scale_in_suspended": before, "wake_ups": len(present)},
                    after={"scale_in_suspended": wanted_suspended, "wake_ups": len(wanted)},
                ),
            )

        outcome = self._runner.run(operation, body, options=RunOptions(lock=self._service, report=False))
        if isinstance(outcome.view, ErrorView):
            summary.failed.append(f"suspension: {outcome.view.message}")
            done = [f"scale-in suspension turned {summary.suspension}"] if summary.suspension else []
            done += [f"{summary.wake_ups_created} wake-up(s) created"] if summary.wake_ups_created else []
            done += [f"{summary.wake_ups_deleted} wake-up(s) deleted"] if summary.wake_ups_deleted else []
            self._failed(_SUSPENSION, elections, outcome.view.message, "; ".join(done), now, summary)

    def _failed(self, part: str, elections: Sequence[Election], reason: str, done: str, now: datetime,
                summary: RunSummary) -> None:  # fmt: skip
        """Nobody reads the function's log on election night: the channel hears it, once per part and hourly run."""
        failed = SyncFailed(part, len(elections), reason, done)
        self._post(f"sync-failed#{part}#{now:%Y-%m-%dT%H}", failed, now, summary)

    # posts -------------------------------------------------------------------------------------------------
    def _conflicts(self, elections: Sequence[Election], now: datetime, summary: RunSummary) -> None:
        core = self._ports.core
        spans = [w for e in upcoming(elections, now) for w in windows(e) if w.end > now]
        try:
            foreign = [a for a in self._ports.scheduled_actions() if not core.is_own(a)]
        except OpsbotError as exc:
            summary.failed.append(f"conflicts: {exc}")
            return
        found = conflicts(foreign, spans)
        if not found or self._ports.notifier is None:
            return
        keys = {c: f"conflict#{c.action.name}#{c.action.at:%Y%m%dT%H%M}#{c.window.slug}" for c in found}
        new = tuple(c for c in found if self._ports.holds.claim(keys[c], now))
        if new and not self._post(f"conflicts#{len(new)}", ConflictsFound(new), now, summary, once=False):
            for conflict in new:
                self._ports.holds.release(keys[conflict])  # the next run reports them again

    def _pre_election_snapshots(self, elections: Sequence[Election], now: datetime, summary: RunSummary) -> None:
        """A snapshot for each election from 26 h before polls open (so the T-24 h report and polling day find one
        younger than 24 h): asked of the snapshots function once per election, claimed first, released on failure."""
        from opsbot.elections.readiness_model import PRE_ELECTION_SNAPSHOT_LEAD, polls_open

        jobs = self._ports.snapshots
        if jobs is None:
            return
        for election in upcoming(elections, now):
            opens = polls_open(election)
            due = opens - PRE_ELECTION_SNAPSHOT_LEAD
            what = f"pre-election-snapshot#{election.slug}"
            if not due <= now < opens or not self._ports.holds.claim(what, now):
                continue
            try:
                jobs.take(f"pre-election:{election.slug}", due)
            except OpsbotError as exc:
                self._ports.holds.release(what)  # the next run asks again
                summary.failed.append(f"pre-election snapshot {election.slug}: {exc}")
                continue
            summary.snapshots_requested.append(election.slug)

    def _readiness(self, elections: Sequence[Election], now: datetime, summary: RunSummary) -> None:
        from opsbot.elections.readiness import due_report

        if self._ports.readiness is None:
            return
        for election in upcoming(elections, now):
            lead = due_report(election, now)
            if lead is None:
                continue
            build = partial(self._ports.readiness, election, elections, now, f"T-{lead} h")
            self._post(f"readiness-{lead}h#{election.slug}", build, now, summary)

    def _windows_ended(self, elections: Sequence[Election], now: datetime) -> list[WindowEnded]:
        ended = []
        for election in elections:
            closed = window_span(election)[1]
            if election.hold_until is not None and closed <= now < election.hold_until:
                ended.append(WindowEnded(election, closed, election.hold_until))
        return ended

    def _post(self, what: str, report: Any, now: datetime, summary: RunSummary, once: bool = True) -> bool:
        """Post ``report`` (or what the callable ``report`` builds, only once the post is claimed)."""
        notifier = self._ports.notifier
        if notifier is None:
            return False
        if once and not self._ports.holds.claim(what, now):
            return False
        try:
            notifier.post(self._render(report() if callable(report) else report))
        except OpsbotError as exc:  # the report could not be built or delivered
            code = exc.code if isinstance(exc, IncidentDeliveryError) else str(exc)
            summary.failed.append(f"post {what}: {code}")
            if once:
                self._ports.holds.release(what)  # the next run asks again
            return False
        summary.posted.append(what)
        return True


_SUSPENSION = "scale-in suspension and wake-ups"


def _still_ahead(name: str, now: datetime) -> bool:
    """A wake-up of ours (by its name) that has not yet come due; names that do not parse are not ours to judge."""
    if not name.startswith(WAKE_UP_PREFIX):
        return False
    try:
        at = datetime.strptime(name.removeprefix(WAKE_UP_PREFIX), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return at > now + timedelta(minutes=1)
