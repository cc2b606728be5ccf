"""Alarm storm benchmark: 1,000 deliveries (10 distinct transitions x 100 duplicates, mixed paths) handled by
8 concurrent workers against the moto server. Each worker has its own remediator and idempotency cache, as
8 warm Lambda execution environments would; only the idempotency table links them.

Each of the 10 alarms is mapped by a storm runbook with no cooldown to an action: replace_tasks (one call,
UpdateService), snapshot (one call, CreateDBSnapshot) or scale_out (a capacity intent; its materialisation makes
the calls the timeline needs: RegisterScalableTarget and Put/DeleteScheduledAction). So every distinct transition
acts exactly once — except that a snapshot transition finding the previous one's snapshot still being created
reports it instead of starting another (the snapshots' pre-flight) — and the right number of mutating calls is one
per one-call action plus exactly the calls each capacity operation recorded in the audit trail — no call repeated
by a duplicate delivery.

In the middle of the storm a person makes a temporary raise (`scale 8 for 6h`, pressing again while the change
lock is busy, as people do): it must survive every remediation — its intent kept, capacity never below 8 before
its end, and the return to the baseline scheduled at its end.
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
  - name: storm-scale
    match: {alarm: "mycandidate-storm-scale-.*"}
    action: scale_out
    params: {step: 1, expires: 30m}
    cooldown: 0m
"""
PERSON_RAISE = "scale 8 for 6h"
_TEMPLATES = ("alarm_eventbridge_cpu_high.json", "alarm_sns_cpu_high.json", "alarm_lambda_action_cpu_high.json")


def _kind(index: int) -> str:
    return "scale" if index % 5 == 4 else ("replace" if index % 2 == 0 else "snapshot")


_SNAPSHOT_TRANSITIONS = sum(1 for i in range(TRANSITIONS) if _kind(i) == "snapshot")


def storm_deliveries(seed: int = 7) -> list[dict[str, Any]]:
    """1,000 events: each distinct transition delivered 100 times, spread over the three paths, shuffled."""
    templates = [json.dumps(load_event(name)) for name in _TEMPLATES]
    deliveries = []
    for index in range(TRANSITIONS):
        name = f"mycandidate-storm-{_kind(index)}-{index:02d}"
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
        while work.qsize() > len(deliveries) // 2:
            time.sleep(0.005)
        person = _person_raises(settings)
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.perf_counter() - started
        _session().events.unregister("before-call", count)
        incidents = [c for c in stack.recorder.api_calls("chat.postMessage") if not (c.body or {}).get("thread_ts")]
        recorded = _recorded_calls(stack.audit_items())
        survived = _raise_survived(stack, settings, person)
    return {
        "recorded_calls": recorded,
        "person": person,
        "raise_survived": survived,
        "deliveries": len(deliveries),
        "distinct": TRANSITIONS,
        # The replica keeps a new snapshot `creating` for minutes: the later snapshot transitions find it and
        # report it instead of starting another (the snapshots' pre-flight), so they act once between them.
        "expected_acted": TRANSITIONS - max(0, _SNAPSHOT_TRANSITIONS - 1),
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


def _person_raises(settings: Any) -> dict[str, Any]:
    """A person's `scale 8 for 6h` in the middle of the storm; refused while the lock is busy, so pressed again."""
    from devtools.local_stack import OPERATOR
    from opsbot import dependencies
    from opsbot.commands.base import Actor, CommandContext, new_audit_key
    from opsbot.commands.dispatch import execute_command
    from opsbot.config import Role

    ports = dependencies.build_ports(settings)
    for attempt in range(1, 200):
        now = datetime.now(UTC)
        ctx = CommandContext(
            actor=Actor(OPERATOR, settings.slack_channel, Role.OPERATOR),
            settings=settings,
            ports=ports,
            now=now,
            request_id=f"storm-person-{attempt}",
            audit_key=new_audit_key(now, f"{attempt:08x}"),
        )
        outcome = execute_command(PERSON_RAISE, ctx)
        if getattr(outcome.view, "kind", "") == "applied":
            return {"attempts": attempt, "key": ctx.audit_key, "until": outcome.view.revert_at}
        time.sleep(0.01)
    return {"attempts": 200, "key": "", "until": None}


def _recorded_calls(audit: list[dict[str, Any]]) -> int:
    """Mutating calls the operations say they made: one per one-call action, plus what each capacity change lists."""
    total = 0
    for item in audit:
        if item["result"]["S"] != "ok" or item["decision"]["S"] != "allowed":
            continue
        after = json.loads(item["after"]["S"])
        if "generation" in after:
            total += int(after.get("calls", 0))
        elif item["verb"]["S"] == "remediate":
            total += 1
    return total


def _raise_survived(stack: Any, settings: Any, person: dict[str, Any]) -> bool:
    """The person's intent is still there, and no scheduled action takes the minimum below 8 before its end."""
    from opsbot import dependencies

    until = person["until"]
    if until is None:
        return False
    intents = dependencies.build_ports(settings).intents.intents()
    if not any(i.id == person["key"] and i.min == 8 and i.expires == until for i in intents):
        return False
    low, _ = stack.capacity()
    actions = [a for a in stack.scheduled_actions() if a["ScheduledActionName"].startswith("opsbot-capacity-")]
    before_end = [a for a in actions if a["Schedule"] < f"at({until:%Y-%m-%dT%H:%M:%S})"]
    at_end = [a for a in actions if a["Schedule"] == f"at({until:%Y-%m-%dT%H:%M:%S})"]
    return low >= 8 and all(a["ScalableTargetAction"]["MinCapacity"] >= 8 for a in before_end) and len(at_end) == 1


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
    ok = result["expected_acted"] == result["acted"] and result["mutating_calls"] == result["recorded_calls"]
    missed += [] if ok else ["one action per transition"]
    detail = ", ".join(f"{k} {v}" for k, v in sorted(result["calls"].items()))
    print(
        f"    actions {result['acted']} for {result['distinct']} distinct transitions (expected"
        f" {result['expected_acted']}: {_SNAPSHOT_TRANSITIONS} snapshot transitions share the snapshot being created);"
        " mutating AWS calls "
        f"{result['mutating_calls']} ({detail}) = calls the operations recorded {result['recorded_calls']} "
        f"{'ok' if ok else 'MISSED'}"
    )
    ok = bool(result["raise_survived"])
    missed += [] if ok else ["person's raise survives remediation"]
    print(
        f"    a person's `{PERSON_RAISE}` mid-storm (applied on press {result['person']['attempts']}): intent kept, "
        f"min never below 8 before it ends, return scheduled at its end {'ok' if ok else 'MISSED'}"
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
