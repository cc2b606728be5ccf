"""Smoke tests against the test listener (pure, given an HTTP getter): ``GET /api/v1/health`` and a candidate
lookup per configured ward, each with a timeout, the expected status and a JSON shape check (the keys it must
have). No response body reaches Slack: results say status, time and which key was missing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# (url, timeout seconds) -> (status, body); raises OSError (timeouts included) when there is no answer.
Getter = Callable[[str, float], tuple[int, bytes]]


@dataclass(frozen=True)
class SmokeCheck:
    name: str
    path: str
    status: int = 200
    keys: tuple[str, ...] = ()  # top-level keys the JSON object (or each item of a JSON list) must have


@dataclass(frozen=True)
class SmokeResult:
    name: str
    passed: bool
    summary: str


def checks_for(wards: Sequence[str]) -> list[SmokeCheck]:
    found = [SmokeCheck("health", "/api/v1/health", 200, ("status",))]
    found += [
        SmokeCheck(f"ward {w} candidates", f"/api/v1/wards/{w}/candidates", 200, ("name", "party")) for w in wards
    ]
    return found


def run(get: Getter, base_url: str, checks: Sequence[SmokeCheck], timeout_s: float) -> list[SmokeResult]:
    results = []
    for check in checks:
        started = time.perf_counter()
        try:
            status, body = get(base_url.rstrip("/") + check.path, timeout_s)
        except OSError as exc:
            results.append(SmokeResult(check.name, False, f"no answer within {timeout_s:g} s ({type(exc).__name__})"))
            continue
        ms = (time.perf_counter() - started) * 1000
        if status != check.status:
            results.append(SmokeResult(check.name, False, f"HTTP {status} (expected {check.status}) in {ms:.0f} ms"))
            continue
        missing = _missing(body, check.keys)
        if missing:
            results.append(SmokeResult(check.name, False, f"HTTP {status} in {ms:.0f} ms but {missing}"))
            continue
        results.append(SmokeResult(check.name, True, f"HTTP {status} in {ms:.0f} ms"))
    return results


def _missing(body: bytes, keys: Sequence[str]) -> str:
    if not keys:
        return ""
    try:
        document = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    items = document if isinstance(document, list) else [document]
    if not items:
        return "the list is empty"
    for item in items:
        if not isinstance(item, dict):
            return "an item is not a JSON object"
        absent = [k for k in keys if k not in item]
        if absent:
            return f"key `{absent[0]}` is missing"
    return ""
