"""Typed settings, validated once per cold start.

Every name of the operated system is configuration; the defaults follow the MyCandidate architecture
(``docs/architecture.md``). Values come from environment variables set by ``template.yaml``; secrets never do
(in deployed stages the Slack credentials come from Secrets Manager, see ``opsbot.slack.credentials``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Literal, cast

from opsbot.errors import ConfigError

HOME_REGION = "af-south-1"
# How long Powertools Parameters may serve a cached Slack secret or runbooks override (the README promises 5 min).
PARAMETER_MAX_AGE_SECONDS = 300
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,20}$")
_SLACK_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,20}$")
# Where reports of applied changes go (OPSBOT_RESULTS): ``channel`` — to the channel the command or button came
# from; ``ops`` — to OPSBOT_SLACK_CHANNEL (the requester gets a private copy when they are elsewhere);
# ``private`` — only to the person who made the change.
Results = Literal["channel", "ops", "private"]
RESULTS: tuple[Results, ...] = ("channel", "ops", "private")


class Role(IntEnum):
    """Ordered roles: a higher role may do everything a lower one may."""

    NONE = 0
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError as exc:
            raise ConfigError(f"unknown role {text!r}; expected none, viewer, operator or admin") from exc


@dataclass(frozen=True)
class RbacConfig:
    """Who may do what, and where. Keys are Slack user IDs (``U…``/``W…``) or user-group IDs (``S…``)."""

    users: Mapping[str, Role] = field(default_factory=dict)
    groups: Mapping[str, Role] = field(default_factory=dict)
    allowed_channels: frozenset[str] = frozenset()
    default_role: Role = Role.NONE

    @classmethod
    def from_json(cls, text: str) -> RbacConfig:
        """Parse ``{"admin": [ids], "operator": [ids], "viewer": [ids], "channels": [ids], "default": "viewer"}``."""
        try:
            raw = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConfigError(f"OPSBOT_RBAC is not valid JSON: {exc.msg} at position {exc.pos}") from exc
        if not isinstance(raw, dict):
            raise ConfigError("OPSBOT_RBAC must be a JSON object")
        unknown = set(raw) - {"admin", "operator", "viewer", "channels", "default"}
        if unknown:
            raise ConfigError(f"OPSBOT_RBAC has unknown keys: {', '.join(sorted(unknown))}")
        users: dict[str, Role] = {}
        groups: dict[str, Role] = {}
        for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN):  # ascending: the highest mention wins
            for slack_id in _id_list(raw.get(role.name.lower(), []), role.name.lower()):
                (groups if slack_id.startswith("S") else users)[slack_id] = role
        channels = frozenset(_id_list(raw.get("channels", []), "channels"))
        default = Role.parse(str(raw.get("default", "none")))
        if default > Role.VIEWER:
            raise ConfigError("OPSBOT_RBAC default role may be at most viewer")
        return cls(users=users, groups=groups, allowed_channels=channels, default_role=default)


def _command(text: str) -> tuple[str, ...]:
    """``OPSBOT_MIGRATION_COMMAND`` as the container command's words (shell quoting), or a ConfigError."""
    import shlex

    try:
        words = tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(f"OPSBOT_MIGRATION_COMMAND cannot be split into words: {exc}") from exc
    if len(words) > 64 or any(len(w) > 1000 for w in words):
        raise ConfigError("OPSBOT_MIGRATION_COMMAND is too long (at most 64 words of 1000 characters)")
    return words


def _id_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"OPSBOT_RBAC.{key} must be a list of Slack IDs")
    bad = [v for v in value if not _SLACK_ID.match(v)]
    if bad:
        raise ConfigError(f"OPSBOT_RBAC.{key} has values that are not Slack IDs: {', '.join(bad)}")
    return list(value)


