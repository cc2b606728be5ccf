"""Benchmarks (i) and (j) of `make bench` (issue 9), against the moto server of the offline stack:

(i) `schedule sync` from Slack: the mutating AWS calls of a first sync equal the scheduled actions that differ
    (what the dry run reports), a second sync makes none and answers within a second; a bot-owned action deleted
    by hand costs exactly one call to put back.
(j) `readiness` from Slack: every AWS read it issues, how many were in flight together, and the time to answer
    (the lazy part: reads, checks and the response_url post), median of several runs, target 2 s.

Calls are counted and timed on the bot's own boto3 session (``before-call`` / ``after-call``), so the figures are
what the bot sent, not what moto happened to log.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.local_stack import ADMIN, OPERATOR, VIEWER, LocalStack, running_stack
from devtools.transcript import message_text

TARGET_SYNC_REPEAT_S = 1.0
TARGET_READINESS_S = 2.0
READS = ("Describe", "List", "Get", "BatchGet", "Query")
MUTATING_CAPACITY = {"RegisterScalableTarget", "PutScheduledAction", "DeleteScheduledAction"}


class Calls:
    """Every AWS call the bot makes while ``recording``, and the most that were in flight at once."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def before(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.names.append(model.name)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def after(self, **_: Any) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.names, self.peak = [], self.in_flight

    def mutating(self, only: set[str] | None = None) -> list[str]:
        """The calls that are not reads (or only those named in ``only``)."""
        if only is not None:
            return [n for n in self.names if n in only]
        return [n for n in self.names if not n.startswith(READS)]


def _command(stack: LocalStack, calls: Calls, user: str, text: str, tag: str) -> tuple[float, str]:
    calls.reset()
    url = f"{stack.recorder.url}/response/{tag}"
    started = time.perf_counter()
    stack.bot().command(text, user, response_url=url)
    elapsed = time.perf_counter() - started
    posts = [c for c in stack.recorder.response_url_posts() if c.path == f"/response/{tag}"]
    return elapsed, message_text(posts[-1].body) if posts else ""


def run() -> dict[str, Any]:
    from opsbot.aws.clients import _session

    calls = Calls()
    with running_stack() as stack:
        session = _session()
        session.events.register("before-call", calls.before)
        session.events.register("after-call", calls.after)
        try:
            return _scenario(stack, calls)
        finally:
            session.events.unregister("before-call", calls.before)
            session.events.unregister("after-call", calls.after)


def _scenario(stack: LocalStack, calls: Calls) -> dict[str, Any]:
    from opsbot.capacity.core import CapacityCore
    from opsbot.dependencies import build_ports
    from opsbot.elections.reconcile import apply

    today = datetime.now(UTC).date()
    for weeks, ward in ((1, 52), (3, 17), (5, 88)):  # three by-elections in the coming weeks
        polling = today + timedelta(weeks=weeks)
        _command(stack, calls, ADMIN, f'schedule add "Ward {ward} by-election" {polling:%Y-%m-%d}', f"add-{ward}")
    ports = build_ports(stack.settings)
    assert ports.calendar is not None
    core = CapacityCore(stack.settings, ports.capacity, ports.intents)
    now = stack.clock()
    dry = apply(core, ports.calendar.elections, now=now, operation_key="bench-dry-run", by="bench", dry_run=True)
    differing = [s for s in dry.view.states if s.state != "ok" and not (s.found and s.found.at and s.found.at <= now)]

    first_s, _ = _command(stack, calls, OPERATOR, "schedule sync", "sync-1")
    first_calls = calls.mutating(MUTATING_CAPACITY)
    first_writes = calls.mutating()
    second_s, _ = _command(stack, calls, OPERATOR, "schedule sync", "sync-2")
    second_calls = calls.mutating(MUTATING_CAPACITY)
    second_writes = calls.mutating()
    own = sorted(a.name for a in core.own_actions())
    ports.capacity.delete_action(own[0])  # somebody deletes one of the bot's actions by hand
    drift_s, _ = _command(stack, calls, OPERATOR, "schedule sync", "sync-3")
    drift_calls = calls.mutating(MUTATING_CAPACITY)

    stack.advance(timedelta(minutes=2))  # the replica's tasks RUNNING, as on a steady service
    timings, reads, peaks, text = [], 0, 0, ""
    for run in range(7):
        elapsed, text = _command(stack, calls, VIEWER, "readiness", f"readiness-{run}")
        timings.append(elapsed)
        reads, peaks = len(calls.names), max(peaks, calls.peak)
    return {
        "elections": 3,
        "differing": len(differing),
        "first_s": first_s,
        "first_calls": first_calls,
        "first_writes": len(first_writes),
        "second_s": second_s,
        "second_calls": second_calls,
        "second_writes": second_writes,
        "drift_s": drift_s,
        "drift_calls": drift_calls,
        "readiness_median_s": statistics.median(timings),
        "readiness_max_s": max(timings),
        "readiness_calls": reads,
        "readiness_peak": peaks,
        "readiness_lines": sum(text.count(icon) for icon in (":white_check_mark:", ":warning:", ":x:")),
        "readiness_status": text.splitlines()[0] if text else "",
        "readiness_not_passing": [
            line.split("*")[1] for line in text.splitlines() if ":warning:" in line or ":x:" in line
        ],
    }


