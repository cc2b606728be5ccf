"""The normalised alarm state change, whatever path delivered it (EventBridge, SNS, Lambda alarm action)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    EVENTBRIDGE = "eventbridge"
    SNS = "sns"
    LAMBDA_ACTION = "lambda-action"
    WATCH = "watch"  # the scheduled re-evaluation of an alarm still in ALARM (``opsbot.alarms.watch``)


class AlarmKind(StrEnum):
    METRIC = "metric"
    METRIC_MATH = "metric-math"
    ANOMALY_DETECTION = "anomaly-detection"
    COMPOSITE = "composite"
    UNKNOWN = "unknown"  # parsed enough to identify the alarm, not its shape: notify only


@dataclass(frozen=True)
class AlarmTransition:
    """One alarm entering a state. ``changed_at`` is CloudWatch's state-change time, identical on every path,
    so ``dedupe_key`` is the same whichever path (or how many times) it arrived."""

    source: Source
    alarm_name: str
    alarm_arn: str
    account: str
    region: str
    kind: AlarmKind
    new_state: str  # ALARM | OK | INSUFFICIENT_DATA
    old_state: str  # "" when the path does not say
    reason: str
    changed_at: datetime  # timezone-aware UTC
    namespace: str | None = None
    metric: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str | None = None
    threshold: float | None = None
    comparison: str | None = None  # e.g. GreaterThanThreshold, LessThanLowerOrGreaterThanUpperThreshold
    value: float | None = None  # the most recent datapoint, when the path carries it
    period_seconds: int | None = None
    # Every account and region the delivery names (event envelope, alarm ARN, SNS topic ARN): all must be ours.
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    # Composite alarms whose actions are suppressed (EventBridge ``state.actionsSuppressedBy``: Alarm,
    # WaitPeriod or ExtensionPeriod); empty when the path does not say or nothing is suppressed.
    actions_suppressed_by: str = ""
    actions_suppressed_reason: str = ""
    # Set on a re-evaluation by the watch run: the start of its window, so each window is its own operation.
    watch_window: str = ""

    @property
    def dedupe_key(self) -> str:
        identity = self.alarm_arn or f"{self.region}:{self.account}:{self.alarm_name}"
        key = f"{identity}|{self.new_state}|{self.changed_at.isoformat(timespec='milliseconds')}"
        return f"{key}|watch@{self.watch_window}" if self.watch_window else key


@dataclass(frozen=True)
class Rejection:
    """A delivery that is not acted on, and why (logged; never an exception)."""

    reason: str
    source: str = ""
    alarm_name: str = ""


@dataclass(frozen=True)
class ParsedDelivery:
    transitions: tuple[AlarmTransition, ...] = ()
    rejections: tuple[Rejection, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What happened for one transition; rendered into the Slack incident and recorded in the audit trail."""

    transition: AlarmTransition
    runbook: str = ""
    action: str = "notify"
    acted: bool = False
    dry_run: bool = False
    reason: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    undo_key: str = ""
    error: str = ""
    audit_key: str = ""
    silenced: bool = False  # CloudWatch keeps this alarm quiet: recorded, never acted on or announced
    episode_since: datetime | None = None  # set when this ALARM updates an episode that began earlier
    episode_alarms: int = 1  # how many times the episode has entered ALARM, this one included
    recorded: bool = False  # the operation runner already wrote its audit records
    # "no action" for a reason that passes (cooldown, budget, change lock, kill switch, mute): the watch run
    # re-evaluates the alarm while it stays in ALARM, since CloudWatch will not notify again.
    waiting_on: str = ""

    @property
    def result(self) -> str:
        if self.error:
            return "failed"
        return "ok" if self.acted else "noop"
