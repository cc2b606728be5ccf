"""In-memory ports for unit tests: they behave like the AWS adapters, including failures on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbot.capacity.model import Generation, Intent
from opsbot.commands.base import Actor, CommandContext, Ports, new_audit_key
from opsbot.config import RbacConfig, Role, Settings
from opsbot.elections.model import Election
from opsbot.elections.ports import CacheState, DatabaseMetrics, MuteRule
from opsbot.elections.sources import Calendar
from opsbot.errors import AuditRecordExists, AwsOperationError, ChangeInProgress
from opsbot.logic.scaling import Capacity
from opsbot.ports import AlarmSummary, AuditEntry, ScheduledAction, ServiceState, Waiting

NOW = datetime(2026, 5, 29, 5, 0, tzinfo=UTC)
RBAC = RbacConfig(
    users={"U0VIEW": Role.VIEWER, "U0OPS": Role.OPERATOR, "U0ADMIN": Role.ADMIN},
    allowed_channels=frozenset({"C0OPS"}),
)


def throttled(operation: str) -> AwsOperationError:
    return AwsOperationError(operation, "ThrottlingException", "AWS is throttling requests; try again in a minute")


@dataclass
class FakeCapacity:
    capacity: Capacity = field(default_factory=lambda: Capacity(2, 10))
    actions: dict[str, ScheduledAction] = field(default_factory=dict)
    fail_on: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def _maybe_fail(self, operation: str) -> None:
        self.calls.append(operation)
        if operation in self.fail_on:
            raise throttled(operation)

    def get_capacity(self) -> Capacity:
        self._maybe_fail("DescribeScalableTargets")
        return self.capacity

    def set_capacity(self, capacity: Capacity) -> None:
        self._maybe_fail("RegisterScalableTarget")
        self.capacity = capacity

    def put_action(self, name: str, at: datetime, capacity: Capacity) -> None:
        self._maybe_fail("PutScheduledAction")
        self.actions[name] = ScheduledAction(name, f"at({at:%Y-%m-%dT%H:%M:%S})", at, capacity.min, capacity.max)

    def delete_action(self, name: str) -> None:
        self._maybe_fail("DeleteScheduledAction")
        del self.actions[name]

    @property
    def mutating_calls(self) -> list[str]:
        return [c for c in self.calls if not c.startswith("Describe")]

    def scheduled_actions(self) -> list[ScheduledAction]:
        self._maybe_fail("DescribeScheduledActions")
        return list(self.actions.values())


@dataclass
class FakeService:
    state: ServiceState = field(
        default_factory=lambda: ServiceState(2, 2, 0, "mycandidate-web:7", "v1.4.2", task_vcpu=0.5)
    )
    error: AwsOperationError | None = None

    def describe(self) -> ServiceState:
        if self.error:
            raise self.error
        return self.state


@dataclass
class FakeAlarms:
    alarms: list[AlarmSummary] = field(default_factory=list)

    def firing(self) -> list[AlarmSummary]:
        return list(self.alarms)


@dataclass
class FakeSnapshots:
    latest: datetime | None = NOW - timedelta(hours=3)

    def latest_snapshot_time(self) -> datetime | None:
        return self.latest


@dataclass
class FakeStore:
    entries: dict[str, AuditEntry] = field(default_factory=dict)  # per operation: its outcome, else its pending record
    trail: dict[str, AuditEntry] = field(default_factory=dict)  # every record, by sort key
    refused_rewrites: list[str] = field(default_factory=list)
    locks: dict[str, str] = field(default_factory=dict)
    confirmations: dict[str, dict[str, Any]] = field(default_factory=dict)
    records_before_failure: int | None = None  # fail every audit write after this many
    fail_release: bool = False
    records: int = 0

    def record(self, entry: AuditEntry) -> None:
        """Append-only, like the audit table: a second record under the same key is refused."""
        self.records += 1
        if self.records_before_failure is not None and self.records > self.records_before_failure:
            raise throttled("PutItem (audit)")
        sk = entry.key + ("#pending" if entry.phase == "pending" else "")
        if sk in self.trail:
            self.refused_rewrites.append(sk)
            raise AuditRecordExists(f"audit record {sk} already exists; the trail is never rewritten")
        self.trail[sk] = entry
        if entry.phase == "outcome" or entry.key not in self.entries:
            self.entries[entry.key] = entry

    def get(self, key: str) -> AuditEntry | None:
        return self.entries.get(key)

    def latest(self, limit: int) -> list[AuditEntry]:
        return sorted(self.entries.values(), key=lambda e: e.key, reverse=True)[:limit]

    def unfinished(self, since: datetime, until: datetime) -> list[AuditEntry]:
        return [e for e in self.entries.values() if e.phase == "pending" and since <= e.at < until]

    def acquire(self, resource: str, owner: str, now: datetime) -> None:
        if resource in self.locks:
            raise ChangeInProgress(f"another change to {resource} is in progress; try again when it has finished")
        self.locks[resource] = owner

    def release(self, resource: str, owner: str) -> None:
        if self.fail_release:
            raise throttled("DeleteItem (lock)")
        if self.locks.get(resource) == owner:
            del self.locks[resource]

    def put(self, confirmation_id: str, payload: dict[str, Any], now: datetime, ttl: timedelta | None = None) -> None:
        self.confirmations[confirmation_id] = payload

    def take(self, confirmation_id: str, now: datetime) -> dict[str, Any] | None:
        return self.confirmations.pop(confirmation_id, None)

    def waiting(self, confirmation_id: str) -> bool:
        return confirmation_id in self.confirmations


@dataclass
class FakeIntents:
    items: dict[str, Intent] = field(default_factory=dict)
    current: Generation = field(default_factory=Generation)
    markers: dict[str, str] = field(default_factory=dict)
    fail_commits: int = 0  # the next n commits fail as a throttled transaction

    def intents(self) -> list[Intent]:
        return list(self.items.values())

    def put_intent(self, intent: Intent) -> None:
        self.items[intent.id] = intent

    def delete_intent(self, intent_id: str) -> None:
        self.items.pop(intent_id, None)

    def generation(self) -> Generation:
        return self.current

    def bump_generation(self, expected: int, new: Generation) -> None:
        self.commit(expected, new, (), (), "applied")

    def commit(self, expected: int, new: Generation, put: Any, delete: Any, marker: str) -> None:
        """All or nothing, like the DynamoDB transaction."""
        if self.fail_commits:
            self.fail_commits -= 1
            raise throttled("TransactWriteItems (capacity change)")
        if self.current.number != expected:
            raise ChangeInProgress("capacity was changed by another operation at the same moment; try again")
        self.current = new
        for intent in put:
            self.items[intent.id] = intent
        for intent_id in delete:
            self.items.pop(intent_id, None)
        self.markers[new.operation] = marker

    def marker(self, operation: str) -> str | None:
        return self.markers.get(operation)


@dataclass
class FakeElectionEntries:
    """The Slack entries of the calendar, as ``opsbot.aws.elections.ElectionEntries`` keeps them."""

    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_removes: int = 0  # the next n removals fail (throttled)

    def add(self, entry: Any, by: str, now: datetime) -> bool:
        if entry["slug"] in self.stored:
            return False
        self.stored[entry["slug"]] = dict(entry)
        return True

    def remove(self, slug: str) -> bool:
        if self.fail_removes:
            self.fail_removes -= 1
            raise throttled("DeleteItem (election entry)")
        return self.stored.pop(slug, None) is not None

    def entries(self) -> list[dict[str, Any]]:
        return [dict(self.stored[slug]) for slug in sorted(self.stored)]


@dataclass
class FakeHolds:
    decided: dict[str, datetime] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    decisions: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)

    def holds(self) -> dict[str, datetime]:
        return dict(self.decided)

    def hold(
        self, slug: str, until: datetime, by: str, now: datetime, operation: str = "", previous: datetime | None = None
    ) -> None:
        self.decided[slug] = until
        self.decisions[slug] = (operation, previous)

    def decision(self, slug: str) -> tuple[str, datetime | None] | None:
        return self.decisions.get(slug) if slug in self.decided else None

    def put_back(self, slug: str, previous: datetime | None, by: str, now: datetime) -> None:
        self.decisions.pop(slug, None)
        if previous is None:
            self.decided.pop(slug, None)
        else:
            self.decided[slug] = previous

    def claim(self, what: str, now: datetime) -> bool:
        if what in self.claimed:
            return False
        self.claimed.add(what)
        return True

    def release(self, what: str) -> None:
        self.claimed.discard(what)


@dataclass
class FakeReadinessReads:
    """What only the readiness report reads; healthy unless a test says otherwise. ``errors``: read -> error."""

    alarms: list[tuple[str, str]] = field(
        default_factory=lambda: [("mycandidate-ecs-cpu-high", "OK"), ("mycandidate-rds-connections-high", "OK")]
    )
    rules: list[MuteRule] = field(default_factory=list)
    database: DatabaseMetrics = field(default_factory=lambda: DatabaseMetrics(82 * 2**30, 120))
    cache_state: CacheState = field(default_factory=lambda: CacheState("available", 2, 0.0))
    quota: float = 4000.0
    errors: dict[str, AwsOperationError] = field(default_factory=dict)
    on_read: Any = None  # called with the read's name before it answers (tests of concurrency)

    def _read(self, name: str) -> None:
        if self.on_read is not None:
            self.on_read(name)
        if name in self.errors:
            raise self.errors[name]

    def service_alarms(self) -> list[tuple[str, str]]:
        self._read("alarms")
        return list(self.alarms)

    def mute_rules(self, alarms: Any) -> list[MuteRule]:
        self._read("mute_rules")
        return [r for r in self.rules if r.alarm in set(alarms)]

    def database_metrics(self, now: datetime) -> DatabaseMetrics:
        self._read("database")
        return self.database

    def cache(self, now: datetime) -> CacheState:
        self._read("cache")
        return self.cache_state

    def fargate_vcpu_quota(self) -> float:
        self._read("quota")
        return self.quota


@dataclass
class World:
    capacity: FakeCapacity = field(default_factory=FakeCapacity)
    service: FakeService = field(default_factory=FakeService)
    alarms: FakeAlarms = field(default_factory=FakeAlarms)
    snapshots: FakeSnapshots = field(default_factory=FakeSnapshots)
    store: FakeStore = field(default_factory=FakeStore)
    intents: FakeIntents = field(default_factory=FakeIntents)
    settings: Settings = field(default_factory=lambda: Settings(rbac=RBAC))
    _counter: int = 0

    remediation: FakeRemediationState = field(default_factory=lambda: FakeRemediationState())
    # The repository's calendar (``calendar.yaml``'s elections) and the entries added from Slack.
    calendar_elections: tuple[Election, ...] = ()
    entries: FakeElectionEntries = field(default_factory=FakeElectionEntries)
    holds: FakeHolds = field(default_factory=FakeHolds)
    readiness: FakeReadinessReads = field(default_factory=FakeReadinessReads)
    rds: Any = None  # tests.snapshot_fakes.FakeRds where a test takes snapshots
    deployments: Any = None  # tests.unit.test_deploy_command.FakeDeployments where a test deploys

    def calendar(self) -> Calendar:
        return Calendar(
            lambda: self.calendar_elections,
            self.entries,
            ceiling=self.settings.guardrails.ceiling,
            holds=self.holds,
            grace=self.settings.scale_down_grace,
        )

    def ports(self) -> Ports:
        return Ports(
            self.capacity,
            self.service,
            self.alarms,
            self.snapshots,
            self.store,
            self.store,
            self.store,
            self.intents,
            self.remediation,
            calendar=self.calendar(),
            elections=self.entries,
            holds=self.holds,
            readiness=self.readiness,
            rds=self.rds,
            deployments=self.deployments,
        )

    def context(
        self, user: str = "U0OPS", channel: str = "C0OPS", role: Role | None = None, now: datetime = NOW
    ) -> CommandContext:
        self._counter += 1
        resolved = self.settings.rbac.users.get(user, Role.NONE) if role is None else role
        return CommandContext(
            actor=Actor(user_id=user, channel_id=channel, role=resolved),
            settings=self.settings,
            ports=self.ports(),
            now=now,
            request_id=f"trigger-{self._counter}",
            audit_key=new_audit_key(now, f"{self._counter:08x}"),
        )

    def given_capacity(self, capacity: Capacity, owner: str = "U0ADMIN") -> None:
        """The service at ``capacity`` because of an earlier permanent setting (the intents are the truth)."""
        earlier = NOW - timedelta(days=1)
        setting = Intent(
            id=new_audit_key(earlier, "0000beef"),
            owner=owner,
            kind="setting",
            min=capacity.min,
            max=capacity.max,
            start=earlier,
            expires=None,
            reason="an earlier scale",
        )
        self.intents.put_intent(setting)
        self.capacity.capacity = capacity

    def audit(self) -> list[AuditEntry]:
        return sorted(self.store.entries.values(), key=lambda e: e.key)


@dataclass
class FakeRemediationState:
    enabled: bool = True
    muted: dict[str, datetime] = field(default_factory=dict)  # alarm -> until
    cooldowns: dict[str, datetime] = field(default_factory=dict)
    claims: list[datetime] = field(default_factory=list)  # when each counted action was counted
    history: dict[str, list[datetime]] = field(default_factory=dict)
    incidents: dict[str, Any] = field(default_factory=dict)
    waiting_alarms: dict[str, Waiting] = field(default_factory=dict)
    latest: dict[str, datetime] = field(default_factory=dict)
    window: timedelta = timedelta(minutes=10)

    def autoremediation_enabled(self) -> bool:
        return self.enabled

    def set_autoremediation(self, enabled: bool, by: str, now: datetime) -> None:
        self.enabled = enabled

    def muted_until(self, alarm: str, now: datetime) -> datetime | None:
        until = self.muted.get(alarm)
        return until if until and until > now else None

    def mutes(self, alarms: Any, now: datetime) -> dict[str, datetime]:
        return {a: until for a in alarms if (until := self.muted_until(a, now)) is not None}

    def mute(self, alarm: str, until: datetime, by: str) -> None:
        self.muted[alarm] = until

    def unmute(self, alarm: str) -> None:
        self.muted.pop(alarm, None)

    def claim_cooldown(self, scope: str, until: datetime, now: datetime) -> datetime | None:
        current = self.cooldowns.get(scope)
        if current and current > now:
            return current
        self.cooldowns[scope] = until
        return None

    def release_cooldown(self, scope: str) -> None:
        self.cooldowns.pop(scope, None)

    @property
    def budget_used(self) -> int:
        return len(self.claims)

    @budget_used.setter
    def budget_used(self, count: int) -> None:
        """``count`` actions counted at ``NOW`` (the benches' clock), e.g. to start with the budget spent."""
        self.claims = [NOW] * count

    def count_action(self, service: str, limit: int, now: datetime) -> bool:
        # Like the store's slots: a claim holds its slot until it is an hour old (a claim "from the future" too).
        if sum(1 for t in self.claims if t > now - timedelta(hours=1)) >= limit:
            return False
        self.claims.append(now)
        return True

    def refund_action(self, service: str, now: datetime) -> None:
        if now in self.claims:
            self.claims.remove(now)

    def mark_latest(self, alarm: str, at: datetime) -> bool:
        if alarm in self.latest and self.latest[alarm] > at:
            return False
        self.latest[alarm] = at
        return True

    def record_transition(self, alarm: str, at: datetime, state: str) -> int:
        self.history.setdefault(alarm, []).append(at)
        return sum(1 for t in self.history[alarm] if at - self.window <= t <= at)

    def open_incident(self, incident: Any) -> None:
        self.incidents[incident.alarm] = incident

    def get_incident(self, alarm: str) -> Any:
        return self.incidents.get(alarm)

    def close_incident(self, alarm: str) -> Any:
        return self.incidents.pop(alarm, None)

    def note_waiting(self, waiting: Waiting) -> None:
        self.waiting_alarms[waiting.alarm] = waiting

    def clear_waiting(self, alarm: str) -> None:
        self.waiting_alarms.pop(alarm, None)

    def waiting(self) -> list[Waiting]:
        return list(self.waiting_alarms.values())


@dataclass
class FakeDeployments:
    in_progress: str | None = None
    created_at: datetime | None = None  # of the deployment in progress
    rolling_back: str | None = None  # a deployment being rolled back (or stopped)
    calls: list[str] = field(default_factory=list)

    def in_progress_deployment(self, created_by: datetime | None = None, moving: bool = False) -> str | None:
        if moving and self.rolling_back is not None:
            return self.rolling_back
        if created_by is not None and self.created_at is not None and self.created_at > created_by:
            return None
        return self.in_progress

    def stop_deployment(self, deployment_arn: str) -> None:
        self.calls.append(f"StopServiceDeployment {deployment_arn}")
        self.in_progress = None

    def force_new_deployment(self) -> None:
        self.calls.append("UpdateService forceNewDeployment")


@dataclass
class FakeNotifier:
    posts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    replies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        self.posts.append(message)
        return "C0OPS", f"1780000000.{len(self.posts):06d}"

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self.updates.append((channel, ts, message))

    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self.replies.append((channel, ts, message))


@dataclass
class FakeSilence:
    """CloudWatch's own silence: active alarm mute rules (by alarm) and suppressed composite alarms."""

    mute_rules: dict[str, str] = field(default_factory=dict)  # alarm -> active mute rule name
    suppressed: dict[str, str] = field(default_factory=dict)  # composite alarm -> ActionsSuppressedBy
    fail: bool = False
    calls: list[str] = field(default_factory=list)

    def silenced(self, alarm: str, composite: bool) -> str | None:
        self.calls.append(f"ListAlarmMuteRules {alarm}")
        if self.fail:
            raise throttled("ListAlarmMuteRules")
        if alarm in self.mute_rules:
            return f"alarm mute rule {self.mute_rules[alarm]} is active"
        if composite and alarm in self.suppressed:
            return f"actions suppressed by {self.suppressed[alarm]}"
        return None
