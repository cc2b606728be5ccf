"""The mutating paths of the fault campaign beyond the first five (``devtools.security.PATHS`` holds them all):
the Confirm and Undo buttons of `scale`, `snapshot prune`, `rollback`, the cutover hook, `schedule sync` and the
election function's hourly run.

Each setup runs outside the injection, after the stack is reset: it makes what the path acts on (a change waiting
for its Confirm, an applied `scale 4`, old snapshots of the bot's, a deployment in progress, an election on the
calendar) and keeps what the run needs (a button's value) on the stack. Built by :func:`paths`, which
``devtools.security`` calls once its own helpers exist (this module imports nothing of it at import time).

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.security import Path

OLD_SNAPSHOTS = 16  # of the bot's, all older than the retention's 7 days: the newest 14 stay, 2 go


def _url(stack: Any, name: str) -> str:
    return f"{stack.recorder.url}/response/{name}"


def _button(stack: Any, action_id: str) -> str:
    """The value of the ``action_id`` button on the last message the bot answered with."""
    for call in reversed(stack.recorder.response_url_posts()):
        for block in call.body.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button in the bot's answers")


def _click(action_id: str) -> Any:
    from devtools.local_stack import OPERATOR

    def run(stack: Any) -> None:
        stack.bot().click(action_id, stack.fault_button, OPERATOR, response_url=_url(stack, "fault"))

    return run


# scale: Confirm and Undo -----------------------------------------------------------------------------------------


def _awaiting_confirm(stack: Any) -> None:
    """`scale 12` at min 8: above the confirmation threshold, it waits for its Confirm."""
    from devtools.local_stack import OPERATOR

    stack.given_capacity(8, 14)
    stack.bot().command("scale 12", OPERATOR, response_url=_url(stack, "ask"))
    stack.fault_button = _button(stack, "scale_confirm")
    stack.recorder.clear()


def _capacity_and_confirmation(stack: Any) -> tuple[int, int, bool]:
    """Capacity, and whether the Confirm button still works (its confirmation is one-time: used by a change)."""
    key = {"pk": {"S": f"CONFIRM#{stack.fault_button}"}, "sk": {"S": "CONFIRM"}}
    found = stack.client("dynamodb").get_item(TableName=stack.settings.operations_table, Key=key)
    return (*stack.capacity(), "Item" in found)


def _confirmation_spent(before: tuple[int, int, bool], state: tuple[int, int, bool]) -> str:
    """A stop between taking the confirmation and the change: capacity as before, the button used up."""
    return "run the command again" if before[-1] and state == (*before[:-1], False) else ""


def _scaled(stack: Any) -> None:
    """`scale 4`, applied, with its Undo button."""
    from devtools.local_stack import OPERATOR

    stack.bot().command("scale 4", OPERATOR, response_url=_url(stack, "scaled"))
    stack.fault_button = _button(stack, "scale_undo")
    stack.recorder.clear()


# snapshot prune --------------------------------------------------------------------------------------------------


def _old_snapshots(stack: Any) -> None:
    """``OLD_SNAPSHOTS`` nightly snapshots of the bot's, available, 10 days old and older (moto keeps no creation
    time of the caller's choosing: it is set on moto's backend object, as the replica's RDS does)."""
    from moto.rds.models import rds_backends

    from devtools.local_stack import ACCOUNT, REGION
    from opsbot.snapshots.model import prefix

    rds = stack.client("rds")
    now = stack.clock()
    backend = rds_backends[ACCOUNT][REGION]
    for n in range(OLD_SNAPSHOTS):
        identifier = f"{prefix('mycandidate-db')}nightly-fault-{n:03d}"
        tags = [{"Key": "opsbot:created-by", "Value": "opsbot"}, {"Key": "opsbot:reason", "Value": "nightly"}]
        rds.create_db_snapshot(DBInstanceIdentifier="mycandidate-db", DBSnapshotIdentifier=identifier, Tags=tags)
        snapshot = backend.database_snapshots[identifier]
        snapshot.status = "available"
        snapshot.percent_progress = 100  # type: ignore[attr-defined]
        snapshot.created = now - timedelta(days=10 + n)
    stack.settle()


def _bot_snapshots(stack: Any) -> tuple[str, ...]:
    found = stack.client("rds").describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]
    return tuple(sorted(s["DBSnapshotIdentifier"] for s in found if s["DBSnapshotIdentifier"].startswith("opsbot-")))


def _deleted_on_the_way(before: tuple[str, ...], state: tuple[str, ...], clean: tuple[str, ...]) -> list[str] | None:
    """The snapshots a prune deleted before it stopped, if what is left lies between before and the clean run's."""
    if not set(clean) <= set(state) <= set(before):
        return None
    return sorted(set(before) - set(state))


# rollback --------------------------------------------------------------------------------------------------------


def _deploying(stack: Any) -> None:
    """`deploy v1.4.3` (after a fresh snapshot): its service deployment is in progress."""
    from devtools.local_stack import OPERATOR

    stack.bot().command("snapshot", OPERATOR, response_url=_url(stack, "snapshot"))
    stack.advance(timedelta(minutes=5))
    stack.bot().command("deploy v1.4.3", OPERATOR, response_url=_url(stack, "deploy"))
    stack.recorder.clear()


