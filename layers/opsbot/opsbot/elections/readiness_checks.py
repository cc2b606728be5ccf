"""The readiness checks (pure): each turns what was read into pass / warn / fail, the figure behind it, a link and,
short of a pass, what to do. An unreadable source fails its own check with the error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from opsbot.capacity.core import CapacityCore
from opsbot.capacity.drift import compare
from opsbot.elections.calendar import window_span, windows
from opsbot.elections.conflicts import conflicts
from opsbot.elections.model import Election
from opsbot.elections.plan import plan
from opsbot.elections.ports import CacheState, DatabaseMetrics
from opsbot.elections.readiness_model import (
    PRE_ELECTION_SNAPSHOT_LEAD,
    Check,
    Facts,
    Links,
    Read,
    ReadinessSources,
    Thresholds,
    polls_open,
)
from opsbot.ports import ScheduledAction, ServiceState

SNAPSHOT_MAX_AGE = timedelta(hours=24)
QUOTA_WARN_SHARE = 0.8  # other Fargate services of the account draw on the same quota


def judge(
    election: Election, elections: Sequence[Election], facts: Facts, sources: ReadinessSources, now: datetime
) -> tuple[Check, ...]:
    spans = windows(election)
    peak = max(w.max for w in spans)
    opens, closes = window_span(election)
    t, links = sources.thresholds, sources.links
    polls_open_at = polls_open(election)
    return (
        _scheduled(facts, elections, sources.core, now, links),
        _ceiling(facts, spans, peak, sources.core, t, links),
        _service(facts, links),
        _alarms(facts, links),
        _remediation(facts, opens, closes, links),
        _snapshot(facts, now, polls_open_at, links),
        _storage(facts, t, links),
        _connections(facts, t, links),
        _cache(facts, links),
        _quota(facts, peak, links),
    )


def _unreadable(name: str, read: Read, link: str) -> Check | None:
    if not read.error:
        return None
    return Check(name, "fail", f"could not be read: {read.error}", link, "check the bot's permissions and try again")


def _scheduled(facts: Facts, elections: Sequence[Election], core: CapacityCore, now: datetime, links: Links) -> Check:
    name = "Scheduled actions"
    bad = _unreadable(name, facts.intents, links.scaling) or _unreadable(name, facts.actions, links.scaling)
    if bad:
        return bad
    current = facts.intents.value
    planned = plan(current, elections, baseline=core.baseline, ceiling=core.ceiling, now=now)
    fix = "run `/mycandidate schedule sync` (the hourly run also does it)"
    if planned.changes:
        changes = len(planned.add) + len(planned.remove)
        figure = f"the calendar is not applied: {changes} intent change(s) pending"
        return Check(name, "fail", figure, links.scaling, fix)
    own = [a for a in facts.actions.value if core.is_own(a)]
    states = [
        s
        for s in compare(core.plan(current, now).actions, own)
        if not (s.state == "unexpected" and s.found and s.found.at and s.found.at <= now)  # ran already
    ]
    off = [s for s in states if s.state != "ok"]
    if off:
        kinds = ", ".join(f"{sum(1 for s in off if s.state == k)} {k}" for k in ("missing", "drifted", "unexpected"))
        return Check(name, "fail", f"{len(off)} of {len(states)} differ from the plan ({kinds})", links.scaling, fix)
    return Check(name, "pass", f"{len(states)} bot-owned action(s) match the plan", links.scaling)


def _ceiling(facts: Facts, spans: Sequence[Any], peak: int, core: CapacityCore, t: Thresholds, links: Links) -> Check:
    name = "Capacity ceiling"
    if peak > t.ceiling:
        return Check(
            name, "fail", f"window maximum {peak} is above the ceiling {t.ceiling}", links.scaling,
            "lower the profile's maximum or raise `OPSBOT_CEILING`",
        )  # fmt: skip
    figure = f"ceiling {t.ceiling} ≥ window maximum {peak}"
    if facts.actions.error:
        return Check(name, "warn", f"{figure}; other owners' actions could not be read", links.scaling)
    foreign: list[ScheduledAction] = [a for a in facts.actions.value if not core.is_own(a)]
    found = conflicts(foreign, spans)
    if found:
        first = found[0].action.name
        return Check(
            name, "fail", f"{figure}; {len(found)} scheduled action(s) of other owners lower it in the window",
            links.scaling, f"move or delete `{first}` (the bot never touches other owners' actions)",
        )  # fmt: skip
    return Check(name, "pass", figure, links.scaling)


def _service(facts: Facts, links: Links) -> Check:
    name = "ECS service"
    bad = _unreadable(name, facts.service, links.deployments)
    if bad:
        return bad
    state: ServiceState = facts.service.value
    figure = f"{state.running} running of {state.desired} desired, {state.pending} pending"
    failed = [d for d in state.deployments if d.rollout_state == "FAILED"]
    if failed:
        return Check(
            name, "fail", f"{figure}; deployment {failed[0].id} failed", links.deployments,
            "roll back or redeploy a good revision before the window",
        )  # fmt: skip
    if state.running < state.desired:
        return Check(
            name, "fail", figure, links.deployments, "look at the stopped tasks' reasons; the service is not steady"
        )
    moving = state.deployment_in_progress
    if moving is not None or len(state.deployments) > 1:
        revisions = sorted({d.task_definition for d in state.deployments})
        what = f"deployment {moving.id} in progress" if moving else f"{len(state.deployments)} deployments active"
        return Check(
            name, "warn", f"{figure}; {what} ({', '.join(revisions)})",
            links.deployments,
            "finish or roll back the deployment before the window: it suspends scale-in and holds two revisions' tasks",
        )  # fmt: skip
    return Check(name, "pass", f"{figure}; steady on {state.task_definition}", links.deployments)


def _alarms(facts: Facts, links: Links) -> Check:
    name = "Alarms"
    bad = _unreadable(name, facts.alarms, links.alarms)
    if bad:
        return bad
    alarms: list[tuple[str, str]] = facts.alarms.value
    firing = [n for n, state in alarms if state == "ALARM"]
    if firing:
        shown = ", ".join(firing[:3]) + (f" and {len(firing) - 3} more" if len(firing) > 3 else "")
        return Check(
            name, "fail", f"{len(firing)} of {len(alarms)} in ALARM: {shown}", links.alarms,
            "resolve the cause (see the incident thread) until the alarm returns to OK",
        )  # fmt: skip
    return Check(name, "pass", f"none of {len(alarms)} in ALARM", links.alarms)


def _remediation(facts: Facts, opens: datetime, closes: datetime, links: Links) -> Check:
    name = "Automatic remediation"
    bad = _unreadable(name, facts.remediation, links.alarms)
    if bad:
        return bad
    enabled, mutes, rules = facts.remediation.value
    if not enabled:
        return Check(name, "fail", "switched off", links.alarms, "`/mycandidate autoremediation on`")
    through = sorted(alarm for alarm, until in mutes.items() if until > opens)
    if through:
        return Check(
            name, "fail", f"on; {len(through)} alarm(s) muted into the window: {', '.join(through[:3])}", links.alarms,
            f"`/mycandidate mute {through[0]} off`",
        )  # fmt: skip
    relevant = [r for r in rules if r.expires is None or r.expires > opens]
    if relevant:
        rule = relevant[0]
        return Check(
            name, "warn", f"on; {len(relevant)} CloudWatch mute rule(s) target the service's alarms ({rule.name}:"
            f" {rule.status.lower()})", links.alarms,
            f"check that mute rule {rule.name} does not mute during the window (ends {closes:%Y-%m-%d %H:%M} UTC)",
        )  # fmt: skip
    return Check(name, "pass", "on; no alarm muted through the window", links.alarms)


def _snapshot(facts: Facts, now: datetime, polls_open_at: datetime, links: Links) -> Check:
    name = "RDS snapshot"
    bad = _unreadable(name, facts.snapshot, links.snapshots)
    if bad:
        return bad
    latest: datetime | None = facts.snapshot.value
    fix = "take a manual snapshot of the database before the window"
    if latest is None:
        return Check(name, "fail", "no snapshot of the instance", links.snapshots, fix)
    age = now - latest
    figure = f"latest {_age(age)} old"
    if age > SNAPSHOT_MAX_AGE:
        due = polls_open_at - PRE_ELECTION_SNAPSHOT_LEAD
        if now < due:  # one is scheduled before the window
            return Check(
                name, "warn", f"{figure}; the pre-election snapshot is due {due:%a %d %b %H:%M} UTC", links.snapshots
            )
        return Check(name, "fail", f"{figure} (limit 24 h)", links.snapshots, fix)
    return Check(name, "pass", figure, links.snapshots)


def _storage(facts: Facts, t: Thresholds, links: Links) -> Check:
    name = "RDS free storage"
    bad = _unreadable(name, facts.database, links.database)
    if bad:
        return bad
    metrics: DatabaseMetrics = facts.database.value
    if metrics.free_storage_bytes is None:
        return Check(name, "warn", "no FreeStorageSpace datapoint in the last hour", links.database)
    gib = metrics.free_storage_bytes / 2**30
    figure = f"{gib:.1f} GiB free (threshold {t.min_free_storage_gib} GiB)"
    if gib < t.min_free_storage_gib:
        return Check(name, "fail", figure, links.database, "grow the allocated storage (or enable storage autoscaling)")
    return Check(name, "pass", figure, links.database)


def _connections(facts: Facts, t: Thresholds, links: Links) -> Check:
    name = "RDS connections"
    bad = _unreadable(name, facts.database, links.database)
    if bad:
        return bad
    metrics: DatabaseMetrics = facts.database.value
    if metrics.peak_connections is None:
        return Check(name, "warn", "no DatabaseConnections datapoint in the last 24 h", links.database)
    peak = int(metrics.peak_connections)
    headroom = 100 * (t.db_max_connections - peak) / t.db_max_connections
    figure = (
        f"peak {peak} of {t.db_max_connections} in 24 h, {headroom:.0f}% free (threshold {t.connection_headroom_pct}%)"
    )
    if headroom < t.connection_headroom_pct:
        return Check(
            name, "fail", figure, links.database,
            "add a connection pool (RDS Proxy) or a larger instance class before the window",
        )  # fmt: skip
    return Check(name, "pass", figure, links.database)


def _cache(facts: Facts, links: Links) -> Check:
    name = "ElastiCache"
    bad = _unreadable(name, facts.cache, links.cache)
    if bad:
        return bad
    cache: CacheState = facts.cache.value
    if cache.status != "available":
        return Check(
            name, "fail", f"replication group is {cache.status or 'missing'}", links.cache,
            "wait for the modification to finish, or fail over",
        )  # fmt: skip
    if cache.evictions is None:
        return Check(name, "warn", f"available ({cache.members} node(s)); no Evictions datapoints in 24 h", links.cache)
    if cache.evictions > 0:
        return Check(
            name, "warn", f"available; {int(cache.evictions)} eviction(s) in the last 24 h", links.cache,
            "the cache is full: a larger node type before the window",
        )  # fmt: skip
    return Check(name, "pass", f"available ({cache.members} node(s)); no evictions in 24 h", links.cache)


def _quota(facts: Facts, peak: int, links: Links) -> Check:
    name = "Fargate vCPU quota"
    bad = _unreadable(name, facts.quota, links.quotas) or _unreadable(name, facts.service, links.quotas)
    if bad:
        return bad
    quota = float(facts.quota.value)
    vcpu = facts.service.value.task_vcpu
    if not vcpu:
        return Check(name, "warn", f"quota {quota:g} vCPU; the task size could not be read", links.quotas)
    need = peak * vcpu
    figure = f"window needs {peak} × {vcpu:g} = {need:g} vCPU of {quota:g}"
    fix = "request a Fargate On-Demand vCPU quota increase (L-3032A538) in Service Quotas"
    if need > quota:
        return Check(name, "fail", figure, links.quotas, fix)
    if need > QUOTA_WARN_SHARE * quota:
        return Check(name, "warn", f"{figure} (over 80%: other services share it)", links.quotas, fix)
    return Check(name, "pass", figure, links.quotas)


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{max(age.total_seconds() // 60, 0):.0f} min"
