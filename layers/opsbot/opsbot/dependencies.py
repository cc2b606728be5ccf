"""Cached factories that build the real adapters from settings. The only place that wires boto3 to logic."""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from opsbot.commands.base import Ports
from opsbot.config import Settings

if TYPE_CHECKING:
    from opsbot.alarms.remediation import RemediationPorts, Remediator
    from opsbot.alarms.runbooks import Runbook
    from opsbot.aws.remediation_store import RemediationStore
    from opsbot.ports import IncidentNotifierPort


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
    from opsbot.aws.capacity import ScalableTargetGateway
    from opsbot.aws.clients import client
    from opsbot.aws.ecs import EcsServiceGateway
    from opsbot.aws.monitoring import AlarmsGateway, SnapshotsGateway
    from opsbot.aws.store import OperationsStore

    region = config.region
    store = OperationsStore(
        client("dynamodb", region),
        config.operations_table,
        lock_ttl=config.guardrails.lock_ttl,
        confirmation_ttl=config.guardrails.confirmation_ttl,
    )
    return Ports(
        capacity=ScalableTargetGateway(
            client("application-autoscaling", region), config.scalable_resource_id, config.revert_action_name
        ),
        service=EcsServiceGateway(client("ecs", region), config.cluster, config.service),
        alarms=AlarmsGateway(client("cloudwatch", region), config.alarm_prefix),
        snapshots=SnapshotsGateway(client("rds", region), config.db_instance),
        audit=store,
        locks=store,
        confirmations=store,
        remediation=remediation_state(config),
    )


def build_remediation_ports(config: Settings, notifier: IncidentNotifierPort | None) -> RemediationPorts:
    from opsbot.alarms.remediation import RemediationPorts
    from opsbot.aws.clients import client
    from opsbot.aws.ecs import EcsServiceGateway
    from opsbot.aws.monitoring import AlarmSilenceGateway, SnapshotMaker

    commands = build_ports(config)
    assert commands.remediation is not None  # build_ports always wires it
    return RemediationPorts(
        commands=commands,
        deployments=EcsServiceGateway(client("ecs", config.region), config.cluster, config.service),
        snapshots=SnapshotMaker(client("rds", config.region), config.db_instance),
        state=commands.remediation,
        notifier=notifier,
        silence=AlarmSilenceGateway(client("cloudwatch", config.region)),
    )


def remediation_state(config: Settings) -> RemediationStore:
    from opsbot.aws.clients import client
    from opsbot.aws.remediation_store import RemediationStore

    return RemediationStore(client("dynamodb", config.region), config.operations_table, config.flap_window)


def load_runbooks(config: Settings) -> tuple[Runbook, ...]:
    """The repository's runbooks, or the SSM parameter that overrides them; validated, or ``ConfigError``."""
    from opsbot.alarms.runbooks import load_default_text, parse_runbooks

    text = load_default_text()
    if config.runbooks_parameter:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        from opsbot.aws.clients import client

        text = str(SSMProvider(boto3_client=client("ssm", config.region)).get(config.runbooks_parameter, max_age=300))
    placeholders = {"cluster": config.cluster, "service": config.service, "db_instance": config.db_instance}
    return parse_runbooks(text, placeholders)


def build_remediator(config: Settings) -> Remediator:
    from datetime import UTC, datetime

    from slack_sdk import WebClient

    from opsbot.alarms.remediation import Remediator
    from opsbot.slack.credentials import load_credentials
    from opsbot.slack.incidents import SlackIncidentNotifier, render_incident, render_recovery, render_recovery_reply

    credentials = load_credentials(config)
    web = WebClient(token=credentials.bot_token, base_url=config.slack_api_base)
    return Remediator(
        config,
        load_runbooks(config),
        build_remediation_ports(config, SlackIncidentNotifier(web, config.slack_channel)),
        clock=lambda: datetime.now(UTC),
        render=render_incident,
        render_recovery=render_recovery,
        render_reply=render_recovery_reply,
    )
