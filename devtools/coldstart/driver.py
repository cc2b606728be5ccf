"""Runs inside the benchmark's Lambda-like container, as the Lambda runtime would: import the handler's module
(the init phase), invoke it with the first event (the cold answer), then with each further event (warm).

Standard library only: it is mounted read-only at /bench next to the job file and runs on the image's python3.13.
The container's shell prints ``started`` just before exec'ing this script; the result is one line prefixed with
``RESULT_PREFIX`` (the function's own logs share stdout).

    python3.13 /bench/driver.py /bench/<job>.json
    job: {"mode": "function", "events": [...], "context": {...}}
      or {"mode": "import", "modules": [...], "clients": [...], "region": "..."}
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import uuid
from typing import Any

RESULT_PREFIX = "OPSBOT-BENCH-RESULT "


class Context:
    """The LambdaContext attributes the bot and Powertools read."""

    def __init__(self, function_name: str, function_arn: str, memory_mb: int, timeout_s: float) -> None:
        self.function_name = function_name
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


class AwsCalls:
    """Time spent waiting on AWS during the first invocation: each SDK call (botocore's ``_make_api_call``, round
    trip included), and each request sent with botocore's HTTP session outside one (the lazy self-invocation is
    signed and sent without a client). Work no cold-start saving can remove, reported next to the cold time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._depth = 0

    def install(self) -> None:
        try:  # the functions import both anyway
            client_module = importlib.import_module("botocore.client")
            http_module = importlib.import_module("botocore.httpsession")
        except ImportError:
            return
        client_module.BaseClient._make_api_call = self._timed(client_module.BaseClient._make_api_call)
        http_module.URLLib3Session.send = self._timed(http_module.URLLib3Session.send)

    def _timed(self, original: Any) -> Any:
        def timed(*args: Any) -> Any:
            outermost = self._depth == 0
            self._depth += 1
            started = time.perf_counter()
            try:
                return original(*args)
            finally:
                self._depth -= 1
                if outermost:
                    self.count += 1
                    self.seconds += time.perf_counter() - started

        return timed


def run(job: dict[str, Any]) -> dict[str, Any]:
    if job["mode"] == "import":
        for module in job["modules"]:
            importlib.import_module(module)
        if job.get("clients"):
            session = importlib.import_module("boto3").session.Session()
            for service in job["clients"]:
                session.client(service, region_name=job["region"])
        return {"answered_at": time.time(), "warm_ms": [], "responses": [], "aws_calls": 0, "aws_ms": 0.0}
    aws = AwsCalls()
    aws.install()
    handler = importlib.import_module("app").lambda_handler
    spec = job["context"]
    responses = [handler(job["events"][0], Context(**spec))]
    answered_at = time.time()
    cold_calls, cold_aws_ms = aws.count, aws.seconds * 1000
    warm_ms = []
    for event in job["events"][1:]:
        context = Context(**spec)
        started = time.perf_counter()
        responses.append(handler(event, context))
        warm_ms.append((time.perf_counter() - started) * 1000)
    return {
        "answered_at": answered_at,
        "warm_ms": warm_ms,
        "responses": responses,
        "aws_calls": cold_calls,
        "aws_ms": cold_aws_ms,
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        result = run(json.load(handle))
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)