def _deployments(stack: Any) -> tuple[Any, ...]:
    ecs = stack.client("ecs")
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    listed = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    # Oldest first, by status alone: a fresh stack's deployments have other ids, so the ids are not compared.
    statuses = tuple(d["status"] for d in sorted(listed, key=lambda d: d["createdAt"]))
    return str(service["taskDefinition"]).rsplit("/", 1)[-1], statuses


# the cutover hook ------------------------------------------------------------------------------------------------

_LISTENER: dict[str, str] = {}
_READINGS = {"count": 0}  # the green target group's metric reads that returned, since the setup
HOOK_INVOCATIONS = 8  # ECS invokes an IN_PROGRESS hook again after its callBackDelay; at most this many here


def _listener() -> str:
    """A healthy test listener for the whole campaign (a real HTTP server on 127.0.0.1)."""
    if "url" not in _LISTENER:
        from devtools.test_listener import HEALTHY, serving

        running = contextlib.ExitStack()
        _LISTENER["url"] = running.enter_context(serving(dict(HEALTHY)))
        atexit.register(running.close)
    return _LISTENER["url"]


def _green_serving(stack: Any) -> None:
    """The hook's environment (a test listener, two measurements; the green target group read from the test
    listener rule) and a healthy green target group's last minute in CloudWatch."""
    from datetime import UTC, datetime

    from opsbot.aws.green_target import GreenTarget
    from opsbot.cutover import entry

    os.environ.update({
        "OPSBOT_TEST_LISTENER_URL": _listener(), "OPSBOT_SMOKE_WARDS": "52", "OPSBOT_ANALYSIS_COUNT": "2",
    })  # fmt: skip
    entry._runtime.cache_clear()
    entry._audit.cache_clear()
    _count_readings()
    load_balancer, target_group = GreenTarget(
        stack.client("ecs"), stack.client("elbv2"), "mycandidate", "web"
    ).dimensions()
    dimensions = [{"Name": "TargetGroup", "Value": target_group}, {"Name": "LoadBalancer", "Value": load_balancer}]
    at = datetime.now(UTC) - timedelta(seconds=30)  # the metrics are read on the host's clock
    stack.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 400, "Timestamp": at},
        {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": 0, "Timestamp": at},
        {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Value": 0.2, "Timestamp": at},
    ])  # fmt: skip
    stack.hook_answers = []
    _READINGS["count"] = 0


def _count_readings() -> None:
    """Count the hook's metric reads that returned (wrapping ``GreenMetrics.sample`` once in this process): an
    analysis that passes on fewer of them than the clean run's has passed on less evidence."""
    from opsbot.aws.green_metrics import GreenMetrics

    original = GreenMetrics.sample
    if getattr(original, "counted", False):
        return

    def sample(self: GreenMetrics) -> Any:
        read = original(self)
        _READINGS["count"] += 1
        return read

    sample.counted = True  # type: ignore[attr-defined]
    GreenMetrics.sample = sample  # type: ignore[method-assign]


def _hook(stack: Any) -> None:
    """ECS at POST_TEST_TRAFFIC_SHIFT: the hook invoked, and again with its ``hookDetails`` while it answers
    IN_PROGRESS, until it answers SUCCEEDED or FAILED."""
    from devtools.events import load_event
    from devtools.local_stack import invoke_cutover_hook

    event = load_event("cutover_hook_post_test_traffic.json")
    for _ in range(HOOK_INVOCATIONS):
        answer = invoke_cutover_hook(os.environ["OPSBOT_CUTOVER_HOOK_ARN"], event, clock=stack.clock)
        stack.hook_answers.append(answer)
        if answer.get("hookStatus") != "IN_PROGRESS":
            return
        event = {**event, "hookDetails": answer.get("hookDetails")}


def _hook_answer(stack: Any) -> tuple[str, int]:
    """The hook's last answer to ECS (its only effect: ECS goes on, or rolls back; "" before it is invoked) and how
    many metric reads the analysis rests on."""
    answers = getattr(stack, "hook_answers", [])
    return (str(answers[-1].get("hookStatus", "")) if answers else "", _READINGS["count"])


# schedule sync ---------------------------------------------------------------------------------------------------


def _election_ahead(stack: Any) -> None:
    """A by-election three days ahead, entered from Slack earlier (it lives in the operations table)."""
    from devtools.local_stack import ADMIN
    from opsbot.aws.elections import ElectionEntries

    now = stack.clock()
    entry = {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election",
             "polling_date": (now + timedelta(days=3)).date().isoformat()}  # fmt: skip
    ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(entry, by=ADMIN, now=now)


def _capacity_and_schedule(stack: Any) -> tuple[Any, ...]:
    actions = sorted(
        (a["ScheduledActionName"], a["Schedule"], a["ScalableTargetAction"].get("MinCapacity"),
         a["ScalableTargetAction"].get("MaxCapacity"))
        for a in stack.scheduled_actions()
    )  # fmt: skip
    return (*stack.capacity(), tuple(actions))


