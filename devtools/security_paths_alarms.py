"""The alarm-side and snapshot paths of the fault and crash campaigns (``devtools.security``, ``devtools.crashes``):
the 5xx alarm's task replacement, the unhealthy-hosts alarm's rollback of a deploy, an alarm's snapshot, the
incident message's Acknowledge and Mute 1 h buttons, `mute … 1h` and `mute … off`, `autoremediation off` / `on`,
`snapshot keep` / `unkeep` and the snapshots function's nightly run.

Each setup runs outside the injection, after the stack is reset (``devtools.security._reset``): it makes what the
path acts on (an incident message with its buttons, the kill switch off, a snapshot of the bot's to pin, old
nightly snapshots to prune) and keeps what the run needs on the stack. Built by :func:`paths`, which imports
nothing of ``devtools.security`` at import time.

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.security import Path

FIVE_XX_EVENT = "alarm_eventbridge_math_5xx_rate.json"  # mycandidate-alb-5xx-rate: rollback falls through, replace
STORAGE_EVENT = "alarm_lambda_action_rds_free_storage.json"  # mycandidate-rds-free-storage-low
STORAGE_ALARM = "mycandidate-rds-free-storage-low"
# The repository's runbooks send the data tier's alarms to `notify`; a deployment that wants a snapshot when the
# database runs short of storage overrides them with the SSM parameter OPSBOT_RUNBOOKS_PARAMETER names (the
# repository's runbooks with this one before the data tier's notify).
RUNBOOKS_PARAMETER = "/mycandidate-opsbot/dev/runbooks"
SNAPSHOT_RUNBOOK = """
  - name: storage-low-snapshot
    match:
      alarm: "mycandidate-rds-free-storage-low"
      namespace: AWS/RDS
      dimensions: {DBInstanceIdentifier: "{db_instance}"}
    action: snapshot
    cooldown: 30m

"""
PIN = "nightly-keep-fault"  # the snapshot `snapshot keep` pins (after the bot's prefix)
SNAPSHOTS_ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-snapshots"


def _url(stack: Any, name: str) -> str:
    return f"{stack.recorder.url}/response/{name}"


def _delivery(
    event_name: str,
    settings: Callable[[Any], Any] | None = None,
    event: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[..., Callable[[Any], None]]:
    """``event_name``'s alarm delivered to the alarm function's handling in a Lambda context of the given timeout
    (as ``devtools.security.alarm_delivery`` does for the CPU alarm); ``settings``: the stack's, as deployed;
    ``event``: the sample event as this stack sends it (e.g. when the alarm fired)."""

    def timed(timeout_seconds: float = 30.0) -> Callable[[Any], None]:
        def run(stack: Any) -> None:
            from devtools.events import load_event
            from devtools.lambda_context import FakeLambdaContext
            from opsbot import dependencies
            from opsbot.alarms.entry import process
            from opsbot.idempotency import current_lambda_context, exactly_once

            config = settings(stack) if settings is not None else stack.settings
            remediator = dependencies.build_remediator(config)
            context = FakeLambdaContext("mycandidate-opsbot-alarm-remediation", timeout_seconds=timeout_seconds)
            token = current_lambda_context.set(context)
            try:
                sent = load_event(event_name) if event is None else event(stack, load_event(event_name))
                process(sent, remediator, exactly_once(config, local_cache=True))
            finally:
                current_lambda_context.reset(token)

        return run

    return timed


# alarm: 5xx → replace tasks ---------------------------------------------------------------------------------------


def _service_deployments(stack: Any) -> tuple[Any, ...]:
    """The service as ECS shows it: its task definition, its deployments (oldest first, by status and rollout
    state: a fresh stack's have other ids) and the service deployments ECS lists."""
    ecs = stack.client("ecs")
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    deployments = tuple(
        (d.get("status", ""), d.get("taskDefinition", "").rsplit("/", 1)[-1], d.get("rolloutState", ""))
        for d in sorted(service["deployments"], key=lambda d: d["createdAt"])
    )
    listed = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    statuses = tuple(d["status"] for d in sorted(listed, key=lambda d: d["createdAt"]))
    return str(service["taskDefinition"]).rsplit("/", 1)[-1], deployments, statuses


# alarm: unhealthy hosts during a deploy → roll it back -------------------------------------------------------------

UNHEALTHY_EVENT = "alarm_eventbridge_unhealthy_hosts.json"


def _deploy_in_progress(stack: Any) -> None:
    """`deploy v1.4.3` in progress (as the `rollback` path's setup makes it), and when ECS created it."""
    from devtools.security_paths import _deploying

    _deploying(stack)
    listed = stack.client("ecs").list_service_deployments(
        cluster="mycandidate", service="web", status=["IN_PROGRESS", "PENDING"]
    )["serviceDeployments"]
    stack.deploy_created = max(d["createdAt"] for d in listed)


def _fired_during_the_deploy(stack: Any, event: dict[str, Any]) -> dict[str, Any]:
    """The unhealthy-hosts alarm, fired a minute after the deployment began (so that release may be its cause)."""
    fired = stack.deploy_created + timedelta(minutes=1)
    event["detail"]["state"]["timestamp"] = f"{fired:%Y-%m-%dT%H:%M:%S.000+0000}"
    return event


# alarm: RDS free storage → snapshot ---------------------------------------------------------------------------------


def _with_snapshot_runbook(stack: Any) -> Any:
    return replace(stack.settings, runbooks_parameter=RUNBOOKS_PARAMETER)


def _snapshot_runbook(stack: Any) -> None:
    """The runbooks override in SSM: the repository's, with a snapshot for the storage alarm."""
    from opsbot.alarms.runbooks import load_default_text

    text = load_default_text()
    marker = "  - name: data-tier-notify"
    assert marker in text, "the repository's runbooks changed: put the snapshot runbook before the data tier's"
    text = text.replace(marker, SNAPSHOT_RUNBOOK.strip("\n") + "\n\n" + marker)
    stack.client("ssm").put_parameter(Name=RUNBOOKS_PARAMETER, Value=text, Type="String", Overwrite=True)


def _alarm_snapshots(stack: Any) -> tuple[int, int]:
    """The bot's snapshots taken for the storage alarm, and all of the bot's (their names carry the minute)."""
    found = stack.client("rds").describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]
    ours = [s["DBSnapshotIdentifier"] for s in found if s["DBSnapshotIdentifier"].startswith("opsbot-")]
    return len([i for i in ours if "-alarm-" in i]), len(ours)


