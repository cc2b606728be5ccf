"""Is the service ready for an election? The readiness report: one line per check, pass / warn / fail, the figure
behind it, a link, and for anything short of a pass what to do.

The reads (``ReadinessSources``) are issued together on a thread pool — each source is one AWS call or one short
chain (the replication group's members before their evictions) — so the report costs the slowest read, not the
sum. An unreadable source fails its check with the error; it never hides the others. Judging the facts is pure
(``judge``), so every rule is tested without AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from opsbot.elections.model import Election
from opsbot.elections.ports import MuteRule
from opsbot.elections.readiness_checks import judge
from opsbot.elections.readiness_model import (
    Check,
    Facts,
    Links,
    Read,
    Readiness,
    ReadinessSources,
    Thresholds,
    polls_open,
)
from opsbot.errors import OpsbotError

__all__ = ["Check", "Links", "Readiness", "ReadinessSources", "Thresholds", "due_report", "polls_open", "readiness"]

REPORT_LEADS = (48, 24)  # hours before polls open


def due_report(election: Election, now: datetime) -> int | None:
    """The report (hours before polls open) due at ``now``: the 48 h one from T-48 h, the 24 h one from T-24 h
    until polls open. A run that first looks after T-24 h sends only the 24 h report."""
    opens = polls_open(election)
    for lead in sorted(REPORT_LEADS):
        if opens - timedelta(hours=lead) <= now < opens:
            return lead
    return None


def readiness(
    election: Election, elections: Sequence[Election], sources: ReadinessSources, now: datetime, trigger: str = ""
) -> Readiness:
    facts = gather(sources, now)
    checks = judge(election, elections, facts, sources, now)
    return Readiness(election, polls_open(election), now, checks, trigger or "on demand")


def gather(sources: ReadinessSources, now: datetime) -> Facts:
    """Every read at once; each in its own worker (boto3 clients are thread-safe)."""
    reads, remediation = sources.reads, sources.remediation
    with ThreadPoolExecutor(max_workers=9, thread_name_prefix="readiness") as pool:
        alarms = pool.submit(reads.service_alarms)

        def remediation_state() -> tuple[bool, dict[str, datetime], list[MuteRule]]:
            names = [name for name, _ in alarms.result()]  # the alarms read once, shared with the alarms check
            if remediation is None:
                return True, {}, reads.mute_rules(names)
            return remediation.autoremediation_enabled(), remediation.mutes(names, now), reads.mute_rules(names)

        jobs: dict[str, Callable[[], Any]] = {
            "intents": lambda: sources.core.intents(now),
            "actions": sources.core.scheduled_actions,
            "service": sources.service.describe,
            "remediation": remediation_state,
            "snapshot": sources.snapshots.latest_snapshot_time,
            "database": lambda: reads.database_metrics(now),
            "cache": lambda: reads.cache(now),
            "quota": reads.fargate_vcpu_quota,
        }
        futures = {"alarms": alarms, **{name: pool.submit(job) for name, job in jobs.items()}}
        found = {name: _result(future) for name, future in futures.items()}
    return Facts(**found)


def _result(future: Any) -> Read:
    try:
        return Read(value=future.result())
    except OpsbotError as exc:
        return Read(error=str(exc))
