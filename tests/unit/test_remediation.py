"""The remediation engine with in-memory ports: runbooks, guardrails, incidents, recovery."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from opsbot.alarms.model import AlarmKind, AlarmTransition, Decision, Rejection, Source
from opsbot.alarms.remediation import RemediationPorts, Remediator
from opsbot.alarms.runbooks import load_default_text, parse_runbooks
from opsbot.config import Settings
from opsbot.errors import AwsOperationError, ConfigError
from opsbot.logic.scaling import Capacity
from opsbot.slack.incidents import render_incident, render_recovery, render_recovery_reply
from tests.fakes import NOW, RBAC, FakeDeployments, FakeNotifier, FakeSilence, World, throttled
from tests.snapshot_fakes import FakeRds

PLACEHOLDERS = {"cluster": "mycandidate", "service": "web", "db_instance": "mycandidate-db"}
ECS_DIMENSIONS = {"ClusterName": "mycandidate", "ServiceName": "web"}


def transition(
    name: str = "mycandidate-ecs-cpu-high", state: str = "ALARM", at: datetime = NOW, **kw: Any
) -> AlarmTransition:
    fields: dict[str, Any] = {
        "source": Source.EVENTBRIDGE,
        "alarm_name": name,
        "alarm_arn": f"arn:aws:cloudwatch:af-south-1:123456789012:alarm:{name}",
        "account": "123456789012",
        "region": "af-south-1",
        "accounts": frozenset({"123456789012"}),
        "regions": frozenset({"af-south-1"}),
        "kind": AlarmKind.METRIC,
        "new_state": state,
        "old_state": "OK" if state == "ALARM" else "ALARM",
        "reason": "Threshold Crossed",
        "changed_at": at,
        "namespace": "AWS/ECS",
        "metric": "CPUUtilization",
        "dimensions": ECS_DIMENSIONS,
        "threshold": 80.0,
        "comparison": "GreaterThanThreshold",
        "value": 93.5,
    }
    fields.update(kw)
    return AlarmTransition(**fields)


@dataclass
class Bench:
    world: World = field(default_factory=World)
    deployments: FakeDeployments = field(default_factory=FakeDeployments)
    rds: FakeRds = field(default_factory=FakeRds)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    silence: FakeSilence = field(default_factory=FakeSilence)
    settings: Settings = field(
        default_factory=lambda: Settings(rbac=RBAC, slack_channel="C0OPS", account_id="123456789012")
    )
    now: datetime = NOW
    runbook_text: str = field(default_factory=load_default_text)

    def remediator(self) -> Remediator:
        self.world.rds = self.rds
        ports = RemediationPorts(
            commands=self.world.ports(),
            deployments=self.deployments,
            state=self.world.remediation,
            notifier=self.notifier,
            silence=self.silence,
        )
        runbooks = parse_runbooks(self.runbook_text, PLACEHOLDERS)
        return Remediator(
            self.settings,
            runbooks,
            ports,
            lambda: self.now,
            render_incident,
            render_recovery,
            lock_wait=0.2,
            render_reply=render_recovery_reply,
        )

    def handle(self, t: AlarmTransition) -> Decision | Rejection | None:
        return self.remediator().handle(t)


@pytest.fixture
def bench() -> Bench:
    return Bench()


def test_cpu_alarm_raises_the_minimum_with_an_expiry_and_opens_an_incident_with_undo(bench: Bench) -> None:
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.acted
    assert bench.world.capacity.capacity == Capacity(4, 10)
    (revert,) = bench.world.capacity.actions.values()
    assert (revert.at, revert.min) == (NOW + timedelta(hours=2), 2)
    (intent,) = bench.world.intents.intents()
    assert (intent.owner, intent.kind, intent.min, intent.expires) == (
        "alarm:mycandidate-ecs-cpu-high",
        "raise",
        4,
        NOW + timedelta(hours=2),
    )
    (post,) = bench.notifier.posts
    text = json.dumps(post, ensure_ascii=False)
    assert "mycandidate-ecs-cpu-high" in text
    assert "Threshold* > 80" in text
    assert "Current* 93.5" in text
    assert "min 2 / max 10 → min 4 / max 10" in text
    actions = {e["action_id"]: e["value"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(actions) == {"scale_undo", "incident_ack", "alarm_mute"}
    entry = bench.world.store.entries[actions["scale_undo"]]
    assert (entry.verb, entry.result, entry.actor) == ("remediate", "ok", "alarm:mycandidate-ecs-cpu-high")


def test_unhealthy_hosts_roll_back_a_deployment_in_progress(bench: Bench) -> None:
    bench.deployments.in_progress = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/abc"
    decision = bench.handle(
        transition(
            "mycandidate-alb-unhealthy-hosts",
            namespace="AWS/ApplicationELB",
            metric="UnHealthyHostCount",
            dimensions={},
        )
    )
    assert isinstance(decision, Decision)
    assert decision.action == "rollback_deployment"
    assert bench.deployments.calls == [f"StopServiceDeployment {decision.before['deployment']}"]


def test_unhealthy_hosts_without_a_deployment_fall_through_to_replacing_tasks(bench: Bench) -> None:
    decision = bench.handle(
        transition(
            "mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions={}
        )
    )
    assert isinstance(decision, Decision)
    assert (decision.runbook, decision.action, decision.acted) == ("unhealthy-tasks-replace", "replace_tasks", True)
    assert bench.deployments.calls == ["UpdateService forceNewDeployment"]


def test_a_deployment_that_began_after_the_alarm_fired_is_not_rolled_back_nor_restarted(bench: Bench) -> None:
    # Given a deployment ECS created a minute after the 5xx alarm fired (the bot's own replacement of the tasks,
    # before Lambda stopped and the alarm was delivered again; or a fix the team is deploying)
    bench.deployments.in_progress = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/later"
    bench.deployments.created_at = NOW + timedelta(minutes=1)
    t = transition(
        "mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions={}
    )
    decision = bench.handle(t)
    # Then it is not what set the alarm off: nothing is rolled back, and no second deployment restarts it
    assert isinstance(decision, Decision)
    assert (decision.runbook, decision.action, decision.acted) == ("unhealthy-tasks-replace", "replace_tasks", False)
    assert decision.reason == "a deployment in progress is already replacing the tasks"
    assert bench.deployments.calls == []


def test_a_deployment_being_rolled_back_is_not_restarted_by_replacing_the_tasks(bench: Bench) -> None:
    # Given the deployment the bot rolled back for this alarm before Lambda stopped (ECS is rolling it back)
    bench.deployments.rolling_back = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/bad"
    t = transition(
        "mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions={}
    )
    # When the alarm is delivered again, there is nothing to roll back, and replacing the tasks would stop the rollback
    decision = bench.handle(t)
    assert isinstance(decision, Decision)
    assert (decision.action, decision.acted) == ("replace_tasks", False)
    assert bench.deployments.calls == []


def test_a_deployment_that_began_before_the_alarm_fired_is_rolled_back(bench: Bench) -> None:
    bench.deployments.in_progress = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/bad"
    bench.deployments.created_at = NOW - timedelta(minutes=4)
    t = transition(
        "mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions={}
    )
    decision = bench.handle(t)
    assert isinstance(decision, Decision)
    assert (decision.action, decision.acted) == ("rollback_deployment", True)
    assert bench.deployments.calls == [f"StopServiceDeployment {decision.before['deployment']}"]
    assert str(decision.before["deployment"]).endswith("/web/bad")


def test_replacing_tasks_happens_at_most_once_per_window(bench: Bench) -> None:
    t = transition(
        "mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions={}
    )
    bench.handle(t)
    bench.now = NOW + timedelta(minutes=5)
    second = bench.handle(replace(t, changed_at=NOW + timedelta(minutes=5)))
    assert isinstance(second, Decision)
    assert not second.acted
    assert second.reason.startswith("cooldown: replace_tasks already ran; next allowed 05:30 UTC")
    assert bench.deployments.calls == ["UpdateService forceNewDeployment"]


def test_data_tier_alarms_only_notify_with_their_figures(bench: Bench) -> None:
    decision = bench.handle(
        transition(
            "mycandidate-rds-connections-high",
            namespace="AWS/RDS",
            metric="DatabaseConnections",
            dimensions={"DBInstanceIdentifier": "mycandidate-db"},
            threshold=300.0,
            value=341.0,
        )
    )
    assert isinstance(decision, Decision)
    assert not decision.acted
    assert "notify only" in decision.reason
    assert "Current* 341" in json.dumps(bench.notifier.posts[0])
    assert bench.world.capacity.calls == []


def test_recovery_updates_the_incident_in_place_with_the_duration(bench: Bench) -> None:
    bench.handle(transition())
    bench.handle(transition(state="OK", at=NOW + timedelta(minutes=12)))
    ((channel, ts, message),) = bench.notifier.updates
    assert (channel, ts) == ("C0OPS", "1780000000.000001")
    assert "recovered after 12m" in message["text"]
    assert len(bench.notifier.replies) == 1
    assert bench.world.remediation.incidents == {}


def test_insufficient_data_and_back_is_noise(bench: Bench) -> None:
    assert bench.handle(transition(state="INSUFFICIENT_DATA", old_state="OK")) is None
    assert bench.handle(transition(state="OK", old_state="INSUFFICIENT_DATA", at=NOW + timedelta(minutes=1))) is None
    assert bench.notifier.posts == []
    assert bench.notifier.updates == []


def test_flapping_alarm_stops_automatic_action_and_says_so(bench: Bench) -> None:
    for minute in range(4):
        bench.world.remediation.record_transition("mycandidate-ecs-cpu-high", NOW - timedelta(minutes=minute + 1), "OK")
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert not decision.acted
    assert decision.reason.startswith("flapping: 5 state changes in 10m")
    assert bench.world.capacity.capacity == Capacity(2, 10)


def test_kill_switch_off_means_report_but_no_action(bench: Bench) -> None:
    bench.world.remediation.enabled = False
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.reason == "automatic remediation is switched off"
    assert bench.world.capacity.capacity == Capacity(2, 10)
    assert len(bench.notifier.posts) == 1


def test_a_muted_alarm_gets_no_action_and_no_incident_but_is_audited(bench: Bench) -> None:
    bench.world.remediation.muted["mycandidate-ecs-cpu-high"] = NOW + timedelta(hours=1)
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.reason.startswith("muted until 06:00 UTC")
    assert bench.notifier.posts == []
    assert bench.world.audit()[-1].verb == "remediate"


def test_dry_run_environment_decides_and_reports_without_acting(bench: Bench) -> None:
    bench.settings = replace(bench.settings, remediation_dry_run=True)
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.dry_run
    assert "dry run: would raise the minimum by 2 for 2h" in decision.reason
    assert bench.world.capacity.capacity == Capacity(2, 10)
    assert bench.world.audit()[-1].decision == "dry-run"


def test_hourly_budget_stops_further_actions(bench: Bench) -> None:
    bench.world.remediation.budget_used = bench.settings.hourly_action_budget
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.reason == "limit of 6 automatic actions in any hour reached; no action"
    assert bench.world.remediation.cooldowns == {}  # the unused cooldown was given back


def test_remediation_waits_briefly_for_a_held_lock_then_says_why_it_did_not_act(bench: Bench) -> None:
    bench.world.store.locks["mycandidate/web"] = "operator-scale"
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.reason.startswith("no action: another change to mycandidate/web is in progress")
    assert bench.world.remediation.cooldowns == {}


def test_aws_failure_mid_action_is_reported_audited_and_the_lock_released(bench: Bench) -> None:
    bench.world.capacity.fail_on = {"PutScheduledAction"}
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.error
    assert bench.world.capacity.capacity == Capacity(2, 10)  # put back: nothing half-applied
    assert bench.world.audit()[-1].result == "failed"
    assert bench.world.store.locks == {}
    assert "Action failed" in json.dumps(bench.notifier.posts[0])


def test_other_region_other_service_and_missing_dimensions_are_rejected_with_reasons(bench: Bench) -> None:
    other_region = bench.handle(transition(region="eu-west-1"))
    other_service = bench.handle(transition(dimensions={"ClusterName": "mycandidate", "ServiceName": "admin"}))
    missing = bench.handle(transition(dimensions={}))
    assert isinstance(other_region, Rejection)
    assert "eu-west-1" in other_region.reason
    assert isinstance(other_service, Rejection)
    assert "ServiceName=admin" in other_service.reason
    assert isinstance(missing, Rejection)
    assert "lacks dimensions ClusterName, ServiceName" in missing.reason
    assert bench.world.capacity.calls == []


def test_unknown_alarm_shape_is_notify_only(bench: Bench) -> None:
    decision = bench.handle(transition(kind=AlarmKind.UNKNOWN))
    assert isinstance(decision, Decision)
    assert not decision.acted
    assert "alarm shape not recognised" in decision.reason


def test_undo_from_the_incident_restores_the_bounds(bench: Bench) -> None:
    from opsbot.commands.dispatch import execute_action

    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    undone = execute_action("scale_undo", decision.undo_key, bench.world.context())
    assert undone.view.kind == "undone"
    assert bench.world.capacity.capacity == Capacity(2, 10)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("version: 2\nrunbooks: []", "version: 1"),
        ("version: 1\nrunbooks:\n  - {name: a, match: {alarm: x}, action: scale-out}", "unknown action 'scale-out'"),
        ("version: 1\nrunbooks:\n  - {name: a, match: {alarm: '('}, action: notify}", "not a valid regular expression"),
        (
            "version: 1\nrunbooks:\n  - {name: a, match: {alarm: x}, action: scale_out, params: {step: 0}}",
            "step must be",
        ),
        ("version: 1\nrunbooks:\n  - {name: a, match: {alarm: x}, action: notify, cooldown: soon}", "not a duration"),
        (
            "version: 1\nrunbooks:\n  - {name: a, match: {alarm: x, colour: red}, action: notify}",
            "unknown keys: colour",
        ),
        ("version: 1\nrunbooks:\n  - {name: a, match: {dimensions: {A: '{nope}'}}, action: notify}", "placeholder"),
        (
            "version: 1\nrunbooks: [{name: a, match: {alarm: x}, action: notify},"
            " {name: a, match: {alarm: y}, action: notify}]",
            "unique",
        ),
        ("{{{", "not valid YAML"),
    ],
)
def test_invalid_runbooks_are_refused_with_a_clear_error(yaml_text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_runbooks(yaml_text, PLACEHOLDERS)
    assert message in str(raised.value)


def test_snapshot_action_tags_the_snapshot_with_the_alarm(bench: Bench) -> None:
    bench.runbook_text = (
        "version: 1\nrunbooks:\n  - {name: snap, match: {alarm: 'mycandidate-rds-.*'}, action: snapshot}"
    )
    decision = bench.handle(
        transition(
            "mycandidate-rds-free-storage-low",
            namespace="AWS/RDS",
            metric="FreeStorageSpace",
            dimensions={"DBInstanceIdentifier": "mycandidate-db"},
        )
    )
    assert isinstance(decision, Decision)
    assert decision.acted
    assert bench.rds.calls == [
        "CreateDBSnapshot opsbot-mycandidate-db-alarm-mycandidate-rds-free-storage-low-20260529-0500"
    ]
    (taken,) = bench.rds.items.values()
    assert taken.reason == "alarm:mycandidate-rds-free-storage-low"
    assert taken.requested_by == "alarm:mycandidate-rds-free-storage-low"


def test_aws_error_while_checking_for_a_deployment_is_reported() -> None:
    class BrokenDeployments(FakeDeployments):
        def in_progress_deployment(self, created_by: Any = None, moving: bool = False) -> str | None:
            raise throttled("ListServiceDeployments")

    bench = Bench(deployments=BrokenDeployments())
    # When deciding needs AWS and AWS fails, the delivery fails (so Lambda retries it and the DLQ keeps it)…
    with pytest.raises(AwsOperationError, match="ListServiceDeployments"):
        bench.handle(transition("mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="X", dimensions={}))
    # …and the failure is in Slack and in the audit trail
    assert "could not decide" in json.dumps(bench.notifier.posts[0])
    assert bench.world.audit()[-1].result == "failed"


def test_alarm_then_no_data_then_ok_still_closes_the_incident(bench: Bench) -> None:
    bench.handle(transition())
    bench.handle(transition(state="INSUFFICIENT_DATA", old_state="ALARM", at=NOW + timedelta(minutes=5)))
    bench.handle(transition(state="OK", old_state="INSUFFICIENT_DATA", at=NOW + timedelta(minutes=9)))
    assert len(bench.notifier.updates) == 1
    assert bench.world.remediation.incidents == {}


def test_no_data_noise_does_not_count_towards_flapping(bench: Bench) -> None:
    for minute in range(4):
        state, old = ("INSUFFICIENT_DATA", "OK") if minute % 2 == 0 else ("OK", "INSUFFICIENT_DATA")
        bench.handle(transition(state=state, old_state=old, at=NOW - timedelta(minutes=5 - minute)))
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.acted


def test_an_alarm_arriving_after_its_own_recovery_is_ignored(bench: Bench) -> None:
    bench.handle(transition(state="OK", at=NOW + timedelta(minutes=10)))
    assert bench.handle(transition()) is None
    assert bench.world.capacity.capacity == Capacity(2, 10)


def test_an_unknown_shape_without_dimensions_is_notify_only_not_rejected(bench: Bench) -> None:
    decision = bench.handle(transition(kind=AlarmKind.UNKNOWN, dimensions={}, namespace=None, metric=None))
    assert isinstance(decision, Decision)
    assert "notify only" in decision.reason
    assert len(bench.notifier.posts) == 1


def test_a_scale_out_runbook_without_expires_is_still_temporary(bench: Bench) -> None:
    bench.runbook_text = (
        "version: 1\nrunbooks:\n"
        "  - {name: s, match: {alarm: 'mycandidate-ecs-.*'}, action: scale_out, params: {step: 1}}"
    )
    bench.handle(transition())
    (revert,) = bench.world.capacity.actions.values()
    assert revert.at == NOW + timedelta(hours=2)


def test_snapshot_identifiers_are_valid_for_rds_whatever_the_alarm_name(bench: Bench) -> None:
    bench.runbook_text = "version: 1\nrunbooks:\n  - {name: snap, match: {alarm: 'mycandidate-.*'}, action: snapshot}"
    bench.handle(transition("mycandidate-db_storage.low/prod", dimensions={}))
    assert bench.rds.calls == [
        "CreateDBSnapshot opsbot-mycandidate-db-alarm-mycandidate-db-storage-low-prod-20260529-0500"
    ]


def test_an_action_that_did_nothing_does_not_spend_the_cooldown_or_the_budget(bench: Bench) -> None:
    bench.world.given_capacity(Capacity(20, 20))  # already at the ceiling
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.reason == "already at the ceiling of 20 tasks"
    assert bench.world.remediation.budget_used == 0
    assert bench.world.remediation.cooldowns == {}


def test_a_retried_failure_does_not_post_a_second_incident() -> None:
    class BrokenDeployments(FakeDeployments):
        def in_progress_deployment(self, created_by: Any = None, moving: bool = False) -> str | None:
            raise throttled("ListServiceDeployments")

    bench = Bench(deployments=BrokenDeployments())
    t = transition("mycandidate-alb-5xx", namespace="AWS/ApplicationELB", metric="X", dimensions={})
    for _ in range(3):  # Lambda's retries
        with pytest.raises(AwsOperationError):
            bench.handle(t)
    assert len(bench.notifier.posts) == 1


def test_a_budget_that_cannot_be_read_leaves_no_cooldown_behind(bench: Bench) -> None:
    def broken(service: str, limit: int, now: datetime) -> bool:
        raise throttled("UpdateItem (budget)")

    bench.world.remediation.count_action = broken  # type: ignore[method-assign]
    with pytest.raises(AwsOperationError):
        bench.handle(transition())
    assert bench.world.remediation.cooldowns == {}
    assert bench.world.capacity.capacity == Capacity(2, 10)