# the incident message's buttons ---------------------------------------------------------------------------------


def _incident_posted(stack: Any) -> None:
    """The storage alarm's incident in the channel (the repository's runbooks: notify only), with its buttons;
    the Acknowledge/Mute value is kept on the stack."""
    _delivery(STORAGE_EVENT)()(stack)
    stack.incident_at = stack.clock()
    stack.fault_button = _incident_button(stack, "alarm_mute")
    assert stack.fault_button == _incident_button(stack, "incident_ack")
    stack.recorder.clear()


def _incident_button(stack: Any, action_id: str) -> str:
    for call in reversed(stack.recorder.api_calls("chat.postMessage")):
        for block in (call.body or {}).get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button on the incident")


def _click(action_id: str) -> Callable[[Any], None]:
    from devtools.local_stack import OPERATOR

    def run(stack: Any) -> None:
        stack.bot().click(action_id, stack.fault_button, OPERATOR, response_url=_url(stack, "fault"))

    return run


def _item(stack: Any, pk: str, sk: str) -> dict[str, Any] | None:
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    found: dict[str, Any] | None = (
        stack.client("dynamodb").get_item(TableName=stack.settings.operations_table, Key=key).get("Item")
    )
    return found


def _incident_and_mute(stack: Any) -> tuple[Any, ...]:
    """The alarm's open incident (its summary, and whether it has its message: the message's ``ts`` differs from
    one stack's Slack recorder to the next), its mute in the operations table (by whom, and whether it ends an
    hour after the incident was posted: a run lasts seconds), and CloudWatch's alarm mute rules (the bot reads
    them, ``ListAlarmMuteRules``; `mute` never writes one)."""
    incident = _item(stack, f"INCIDENT#{STORAGE_ALARM}", "OPEN")
    opened = () if incident is None else tuple(sorted(
        (k, bool(v.get("S")) if k == "ts" else str(v.get("S", v.get("N", ""))))
        for k, v in incident.items() if k not in {"expires_at", "updated_at"}
    ))  # fmt: skip
    rules = stack.client("cloudwatch").list_alarm_mute_rules().get("AlarmMuteRuleSummaries", [])
    names = tuple(sorted(str(r.get("AlarmMuteRuleArn", "")) for r in rules))
    mute = _item(stack, f"MUTE#{STORAGE_ALARM}", "MUTE")
    if mute is None:
        return opened, (), names
    left = datetime.fromisoformat(mute["until"]["S"]) - stack.incident_at
    return opened, (mute["by"]["S"], timedelta(minutes=59) < left <= timedelta(hours=1, minutes=2)), names


