"""Benchmarks (k)-(m) of `make bench` (issue 10):

(k) the retention plan over 1,000 snapshots (the bot's and others', pinned, held, of every age): median of 21,
    target 50 ms;
(l) `snapshots 20` from Slack against the moto server with 60 snapshots of the instance: median of 7, target 1 s;
(m) exactly one `CreateDBSnapshot` for one `snapshot` request under 100 duplicate deliveries — 49 Slack retries of
    the same command and 50 repeats of its asynchronous self-invocation, spread over 8 workers, each its own
    Bolt app as separate execution environments would be — then 100 repeats of the hand-over to the snapshots
    function: one progress message. Counted on the bot's boto3 session (``before-call``), like the alarm storm.
"""

from __future__ import annotations

import json
import queue
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import OPERATOR, SIGNING_SECRET, VIEWER, LocalStack, running_stack
from devtools.slack_requests import api_gateway_event, slash_command_body

TARGET_RETENTION_MS = 50.0
TARGET_LISTING_S = 1.0
WORKERS = 8
ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-snapshots"


def retention_ms(samples: int = 21) -> tuple[float, int, int]:
    from opsbot.snapshots.model import CREATED_BY, KEEP, REASON, Snapshot
    from opsbot.snapshots.retention import plan

    now = datetime(2026, 12, 3, 8, tzinfo=UTC)
    reasons = ("nightly", "manual", "pre-election:ward-52", "pre-cutover:v2", "alarm:mycandidate-rds-cpu-high")
    snapshots = []
    for i in range(1000):
        ours = i % 5 != 0
        tags = {CREATED_BY: "opsbot", REASON: reasons[i % len(reasons)]} if ours else {}
        if i % 97 == 0:
            tags[KEEP] = "true"
        name = f"opsbot-mycandidate-db-x-{i:04d}" if ours else f"someone-{i:04d}"
        kind = "automated" if i % 11 == 0 else "manual"
        snapshots.append(Snapshot(name, "mycandidate-db", kind, "available", now - timedelta(hours=7 * i), tags=tags))
    windows = {"ward-52": now + timedelta(days=2)}
    timings, result = [], None
    for _ in range(samples):
        started = time.perf_counter()
        result = plan(snapshots, "mycandidate-db", now, windows_close=windows)
        timings.append((time.perf_counter() - started) * 1000)
    assert result is not None
    return statistics.median(timings), len(result.delete), len(result.keep)


def _listing(stack: LocalStack) -> tuple[float, int]:
    rds = stack.client("rds")
    for i in range(58):  # with the seeded baseline and the automated one: 60
        rds.create_db_snapshot(DBSnapshotIdentifier=f"release-backup-{i:02d}", DBInstanceIdentifier="mycandidate-db")
    stack.advance(timedelta(minutes=5))
    timings, lines = [], 0
    for run in range(7):
        url = f"{stack.recorder.url}/response/list-{run}"
        started = time.perf_counter()
        stack.bot().command("snapshots 20", VIEWER, response_url=url)
        timings.append(time.perf_counter() - started)
        post = [c for c in stack.recorder.response_url_posts() if c.path == f"/response/list-{run}"][-1]
        lines = str(post.body).count("• `")
    return statistics.median(timings), lines


def _duplicates(stack: LocalStack) -> dict[str, Any]:
    from opsbot.aws.clients import _session
    from opsbot.snapshots import entry

    calls: list[str] = []
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        if model.name == "CreateDBSnapshot":
            with lock:
                calls.append(model.name)

    session = _session()
    session.events.register("before-call", count)
    try:
        bots = [stack.bot() for _ in range(WORKERS)]
        url = f"{stack.recorder.url}/response/dup"
        body = slash_command_body("snapshot bench", user_id=OPERATOR, channel_id="C0OPS", response_url=url)
        bots[0].send(api_gateway_event(body, SIGNING_SECRET), run_lazy=False)
        (lazy,) = bots[0].lambda_client.payloads
        bots[0].lambda_client.payloads.clear()
        work: queue.Queue[tuple[str, Any]] = queue.Queue()
        for i in range(49):
            work.put(("retry", api_gateway_event(body, SIGNING_SECRET, retry_num=1 + i % 3)))
        for _ in range(51):  # the original self-invocation and 50 repeats
            work.put(("lazy", json.loads(json.dumps(lazy))))

        def worker(bot: Any) -> None:
            while True:
                try:
                    kind, item = work.get_nowait()
                except queue.Empty:
                    return
                if kind == "retry":
                    bot.send(item, run_lazy=False)
                else:
                    bot.lambda_client.payloads.append(item)
                    bot.run_lazy()

        threads = [threading.Thread(target=worker, args=(bot,)) for bot in bots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        follows = [j for j in stack.snapshot_jobs if j["opsbot"] == "snapshot-follow"]
        entry._runtime.cache_clear()
        context = FakeLambdaContext(function_name="mycandidate-opsbot-snapshots", invoked_function_arn=ARN)
        before = len(stack.recorder.api_calls("chat.postMessage"))
        for _ in range(100):
            for payload in follows[:1]:
                entry.handle(dict(payload), context, clock=stack.clock)
        messages = len(stack.recorder.api_calls("chat.postMessage")) - before
        entry._runtime.cache_clear()
    finally:
        session.events.unregister("before-call", count)
    return {"create_calls": len(calls), "follows": len(follows), "messages": messages}


def run() -> dict[str, Any]:
    ms, deleted, kept = retention_ms()
    with running_stack() as stack:
        listing_s, lines = _listing(stack)
    with running_stack() as stack:
        duplicates = _duplicates(stack)
    return {"retention_ms": ms, "deleted": deleted, "kept": kept, "listing_s": listing_s, "lines": lines, **duplicates}


def report(result: dict[str, Any]) -> list[str]:
    failures = []
    ok = result["retention_ms"] <= TARGET_RETENTION_MS
    failures += [] if ok else ["retention plan time"]
    print("\n(k) the retention plan over 1,000 snapshots (the bot's and others', pinned, held, all ages), median of 21")
    print(
        f"    {result['retention_ms']:.2f} ms: {result['deleted']} to delete, {result['kept']} of the bot's kept"
        f" (target <= {TARGET_RETENTION_MS:.0f} ms) {'ok' if ok else 'MISSED'}"
    )
    ok = result["listing_s"] <= TARGET_LISTING_S and result["lines"] == 20
    failures += [] if ok else ["snapshots 20"]
    print("\n(l) `snapshots 20` from Slack, 60 snapshots of the instance, moto server, median of 7")
    print(
        f"    {result['listing_s'] * 1000:.0f} ms, {result['lines']} lines (target <= {TARGET_LISTING_S:.0f} s)"
        f" {'ok' if ok else 'MISSED'}"
    )
    ok = (result["create_calls"], result["follows"], result["messages"]) == (1, 1, 1)
    failures += [] if ok else ["exactly-once snapshot"]
    print("\n(m) one `snapshot` request, 100 duplicate deliveries (49 Slack retries + 50 repeated self-invocations),")
    print(f"    {WORKERS} workers, then 100 repeats of the hand-over to the snapshots function")
    print(
        f"    CreateDBSnapshot calls {result['create_calls']}, hand-overs {result['follows']}, progress messages"
        f" {result['messages']} (target 1, 1, 1) {'ok' if ok else 'MISSED'}"
    )
    return failures


if __name__ == "__main__":
    import sys

    sys.exit(1 if report(run()) else 0)
