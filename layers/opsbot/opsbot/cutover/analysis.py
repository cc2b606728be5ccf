"""The analysis of the green revision (pure), in the manner of an Argo Rollouts AnalysisRun: ``count``
measurements, ``interval`` apart, of the green target group's 5xx rate (``HTTPCode_Target_5XX_Count`` /
``RequestCount``) and p95 ``TargetResponseTime``. A measurement is Successful, Failed (over a limit),
Inconclusive (too few requests to judge) or Error (the metrics could not be read). The run fails once Failed
measurements exceed ``failure_limit``, or consecutive Errors exceed ``consecutive_error_limit``; it is inconclusive
once Inconclusive ones exceed ``inconclusive_limit``; it succeeds when ``count`` measurements are taken without
either. An Error measured nothing: it does not count towards ``count`` (the read is taken again at the next
interval), and the verdict names the failed reads with their error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PHASES = ("Successful", "Failed", "Inconclusive", "Error")


@dataclass(frozen=True)
class AnalysisSpec:
    count: int = 3
    interval_s: int = 60
    failure_limit: int = 0
    inconclusive_limit: int = 1
    consecutive_error_limit: int = 2
    max_5xx_rate: float = 0.01  # 1 % of requests
    max_p95_s: float = 1.0
    min_requests: int = 20


@dataclass(frozen=True)
class Sample:
    """One read of the green target group's metrics over the last interval."""

    requests: float
    errors_5xx: float
    p95_s: float | None


@dataclass(frozen=True)
class Measurement:
    phase: str
    summary: str  # the measured values against their limits, in words

    def as_dict(self) -> dict[str, str]:
        return {"phase": self.phase, "summary": self.summary}


def measure(sample: Sample | str, spec: AnalysisSpec) -> Measurement:
    """``sample``: the metrics, or the error that stopped reading them."""
    if isinstance(sample, str):
        return Measurement("Error", f"metrics could not be read: {sample[:200]}")
    if sample.requests < spec.min_requests:
        return Measurement("Inconclusive", f"{sample.requests:.0f} requests, fewer than {spec.min_requests} to judge")
    rate = sample.errors_5xx / sample.requests
    figures = f"5xx {rate:.2%} (limit {spec.max_5xx_rate:.2%}) of {sample.requests:.0f} requests"
    if sample.p95_s is not None:
        figures += f", p95 {sample.p95_s:.3f} s (limit {spec.max_p95_s:.3f} s)"
    failed = rate > spec.max_5xx_rate or (sample.p95_s is not None and sample.p95_s > spec.max_p95_s)
    return Measurement("Failed" if failed else "Successful", figures)


def verdict(measurements: Sequence[Measurement], spec: AnalysisSpec) -> tuple[str, str]:
    """``("Running" | "Successful" | "Failed" | "Inconclusive", why)``."""
    failed = sum(1 for m in measurements if m.phase == "Failed")
    inconclusive = sum(1 for m in measurements if m.phase == "Inconclusive")
    streak = 0
    for m in reversed(measurements):
        if m.phase != "Error":
            break
        streak += 1
    if failed > spec.failure_limit:
        last = next(m for m in reversed(measurements) if m.phase == "Failed")
        return "Failed", f"{failed} failed measurement(s), more than {spec.failure_limit} allowed: {last.summary}"
    if streak > spec.consecutive_error_limit:
        return "Failed", f"{streak} metric reads in a row failed (limit {spec.consecutive_error_limit})"
    if inconclusive > spec.inconclusive_limit:
        return "Inconclusive", f"{inconclusive} inconclusive measurement(s), more than {spec.inconclusive_limit}"
    # A read that failed measured nothing: it is taken again, and the run passes on ``count`` actual measurements.
    taken = [m for m in measurements if m.phase != "Error"]
    errors = [m for m in measurements if m.phase == "Error"]
    failed_reads = ""
    if errors:
        failed_reads = f"; {len(errors)} metric read(s) failed and were taken again, last: {errors[-1].summary}"
    if len(taken) >= spec.count:
        return "Successful", f"{len(taken)} measurement(s): " + "; ".join(m.summary for m in taken[-3:]) + failed_reads
    return "Running", f"{len(taken)} of {spec.count} measurement(s)" + failed_reads


def from_dicts(items: Any) -> list[Measurement]:
    """Measurements carried in ``hookDetails`` between invocations; anything not of that shape is refused."""
    if not isinstance(items, list) or len(items) > 100:
        raise ValueError("measurements must be a list of at most 100")
    found = []
    for item in items:
        if not (isinstance(item, dict) and item.get("phase") in PHASES and isinstance(item.get("summary"), str)):
            raise ValueError("a measurement is {phase, summary}")
        found.append(Measurement(item["phase"], item["summary"][:300]))
    return found
