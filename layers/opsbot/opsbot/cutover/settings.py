"""What the cutover hook needs, from the environment, validated once per cold start (a bad value fails loudly,
naming the variable): the test listener's URL and the wards whose candidates the smoke tests look up, the green
target group to analyse, and the analysis' shape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from opsbot.cutover.analysis import AnalysisSpec
from opsbot.errors import ConfigError

_WARD = re.compile(r"[A-Za-z0-9-]{1,20}")


@dataclass(frozen=True)
class HookSettings:
    test_url: str
    wards: tuple[str, ...]
    load_balancer: str  # the AWS/ApplicationELB LoadBalancer dimension: app/<name>/<id>
    target_group: str  # the TargetGroup dimension: targetgroup/<name>/<id>
    smoke_timeout_s: float
    analysis: AnalysisSpec

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HookSettings:
        problems: list[str] = []

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name, "") or str(default)
            try:
                value = float(raw)
            except ValueError:
                problems.append(f"{name} must be a number, got {raw[:20]!r}")
                return default
            if not low <= value <= high:
                problems.append(f"{name} must be {low:g} to {high:g}, got {value:g}")
            return value

        url = env.get("OPSBOT_TEST_LISTENER_URL", "")
        if url and not url.startswith(("http://", "https://")):
            problems.append("OPSBOT_TEST_LISTENER_URL must be an http(s) URL")
        wards = tuple(w for w in env.get("OPSBOT_SMOKE_WARDS", "1").split(",") if w)
        problems += [f"OPSBOT_SMOKE_WARDS: {w[:20]!r} is not a ward code" for w in wards if not _WARD.fullmatch(w)]
        spec = AnalysisSpec(
            count=int(number("OPSBOT_ANALYSIS_COUNT", 3, 1, 60)),
            interval_s=int(number("OPSBOT_ANALYSIS_INTERVAL_SECONDS", 60, 30, 900)),
            failure_limit=int(number("OPSBOT_ANALYSIS_FAILURE_LIMIT", 0, 0, 60)),
            inconclusive_limit=int(number("OPSBOT_ANALYSIS_INCONCLUSIVE_LIMIT", 1, 0, 60)),
            consecutive_error_limit=int(number("OPSBOT_ANALYSIS_CONSECUTIVE_ERROR_LIMIT", 2, 0, 60)),
            max_5xx_rate=number("OPSBOT_ANALYSIS_MAX_5XX_PERCENT", 1.0, 0, 100) / 100,
            max_p95_s=number("OPSBOT_ANALYSIS_MAX_P95_MS", 1000, 1, 60000) / 1000,
            min_requests=int(number("OPSBOT_ANALYSIS_MIN_REQUESTS", 20, 0, 1_000_000)),
        )
        settings = cls(
            test_url=url,
            wards=wards,
            load_balancer=env.get("OPSBOT_ANALYSIS_LOAD_BALANCER", ""),
            target_group=env.get("OPSBOT_ANALYSIS_TARGET_GROUP", ""),
            smoke_timeout_s=number("OPSBOT_SMOKE_TIMEOUT_SECONDS", 5, 0.5, 30),
            analysis=spec,
        )
        if problems:
            raise ConfigError("cutover hook configuration: " + "; ".join(problems))
        return settings
