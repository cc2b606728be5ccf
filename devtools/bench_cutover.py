"""Benchmarks (n) and (o) of `make bench` (issue 11), against the moto server and a listener on 127.0.0.1:

(n) the lifecycle hook's decision for one invocation that runs the smoke tests (two GETs against the local
    listener) and one that takes an analysis measurement (green from the test listener rule: DescribeServices and
    DescribeRules, then one GetMetricData, against moto), warm, median of 21: target 300 ms;
(o) `deploy` from Slack, ack to `UpdateService` with every pre-flight check (the snapshot already fresh), median
    of 5 (each deploy is stopped with a rollback before the next): target 2 s.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.events import load_event
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import OPERATOR, running_stack
from devtools.test_listener import HEALTHY, serving

TARGET_HOOK_MS = 300.0
TARGET_DEPLOY_S = 2.0


def run() -> dict[str, Any]:
    from opsbot.aws.green_target import GreenTarget
    from opsbot.cutover import entry

    with serving(dict(HEALTHY)) as url, running_stack() as stack:
        # Green is asked of AWS at each measurement, as deployed (no AnalysisTargetGroup override).
        os.environ.update({"OPSBOT_TEST_LISTENER_URL": url, "OPSBOT_SMOKE_WARDS": "52",
                           "OPSBOT_ANALYSIS_LOAD_BALANCER": "", "OPSBOT_ANALYSIS_TARGET_GROUP": ""})  # fmt: skip
        entry._runtime.cache_clear()
        load_balancer, target_group = GreenTarget(
            stack.client("ecs"), stack.client("elbv2"), "mycandidate", "web"
        ).dimensions()
        dimensions = [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": load_balancer}]
        stack.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 400,
             "Timestamp": datetime.now(UTC) - timedelta(seconds=30)},
        ])  # fmt: skip
        context = FakeLambdaContext(function_name="mycandidate-opsbot-cutover-hooks")
        event = load_event("cutover_hook_post_test_traffic.json")
        first = entry.handle(event, context)  # warm-up: clients built, modules imported
        smoke, measure, phases = [], [], set()  # phases: what the measurements found (an Error is no benchmark)
        for _ in range(21):
            started = time.perf_counter()
            entry.handle(event, context)
            smoke.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answer = entry.handle({**event, "hookDetails": first["hookDetails"]}, context)
            measure.append((time.perf_counter() - started) * 1000)
            phases.add(str(answer.get("hookDetails", {}).get("opsbot", {}).get("measurements", [{}])[-1].get("phase")))
        entry._runtime.cache_clear()
        stack.bot().command("snapshot", OPERATOR, response_url=f"{stack.recorder.url}/response/snap")
        stack.advance(timedelta(minutes=5))  # the snapshot is available: the deploys find it fresh
        deploys = []
        for run_number in range(5):
            tag = "v1.4.3" if run_number % 2 == 0 else "v1.4.1"
            started = time.perf_counter()
            stack.bot().command(f"deploy {tag}", OPERATOR, response_url=f"{stack.recorder.url}/response/d{run_number}")
            deploys.append(time.perf_counter() - started)
            stack.bot().command("rollback", OPERATOR, response_url=f"{stack.recorder.url}/response/r{run_number}")
        started_ok = sum(
            1 for c in stack.recorder.response_url_posts() if c.path.startswith("/response/d")
            and "has started" in json.dumps(c.body)
        )  # fmt: skip
    return {
        "smoke_ms": statistics.median(smoke), "measure_ms": statistics.median(measure), "phases": sorted(phases),
        "deploy_s": statistics.median(deploys), "deploys_started": started_ok,
    }  # fmt: skip


def report(result: dict[str, Any]) -> list[str]:
    failures = []
    ok = max(result["smoke_ms"], result["measure_ms"]) <= TARGET_HOOK_MS and "Error" not in result["phases"]
    failures += [] if ok else ["hook decision time"]
    print("\n(n) the lifecycle hook's decision, warm, median of 21 (local listener on 127.0.0.1, moto's CloudWatch)")
    print(
        f"    smoke tests (2 GETs) {result['smoke_ms']:.1f} ms, one analysis measurement (green from the test listener"
        f" rule, GetMetricData) {result['measure_ms']:.1f} ms, measured {'/'.join(result['phases'])}"
        f" (target <= {TARGET_HOOK_MS:.0f} ms) {'ok' if ok else 'MISSED'}"
    )
    ok = result["deploy_s"] <= TARGET_DEPLOY_S and result["deploys_started"] == 5
    failures += [] if ok else ["deploy to UpdateService"]
    print(
        "\n(o) `deploy` from Slack to UpdateService, every pre-flight check, snapshot fresh, moto server, median of 5"
    )
    print(
        f"    {result['deploy_s'] * 1000:.0f} ms, {result['deploys_started']} of 5 started"
        f" (target <= {TARGET_DEPLOY_S:.0f} s) {'ok' if ok else 'MISSED'}"
    )
    return failures


if __name__ == "__main__":
    import sys

    sys.exit(1 if report(run()) else 0)