ELECTION_GROUP = "mycandidate-opsbot-elections"
ELECTION_ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-election-scaler"


def _election_function(stack: Any) -> None:
    """The election function's environment and the by-election three days ahead."""
    election_environment(stack)
    _election_ahead(stack)


def election_environment(stack: Any) -> None:
    """The election function's environment (its wake-up schedules' group, role and queue; no wake-up of an earlier
    run left)."""
    from opsbot import dependencies
    from opsbot.elections import entry

    os.environ.update({
        "OPSBOT_ELECTION_SCHEDULE_GROUP": ELECTION_GROUP,
        "OPSBOT_ELECTION_SCHEDULE_ROLE_ARN": "arn:aws:iam::123456789012:role/mycandidate-opsbot-ElectionScheduleRole",
        "OPSBOT_ELECTION_SCHEDULE_DLQ_ARN": "arn:aws:sqs:af-south-1:123456789012:mycandidate-opsbot-election-dlq",
    })  # fmt: skip
    dependencies.settings.cache_clear()
    entry._runtime.cache_clear()
    scheduler = stack.client("scheduler")
    if ELECTION_GROUP not in [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]:
        scheduler.create_schedule_group(Name=ELECTION_GROUP)
    for schedule in scheduler.list_schedules(GroupName=ELECTION_GROUP)["Schedules"]:
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=ELECTION_GROUP)


def hourly_run(timeout_seconds: float = 30.0) -> Callable[[Any], None]:
    """EventBridge Scheduler's hourly delivery to the election function, in a Lambda context of ``timeout_seconds``
    (the exactly-once record of a stopped run expires with it)."""

    def run(stack: Any) -> None:
        from devtools.lambda_context import FakeLambdaContext
        from opsbot.elections import entry

        now = stack.clock()
        event = {"opsbot": "election-sync", "scheduled_at": f"{now:%Y-%m-%dT%H:00:00Z}", "reason": "hourly"}
        context = FakeLambdaContext(
            function_name="mycandidate-opsbot-election-scaler", invoked_function_arn=ELECTION_ARN,
            timeout_seconds=timeout_seconds,
        )  # fmt: skip
        entry.handle(event, context, now=now)

    return run


def _capacity_schedule_and_wake_ups(stack: Any) -> tuple[Any, ...]:
    scheduler = stack.client("scheduler")
    wake_ups = sorted(
        (s["Name"], scheduler.get_schedule(Name=s["Name"], GroupName=ELECTION_GROUP)["ScheduleExpression"])
        for s in scheduler.list_schedules(GroupName=ELECTION_GROUP)["Schedules"]
    )  # fmt: skip
    (target,) = stack.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[stack.settings.scalable_resource_id]
    )["ScalableTargets"]
    suspended = bool(target.get("SuspendedState", {}).get("DynamicScalingInSuspended"))
    return (*_capacity_and_schedule(stack), tuple(wake_ups), suspended)


def _each_part_before_or_done(before: tuple[Any, ...], state: tuple[Any, ...],
                              clean: tuple[Any, ...]) -> list[str] | None:  # fmt: skip
    """The hourly run is two operations: the capacity sync, then the scale-in suspension and the wake-ups (which
    follow the calendar, not the capacity). Each part is as before or as done — the wake-ups may stop part-way, each
    one made is kept and the next run makes the rest — and nothing beyond is to be named."""
    capacity, wake_ups, suspended = state[:-2], set(state[-2]), state[-1]
    if capacity not in (before[:-2], clean[:-2]) or suspended not in (before[-1], clean[-1]):
        return None
    return [] if wake_ups <= set(before[-2]) | set(clean[-2]) else None


def paths() -> tuple[Path, ...]:
    from devtools.local_stack import ADMIN
    from devtools.security import Path, _capacity, _slash

    return (
        Path(
            "scale 12: Confirm",
            "scale",
            _click("scale_confirm"),
            _capacity_and_confirmation,
            setup=_awaiting_confirm,
            stop_spends=_confirmation_spent,
        ),
        Path("scale 4: Undo", "scale", _click("scale_undo"), _capacity, setup=_scaled),
        Path(
            "snapshot prune",
            "snapshot prune",
            _slash("snapshot prune", ADMIN),
            _bot_snapshots,
            setup=_old_snapshots,
            partway=_deleted_on_the_way,
        ),
        Path("rollback", "rollback", _slash("rollback smoke looked wrong"), _deployments, fresh=True, setup=_deploying),
        Path(
            "cutover hook",
            "cutover-hook",
            _hook,
            _hook_answer,
            setup=_green_serving,
            stop_means="ECS counts the invocation's error as the hook's failure and rolls the deployment back",
        ),
        Path("schedule sync", "schedule sync", _slash("schedule sync"), _capacity_and_schedule, setup=_election_ahead),
        Path(
            "election function: hourly run",
            "schedule sync",
            hourly_run(),
            _capacity_schedule_and_wake_ups,
            setup=_election_function,
            asynchronous=True,
            partway=_each_part_before_or_done,
            timed=hourly_run,
        ),
    )