def report(result: dict[str, Any]) -> list[str]:
    """Print (i) and (j); return the targets missed."""
    failures = []
    first_ok = len(result["first_calls"]) == result["differing"]
    second_ok = result["second_calls"] == [] and result["second_s"] <= TARGET_SYNC_REPEAT_S
    drift_ok = len(result["drift_calls"]) == 1
    failures += [] if first_ok else ["sync calls != differing actions"]
    failures += [] if second_ok else ["second sync"]
    failures += [] if drift_ok else ["drift repair calls"]
    print(f"\n(i) `schedule sync` from Slack, {result['elections']} by-elections, moto server")
    print(
        f"    first sync {result['first_s'] * 1000:.0f} ms: {len(result['first_calls'])} Application Auto Scaling"
        f" calls ({', '.join(sorted(set(result['first_calls'])))}) for {result['differing']} actions that differ"
        f" (the dry run's count) {'ok' if first_ok else 'MISSED'}"
    )
    print(
        f"    second sync {result['second_s'] * 1000:.0f} ms: {len(result['second_calls'])} Application Auto Scaling"
        f" calls (target 0, <= {TARGET_SYNC_REPEAT_S:.0f} s) {'ok' if second_ok else 'MISSED'};"
        f" its only writes are the exactly-once record, the audit records and the change lock:"
        f" {', '.join(result['second_writes'])}"
    )
    print(
        f"    a bot action deleted by hand: next sync {result['drift_s'] * 1000:.0f} ms,"
        f" {len(result['drift_calls'])} call ({', '.join(result['drift_calls'])}) {'ok' if drift_ok else 'MISSED'}"
    )
    ok = result["readiness_median_s"] <= TARGET_READINESS_S and result["readiness_lines"] == 10
    failures += [] if ok else ["readiness time"]
    print("\n(j) `readiness` from Slack (reads, ten checks, the response_url post), median of 7, moto server")
    print(
        f"    {result['readiness_median_s'] * 1000:.0f} ms median, {result['readiness_max_s'] * 1000:.0f} ms max"
        f" (target <= {TARGET_READINESS_S:.0f} s) {'ok' if ok else 'MISSED'}; {result['readiness_calls']} AWS reads,"
        f" up to {result['readiness_peak']} in flight at once; {result['readiness_lines']} check lines:"
        f" {result['readiness_status']} {result['readiness_not_passing']}"
    )
    print("    (the first run builds the CloudWatch, ElastiCache and Service Quotas clients: the max)")
    return failures


if __name__ == "__main__":
    import sys

    sys.exit(1 if report(run()) else 0)
