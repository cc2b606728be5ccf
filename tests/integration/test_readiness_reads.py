"""The readiness report against the moto server (issue 9): the adapter reads the replica's alarms, mute rules,
metrics, replication group and Fargate quota as AWS answers them; the mutes come back in one batched read; and
`/mycandidate readiness` answers through Slack with one line per check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devtools import moto_servicequotas
from devtools.local_stack import ACCOUNT, REGION, VIEWER, LocalStack
from devtools.transcript import message_text
from opsbot import dependencies
from opsbot.aws.elections import ElectionEntries
from opsbot.aws.readiness import ReadinessReads


def _reads(stack: LocalStack) -> ReadinessReads:
    ports = dependencies.build_ports(stack.settings)
    assert isinstance(ports.readiness, ReadinessReads)
    return ports.readiness


def test_the_adapter_reads_the_replica_as_aws_answers(stack: LocalStack) -> None:
    reads = _reads(stack)
    now = datetime.now(UTC)
    alarms = dict(reads.service_alarms())
    assert len(alarms) == 9
    assert set(alarms.values()) <= {"OK", "INSUFFICIENT_DATA", "ALARM"}
    database = reads.database_metrics(now)
    assert database.free_storage_bytes == 82 * 2**30
    assert database.peak_connections == 120
    cache = reads.cache(now)
    assert (cache.status, cache.evictions) == ("available", 0.0)
    assert cache.members >= 1
    # No value applied to the account: the default answers (GetServiceQuota's NoSuchResourceException).
    assert reads.fargate_vcpu_quota() == moto_servicequotas.DEFAULT_FARGATE_VCPU
    moto_servicequotas.apply_quota(ACCOUNT, REGION, 48)
    assert reads.fargate_vcpu_quota() == 48


def test_mute_rules_on_the_services_alarms_are_found(stack: LocalStack) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    stack.client("cloudwatch").put_alarm_mute_rule(
        Name="db-maintenance",
        Rule={"Schedule": {"Expression": f"at({tomorrow:%Y-%m-%dT%H:%M})", "Duration": "PT2H"}},
        MuteTargets={"AlarmNames": ["mycandidate-rds-cpu-high"]},
    )
    rules = _reads(stack).mute_rules(["mycandidate-ecs-cpu-high", "mycandidate-rds-cpu-high"])
    assert [(r.name, r.alarm, r.status) for r in rules] == [("db-maintenance", "mycandidate-rds-cpu-high", "SCHEDULED")]


def test_the_bots_mutes_come_back_in_one_batched_read(stack: LocalStack) -> None:
    state = dependencies.remediation_state(stack.settings)
    now = datetime.now(UTC)
    state.mute("mycandidate-ecs-cpu-high", now + timedelta(hours=3), by="U0OPS")
    state.mute("mycandidate-rds-cpu-high", now - timedelta(minutes=1), by="U0OPS")  # over (the TTL is lazy)
    names = [f"mycandidate-alarm-{i}" for i in range(150)] + ["mycandidate-ecs-cpu-high", "mycandidate-rds-cpu-high"]
    assert state.mutes(names, now) == {"mycandidate-ecs-cpu-high": (now + timedelta(hours=3))}


def test_readiness_answers_in_slack_with_one_line_per_check(stack: LocalStack) -> None:
    polling = (datetime.now(UTC) + timedelta(days=3)).date()
    ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(
        {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": str(polling)},
        by="U0ADMIN",
        now=datetime.now(UTC),
    )
    stack.client("cloudwatch").set_alarm_state(
        AlarmName="mycandidate-rds-connections-high", StateValue="ALARM", StateReason="Threshold Crossed"
    )
    stack.bot().command("readiness ward-52", VIEWER, response_url=f"{stack.recorder.url}/response/ready")
    (post,) = [c for c in stack.recorder.response_url_posts() if c.path == "/response/ready"]
    shown = message_text(post.body)
    assert "NOT ready" in shown
    assert shown.count(":white_check_mark:") + shown.count(":warning:") + shown.count(":x:") == 10
    assert ":x: *Alarms* — 1 of 9 in ALARM: mycandidate-rds-connections-high" in shown
    assert ":x: *Scheduled actions*" in shown  # the entry was never synced
