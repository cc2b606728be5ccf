"""Every AWS operation the bot calls, per service: by its own adapters and by the libraries it hands its clients to.

No imports, on purpose: ``scripts/trim_botocore.py`` loads this file by path with whatever ``python3`` builds the
dependencies layer, and cuts botocore's models of these services to exactly these operations (and their
paginators). An operation missing here is missing from the deployed SDK, so ``tests/conftest.py`` fails the test
session when a test calls one that is not listed. ``opsbot.aws.clients.check_operations`` checks each client built
has them all.
"""

REQUIRED_OPERATIONS: dict[str, tuple[str, ...]] = {
    "application-autoscaling": (
        "describe_scalable_targets",
        "register_scalable_target",
        "describe_scheduled_actions",  # also paginated
        "put_scheduled_action",
        "delete_scheduled_action",
    ),
    "cloudwatch": ("describe_alarms", "list_alarm_mute_rules", "get_metric_data"),  # all three also paginated
    "dynamodb": (
        "get_item",
        "batch_get_item",  # the readiness report's mutes
        "put_item",
        "delete_item",
        "query",  # also paginated
        "transact_write_items",
        "update_item",  # Powertools idempotency (with get_item, put_item, delete_item)
    ),
    "elasticache": ("describe_replication_groups",),  # the readiness report
    "elbv2": ("describe_rules",),  # the cutover analysis: which target group the test listener rule sends to
    "ecs": (
        "describe_services",
        "describe_task_definition",
        "update_service",
        "list_service_deployments",
        "stop_service_deployment",
        "register_task_definition",  # `deploy`: the new revision
        "describe_service_deployments",  # `cutover`, `rollback`, the pause gate
        "continue_service_deployment",
        "run_task",  # the optional migration at PRE_SCALE_UP
        "describe_tasks",
    ),
    "ecr": ("describe_images",),  # `deploy`: the image exists, and its scan
    "lambda": ("invoke",),  # the lazy self-invocation where no credentials are in the environment (a dev profile)
    # describe_db_snapshots is also paginated and the db_snapshot_available waiter's operation.
    "rds": (
        "describe_db_snapshots",
        "create_db_snapshot",
        "delete_db_snapshot",
        "describe_db_instances",
        "describe_account_attributes",
        "describe_db_snapshot_attributes",
        "add_tags_to_resource",
        "remove_tags_from_resource",
    ),
    # The election reconciler's one-time wake-ups (list_schedules also paginated).
    "scheduler": ("create_schedule", "delete_schedule", "list_schedules"),
    "secretsmanager": ("get_secret_value",),  # Powertools SecretsProvider.get
    # The readiness report's Fargate vCPU quota (the default where none was applied to the account).
    "service-quotas": ("get_service_quota", "get_aws_default_service_quota"),
    "ssm": ("get_parameter",),  # Powertools SSMProvider.get
}
