"""Cached factories that build the real adapters from settings. The only place that wires boto3 to logic."""

from __future__ import annotations

import os
from functools import lru_cache

from opsbot.commands.base import Ports
from opsbot.config import Settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Validated once per cold start; a bad configuration fails loudly here, naming every problem."""
    return Settings.from_env(os.environ)


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
            client("application-autoscaling", region), config.scalable_resource_id, f"opsbot-revert-{config.service}"
        ),
        service=EcsServiceGateway(client("ecs", region), config.cluster, config.service),
        alarms=AlarmsGateway(client("cloudwatch", region), config.alarm_prefix),
        snapshots=SnapshotsGateway(client("rds", region), config.db_instance),
        audit=store,
        locks=store,
        confirmations=store,
    )