@dataclass(frozen=True)
class Guardrails:
    """Bounds on capacity changes made by the bot."""

    floor: int = 2
    ceiling: int = 20
    max_step: int = 6
    confirm_above: int = 10
    max_temporary: timedelta = timedelta(hours=24)
    min_temporary: timedelta = timedelta(minutes=5)
    lock_ttl: timedelta = timedelta(minutes=5)
    confirmation_ttl: timedelta = timedelta(minutes=10)

    def validate(self) -> None:
        if not 1 <= self.floor <= self.ceiling:
            raise ConfigError(f"guardrails: need 1 <= floor ({self.floor}) <= ceiling ({self.ceiling})")
        if self.max_step < 1:
            raise ConfigError("guardrails: max step must be at least 1")
        if self.min_temporary > self.max_temporary:
            raise ConfigError("guardrails: the shortest temporary change is longer than the longest")


MAX_LAMBDA_RUN = timedelta(seconds=900)  # Lambda's largest timeout


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to know about its environment."""

    environment: str = "dev"
    region: str = HOME_REGION
    account_id: str = ""  # the bot acts only on its own account's alarms; from the function's ARN when unset
    cluster: str = "mycandidate"
    service: str = "web"
    db_instance: str = "mycandidate-db"
    alarm_prefix: str = "mycandidate-"
    baseline_min: int = 2
    baseline_max: int = 10
    operations_table: str = "opsbot-operations"
    audit_table: str = "opsbot-audit"  # append-only, a table of its own so IAM can forbid rewriting it
    # An operation whose pending record is older than this (the longest function timeout) and has no outcome was
    # cut short; the sweeper completes its record from what AWS says.
    sweep_after: timedelta = timedelta(minutes=15)
    idempotency_table: str = "opsbot-idempotency"
    slack_channel: str = ""
    slack_secret_id: str = ""
    # Where the AWS Parameters and Secrets Lambda Extension listens (template.yaml sets it with the extension's
    # layer); empty means the secret is read through the SDK. The request carries the session token, so outside dev
    # it may only be localhost.
    secrets_extension_url: str = ""
    slack_team_id: str = ""  # the one workspace served; empty (dev only) accepts any workspace
    slack_app_id: str = ""  # the Slack app's id (api_app_id); when set, requests naming another app are refused
    results: Results = "channel"  # see RESULTS: the team sees a change where it was made unless configured otherwise
    endpoint_override: bool = False
    slack_api_url: str = ""  # SLACK_API_URL: the offline stack's recorder; empty means Slack itself
    remediation_dry_run: bool = False
    flap_changes: int = 4
    flap_window: timedelta = timedelta(minutes=10)
    hourly_action_budget: int = 6
    runbooks_parameter: str = ""
    # The election calendar (opsbot.elections): an SSM parameter replacing the repository's calendar.yaml, how long
    # a window's capacity is held after it ends when nobody answers the scale-down question, and where the one-time
    # schedules that apply and lift the scale-in suspension live (the role Scheduler assumes to invoke the function).
    elections_parameter: str = ""
    scale_down_grace: timedelta = timedelta(hours=6)
    election_schedule_group: str = "default"
    election_schedule_role_arn: str = ""
    election_schedule_dlq_arn: str = ""  # where Scheduler keeps a wake-up it could not deliver ("": none)
    # Readiness thresholds (opsbot.elections.readiness): what a window needs from the database and the cache.
    cache_replication_group: str = "mycandidate-redis"
    db_max_connections: int = 410  # PostgreSQL on db.t3.medium: LEAST(DBInstanceClassMemory/9531392, 5000)
    readiness_connection_headroom_pct: int = 30  # connections in use must leave this share of the maximum free
    readiness_min_free_storage_gib: int = 20
    # Snapshots (opsbot.snapshots): the function that takes them and follows their progress, and retention.
    snapshots_function: str = ""
    snapshot_keep_newest: int = 14
    snapshot_min_age: timedelta = timedelta(days=7)
    snapshot_wait: timedelta = timedelta(minutes=14)  # how long the function follows one snapshot (timeout 15 min)
    snapshot_schedule_group: str = "default"  # where a nightly run moved out of a window is scheduled
    snapshot_schedule_role_arn: str = ""
    snapshot_schedule_dlq_arn: str = ""  # where Scheduler keeps a moved nightly run it could not deliver
    # Blue/green cutovers (opsbot.cutover): the lifecycle hook and the role ECS assumes to invoke it, the PAUSE
    # gate's timeout, the alarms that roll a deployment back, the container whose image a deploy changes, and how
    # fresh the pre-cutover snapshot must be.
    cutover_hook_arn: str = ""
    cutover_hook_role_arn: str = ""
    approval_timeout: timedelta = timedelta(minutes=30)
    rollback_alarm_suffixes: tuple[str, ...] = ("alb-5xx", "alb-unhealthy-hosts", "alb-response-time")
    web_container: str = "web"
    deploy_snapshot_max_age: timedelta = timedelta(hours=6)
    # The database migration a deploy runs at PRE_SCALE_UP (opsbot.cutover.migration); "" = none (the default).
    migration_command: tuple[str, ...] = ()
    rbac: RbacConfig = field(default_factory=RbacConfig)
    guardrails: Guardrails = field(default_factory=Guardrails)

    @property
    def scalable_resource_id(self) -> str:
        return f"service/{self.cluster}/{self.service}"

    @property
    def revert_action_name(self) -> str:
        """The single revert slot of earlier versions; the timeline of ``opsbot-capacity-*`` actions replaces it."""
        return f"opsbot-revert-{self.service}"

    @property
    def slack_api_base(self) -> str:
        return self.slack_api_url or "https://slack.com/api/"

    @property
    def service_key(self) -> str:
        return f"{self.cluster}/{self.service}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build and validate settings; raise ``ConfigError`` naming every problem at once."""
        problems: list[str] = []

        def integer(name: str, default: int) -> int:
            text = env.get(name, "")
            if not text:
                return default
            if not re.fullmatch(r"[0-9]{1,6}", text):
                problems.append(f"{name} must be a whole number, got {text!r}")
                return default
            return int(text)

        def flag(name: str) -> bool:
            text = env.get(name, "").strip().lower()
            if text not in {"", "true", "false", "1", "0", "yes", "no"}:
                problems.append(f"{name} must be true or false, got {env.get(name)!r}")
            return text in {"true", "1", "yes"}

        guardrails = Guardrails(
            floor=integer("OPSBOT_CAPACITY_FLOOR", 2),
            ceiling=integer("OPSBOT_CAPACITY_CEILING", 20),
            max_step=integer("OPSBOT_MAX_STEP", 6),
            confirm_above=integer("OPSBOT_CONFIRM_ABOVE", 10),
            max_temporary=timedelta(hours=integer("OPSBOT_MAX_TEMPORARY_HOURS", 24)),
        )
        results = env.get("OPSBOT_RESULTS", "").strip().lower() or "channel"
        if results not in RESULTS:
            problems.append(f"OPSBOT_RESULTS must be one of {', '.join(RESULTS)}, got {env.get('OPSBOT_RESULTS')!r}")
            results = "channel"
        try:
            rbac = RbacConfig.from_json(env.get("OPSBOT_RBAC", ""))
        except ConfigError as exc:
            problems.append(str(exc))
            rbac = RbacConfig()
        settings = cls(
            environment=env.get("OPSBOT_ENV", "dev"),
            region=env.get("OPSBOT_REGION") or env.get("AWS_REGION") or HOME_REGION,
            account_id=env.get("OPSBOT_ACCOUNT_ID", ""),
            cluster=env.get("OPSBOT_CLUSTER", "mycandidate"),
            service=env.get("OPSBOT_SERVICE", "web"),
            db_instance=env.get("OPSBOT_DB_INSTANCE", "mycandidate-db"),
            alarm_prefix=env.get("OPSBOT_ALARM_PREFIX", "mycandidate-"),
            baseline_min=integer("OPSBOT_BASELINE_MIN", 2),
            baseline_max=integer("OPSBOT_BASELINE_MAX", 10),
            operations_table=env.get("OPSBOT_OPERATIONS_TABLE", "opsbot-operations"),
            audit_table=env.get("OPSBOT_AUDIT_TABLE", "opsbot-audit"),
            sweep_after=timedelta(seconds=integer("OPSBOT_SWEEP_AFTER_SECONDS", 900)),
            idempotency_table=env.get("OPSBOT_IDEMPOTENCY_TABLE", "opsbot-idempotency"),
            slack_channel=env.get("OPSBOT_SLACK_CHANNEL", ""),
            slack_secret_id=env.get("OPSBOT_SLACK_SECRET_ID", ""),
            secrets_extension_url=env.get("OPSBOT_SECRETS_EXTENSION_URL", "").strip(),
            slack_team_id=env.get("OPSBOT_SLACK_TEAM_ID", "").strip(),
            slack_app_id=env.get("OPSBOT_SLACK_APP_ID", "").strip(),
            results=cast(Results, results),
            endpoint_override=any(v for k, v in env.items() if k.startswith("OPSBOT_AWS_ENDPOINT_URL")),
            slack_api_url=env.get("SLACK_API_URL", "").strip(),
            remediation_dry_run=flag("OPSBOT_REMEDIATION_DRY_RUN"),
            flap_changes=integer("OPSBOT_FLAP_CHANGES", 4),
            flap_window=timedelta(minutes=integer("OPSBOT_FLAP_WINDOW_MINUTES", 10)),
            hourly_action_budget=integer("OPSBOT_HOURLY_ACTION_BUDGET", 6),
            runbooks_parameter=env.get("OPSBOT_RUNBOOKS_PARAMETER", ""),
            elections_parameter=env.get("OPSBOT_ELECTIONS_PARAMETER", ""),
            scale_down_grace=timedelta(hours=integer("OPSBOT_SCALE_DOWN_GRACE_HOURS", 6)),
            election_schedule_group=env.get("OPSBOT_ELECTION_SCHEDULE_GROUP", "") or "default",
            election_schedule_role_arn=env.get("OPSBOT_ELECTION_SCHEDULE_ROLE_ARN", ""),
            election_schedule_dlq_arn=env.get("OPSBOT_ELECTION_SCHEDULE_DLQ_ARN", ""),
            cache_replication_group=env.get("OPSBOT_CACHE_REPLICATION_GROUP", "mycandidate-redis"),
            db_max_connections=integer("OPSBOT_DB_MAX_CONNECTIONS", 410),
            readiness_connection_headroom_pct=integer("OPSBOT_READINESS_CONNECTION_HEADROOM_PCT", 30),
            readiness_min_free_storage_gib=integer("OPSBOT_READINESS_MIN_FREE_STORAGE_GIB", 20),
            snapshots_function=env.get("OPSBOT_SNAPSHOTS_FUNCTION", ""),
            snapshot_keep_newest=integer("OPSBOT_SNAPSHOT_KEEP_NEWEST", 14),
            snapshot_min_age=timedelta(days=integer("OPSBOT_SNAPSHOT_MIN_AGE_DAYS", 7)),
            snapshot_wait=timedelta(seconds=integer("OPSBOT_SNAPSHOT_WAIT_SECONDS", 840)),
            snapshot_schedule_group=env.get("OPSBOT_SNAPSHOT_SCHEDULE_GROUP", "") or "default",
            snapshot_schedule_role_arn=env.get("OPSBOT_SNAPSHOT_SCHEDULE_ROLE_ARN", ""),
            snapshot_schedule_dlq_arn=env.get("OPSBOT_SNAPSHOT_SCHEDULE_DLQ_ARN", ""),
            cutover_hook_arn=env.get("OPSBOT_CUTOVER_HOOK_ARN", ""),
            cutover_hook_role_arn=env.get("OPSBOT_CUTOVER_HOOK_ROLE_ARN", ""),
            approval_timeout=timedelta(minutes=integer("OPSBOT_APPROVAL_TIMEOUT_MINUTES", 30)),
            web_container=env.get("OPSBOT_WEB_CONTAINER", "") or "web",
            deploy_snapshot_max_age=timedelta(hours=integer("OPSBOT_DEPLOY_SNAPSHOT_MAX_AGE_HOURS", 6)),
            migration_command=_command(env.get("OPSBOT_MIGRATION_COMMAND", "")),
            rbac=rbac,
            guardrails=guardrails,
        )
        problems.extend(settings.problems())
        if problems:
            raise ConfigError("invalid opsbot configuration: " + "; ".join(problems))
        return settings

    def problems(self) -> list[str]:
        """Cross-field checks: residency, guardrail sanity, production hardening."""
        found: list[str] = []
        if self.account_id and not re.fullmatch(r"[0-9]{12}", self.account_id):
            found.append(f"OPSBOT_ACCOUNT_ID must be a 12-digit AWS account ID, got {self.account_id!r}")
        if self.environment not in {"dev", "staging", "prod"}:
            found.append(f"OPSBOT_ENV must be dev, staging or prod, got {self.environment!r}")
        if not 1 <= self.scale_down_grace.total_seconds() / 3600 <= 48:
            found.append("OPSBOT_SCALE_DOWN_GRACE_HOURS must be between 1 and 48")
        if not 0 <= self.readiness_connection_headroom_pct <= 90:
            found.append("OPSBOT_READINESS_CONNECTION_HEADROOM_PCT must be between 0 and 90")
        if self.db_max_connections < 1:
            found.append("OPSBOT_DB_MAX_CONNECTIONS must be at least 1")
        if self.sweep_after < MAX_LAMBDA_RUN:
            # Shorter, and the sweeper could complete the record of an operation that is still running.
            seconds = int(self.sweep_after.total_seconds())
            found.append(f"OPSBOT_SWEEP_AFTER_SECONDS must be at least 900 (the longest a Lambda runs), got {seconds}")
        if self.environment == "prod" and self.region != HOME_REGION:
            found.append(f"prod must run in {HOME_REGION} (data residency), got {self.region}")
        if self.environment == "prod" and self.endpoint_override:
            found.append("prod must talk to the real regional AWS endpoints; unset OPSBOT_AWS_ENDPOINT_URL*")
        if self.environment != "dev" and not self.slack_secret_id:
            found.append("OPSBOT_SLACK_SECRET_ID is required outside dev (no Slack secrets in environment variables)")
        found.extend(self._slack_problems())
        found.extend(self._secrets_extension_problems())
        try:
            self.guardrails.validate()
        except ConfigError as exc:
            found.append(str(exc))
        g = self.guardrails
        if not g.floor <= self.baseline_min <= self.baseline_max <= g.ceiling:
            found.append(
                f"baseline {self.baseline_min}..{self.baseline_max} must lie within guardrails {g.floor}..{g.ceiling}"
            )
        return found

    def _secrets_extension_problems(self) -> list[str]:
        url = self.secrets_extension_url
        if not url:
            return []
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname or parsed.path not in ("", "/") or parsed.query:
            return [f"OPSBOT_SECRETS_EXTENSION_URL must be http://host:port, got {url!r}"]
        if self.environment != "dev" and parsed.hostname not in ("localhost", "127.0.0.1"):
            # The request carries the function's session token: it must not leave the execution environment.
            return [f"OPSBOT_SECRETS_EXTENSION_URL must be on localhost outside dev, got {url!r}"]
        return []

    def _slack_problems(self) -> list[str]:
        found: list[str] = []
        if self.slack_team_id and not _SLACK_TEAM_ID.match(self.slack_team_id):
            found.append(f"OPSBOT_SLACK_TEAM_ID must be a Slack workspace ID (T...), got {self.slack_team_id!r}")
        # Staging too: it is as reachable from the internet as prod, and the signing secret belongs to the Slack app,
        # not the workspace, so every other workspace the app gets installed in sends requests that pass the check.
        if self.environment != "dev" and not self.slack_team_id:
            found.append("OPSBOT_SLACK_TEAM_ID is required outside dev (else any workspace with the app is served)")
        if self.results == "ops" and not self.slack_channel:
            found.append("OPSBOT_RESULTS=ops needs OPSBOT_SLACK_CHANNEL (the ops channel the results are posted to)")
        if self.environment != "prod":
            return found
        if self.slack_api_url:
            found.append("prod must talk to the real Slack API; unset SLACK_API_URL")
        if not self.rbac.allowed_channels:
            found.append("prod needs OPSBOT_RBAC.channels (with none, commands are accepted in every channel)")
        if not self.slack_channel:
            found.append("prod needs OPSBOT_SLACK_CHANNEL (without it incidents are dropped with only a log line)")
        elif self.rbac.allowed_channels and self.slack_channel not in self.rbac.allowed_channels:
            found.append(
                f"OPSBOT_SLACK_CHANNEL {self.slack_channel} is not in OPSBOT_RBAC.channels"
                " (the buttons on its incident messages would be refused)"
            )
        return found
