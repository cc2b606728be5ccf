"""The watch run: alarms left in ALARM with "no action because …" are acted on when the reason has gone, and
operations cut short between acting and their outcome record are completed by the sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsbot.alarms.model import Decision
from opsbot.alarms.watch import Watch, watch_window
from opsbot.capacity.core import CapacityCore
from opsbot.capacity.model import Generation, Intent
from opsbot.commands.base import new_audit_key
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.logic.scaling import Capacity
from opsbot.operations.sweeper import Sweeper, Swept
from opsbot.ports import AuditEntry
from opsbot.slack.operations import render_swept
from tests.fakes import NOW
from tests.unit.test_remediation import Bench, transition


class DescribedAlarms:
    """What DescribeAlarms says now: the CPU alarm in ALARM since it entered it (or recovered)."""

    def __init__(self, state: str = "ALARM", changed_at: Any = NOW) -> None:
        self.state = state
        self.changed_at = changed_at
        self.calls = 0

    def describe(self, names: list[str]) -> list[dict[str, Any]]:
        self.calls += 1
        return [
            {
                "AlarmName": name,
                "AlarmArn": f"arn:aws:cloudwatch:af-south-1:123456789012:alarm:{name}",
                "StateValue": self.state,
                "StateReason": "Threshold Crossed: 1 datapoint [93.5 (29/05/26 04:59:00)] was greater than 80.0",
                "StateTransitionedTimestamp": self.changed_at,
                "MetricName": "CPUUtilization",
                "Namespace": "AWS/ECS",
                "Statistic": "Average",
                "Dimensions": [
                    {"Name": "ClusterName", "Value": "mycandidate"},
                    {"Name": "ServiceName", "Value": "web"},
                ],
                "Period": 60,
                "Threshold": 80.0,
                "ComparisonOperator": "GreaterThanThreshold",
            }
            for name in names
        ]


def once_store() -> Any:
    seen: dict[str, Any] = {}

    def once(key: str, work: Any) -> tuple[bool, Any]:
        if key in seen:
            return False, seen[key]
        seen[key] = work()
        return True, seen[key]

    return once


def watch(bench: Bench, alarms: DescribedAlarms, once: Any = None) -> Watch:
    world = bench.world
    sweeper = Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now, report=None
    )
    return Watch(bench.remediator(), world.remediation, alarms, sweeper, once or once_store(), lambda: bench.now)


def test_an_alarm_refused_by_its_cooldown_is_acted_on_by_the_watch_run_once_the_cooldown_ends() -> None:
    # Given the CPU alarm scaled out at 05:00 (cooldown 10 minutes), recovered, and entered ALARM again at 05:05
    bench = Bench()
    bench.handle(transition())
    bench.now = NOW + timedelta(minutes=4)
    bench.handle(transition(state="OK", at=bench.now))
    bench.now = NOW + timedelta(minutes=5)
    second = bench.handle(transition(at=bench.now))
    assert isinstance(second, Decision)
    assert second.reason.startswith("cooldown:")
    assert not second.acted
    assert [w.reason for w in bench.world.remediation.waiting()] == ["cooldown"]
    alarms = DescribedAlarms(changed_at=bench.now)
    # When the watch runs while the cooldown still holds, nothing happens
    bench.now = NOW + timedelta(minutes=8)
    early = watch(bench, alarms).run({"opsbot": "watch", "scheduled_at": "2026-05-29T05:08:00Z"})
    assert (early["reevaluated"], early["acted"]) == (1, 0)
    # Then, after it ends, the alarm still in ALARM is acted on: one more scale-out, through the runner
    bench.now = NOW + timedelta(minutes=16)
    later = watch(bench, alarms).run({"opsbot": "watch", "scheduled_at": "2026-05-29T05:15:00Z"})
    assert (later["reevaluated"], later["acted"]) == (1, 1)
    assert bench.world.capacity.capacity.min == 6
    assert bench.world.remediation.waiting() == []
    remediations = [e for e in bench.world.audit() if e.verb == "remediate" and e.result == "ok"]
    assert len(remediations) == 2
    assert "(watch)" in remediations[-1].arguments
    # And the incident of that episode was updated in place, not posted again
    assert len(bench.notifier.posts) == 2  # the first episode's, and the second episode's


def test_the_same_window_re_evaluates_an_alarm_only_once() -> None:
    bench = Bench()
    bench.world.remediation.enabled = False  # kill switch off: every ALARM waits
    bench.handle(transition())
    bench.world.remediation.enabled = True
    alarms, once = DescribedAlarms(), once_store()
    event = {"opsbot": "watch", "scheduled_at": "2026-05-29T05:05:00Z"}
    bench.now = NOW + timedelta(minutes=5)
    first = watch(bench, alarms, once).run(event)
    second = watch(bench, alarms, once).run(event)  # Scheduler retried the same window
    assert (first["acted"], second["acted"]) == (1, 0)
    assert bench.world.capacity.capacity.min == 4


def test_an_alarm_that_recovered_is_forgotten_without_acting() -> None:
    bench = Bench()
    bench.world.remediation.enabled = False
    bench.handle(transition())
    bench.world.remediation.enabled = True
    summary = watch(bench, DescribedAlarms(state="OK")).run({"opsbot": "watch"})
    assert (summary["watched"], summary["reevaluated"], summary["acted"]) == (1, 0, 0)
    assert bench.world.remediation.waiting() == []
    assert bench.world.capacity.capacity == Capacity(2, 10)


def test_a_newer_state_change_in_flight_is_left_to_its_own_delivery() -> None:
    bench = Bench()
    bench.world.remediation.enabled = False
    bench.handle(transition())
    bench.world.remediation.enabled = True
    summary = watch(bench, DescribedAlarms(changed_at=NOW + timedelta(minutes=3))).run({"opsbot": "watch"})
    assert summary["reevaluated"] == 0
    assert bench.world.capacity.capacity == Capacity(2, 10)


def test_a_flapping_alarm_or_a_notify_only_one_is_not_left_waiting() -> None:
    bench = Bench()
    bench.handle(transition("mycandidate-rds-cpu-high", dimensions={"DBInstanceIdentifier": "mycandidate-db"}))
    assert bench.world.remediation.waiting() == []


def test_the_watch_window_comes_from_the_scheduled_time_floored_to_five_minutes() -> None:
    assert watch_window({"scheduled_at": "2026-05-29T05:07:59Z"}, NOW).isoformat() == "2026-05-29T05:05:00+00:00"
    assert watch_window({"scheduled_at": "garbage"}, NOW + timedelta(minutes=3)) == NOW


# the sweeper ------------------------------------------------------------------------------------------------------
def _crash_after_acting(bench: Bench) -> str:
    """A `scale 6 for 1h` whose function stopped after changing the intents and AWS, before its outcome record."""
    key = new_audit_key(NOW, "0000c0de")
    raise_ = Intent(key, "U0OPS", "raise", 6, 6, NOW, NOW + timedelta(hours=1), "scale 6 for 60m")
    bench.world.intents.put_intent(raise_)
    bench.world.intents.bump_generation(0, Generation(1, key, "U0OPS", "scale 6 for 60m", NOW))
    bench.world.store.record(
        AuditEntry(key, NOW, "U0OPS", "C0OPS", "scale", "6 for 60m", "allowed", "pending", phase="pending")
    )
    return key


def test_the_sweeper_completes_a_change_cut_short_between_acting_and_recording() -> None:
    # Given a change cut short after its intent was written, with AWS not yet in line
    bench = Bench()
    key = _crash_after_acting(bench)
    reports: list[Swept] = []
    world = bench.world
    sweeper = Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now, reports.append
    )
    # When it is younger than the function timeout, the sweeper leaves it alone
    bench.now = NOW + timedelta(minutes=5)
    assert sweeper.sweep() == []
    # Then, once older, AWS is brought in line with the intents and the outcome record is written once
    bench.now = NOW + timedelta(minutes=20)
    (swept,) = sweeper.sweep()
    assert swept.result == "ok"
    assert world.capacity.capacity == Capacity(6, 10)
    outcome = world.store.get(key)
    assert outcome is not None
    assert (outcome.phase, outcome.result) == ("outcome", "ok")
    assert "completed by the sweeper" in outcome.error
    assert world.store.trail[f"{key}#pending"].result == "pending"  # never rewritten
    assert sweeper.sweep() == []  # nothing left
    # And Slack hears of it
    (report,) = reports
    assert "cut short" in render_swept(report)["text"]


def test_a_change_cut_short_before_it_changed_anything_is_recorded_as_failed() -> None:
    bench = Bench()
    key = new_audit_key(NOW, "0000dead")
    bench.world.store.record(
        AuditEntry(key, NOW, "U0OPS", "C0OPS", "scale", "6", "allowed", "pending", phase="pending")
    )
    bench.now = NOW + timedelta(minutes=20)
    world = bench.world
    (swept,) = Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now
    ).sweep()
    assert swept.result == "failed"
    assert world.capacity.mutating_calls == []
    entry = world.store.get(key)
    assert entry is not None
    assert entry.result == "failed"


def swept_after_a_stop(bench: Bench, actor: str, verb: str, arguments: str) -> list[Swept]:
    """What the sweeper reports, 20 minutes on, of an operation whose function stopped after its pending record."""
    world = bench.world
    world.store.record(
        AuditEntry(new_audit_key(NOW, "0000f00d"), NOW, actor, "C0OPS", verb, arguments, "allowed", "pending",
                   phase="pending")
    )  # fmt: skip
    bench.now = NOW + timedelta(minutes=20)
    reports: list[Swept] = []
    Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now, reports.append
    ).sweep()
    return reports


def test_a_confirm_cut_short_after_taking_its_confirmation_says_the_button_is_used_up() -> None:
    # Given a Confirm whose function stopped after it took its one-time confirmation, before any change
    bench = Bench()
    world = bench.world
    reports = swept_after_a_stop(bench, "U0OPS", "scale", "scale_confirm c0ffee")
    # Then the channel hears that nothing changed and that the command must be run again (the button is spent)
    (swept,) = reports
    assert swept.result == "failed"
    assert world.capacity.mutating_calls == []
    assert "its button no longer works (used or expired), so run the command again" in render_swept(swept)["text"]


def test_a_non_capacity_action_cut_short_is_recorded_as_unknown_and_asks_a_person_to_check() -> None:
    bench = Bench()
    key = new_audit_key(NOW, "alarm-0000beef")
    bench.world.store.record(
        AuditEntry(
            key, NOW, "alarm:mycandidate-web-5xx", "C0OPS", "remediate", "r replace_tasks (sns)", "allowed", "pending",
            phase="pending",
        )
    )  # fmt: skip
    bench.now = NOW + timedelta(minutes=20)
    world = bench.world
    (swept,) = Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now
    ).sweep()
    assert swept.result == "unknown"
    assert "check `status`" in swept.summary


def test_a_reset_cut_short_is_completed_even_after_a_later_change_moved_the_generation() -> None:
    # Given a person's raise, then a `scale reset` whose function stopped after committing its change
    bench = Bench()
    world = bench.world
    execute_command("scale 6 for 2h", world.context())
    reset = world.context()
    world.store.record(
        AuditEntry(reset.audit_key, NOW, "U0OPS", "C0OPS", "scale", "reset", "allowed", "pending", phase="pending")
    )
    core = CapacityCore(world.settings, world.capacity, world.intents)
    gen = world.intents.generation()
    world.intents.commit(
        gen.number, Generation(gen.number + 1, reset.audit_key, "U0OPS", "scale reset", NOW),
        put=(), delete=[i.id for i in world.intents.intents()], marker="applied",
    )  # fmt: skip
    # And an alarm's raise came afterwards, moving the generation on
    alarm = Intent(
        "2026-05-29T05:01:00.000000Z#alarm-00000001", "alarm:x", "raise", 4, 4, NOW, NOW + timedelta(hours=1), "r"
    )
    core.change(NOW, operation=alarm.id, by="alarm:x", summary="remediate", add=[alarm])
    # When the sweeper finds the reset's pending record
    bench.now = NOW + timedelta(minutes=20)
    (swept,) = Sweeper(
        bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now
    ).sweep()
    # Then it is recorded as done, from the reset's own marker
    assert swept.result == "ok"
    entry = world.store.get(reset.audit_key)
    assert entry is not None
    assert entry.result == "ok"


def test_a_change_whose_commit_fails_writes_nothing_and_changes_nothing() -> None:
    world = Bench().world
    execute_command("scale 6 for 2h", world.context())
    before = (dict(world.intents.items), world.intents.generation(), dict(world.capacity.actions))
    world.capacity.calls.clear()
    world.intents.fail_commits = 1
    outcome = execute_command("scale reset", world.context())
    assert outcome.view.kind == "failed"
    assert (dict(world.intents.items), world.intents.generation(), dict(world.capacity.actions)) == before
    assert world.capacity.mutating_calls == []


def test_one_alarm_that_cannot_be_handled_does_not_stop_the_others_or_the_sweep() -> None:
    bench = Bench()
    bench.world.remediation.enabled = False
    bench.handle(transition())
    bench.handle(transition("mycandidate-ecs-memory-high", metric="MemoryUtilization"))
    bench.world.remediation.enabled = True
    _crash_after_acting(bench)

    class Broken(DescribedAlarms):
        def describe(self, names: list[str]) -> list[dict[str, Any]]:
            found = super().describe(names)
            found[0]["Dimensions"] = "not a list"  # the parser copes; make the remediator fail instead
            return found

    remediator = bench.remediator()
    original = remediator.handle

    def flaky(t: Any) -> Any:
        if t.alarm_name == "mycandidate-ecs-cpu-high":
            raise RuntimeError("a bug")
        return original(t)

    remediator.handle = flaky  # type: ignore[method-assign]
    world = bench.world
    bench.now = NOW + timedelta(minutes=20)
    sweeper = Sweeper(bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now)
    summary = Watch(remediator, world.remediation, Broken(), sweeper, once_store(), lambda: bench.now).run(
        {"opsbot": "watch"}
    )
    assert summary["reevaluated"] == 1
    assert summary["swept"] == 1


def test_two_change_points_in_the_same_minute_are_two_actions() -> None:
    world = Bench().world
    core = CapacityCore(world.settings, world.capacity, world.intents)
    first = Intent("a", "U0OPS", "raise", 8, 8, NOW, NOW + timedelta(minutes=60, seconds=10), "r")
    second = Intent("b", "U0ADMIN", "raise", 5, 5, NOW, NOW + timedelta(minutes=60, seconds=50), "r")
    core.change(NOW, operation="op", by="U0OPS", summary="s", add=[first, second])
    steps = sorted((a.at, a.min) for a in world.capacity.actions.values())
    assert steps == [(NOW + timedelta(minutes=60, seconds=10), 5), (NOW + timedelta(minutes=60, seconds=50), 2)]


def test_a_refused_scale_writes_no_pending_record_and_is_refused_for_what_it_asks_even_while_locked() -> None:
    world = Bench().world
    world.store.locks["mycandidate/web"] = "someone-else"
    outcome = execute_command("scale 99", world.context())
    assert "above the absolute maximum" in outcome.view.message
    assert [sk for sk in world.store.trail if sk.endswith("#pending")] == []


def test_a_confirmation_of_the_other_kind_is_not_consumed_by_a_forged_button() -> None:
    world = Bench().world
    world.given_capacity(Capacity(8, 14))
    asked = execute_command("scale 12", world.context())
    forged = execute_action("scale_undo_confirm", asked.view.confirmation_id, world.context())
    assert forged.view.kind == "refused"
    confirmed = execute_action("scale_confirm", asked.view.confirmation_id, world.context())
    assert confirmed.view.kind == "applied"
