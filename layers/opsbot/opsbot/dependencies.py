"""Cached factories that build the real adapters from settings. The only place that wires boto3 to logic."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from opsbot.commands.base import Ports
from opsbot.config import PARAMETER_MAX_AGE_SECONDS, Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from opsbot.alarms.remediation import RemediationPorts, Remediator
    from opsbot.alarms.runbooks import Runbook, RunbookSource
    from opsbot.alarms.watch import Watch
    from opsbot.aws.election_holds import ElectionHolds
    from opsbot.aws.remediation import RemediationStore
    from opsbot.cutover.tracker import Tracker
    from opsbot.elections.ports import ElectionEntriesPort
    from opsbot.elections.scaler import ElectionScaler
    from opsbot.elections.sources import Calendar
    from opsbot.idempotency import Once
    from opsbot.operations.sweeper import Sweeper
    from opsbot.ports import IncidentNotifierPort
    from opsbot.slack.credentials import CredentialsSource
    from opsbot.snapshots.jobs import SnapshotJobs


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Validated once per cold start; a bad configuration fails loudly here, naming every problem."""
    return Settings.from_env(os.environ)


def own_account(config: Settings, function_arn: str) -> Settings:
    """``config`` with the bot's own account: configured, or read from the invoked function's ARN
    (``arn:aws:lambda:<region>:<account>:function:<name>[:alias]``). Empty when neither says."""
    if config.account_id:
        return config
    from opsbot.logic.arns import region_and_account

    _, account = region_and_account(function_arn)
    return replace(config, account_id=account if account.isdigit() else "")


def build_ports(config: Settings) -> Ports:
    """AWS-backed ports. Imported lazily so that acknowledging a Slack request never loads boto3 models."""
    from opsbot.aws.audit import AuditStore
    from opsbot.aws.capacity import ScalableTargetGateway
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.deployments import Deployments
    from opsbot.aws.ecs import EcsServiceGateway
    from opsbot.aws.elections import ElectionEntries
    from opsbot.aws.intents import IntentStore
    from opsbot.aws.monitoring import AlarmsGateway, SnapshotsGateway
    from opsbot.aws.rds_snapshots import RdsSnapshots
    from opsbot.aws.readiness import ReadinessReads
    from opsbot.aws.snapshot_jobs import SnapshotJobs
    from opsbot.aws.store import OperationsStore
    from opsbot.aws.suspension import ScaleInSuspension

    region = config.region
    store = OperationsStore(
        lazy_client("dynamodb", region),
        config.operations_table,
        lock_ttl=config.guardrails.lock_ttl,
        confirmation_ttl=config.guardrails.confirmation_ttl,
    )
    entries = ElectionEntries(lazy_client("dynamodb", region), config.operations_table)
    return Ports(
        capacity=ScalableTargetGateway(lazy_client("application-autoscaling", region), config.scalable_resource_id),
        service=EcsServiceGateway(lazy_client("ecs", region), config.cluster, config.service),
        alarms=AlarmsGateway(lazy_client("cloudwatch", region), config.alarm_prefix),
        snapshots=SnapshotsGateway(lazy_client("rds", region), config.db_instance),
        audit=AuditStore(lazy_client("dynamodb", region), config.audit_table),
        locks=store,
        confirmations=store,
        intents=IntentStore(lazy_client("dynamodb", region), config.operations_table, config.service_key),
        remediation=remediation_state(config),
        calendar=election_calendar(config, entries),
        elections=entries,
        holds=election_holds(config),
        suspension=ScaleInSuspension(lazy_client("application-autoscaling", region), config.scalable_resource_id),
        readiness=ReadinessReads(
            lazy_client("cloudwatch", region),
            lazy_client("elasticache", region),
            lazy_client("service-quotas", region),
            alarm_prefix=config.alarm_prefix,
            db_instance=config.db_instance,
            cache_group=config.cache_replication_group,
        ),
        rds=RdsSnapshots(lazy_client("rds", region), config.db_instance),
        snapshot_jobs=SnapshotJobs(lazy_client("lambda", region), config.snapshots_function),
        deployments=Deployments(lazy_client("ecs", region), lazy_client("ecr", region), config.cluster, config.service),
    )


