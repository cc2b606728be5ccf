"""The deploy plan (pure): a task-definition revision that differs from the running one only in the web container's
image, and the deployment configuration that carries the strategy, the bake time, the rollback alarms and the
lifecycle hooks.

Everything the running revision has is copied except what ``RegisterTaskDefinition`` does not take (the read-only
fields ``DescribeTaskDefinition`` adds); the plan lists the one difference, so a dry run shows exactly that.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsbot.errors import UsageError
from opsbot.logic.text import echo

# What DescribeTaskDefinition returns but RegisterTaskDefinition does not accept.
READ_ONLY = frozenset({
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
    "registeredBy", "deregisteredAt", "deleteRequestedAt",
})  # fmt: skip
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # Docker's tag grammar
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
STRATEGIES = ("blue_green", "canary", "linear")
MAX_BAKE_MINUTES = 1440  # DeploymentConfiguration.bakeTimeInMinutes: 0-1440


@dataclass(frozen=True)
class ImageRef:
    value: str  # a tag (v1.5.0) or a digest (sha256:…)

    @property
    def is_digest(self) -> bool:
        return self.value.startswith("sha256:")


@dataclass(frozen=True)
class Strategies:
    """The canary and linear shapes (from configuration)."""

    canary_percent: float = 10.0
    canary_bake_minutes: int = 5
    linear_step_percent: float = 25.0
    linear_step_bake_minutes: int = 3


@dataclass(frozen=True)
class Revision:
    register: dict[str, Any]  # the RegisterTaskDefinition input
    image_before: str
    image_after: str

    @property
    def diff(self) -> list[str]:
        return [f"containerDefinitions[{self.register['family']}/web].image: {self.image_before} → {self.image_after}"]


def parse_image(text: str) -> ImageRef:
    if DIGEST.fullmatch(text) or TAG.fullmatch(text):
        return ImageRef(text)
    if text.startswith("sha256:"):
        raise UsageError("a digest is `sha256:` and 64 lower-case hex digits")
    raise UsageError(f"`{echo(text)}` is not an image tag (letters, digits, `_`, `.`, `-`; at most 128) nor a digest")


def image_with(current: str, ref: ImageRef) -> str:
    """``current``'s repository with ``ref``: ``<repo>:<tag>`` or ``<repo>@sha256:…``."""
    repository = current.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository[: repository.rfind(":")]
    return f"{repository}@{ref.value}" if ref.is_digest else f"{repository}:{ref.value}"


def new_revision(current: Mapping[str, Any], container: str, ref: ImageRef) -> Revision:
    register = {k: copy.deepcopy(v) for k, v in current.items() if k not in READ_ONLY}
    containers = register.get("containerDefinitions", [])
    named = [c for c in containers if c.get("name") == container]
    if len(named) != 1:
        raise UsageError(f"the running task definition has no container `{container}` to update")
    before = str(named[0].get("image", ""))
    named[0]["image"] = image_with(before, ref)
    return Revision(register, before, named[0]["image"])


def deployment_configuration(
    strategy: str, bake_minutes: int, alarms: Sequence[str], hooks: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any], shapes: Strategies = Strategies(),
) -> dict[str, Any]:  # fmt: skip
    """The service's ``deploymentConfiguration`` with this deploy's strategy, bake time, rollback alarms and hooks;
    what else the service had (maximum/minimum percent, circuit breaker) is kept."""
    if strategy not in STRATEGIES:
        raise UsageError(f"`{strategy[:40]}` is not a strategy (blue_green, canary or linear)")
    if not 0 <= bake_minutes <= MAX_BAKE_MINUTES:
        raise UsageError(f"the bake time must be 0 to {MAX_BAKE_MINUTES} minutes")
    found = {k: copy.deepcopy(v) for k, v in current.items() if k not in {"canaryConfiguration", "linearConfiguration"}}
    found.update(
        strategy=strategy.upper(),
        bakeTimeInMinutes=bake_minutes,
        alarms={"alarmNames": list(alarms), "rollback": True, "enable": bool(alarms)},
        lifecycleHooks=[dict(h) for h in hooks],
    )
    if strategy == "canary":
        found["canaryConfiguration"] = {
            "canaryPercent": shapes.canary_percent, "canaryBakeTimeInMinutes": shapes.canary_bake_minutes,
        }  # fmt: skip
    elif strategy == "linear":
        found["linearConfiguration"] = {
            "stepPercent": shapes.linear_step_percent, "stepBakeTimeInMinutes": shapes.linear_step_bake_minutes,
        }  # fmt: skip
    return found