# autoremediation off | on -------------------------------------------------------------------------------------


def _kill_switch(stack: Any) -> tuple[bool, str]:
    item = _item(stack, "CONFIG", "AUTOREMEDIATION")
    return (True, "") if item is None else (bool(item["enabled"]["BOOL"]), item["by"]["S"])


def _switched_off(stack: Any) -> None:
    """Automatic remediation switched off by someone else earlier."""
    from opsbot import dependencies

    ports = dependencies.build_ports(stack.settings)
    assert ports.remediation is not None
    ports.remediation.set_autoremediation(False, "U0SOMEONE", stack.clock())


# snapshot keep ------------------------------------------------------------------------------------------------


def _pinnable(stack: Any) -> None:
    """A nightly snapshot of the bot's, available and not pinned."""
    from moto.rds.models import rds_backends

    from devtools.local_stack import ACCOUNT, REGION
    from opsbot.snapshots.model import prefix

    identifier = f"{prefix('mycandidate-db')}{PIN}"
    tags = [{"Key": "opsbot:created-by", "Value": "opsbot"}, {"Key": "opsbot:reason", "Value": "nightly"}]
    stack.client("rds").create_db_snapshot(
        DBInstanceIdentifier="mycandidate-db", DBSnapshotIdentifier=identifier, Tags=tags
    )
    snapshot = rds_backends[ACCOUNT][REGION].database_snapshots[identifier]
    snapshot.status = "available"
    snapshot.percent_progress = 100  # type: ignore[attr-defined]
    snapshot.created = stack.clock() - timedelta(days=2)
    stack.settle()


def _pinned(stack: Any) -> None:
    """As ``_pinnable``, then pinned with `snapshot keep` (for `snapshot unkeep`)."""
    from devtools.local_stack import OPERATOR
    from devtools.security import _slash

    _pinnable(stack)
    _slash(f"snapshot keep opsbot-mycandidate-db-{PIN}", OPERATOR)(stack)
    stack.recorder.clear()


def _incident_muted(stack: Any) -> None:
    """As ``_incident_posted``, then muted for an hour with `mute` (for `mute … off`)."""
    from devtools.local_stack import OPERATOR
    from devtools.security import _slash

    _incident_posted(stack)
    _slash(f"mute {STORAGE_ALARM} 1h", OPERATOR)(stack)
    stack.recorder.clear()


def _pin_tags(stack: Any) -> tuple[tuple[str, str], ...]:
    from opsbot.snapshots.model import prefix

    identifier = f"{prefix('mycandidate-db')}{PIN}"
    (snapshot,) = stack.client("rds").describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
    return tuple(sorted((t["Key"], t["Value"]) for t in snapshot.get("TagList", [])))


# snapshots function: nightly job --------------------------------------------------------------------------------


def _nightly_due(stack: Any) -> None:
    """The snapshots function's environment (a fresh container: no exactly-once record cached from another run),
    the replica's clock outside the instance's backup and maintenance windows (else the run moves itself), and
    old nightly snapshots of the bot's for its prune."""
    from devtools.security_paths import _old_snapshots
    from opsbot.snapshots import entry, preflight
    from opsbot.snapshots.model import Instance

    entry._runtime.cache_clear()
    instance = stack.client("rds").describe_db_instances(DBInstanceIdentifier="mycandidate-db")["DBInstances"][0]
    windows = Instance(
        identifier="mycandidate-db", status="available", backup_window=instance["PreferredBackupWindow"],
        maintenance_window=instance["PreferredMaintenanceWindow"],
    )  # fmt: skip
    at, moved = preflight.outside_windows(stack.clock(), windows)
    if moved:
        stack.advance_to(at + timedelta(minutes=1))
    _old_snapshots(stack)
    stack.old_snapshots = frozenset(_bot_snapshot_names(stack))


def nightly_run(timeout_seconds: float = 30.0) -> Callable[[Any], None]:
    """EventBridge Scheduler's nightly delivery to the snapshots function, in a Lambda context of
    ``timeout_seconds`` (the exactly-once record of a stopped run expires with it)."""

    def run(stack: Any) -> None:
        from devtools.lambda_context import FakeLambdaContext
        from opsbot.snapshots import entry

        event = {"opsbot": "snapshot-nightly", "scheduled_at": getattr(stack, "nightly_at", "2026-12-03T22:30:00Z")}
        context = FakeLambdaContext(
            function_name="mycandidate-opsbot-snapshots", invoked_function_arn=SNAPSHOTS_ARN,
            timeout_seconds=timeout_seconds,
        )  # fmt: skip
        entry.handle(event, context, clock=stack.clock)

    return run