def build_remediation_ports(config: Settings, notifier: IncidentNotifierPort | None) -> RemediationPorts:
    from opsbot.alarms.remediation import RemediationPorts
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.ecs import EcsServiceGateway
    from opsbot.aws.monitoring import AlarmSilenceGateway

    commands = build_ports(config)
    assert commands.remediation is not None  # build_ports always wires it
    return RemediationPorts(
        commands=commands,
        deployments=EcsServiceGateway(lazy_client("ecs", config.region), config.cluster, config.service),
        state=commands.remediation,
        notifier=notifier,
        silence=AlarmSilenceGateway(lazy_client("cloudwatch", config.region)),
    )


def remediation_state(config: Settings) -> RemediationStore:
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.remediation import RemediationStore

    return RemediationStore(lazy_client("dynamodb", config.region), config.operations_table, config.flap_window)


def load_runbooks(config: Settings) -> tuple[Runbook, ...]:
    """The runbooks in force now, read once (tools and tests); the alarm function keeps a ``runbook_source``."""
    return runbook_source(config)()


def runbook_source(config: Settings) -> RunbookSource:
    """The repository's runbooks, or the SSM parameter that overrides them, read through one Powertools
    provider per source (its cache honours ``max_age``, 5 minutes) and re-validated when the text changes."""
    from opsbot.alarms.runbooks import RunbookSource, load_default_text

    placeholders = {"cluster": config.cluster, "service": config.service, "db_instance": config.db_instance}
    name = config.runbooks_parameter
    if not name:
        default = load_default_text()
        return RunbookSource(lambda: default, placeholders, "the repository's runbooks.yaml")
    return RunbookSource(_parameter_reader(config, name), placeholders, f"SSM parameter {name}")


def election_calendar(config: Settings, entries: ElectionEntriesPort) -> Calendar:
    """The calendar in force: the repository's ``calendar.yaml`` or the SSM parameter replacing it (read through
    a Powertools provider, ``max_age`` 5 minutes, kept at its last good version), merged with the Slack entries."""
    from opsbot.elections.calendar import calendar_source, load_default_text
    from opsbot.elections.sources import Calendar

    ceiling = config.guardrails.ceiling
    name = config.elections_parameter
    if not name:
        default = load_default_text()
        repository = calendar_source(lambda: default, ceiling=ceiling, origin="the repository's calendar.yaml")
    else:
        repository = calendar_source(_parameter_reader(config, name), ceiling=ceiling, origin=f"SSM parameter {name}")
    return Calendar(repository, entries, ceiling=ceiling, holds=election_holds(config), grace=config.scale_down_grace)


def election_holds(config: Settings) -> ElectionHolds:
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.election_holds import ElectionHolds

    return ElectionHolds(lazy_client("dynamodb", config.region), config.operations_table)


def _parameter_reader(config: Settings, name: str) -> Callable[[], str]:
    """Reads one SSM parameter through a Powertools provider built on first read (its cache honours ``max_age``)."""
    provider: list[SSMProvider] = []

    def read() -> str:
        if not provider:
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            from opsbot.aws.clients import client

            provider.append(SSMProvider(boto3_client=client("ssm", config.region)))
        return str(provider[0].get(name, max_age=PARAMETER_MAX_AGE_SECONDS))

    return read


