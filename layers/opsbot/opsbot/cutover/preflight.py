"""The deploy's pre-flight (pure, given what was read): every check shown pass / fail with its figure, all of them
before anything changes. A snapshot younger than the limit is the one check that acts (taking one if needed); it
comes last, after every other check has passed, and the dry run only says what it would do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFacts:
    exists: bool
    scanned: bool = False
    critical: int = 0


@dataclass(frozen=True)
class DeployFacts:
    in_progress: str | None  # the service deployment in progress, if any
    image: ImageFacts
    alarms: Sequence[tuple[str, str]]  # the rollback alarms and their states
    desired: int
    task_vcpu: float
    fargate_vcpu_quota: float | None
    max_capacity: int


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    figure: str
    warning: bool = False  # passed, but worth saying


def checks(facts: DeployFacts, tag: str) -> list[Check]:
    found = [
        Check("no deployment in progress", facts.in_progress is None,
              "none" if facts.in_progress is None else f"{facts.in_progress} is in progress"),
    ]  # fmt: skip
    image = facts.image
    if not image.exists:
        found.append(Check("image exists", False, f"{tag} is not in the service's ECR repository"))
    elif not image.scanned:
        found.append(Check("image scan", True, f"{tag} exists but has no scan result", warning=True))
    else:
        found.append(Check("image scan", image.critical == 0, f"{image.critical} CRITICAL finding(s)"))
    firing = [name for name, state in facts.alarms if state == "ALARM"]
    found.append(Check(
        "rollback alarms quiet", not firing,
        f"{len(facts.alarms)} alarm(s), none in ALARM" if not firing else f"in ALARM already: {', '.join(firing)}",
    ))  # fmt: skip
    need = 2 * facts.desired * facts.task_vcpu
    if facts.fargate_vcpu_quota is None:
        found.append(Check("room for both revisions", True, "Fargate vCPU quota unknown", warning=True))
    else:
        found.append(Check(
            "room for both revisions", need <= facts.fargate_vcpu_quota,
            f"2 × {facts.desired} tasks × {facts.task_vcpu:g} vCPU = {need:g} of {facts.fargate_vcpu_quota:g} vCPU",
        ))  # fmt: skip
    found.append(Check(
        "scalable target holds the service", facts.desired <= facts.max_capacity,
        f"desired {facts.desired} ≤ maximum {facts.max_capacity}",
    ))  # fmt: skip
    return found


def failed(found: Sequence[Check]) -> list[Check]:
    return [c for c in found if not c.passed]
