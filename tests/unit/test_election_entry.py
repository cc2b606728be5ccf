"""The election function's entry: a run whose exactly-once record could not be completed (the run happened; only
its record of the result is missing) still returns and logs what the run did, instead of crashing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.lambda_context import FakeLambdaContext
from opsbot.elections import entry


class Summary:
    def as_dict(self) -> dict[str, Any]:
        return {"elections": 1, "calls": 4, "failed": []}


class Scaler:
    def __init__(self) -> None:
        self.runs = 0

    def run(self, now: datetime, key: str, owner: str) -> Summary:
        self.runs += 1
        return Summary()


def test_a_run_whose_completion_record_failed_returns_its_own_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    scaler = Scaler()

    def once_without_completion(key: str, work: Callable[[], Any]) -> tuple[bool, Any]:
        work()
        return True, None  # what idempotency.exactly_once returns when the completion write failed

    monkeypatch.setattr(entry, "_runtime", lambda arn: (scaler, once_without_completion))
    event = {"opsbot": "election-sync", "scheduled_at": "2026-12-03T14:00:00Z", "reason": "hourly"}
    answer = entry.handle(event, FakeLambdaContext(), now=datetime(2026, 12, 3, 14, 0, 5, tzinfo=UTC))
    assert answer == {"elections": 1, "calls": 4, "failed": []}
    assert scaler.runs == 1
