"""The offline stack in one process: an embedded moto server seeded with the MyCandidate replica, the
opsbot tables and Slack secret, a Slack recorder, and the real Slack handler whose lazy self-invocations
are delivered back to it in-process (exactly what Lambda does with an ``InvocationType=Event`` call).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any
from unittest.mock import patch

import boto3
from moto.server import ThreadedMotoServer

from devtools import moto_cloudwatch, moto_ecs, moto_ecs_tasks, moto_rds, moto_servicequotas
from devtools.lambda_context import CapturingLambdaClient, FakeLambdaContext
from devtools.replica import ReplicaSpec, seed_replica
from devtools.replica.autoscaling import AutoScaling
from devtools.replica.clock import ReplicaClock
from devtools.replica.deployments import Deployments
from devtools.replica.ecs import Tasks
from devtools.replica.metrics import Metrics
from devtools.replica.rds import Snapshots
from devtools.replica.scheduler import Scheduler
from devtools.slack_recorder import SlackRecorder
from devtools.slack_requests import DEFAULT_TEAM, api_gateway_event, block_action_body, slash_command_body
from opsbot import dependencies
from opsbot.aws.snapshot_jobs import SnapshotJobs
from opsbot.config import Settings
from opsbot.idempotency import current_lambda_context, exactly_once
from opsbot.observability import logger
from opsbot.slack.app import build_app
from opsbot.slack.credentials import SlackCredentials
from opsbot.slack.entry import SlackEndpoint
from opsbot.slack.lambda_adapter import LambdaRequestHandler, SelfInvokingLazyRunner

REGION = "af-south-1"
ACCOUNT = "123456789012"  # moto's default account, and the account of every event in events/
SIGNING_SECRET = "local-signing-secret-not-for-production"
BOT_TOKEN = "xoxb-local-offline-token"
OPS_CHANNEL = "C0OPS"
ADMIN, OPERATOR, VIEWER, STRANGER = "U0ADMIN", "U0OPERATOR", "U0VIEWER", "U0STRANGER"
LOCAL_RBAC = {"admin": [ADMIN], "operator": [OPERATOR], "viewer": [VIEWER], "channels": [OPS_CHANNEL]}


def local_env(endpoint: str, slack_api_url: str) -> dict[str, str]:
    """Environment for the bot against the offline stack (what ``template.yaml`` sets in AWS)."""
    return {
        "OPSBOT_ENV": "dev",
        "OPSBOT_REGION": REGION,
        "OPSBOT_ACCOUNT_ID": ACCOUNT,
        "OPSBOT_AWS_ENDPOINT_URL": endpoint,
        "OPSBOT_RBAC": json.dumps(LOCAL_RBAC),
        "OPSBOT_SLACK_APP_ID": "A0OPSBOT",  # devtools.slack_requests' api_app_id
        "OPSBOT_SLACK_SECRET_ID": "mycandidate-opsbot/dev/slack",
        "OPSBOT_SLACK_CHANNEL": OPS_CHANNEL,
        # Snapshots are handed to the snapshots function in this process (LocalStack.on_snapshot_job), which
        # looks once and then leaves the rest to the replica's RDS events.
        "OPSBOT_SNAPSHOTS_FUNCTION": "mycandidate-opsbot-snapshots",
        "OPSBOT_SNAPSHOT_WAIT_SECONDS": "0",
        # Where `deploy` points the service's lifecycle hook (the function runs in this process when a test calls it).
        "OPSBOT_CUTOVER_HOOK_ARN": "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-cutover-hooks",
        "OPSBOT_CUTOVER_HOOK_ROLE_ARN": "arn:aws:iam::123456789012:role/mycandidate-opsbot-CutoverHookInvokeRole",
        "OPSBOT_SLACK_TEAM_ID": DEFAULT_TEAM,
        "SLACK_API_URL": slack_api_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "MyCandidateOpsbot",
        "POWERTOOLS_SERVICE_NAME": "mycandidate-opsbot",
    }


def create_bot_resources(session: boto3.session.Session, endpoint: str | None, settings: Settings) -> None:
    """What ``template.yaml`` creates for the bot itself: its three tables and the Slack secret."""
    dynamodb = session.client("dynamodb", region_name=settings.region, endpoint_url=endpoint)
    existing = set(dynamodb.list_tables()["TableNames"])
    for table in (settings.operations_table, settings.audit_table):
        if table not in existing:
            dynamodb.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            )
    if settings.idempotency_table not in existing:
        dynamodb.create_table(
            TableName=settings.idempotency_table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
    secrets = session.client("secretsmanager", region_name=settings.region, endpoint_url=endpoint)
    if settings.slack_secret_id:
        value = json.dumps({"signing_secret": SIGNING_SECRET, "bot_token": BOT_TOKEN})
        try:
            secrets.create_secret(Name=settings.slack_secret_id, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=settings.slack_secret_id, SecretString=value)


@dataclass
class LocalBot:
    """The real Bolt handler with an in-process lazy runner. ``send`` returns the ack; lazy work runs after."""

    settings: Settings
    clock: Any = None
    lambda_client: CapturingLambdaClient = field(default_factory=CapturingLambdaClient)
    after: Callable[[], None] | None = None  # run after each request and its lazy work (the replica settles)

    def __post_init__(self) -> None:
        credentials = SlackCredentials(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
        kwargs = {"clock": self.clock} if self.clock else {}
        app = build_app(
            self.settings,
            credentials,
            ports=cache(partial(dependencies.build_ports, self.settings)),
            once=exactly_once(self.settings),
            **kwargs,
        )
        self.handler = LambdaRequestHandler(app, SelfInvokingLazyRunner(logger, lambda: self.lambda_client))
        # What the function runs: the request check, then Bolt.
        self.endpoint = SlackEndpoint(self.handler, SIGNING_SECRET, self.settings.slack_app_id)

    def send(self, event: dict[str, Any], run_lazy: bool = True) -> dict[str, Any]:
        response = self._handle(event)
        if run_lazy:
            self.run_lazy()
        if self.after is not None:
            self.after()
        return response

    def run_lazy(self) -> int:
        delivered = 0
        while self.lambda_client.payloads:
            self._handle(self.lambda_client.payloads.pop(0))
            delivered += 1
        return delivered

    def _handle(self, event: dict[str, Any]) -> dict[str, Any]:
        token = current_lambda_context.set(FakeLambdaContext())
        try:
            response = self.endpoint(event, current_lambda_context.get())
        finally:
            current_lambda_context.reset(token)
        return response

    def command(
        self, text: str, user: str, channel: str = OPS_CHANNEL, *, response_url: str, **kw: Any
    ) -> dict[str, Any]:
        body = slash_command_body(text, user_id=user, channel_id=channel, response_url=response_url)
        return self.send(api_gateway_event(body, SIGNING_SECRET), **kw)

    def click(
        self, action_id: str, value: str, user: str, channel: str = OPS_CHANNEL, *, response_url: str
    ) -> dict[str, Any]:
        body = block_action_body(action_id, value, user_id=user, channel_id=channel, response_url=response_url)
        return self.send(api_gateway_event(body, SIGNING_SECRET))


@dataclass
class LocalStack:
    endpoint: str
    session: boto3.session.Session
    recorder: SlackRecorder
    settings: Settings
    replica: Any
    clock: ReplicaClock = field(default_factory=ReplicaClock)
    # Where due one-time Scheduler schedules go: (schedule name, its target's input). By default they are kept in
    # ``delivered``; the demo points it at the election function run in-process.
    on_schedule: Callable[[str, Any], None] | None = None
    delivered: list[tuple[str, Any]] = field(default_factory=list)
    # Where the replica's RDS snapshot events go (EventBridge's "RDS DB Snapshot Event"); kept in ``rds_events``.
    on_rds_event: Callable[[dict[str, Any]], None] | None = None
    rds_events: list[dict[str, Any]] = field(default_factory=list)
    # Where the bot's hand-overs to the snapshots function go (their payloads); kept in ``snapshot_jobs``.
    on_snapshot_job: Callable[[dict[str, Any]], None] | None = None
    snapshot_jobs: list[dict[str, Any]] = field(default_factory=list)
    # Whether the replica's ECS walks service deployments on the clock (``deployments``, invoking the hooks)
    # instead of moto_ecs walking them at once and leaving them unfinished.
    drive_deployments: bool = False

    def __post_init__(self) -> None:
        self.autoscaling = AutoScaling(self.client("application-autoscaling"), self.client("ecs"))
        self.tasks = Tasks(ACCOUNT, REGION)
        self.scheduler = Scheduler(self.client("scheduler"), self._deliver)
        self.metrics = Metrics(self.client("cloudwatch"), self.client("elasticache"), self.replica.spec)
        self.snapshots = Snapshots(ACCOUNT, REGION, self._deliver_rds_event, self.clock)
        self.snapshots.start()
        # The Lambda Invoke of the snapshots function, answered in this process (moto has no such function).
        self._handover = patch.multiple(
            SnapshotJobs, follow=lambda _jobs, *args: self._follow(*args), take=lambda _jobs, *args: self._take(*args)
        )
        self._handover.start()
        # At each instant: fresh metrics, the wake-ups (whose runs read them), then the scaling they (or the
        # scheduled actions) cause, then the tasks, then the snapshots being created.
        self.clock.attach(self.metrics, self.scheduler, self.autoscaling, self.tasks, self.snapshots)
        # Service deployments last: their hooks read the metrics and tasks of the same instant. Their events are
        # kept in ``deployments.events`` (and handed to ``deployments.emit`` if set); ``deployments.invoke`` runs
        # the cutover hook function in this process unless replaced.
        self.deployments = Deployments(ACCOUNT, REGION, invoke_cutover_hook, clock=self.clock)
        self.clock.attach(self.deployments)
        moto_ecs.stamp_with(ACCOUNT, REGION, self.clock)
        if self.drive_deployments:
            self.deployments.engage()

    def stop(self) -> None:
        self.deployments.disengage()
        moto_ecs.stamp_with(ACCOUNT, REGION, None)
        self._handover.stop()
        self.snapshots.stop()

    def _follow(self, identifier: str, channel: str, by: str) -> None:
        self._hand_over({"opsbot": "snapshot-follow", "identifier": identifier, "channel": channel, "by": by})

    def _take(self, reason: str, scheduled_at: datetime) -> None:
        at = scheduled_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._hand_over({"opsbot": "snapshot-take", "reason": reason, "scheduled_at": at})

    def _hand_over(self, payload: dict[str, Any]) -> None:
        self.snapshot_jobs.append(payload)
        if self.on_snapshot_job is not None:
            self.on_snapshot_job(payload)

    def _deliver_rds_event(self, event: dict[str, Any]) -> None:
        self.rds_events.append(event)
        if self.on_rds_event is not None:
            self.on_rds_event(event)

    def _deliver(self, name: str, payload: Any) -> None:
        self.delivered.append((name, payload))
        if self.on_schedule is not None:
            self.on_schedule(name, payload)

    def advance(self, delta: timedelta) -> datetime:
        """Let ``delta`` of replica time pass: due scheduled actions and schedules act, tasks start."""
        return self.clock.advance(delta)

    def advance_to(self, instant: datetime) -> datetime:
        return self.clock.advance_to(instant)

    def settle(self) -> None:
        """What AWS does at once after a change: desired count into [min, max], pending tasks progress."""
        self.clock.settle()

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def bot(self, clock: Any = None) -> LocalBot:
        """The bot on the replica's clock (unless given another), the replica settling after each request."""
        return LocalBot(self.settings, clock=clock or self.clock, after=self.settle)

    def capacity(self) -> tuple[int, int]:
        target = self.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[self.settings.scalable_resource_id]
        )["ScalableTargets"][0]
        return int(target["MinCapacity"]), int(target["MaxCapacity"])

    def scheduled_actions(self) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = self.client("application-autoscaling").describe_scheduled_actions(
            ServiceNamespace="ecs", ResourceId=self.settings.scalable_resource_id
        )["ScheduledActions"]
        return actions

    def given_capacity(self, low: int, high: int, owner: str = "U0ADMIN") -> None:
        """The service at ``low``..``high`` because of an earlier permanent ``scale`` (the intents are the truth),
        materialised the way the bot does it."""
        from datetime import UTC, datetime, timedelta

        from opsbot.capacity.core import CapacityCore
        from opsbot.capacity.model import Intent

        earlier = datetime.now(UTC) - timedelta(days=1)
        ports = dependencies.build_ports(self.settings)
        setting = Intent(
            id=f"{earlier:%Y-%m-%dT%H:%M:%S.%f}Z#0000beef",
            owner=owner,
            kind="setting",
            min=low,
            max=high,
            start=earlier,
            expires=None,
            reason="an earlier scale",
        )
        CapacityCore(self.settings, ports.capacity, ports.intents).change(
            earlier, operation=setting.id, by=owner, summary=f"scale min={low} max={high}", add=[setting]
        )

    def audit_items(self, pending: bool = False) -> list[dict[str, Any]]:
        """The audit table's records in time order: outcomes only, unless ``pending`` (then every record)."""
        items: list[dict[str, Any]] = self.client("dynamodb").scan(TableName=self.settings.audit_table)["Items"]
        kept = [i for i in items if pending or not i["sk"]["S"].endswith("#pending")]
        return sorted(kept, key=lambda i: i["sk"]["S"])