def _bot_snapshot_names(stack: Any) -> list[str]:
    found = stack.client("rds").describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]
    return [s["DBSnapshotIdentifier"] for s in found if s["DBSnapshotIdentifier"].startswith("opsbot-")]


def _nightly_snapshots(stack: Any) -> tuple[tuple[str, ...], int]:
    """The old snapshots still there, and how many the run took (its names carry the minute it ran)."""
    names = set(_bot_snapshot_names(stack))
    old: frozenset[str] = getattr(stack, "old_snapshots", frozenset())
    return tuple(sorted(names & old)), len(names - old)


def _taken_or_pruned_on_the_way(before: tuple[tuple[str, ...], int], state: tuple[tuple[str, ...], int],
                                clean: tuple[tuple[str, ...], int]) -> list[str] | None:  # fmt: skip
    """The nightly run is two operations, the snapshot then the prune: each as before or done, or the prune's
    deletes part-way (each one made must be named)."""
    from devtools.security_paths import _deleted_on_the_way

    if state[1] not in (before[1], clean[1]):
        return None
    return _deleted_on_the_way(before[0], state[0], clean[0])


def paths() -> tuple[Path, ...]:
    from devtools.local_stack import ADMIN, OPERATOR
    from devtools.security import Path, _slash

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    replace_tasks = _delivery(FIVE_XX_EVENT)
    alarm_snapshot = _delivery(STORAGE_EVENT, _with_snapshot_runbook)
    roll_back = _delivery(UNHEALTHY_EVENT, event=_fired_during_the_deploy)
    return (
        Path(
            "alarm: 5xx → replace tasks",
            "remediate",
            replace_tasks(),
            _service_deployments,
            # A forced deployment stays in progress, so each run is on a fresh stack. The redelivery of the alarm after
            # a stop past ecs.UpdateService finds it: it began after the alarm fired, so it is neither rolled back
            # nor restarted (it was: the crash campaign's LOSTs at its stops 16-21).
            fresh=True,
            asynchronous=True,
            timed=replace_tasks,
        ),
        Path(
            "alarm: unhealthy → roll back",
            "remediate",
            roll_back(),
            _service_deployments,
            fresh=True,
            setup=_deploy_in_progress,
            asynchronous=True,
            timed=roll_back,
        ),
        Path(
            "alarm: RDS storage → snapshot",
            "remediate",
            alarm_snapshot(),
            _alarm_snapshots,
            setup=_snapshot_runbook,
            asynchronous=True,
            timed=alarm_snapshot,
        ),
        Path(
            "incident: Acknowledge", "acknowledge", _click("incident_ack"), _incident_and_mute, setup=_incident_posted
        ),
        Path("incident: Mute 1h", "mute", _click("alarm_mute"), _incident_and_mute, setup=_incident_posted),
        Path(
            "mute 1h", "mute", _slash(f"mute {STORAGE_ALARM} 1h", OPERATOR), _incident_and_mute, setup=_incident_posted
        ),
        Path(
            "mute off", "mute", _slash(f"mute {STORAGE_ALARM} off", OPERATOR), _incident_and_mute, setup=_incident_muted
        ),
        Path("autoremediation off", "autoremediation", _slash("autoremediation off", ADMIN), _kill_switch),
        Path(
            "autoremediation on",
            "autoremediation",
            _slash("autoremediation on", ADMIN),
            _kill_switch,
            setup=_switched_off,
        ),
        Path(
            "snapshot keep",
            "snapshot keep",
            _slash(f"snapshot keep opsbot-mycandidate-db-{PIN}", OPERATOR),
            _pin_tags,
            setup=_pinnable,
        ),
        Path(
            "snapshot unkeep",
            "snapshot unkeep",
            _slash(f"snapshot unkeep opsbot-mycandidate-db-{PIN}", OPERATOR),
            _pin_tags,
            setup=_pinned,
        ),
        Path(
            "snapshots function: nightly job",
            "snapshot",
            nightly_run(),
            _nightly_snapshots,
            setup=_nightly_due,
            asynchronous=True,
            partway=_taken_or_pruned_on_the_way,
            timed=nightly_run,
        ),
    )