def build_election_scaler(
    config: Settings, function_arn: str, clock: Callable[[], datetime] | None = None
) -> ElectionScaler:
    """The election reconciler. Its wake-ups invoke ``function_arn`` itself through the role Scheduler assumes.
    ``clock``: what the audit trail's times come from (the offline stack's replica clock; else the real one)."""
    from datetime import UTC

    from opsbot.aws.clients import lazy_client
    from opsbot.aws.suspension import ScaleInSuspension
    from opsbot.aws.wake_ups import WakeUpSchedules
    from opsbot.capacity.core import CapacityCore
    from opsbot.elections.scaler import ElectionScaler, ScalerPorts
    from opsbot.operations.runner import OperationRunner
    from opsbot.slack.credentials import CredentialsSource
    from opsbot.slack.election_reports import render
    from opsbot.slack.incidents import SlackIncidentNotifier, incident_client

    ports = build_ports(config)
    assert ports.calendar is not None
    source = CredentialsSource(config)
    notifier = SlackIncidentNotifier(
        incident_client(config.slack_api_base), config.slack_channel, token=lambda: source.get().bot_token
    )
    from opsbot.commands.readiness import sources
    from opsbot.elections.readiness import readiness
    from opsbot.logic.arns import unqualified_function

    target = unqualified_function(function_arn)
    core = CapacityCore(config, ports.capacity, ports.intents)
    readiness_sources = sources(config, core, ports)
    scaler_ports = ScalerPorts(
        core=core,
        calendar=ports.calendar,
        suspension=ScaleInSuspension(
            lazy_client("application-autoscaling", config.region), config.scalable_resource_id
        ),
        wake_ups=WakeUpSchedules(
            lazy_client("scheduler", config.region),
            config.election_schedule_group,
            target,
            config.election_schedule_role_arn,
            dead_letter_arn=config.election_schedule_dlq_arn,
        ),
        holds=election_holds(config),
        notifier=notifier,
        scheduled_actions=ports.capacity.scheduled_actions,
        readiness=lambda election, elections, now, trigger: readiness(
            election, elections, readiness_sources, now, trigger
        ),
        snapshots=ports.snapshot_jobs,
    )
    runner = OperationRunner(config, ports.audit, ports.locks, clock=clock or (lambda: datetime.now(UTC)))
    return ElectionScaler(runner, scaler_ports, service=config.service_key, channel=config.slack_channel, render=render)


def build_snapshot_jobs(
    config: Settings, function_arn: str, clock: Callable[[], datetime] | None = None
) -> SnapshotJobs:
    """The snapshots function's jobs. A moved nightly run is a one-time schedule that invokes ``function_arn``.
    ``clock``: the offline stack's replica clock; else the real one."""
    from datetime import UTC

    from opsbot.aws.clients import lazy_client
    from opsbot.aws.snapshot_progress import SnapshotProgress
    from opsbot.aws.wake_ups import WakeUpSchedules
    from opsbot.logic.arns import unqualified_function
    from opsbot.operations.runner import OperationRunner
    from opsbot.slack.credentials import CredentialsSource
    from opsbot.slack.incidents import SlackIncidentNotifier, incident_client
    from opsbot.slack.snapshot_views import progress, report
    from opsbot.snapshots.jobs import JobPorts, Render, SnapshotJobs

    ports = build_ports(config)
    assert ports.rds is not None
    source = CredentialsSource(config)
    web = incident_client(config.slack_api_base)

    def notifier(channel: str) -> IncidentNotifierPort:
        return SlackIncidentNotifier(web, channel, token=lambda: source.get().bot_token)

    def windows_close() -> dict[str, datetime]:
        from opsbot.elections.calendar import windows_close as closing

        return {} if ports.calendar is None else closing(ports.calendar.elections())

    moves = WakeUpSchedules(
        lazy_client("scheduler", config.region), config.snapshot_schedule_group, unqualified_function(function_arn),
        config.snapshot_schedule_role_arn, prefix="opsbot-snapshot-", dead_letter_arn=config.snapshot_schedule_dlq_arn,
        payload={"opsbot": "snapshot-nightly", "scheduled_at": "<aws.scheduler.scheduled-time>"},
        description="opsbot: the nightly snapshot, moved out of the database's backup or maintenance window",
    )  # fmt: skip
    job_ports = JobPorts(
        rds=ports.rds,
        progress=SnapshotProgress(lazy_client("dynamodb", config.region), config.operations_table),
        notifier=notifier,
        windows_close=windows_close,
        moves=moves if moves.configured else None,
    )
    now = clock or (lambda: datetime.now(UTC))
    runner = OperationRunner(config, ports.audit, ports.locks, clock=now)
    return SnapshotJobs(runner, job_ports, config, now, Render(progress, report))