def invoke_cutover_hook(
    function_arn: str, payload: dict[str, Any], clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Lambda invoking the cutover hook function (the only hook function there is) in this process; ``clock``:
    the replica's, for the time of the verdict the hook records in the audit trail."""
    from opsbot.cutover import entry

    hook_arn = os.environ.get("OPSBOT_CUTOVER_HOOK_ARN", "")
    if function_arn != hook_arn:
        raise LookupError(f"Function not found: {function_arn}")  # what Lambda answers for an unknown function
    context = FakeLambdaContext(function_name=hook_arn.rsplit(":", 1)[-1], invoked_function_arn=hook_arn)
    token = current_lambda_context.set(context)
    try:
        return entry.handle(payload, context, clock)
    finally:
        current_lambda_context.reset(token)


def reset_moto(endpoint: str) -> None:
    """Empty every backend of the moto server at ``endpoint``."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


@contextmanager
def running_stack(
    spec: ReplicaSpec | None = None,
    start: datetime | None = None,
    *,
    frozen: bool = False,
    drive_deployments: bool = False,
) -> Iterator[LocalStack]:
    """Start moto on 127.0.0.1, seed everything, point the bot's environment at it; undo it all on exit. The
    replica's clock starts at ``start`` (default: now) and runs with real time unless ``frozen``; with
    ``drive_deployments`` the replica's ECS runs service deployments on it (``LocalStack.deployments``)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log drowns the transcript
    moto_ecs.install()  # ECS service deployments, which moto lacks
    moto_ecs_tasks.install()  # RunTask of a Fargate task definition without container memory
    moto_cloudwatch.install()  # alarm mute rules, likewise
    moto_servicequotas.install()  # the Fargate vCPU quota, likewise
    moto_rds.install()  # DescribeAccountAttributes, likewise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto(endpoint)  # moto's backends are process-global: start every stack from nothing
    recorder = SlackRecorder()
    recorder.start()
    saved = dict(os.environ)
    try:
        os.environ.update(local_env(endpoint, recorder.url + "/api/"))
        dependencies.settings.cache_clear()
        settings = dependencies.settings()
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        replica = seed_replica(session, spec or ReplicaSpec(), endpoint_url=endpoint)
        create_bot_resources(session, endpoint, settings)
        stack = LocalStack(
            endpoint=endpoint,
            session=session,
            recorder=recorder,
            settings=settings,
            replica=replica,
            clock=ReplicaClock(start, frozen=frozen),
            drive_deployments=drive_deployments,
        )
        try:
            yield stack
        finally:
            stack.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dependencies.settings.cache_clear()
        recorder.stop()
        server.stop()
