"""The readiness report (issue 9): ten checks, each pass / warn / fail with its figure, a link and what to do;
an unreadable source fails only its own check; the reads go out together; the report is posted 48 h and 24 h
before polls open, once each, never twice on retries; the `readiness` command picks the right election."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsbot.capacity.core import CapacityCore
from opsbot.commands import readiness as command
from opsbot.elections.calendar import load_calendar
from opsbot.elections.model import Election
from opsbot.elections.ports import CacheState, DatabaseMetrics, MuteRule
from opsbot.elections.readiness import Readiness, due_report, polls_open, readiness
from opsbot.elections.reconcile import apply
from opsbot.errors import GuardrailViolation, UsageError
from opsbot.logic.scaling import Capacity
from opsbot.ports import Deployment, ScheduledAction, ServiceState
from opsbot.slack.blocks import violations
from opsbot.slack.readiness_report import readiness_message
from tests.fakes import NOW, World, throttled

POLLING = "2026-06-03"  # a Wednesday; NOW is 2026-05-29
OPENS = datetime(2026, 6, 3, 5, 0, tzinfo=UTC)  # polls open 07:00 SAST


def _election(**overrides: Any) -> Election:
    entry = {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": POLLING}
    (election,) = load_calendar({"elections": [{**entry, **overrides}]}, ceiling=20)
    return election


def _synced(world: World, election: Election, now: datetime = NOW) -> None:
    """The calendar applied: its intents stored and materialised as scheduled actions."""
    world.calendar_elections = (election,)
    core = CapacityCore(world.settings, world.capacity, world.intents)
    apply(core, lambda: (election,), now=now, operation_key=f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#0000cafe", by="election:x")


def _report(world: World, now: datetime = NOW) -> Readiness:
    ctx = world.context(user="U0VIEW", now=now)
    election = world.calendar_elections[0]
    core = CapacityCore(world.settings, world.capacity, world.intents)
    return readiness(election, world.calendar_elections, command.sources(world.settings, core, ctx.ports), now)


def _check(report: Readiness, name: str) -> Any:
    (found,) = [c for c in report.checks if c.name == name]
    return found


@pytest.fixture
def world() -> World:
    world = World()
    _synced(world, _election())
    return world


def test_a_ready_service_passes_every_check_with_its_figure_and_a_link(world: World) -> None:
    report = _report(world)
    assert [c.status for c in report.checks] == ["pass"] * 10
    assert report.status == "pass"
    assert _check(report, "Fargate vCPU quota").figure == "window needs 12 × 0.5 = 6 vCPU of 4000"
    assert _check(report, "RDS connections").figure.startswith("peak 120 of 410 in 24 h, 71% free")
    assert all(c.link.startswith("https://af-south-1.console.aws.amazon.com/") for c in report.checks)
    assert report.polls_open == OPENS


def test_an_alarm_in_alarm_fails_naming_it_and_saying_what_to_do(world: World) -> None:
    world.readiness.alarms = [("mycandidate-rds-connections-high", "ALARM"), ("mycandidate-ecs-cpu-high", "OK")]
    check = _check(_report(world), "Alarms")
    assert check.status == "fail"
    assert "1 of 2 in ALARM: mycandidate-rds-connections-high" in check.figure
    assert check.fix


def test_a_calendar_not_yet_applied_fails_and_points_to_schedule_sync() -> None:
    world = World()
    world.calendar_elections = (_election(),)  # on the calendar, never synced
    check = _check(_report(world), "Scheduled actions")
    assert check.status == "fail"
    assert "not applied" in check.figure
    assert "schedule sync" in check.fix


def test_a_bot_action_deleted_by_hand_fails_the_scheduled_actions_check(world: World) -> None:
    name = sorted(world.capacity.actions)[0]
    world.capacity.delete_action(name)
    check = _check(_report(world), "Scheduled actions")
    assert check.status == "fail"
    assert "1 missing" in check.figure


def test_another_owners_action_lowering_the_window_maximum_fails_the_ceiling_check(world: World) -> None:
    polling_noon = datetime(2026, 6, 3, 10, tzinfo=UTC)
    world.capacity.actions["someones-cost-cap"] = ScheduledAction("someones-cost-cap", "at(...)", polling_noon, None, 6)
    check = _check(_report(world), "Capacity ceiling")
    assert check.status == "fail"
    assert "someones-cost-cap" in check.fix


@pytest.mark.parametrize(
    ("state", "status", "says"),
    [
        (ServiceState(4, 2, 2, "web:7", "v1"), "fail", "2 running of 4 desired"),
        (
            ServiceState(2, 2, 0, "web:8", "v2", (Deployment("ecs-svc/1", "PRIMARY", "FAILED", "web:8"),)),
            "fail",
            "deployment ecs-svc/1 failed",
        ),
        (
            ServiceState(
                2, 2, 0, "web:8", "v2",
                (Deployment("ecs-svc/2", "PRIMARY", "IN_PROGRESS", "web:8"),
                 Deployment("ecs-svc/1", "ACTIVE", "COMPLETED", "web:7")),
            ),
            "warn",
            "deployment ecs-svc/2 in progress (web:7, web:8)",
        ),
    ],
)  # fmt: skip
def test_the_service_must_be_steady(world: World, state: ServiceState, status: str, says: str) -> None:
    world.service.state = state._replace(task_vcpu=0.5)
    check = _check(_report(world), "ECS service")
    assert (check.status, says in check.figure) == (status, True), check.figure


def test_remediation_switched_off_or_an_alarm_muted_into_the_window_fails(world: World) -> None:
    world.remediation.enabled = False
    assert _check(_report(world), "Automatic remediation").status == "fail"
    world.remediation.enabled = True
    world.remediation.muted["mycandidate-ecs-cpu-high"] = OPENS + timedelta(hours=2)
    check = _check(_report(world), "Automatic remediation")
    assert check.status == "fail"
    assert check.fix == "`/mycandidate mute mycandidate-ecs-cpu-high off`"
    world.remediation.muted["mycandidate-ecs-cpu-high"] = OPENS - timedelta(days=2)  # ends before the window
    assert _check(_report(world), "Automatic remediation").status == "pass"


def test_a_cloudwatch_mute_rule_on_an_alarm_is_a_warning(world: World) -> None:
    world.readiness.rules = [MuteRule("nightly-maintenance", "mycandidate-ecs-cpu-high", "SCHEDULED", None)]
    check = _check(_report(world), "Automatic remediation")
    assert check.status == "warn"
    assert "nightly-maintenance" in check.figure


def test_a_snapshot_older_than_a_day_or_none_fails_once_the_pre_election_snapshot_is_due(world: World) -> None:
    late = OPENS - timedelta(hours=20)  # after the pre-election snapshot was due (T-26 h)
    world.snapshots.latest = late - timedelta(hours=30)
    check = _check(_report(world, late), "RDS snapshot")
    assert (check.status, check.figure) == ("fail", "latest 30 h old (limit 24 h)")
    world.snapshots.latest = None
    assert _check(_report(world, late), "RDS snapshot").status == "fail"


def test_an_old_snapshot_only_warns_while_the_pre_election_snapshot_is_still_to_come(world: World) -> None:
    world.snapshots.latest = NOW - timedelta(hours=30)
    check = _check(_report(world), "RDS snapshot")
    assert check.status == "warn"
    assert check.figure == "latest 30 h old; the pre-election snapshot is due Tue 02 Jun 03:00 UTC"


def test_database_storage_and_connections_against_their_thresholds(world: World) -> None:
    world.readiness.database = DatabaseMetrics(free_storage_bytes=12 * 2**30, peak_connections=300)
    report = _report(world)
    assert _check(report, "RDS free storage").status == "fail"
    assert _check(report, "RDS free storage").figure == "12.0 GiB free (threshold 20 GiB)"
    assert _check(report, "RDS connections").status == "fail"  # 27% free < 30%
    world.readiness.database = DatabaseMetrics(free_storage_bytes=None, peak_connections=None)
    report = _report(world)
    assert [_check(report, n).status for n in ("RDS free storage", "RDS connections")] == ["warn", "warn"]


def test_the_cache_must_be_available_and_evictions_warn(world: World) -> None:
    world.readiness.cache_state = CacheState(status="modifying", members=2, evictions=0.0)
    assert _check(_report(world), "ElastiCache").status == "fail"
    world.readiness.cache_state = CacheState(status="available", members=2, evictions=37.0)
    check = _check(_report(world), "ElastiCache")
    assert (check.status, "37 eviction(s)" in check.figure) == ("warn", True)


def test_the_fargate_quota_must_cover_the_window_maximum(world: World) -> None:
    world.readiness.quota = 5.0  # 12 tasks x 0.5 vCPU = 6
    check = _check(_report(world), "Fargate vCPU quota")
    assert check.status == "fail"
    assert "L-3032A538" in check.fix
    world.readiness.quota = 7.0  # covered, but over 80 %
    assert _check(_report(world), "Fargate vCPU quota").status == "warn"


def test_an_unreadable_source_fails_only_its_own_check(world: World) -> None:
    world.readiness.errors["cache"] = throttled("DescribeReplicationGroups")
    report = _report(world)
    cache = _check(report, "ElastiCache")
    assert cache.status == "fail"
    assert "could not be read" in cache.figure
    assert "throttling" in cache.figure
    assert [c.status for c in report.checks if c.name != "ElastiCache"] == ["pass"] * 9


def test_the_reads_go_out_together(world: World) -> None:
    """Sequential reads would never all meet at the barrier: it breaks after its timeout and the checks fail."""
    barrier = threading.Barrier(4, timeout=10)
    world.readiness.on_read = lambda name: barrier.wait() if name in {"alarms", "database", "cache", "quota"} else 0
    report = _report(world)
    assert report.status == "pass"


def test_the_report_is_one_message_within_slacks_limits_with_external_names_escaped(world: World) -> None:
    world.readiness.alarms = [(f"mycandidate-<!channel>-{i}", "ALARM") for i in range(40)]
    message = readiness_message(_report(world))
    assert violations(message) == []
    text = str(message)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "NOT ready" in message["text"]


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (OPENS - timedelta(hours=49), None),
        (OPENS - timedelta(hours=48), 48),
        (OPENS - timedelta(hours=25), 48),
        (OPENS - timedelta(hours=24), 24),
        (OPENS - timedelta(minutes=1), 24),
        (OPENS, None),
    ],
)
def test_which_report_is_due(now: datetime, due: int | None) -> None:
    assert due_report(_election(), now) == due


def test_polls_open_at_seven_local_time_in_the_elections_own_zone() -> None:
    assert polls_open(_election(zone="Europe/London")) == datetime(2026, 6, 3, 6, 0, tzinfo=UTC)  # BST


# the command ------------------------------------------------------------------------------------------------


def test_readiness_takes_one_slug_at_most_and_refuses_what_is_not_one() -> None:
    assert command.parse([]) is None
    assert command.parse(["Ward-52"]) == "ward-52"
    with pytest.raises(UsageError, match="not an election slug"):
        command.parse(["<@U123>"])
    with pytest.raises(UsageError, match="at most one"):
        command.parse(["a", "b"])


def test_readiness_of_an_unknown_election_lists_the_upcoming_ones(world: World) -> None:
    with pytest.raises(UsageError, match="upcoming: ward-52"):
        command.run("ward-99", world.context(user="U0VIEW"))


def test_readiness_without_a_slug_checks_the_next_election(world: World) -> None:
    outcome = command.run(None, world.context(user="U0VIEW"))
    assert outcome.view.report.election.slug == "ward-52"


def test_readiness_with_nothing_on_the_calendar_says_so() -> None:
    with pytest.raises(GuardrailViolation, match="no upcoming election"):
        command.run(None, World().context(user="U0VIEW"))


def test_readiness_is_read_only(world: World) -> None:
    before = (dict(world.capacity.actions), world.capacity.capacity)
    world.capacity.calls.clear()
    command.run(None, world.context(user="U0VIEW"))
    assert world.capacity.mutating_calls == []
    assert (dict(world.capacity.actions), world.capacity.capacity) == before
    assert isinstance(world.capacity.capacity, Capacity)