def build_watch(config: Settings, remediator: Remediator, once: Once) -> Watch:
    """The watch run: re-evaluation of alarms left waiting, and the sweeper; reports go to the ops channel."""
    from datetime import UTC, datetime

    from opsbot.alarms.watch import Watch
    from opsbot.aws.clients import lazy_client
    from opsbot.aws.monitoring import AlarmStatesGateway

    clock = partial(datetime.now, UTC)
    sweeper = build_sweeper(config, remediator, clock)

    def gates() -> bool:
        tracker = build_tracker(config, remediator)
        return tracker is not None and tracker.follow() > 0

    states = AlarmStatesGateway(lazy_client("cloudwatch", config.region))
    return Watch(remediator, remediator.ports.state, states, sweeper, once, clock, gates=gates)


def build_sweeper(config: Settings, remediator: Remediator, clock: Callable[[], datetime]) -> Sweeper:
    """The sweeper of operations cut short, reporting to the ops channel."""
    from opsbot.operations.sweeper import Evidence, Sweeper, Swept
    from opsbot.slack.operations import render_swept

    ports = remediator.ports
    commands = ports.commands

    def report(swept: Swept) -> None:
        if ports.notifier is not None:
            ports.notifier.post(render_swept(swept))

    evidence: dict[str, Evidence] = {}
    if commands.rds is not None:
        from opsbot.snapshots.sweep import snapshot_evidence

        evidence["snapshot"] = partial(snapshot_evidence, commands.rds)
    if commands.deployments is not None:
        from opsbot.cutover.sweep import deploy_evidence, gate_evidence

        evidence["deploy"] = partial(deploy_evidence, commands.deployments, confirmations=commands.confirmations)
        evidence["cutover"] = partial(gate_evidence, commands.deployments)
    if commands.holds is not None:
        from opsbot.commands.scale_down import scale_down_evidence

        evidence["scale-down"] = partial(scale_down_evidence, commands.holds)
    return Sweeper(config, commands.audit, commands.locks, commands.capacity, commands.intents, clock, report, evidence)


def build_tracker(config: Settings, remediator: Remediator) -> Tracker | None:
    """The deployments' Slack threads (ECS events, and the watch run's poll); None without Slack or deployments."""
    from datetime import UTC, datetime

    from opsbot.aws.clients import lazy_client
    from opsbot.aws.deployment_threads import DeploymentThreads
    from opsbot.cutover.tracker import Render, Tracker
    from opsbot.slack.cutover_views import thread_gate, thread_line, thread_top

    ports = remediator.ports
    commands = ports.commands
    if commands.deployments is None or ports.notifier is None:
        return None
    return Tracker(
        commands.deployments, DeploymentThreads(lazy_client("dynamodb", config.region), config.operations_table),
        ports.notifier, commands.audit, commands.confirmations, Render(thread_top, thread_line, thread_gate),
        config.region, partial(datetime.now, UTC),
    )  # fmt: skip


def build_remediator(config: Settings, credentials: CredentialsSource | None = None) -> Remediator:
    """Nothing Slack is read here: the notifier asks ``credentials`` for the bot token before each message, so
    an unreadable secret costs the Slack report (audited), never the remediation."""
    from datetime import UTC, datetime

    from opsbot.alarms.remediation import Remediator
    from opsbot.slack.credentials import CredentialsSource
    from opsbot.slack.incidents import (
        SlackIncidentNotifier,
        incident_client,
        render_incident,
        render_recovery,
        render_recovery_reply,
    )

    source = credentials or CredentialsSource(config)
    notifier = SlackIncidentNotifier(
        incident_client(config.slack_api_base), config.slack_channel, token=lambda: source.get().bot_token
    )
    return Remediator(
        config,
        runbook_source(config),
        build_remediation_ports(config, notifier),
        clock=lambda: datetime.now(UTC),
        render=render_incident,
        render_recovery=render_recovery,
        render_reply=render_recovery_reply,
    )
