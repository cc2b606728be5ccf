"""Alarm storm benchmark: 1,000 deliveries (10 distinct transitions x 100 duplicates, mixed paths) handled by
8 concurrent workers against the moto server. Each worker has its own remediator and idempotency cache, as
8 warm Lambda execution environments would; only the idempotency table links them.

Each of the 10 alarms is mapped by a storm runbook to a one-call action (replace_tasks -> UpdateService,
snapshot -> CreateDBSnapshot) with no cooldown, so every distinct transition is actionable and exactly one
mutating AWS call per transition is the right answer.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from devtools.events import load_event
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import running_stack

TRANSITIONS = 10
DUPLICATES = 100
WORKERS = 8
TARGET_EVENTS_PER_SECOND = 200.0
MUTATING = {
    "RegisterScalableTarget",
    "PutScheduledAction",
    "DeleteScheduledAction",
    "UpdateService",
    "StopServiceDeployment",
    "CreateDBSnapshot",
}
STORM_RUNBOOKS = """
version: 1
runbooks:
  - name: storm-replace
    match: {alarm: "mycandidate-storm-replace-.*"}
    action: replace_tasks
    cooldown: 0m
  - name: storm-snapshot
    match: {alarm: "mycandidate-storm-snapshot-.*"}
    action: snapshot
    cooldown: 0m
"""
_TEMPLATES = ("alarm_eventbridge_cpu_high.json", "alarm_sns_cpu_high.json", "alarm_lambda_action_cpu_high.json")


def storm_deliveries(seed: int = 7) -> list[dict[str, Any]]:
    """1,000 events: each distinct transition delivered 100 times, spread over the three paths, shuffled."""
    templates = [json.dumps(load_event(name)) for name in _TEMPLATES]
    deliveries = []
    for index in range(TRANSITIONS):
        kind = "replace" if index % 2 == 0 else "snapshot"
        name = f"mycandidate-storm-{kind}-{index:02d}"
        for duplicate in range(DUPLICATES):
            text = templates[duplicate % len(templates)]
            text = text.replace("mycandidate-ecs-cpu-high", name)
            text = text.replace("2026-05-29T05:00:00.123", f"2026-05-29T05:{index:02d}:00.123")
            deliveries.append(json.loads(text))
    random.Random(seed).shuffle(deliveries)
    return deliveries


def run_storm() -> dict[str, Any]:
    from opsbot import dependencies
    from opsbot.alarms.entry import process
    from opsbot.alarms.remediation import Remediator
    from opsbot.alarms.runbooks import parse_runbooks
    from opsbot.aws.clients import _session
    from opsbot.idempotency import current_lambda_context, exactly_once
    from opsbot.slack.incidents import SlackIncidentNotifier, render_incident, render_recovery, render_recovery_reply

    deliveries = storm_deliveries()
    calls: dict[str, int] = {}
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        if model.name in MUTATING:
            with lock:
                calls[model.name] = calls.get(model.name, 0) + 1

    with running_stack() as stack:
        from slack_sdk import WebClient

        _session().events.register("before-call", count)
        settings = replace(stack.settings, hourly_action_budget=1000)
        placeholders = {"cluster": settings.cluster, "service": settings.service, "db_instance": settings.db_instance}
        runbooks = parse_runbooks(STORM_RUNBOOKS, placeholders)
        web = WebClient(token="xoxb-local", base_url=stack.recorder.url + "/api/")
        workers_state = []
        for _ in range(WORKERS):  # one "execution environment" per worker
            notifier = SlackIncidentNotifier(web, settings.slack_channel)
            remediator = Remediator(
                settings,
                runbooks,
                dependencies.build_remediation_ports(settings, notifier),
                clock=lambda: datetime.now(UTC),
                render=render_incident,
                render_recovery=render_recovery,
                render_reply=render_recovery_reply,
            )
            workers_state.append((remediator, exactly_once(settings, local_cache=True)))
        work: queue.Queue[dict[str, Any]] = queue.Queue()
        for event in deliveries:
            work.put(event)
        summaries: list[dict[str, Any]] = []
        errors: list[BaseException] = []

        def worker(remediator: Remediator, once: Any) -> None:
            current_lambda_context.set(FakeLambdaContext(function_name="mycandidate-opsbot-alarm-remediation"))
            while True:
                try:
                    event = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    summary = process(event, remediator, once)
                except BaseException as exc:
                    errors.append(exc)
                    continue
                with lock:
                    summaries.append(summary)

        threads = [threading.Thread(target=worker, args=state) for state in workers_state]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.perf_counter() - started
        _session().events.unregister("before-call", count)
        incidents = [c for c in stack.recorder.api_calls("chat.postMessage") if not (c.body or {}).get("thread_ts")]
    return {
        "deliveries": len(deliveries),
        "distinct": TRANSITIONS,
        "elapsed_s": elapsed,
        "events_per_s": len(deliveries) / elapsed,
        "acted": sum(s["acted"] for s in summaries),
        "duplicates": sum(s["duplicates"] for s in summaries),
        "mutating_calls": sum(calls.values()),
        "calls": calls,
        "incidents": len(incidents),
        "errors": [repr(e) for e in errors[:3]],
        "error_count": len(errors),
    }


def report(result: dict[str, Any]) -> list[str]:
    """Print the storm figures; return the targets missed."""
    missed = []
    print(
        f"\n(d) alarm storm: {result['deliveries']} deliveries ({result['distinct']} transitions x {DUPLICATES}, "
        f"EventBridge/SNS/Lambda-action mixed), {WORKERS} workers, moto server"
    )
    ok = result["events_per_s"] >= TARGET_EVENTS_PER_SECOND
    missed += [] if ok else ["storm throughput"]
    verdict = "ok" if ok else "MISSED"
    print(f"    {result['events_per_s']:.0f} events/s ({result['elapsed_s']:.2f} s) (target >= 200) {verdict}")
    ok = result["mutating_calls"] == result["distinct"] == result["acted"]
    missed += [] if ok else ["one action per transition"]
    detail = ", ".join(f"{k} {v}" for k, v in sorted(result["calls"].items()))
    print(
        f"    mutating AWS calls {result['mutating_calls']} ({detail}); actions {result['acted']}; "
        f"distinct actionable transitions {result['distinct']} {'ok' if ok else 'MISSED'}"
    )
    ok = result["incidents"] == result["distinct"]
    missed += [] if ok else ["one incident per transition"]
    print(
        f"    Slack incidents posted {result['incidents']} (one per incident) {'ok' if ok else 'MISSED'}; "
        f"duplicates ignored {result['duplicates']}; errors {result['error_count']} {result['errors']}"
    )
    if result["error_count"]:
        missed.append("storm errors")
    return missed


if __name__ == "__main__":
    import sys

    sys.exit(1 if report(run_storm()) else 0)
