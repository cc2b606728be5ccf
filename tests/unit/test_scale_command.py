"""`scale`: parsing, guardrails, locking, failure handling, confirmation and Undo — with in-memory ports."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from opsbot.commands.dispatch import execute_action, execute_command, parse_command
from opsbot.errors import UsageError
from opsbot.logic.scaling import Capacity
from opsbot.ports import ScheduledAction
from opsbot.slack.views import render
from tests.fakes import NOW, World


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("scale", "tell me what to scale to"),
        ("scale abc", "`abc` is not a valid task count"),
        ("scale -1", "`-1` is not a valid task count; use a whole number (counts are positive)"),
        ("scale 5 6", "unexpected `6`"),
        ("scale ４", "`４` is not a valid task count"),
        ("scale 3.5", "`3.5` is not a valid task count"),
        ("scale 4 for", "`for` needs a duration"),
        ("scale 4 for ever", "`ever` is not a duration"),
        ("scale min=3 min=4", "`min=` is given twice"),
        ("scale min=3 banana", "unexpected `banana`"),
        ("scale reset for 2h", "cannot take `for <duration>`"),
        ("scale min=", "`min=` needs a number after it"),
    ],
)
def test_bad_scale_text_gets_a_usage_message_naming_the_problem(text: str, names: str) -> None:
    # Given a malformed scale command / When it is parsed / Then the error names what was wrong, escaped
    with pytest.raises(UsageError) as raised:
        parse_command(text)
    assert names in str(raised.value)
    assert raised.value.usage.startswith("/mycandidate scale")


@pytest.mark.parametrize("payload", ["<@U0BOSS>", "<!channel>", "<https://evil.example|click>", "a&b"])
def test_user_text_echoed_back_is_escaped_so_it_cannot_ping_or_link(payload: str) -> None:
    # Given a scale command carrying a Slack mention, broadcast or link
    world = World()
    # When it is rendered for Slack
    message = render(execute_command(f"scale {payload}", world.context()))
    # Then the echo is escaped and nothing in the message can notify anyone or link anywhere
    rendered = json.dumps(message)
    assert payload not in rendered
    assert payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in rendered


def test_slack_dash_conversion_of_dry_run_flag_is_understood() -> None:
    assert parse_command("scale 4 —dry-run").parsed.dry_run is True


def test_scale_raises_the_autoscaling_minimum_and_records_before_and_after() -> None:
    # Given the service at min 2 / max 10
    world = World()
    # When an operator runs `scale 4`
    outcome = execute_command("scale 4", world.context())
    # Then the minimum is 4 (max unchanged), the lock is free, and the audit trail holds before -> after
    assert world.capacity.capacity == Capacity(4, 10)
    assert outcome.view.kind == "applied"
    assert outcome.view.undo_key == world.audit()[-1].key
    entry = world.audit()[-1]
    assert (entry.verb, entry.decision, entry.result) == ("scale", "allowed", "ok")
    assert entry.before == {"min": 2, "max": 10}
    assert (entry.after["min"], entry.after["max"]) == (4, 10)
    # And the change is a person's permanent setting, recorded with the capacity generation it made
    assert entry.after["generation"] == 1
    assert [i.owner for i in world.intents.intents()] == ["U0OPS"]
    assert world.store.locks == {}


def test_scale_above_the_ceiling_is_refused_and_nothing_changes() -> None:
    world = World()
    outcome = execute_command("scale 50", world.context())
    assert outcome.view.kind == "refused"
    assert "50 tasks is above the absolute maximum of 20" in outcome.view.message
    assert world.capacity.capacity == Capacity(2, 10)
    assert "RegisterScalableTarget" not in world.capacity.calls
    assert world.audit()[-1].decision == "refused"


def test_huge_number_is_refused_by_the_guardrail_not_a_crash() -> None:
    world = World()
    outcome = execute_command("scale 99999999999", world.context())
    assert "99999999999 tasks is above the absolute maximum of 20" in outcome.view.message


def test_a_step_larger_than_allowed_is_refused_with_the_limit() -> None:
    world = World()
    outcome = execute_command("scale 9", world.context())
    assert "step of 7; the largest step per command is 6" in outcome.view.message
    assert world.capacity.capacity == Capacity(2, 10)


def test_dry_run_shows_the_plan_and_changes_nothing() -> None:
    world = World()
    outcome = execute_command("scale 4 for 6h --dry-run", world.context())
    assert outcome.view.kind == "dry-run"
    assert outcome.view.after == Capacity(4, 10)
    assert outcome.view.revert_at == NOW + timedelta(hours=6)
    assert world.capacity.capacity == Capacity(2, 10)
    assert world.capacity.actions == {}
    assert world.audit()[-1].decision == "dry-run"


def test_temporary_raise_schedules_a_revert_to_the_previous_bounds() -> None:
    world = World()
    execute_command("scale 6 for 6h", world.context())
    revert = world.capacity.actions["opsbot-capacity-20260529T110000Z"]
    assert (revert.at, revert.min, revert.max) == (NOW + timedelta(hours=6), 2, 10)
    assert list(world.capacity.actions) == ["opsbot-capacity-20260529T110000Z"]


def test_a_shorter_second_raise_does_not_cut_the_first_one_short() -> None:
    # Given `scale 6 for 6h` (until 11:00)
    world = World()
    execute_command("scale 6 for 6h", world.context())
    # When `scale 8 for 2h` follows
    outcome = execute_command("scale 8 for 2h", world.context())
    # Then capacity is 8 until 07:00, 6 until 11:00, then back to the baseline
    assert world.capacity.capacity == Capacity(8, 10)
    timeline = sorted((a.at, a.min, a.max) for a in world.capacity.actions.values())
    assert timeline == [(NOW + timedelta(hours=2), 6, 10), (NOW + timedelta(hours=6), 2, 10)]
    assert [(a.at, a.capacity) for a in outcome.view.later] == [
        (NOW + timedelta(hours=2), Capacity(6, 10)),
        (NOW + timedelta(hours=6), Capacity(2, 10)),
    ]


def test_raise_above_threshold_waits_for_confirmation_then_applies_once() -> None:
    # Given the service already at min 8 / max 14
    world = World()
    world.given_capacity(Capacity(8, 14))
    # When an operator asks for 12 (above the confirmation threshold of 10)
    outcome = execute_command("scale 12", world.context())
    # Then nothing changes until Confirm is pressed
    assert outcome.view.kind == "confirm"
    assert world.capacity.capacity == Capacity(8, 14)
    confirmed = execute_action("scale_confirm", outcome.view.confirmation_id, world.context())
    assert confirmed.view.kind == "applied"
    assert world.capacity.capacity == Capacity(12, 14)
    # And a second press of the same button does nothing more
    again = execute_action("scale_confirm", outcome.view.confirmation_id, world.context())
    assert again.view.kind == "refused"
    assert "expired or was already used" in again.view.message


def test_reset_returns_to_baseline_in_one_step_and_cancels_the_revert() -> None:
    world = World()
    execute_command("scale 6 for 6h", world.context())
    execute_command("scale reset", world.context())
    assert world.capacity.capacity == Capacity(2, 10)
    assert world.capacity.actions == {}


def test_viewer_cannot_scale_and_the_refusal_is_audited() -> None:
    world = World()
    outcome = execute_command("scale 4", world.context(user="U0VIEW"))
    assert outcome.view.kind == "refused"
    assert outcome.view.message == "`scale` needs the operator role; you have the viewer role"
    assert world.capacity.capacity == Capacity(2, 10)
    entry = world.audit()[-1]
    assert (entry.actor, entry.decision) == ("U0VIEW", "refused")


def test_operator_outside_the_ops_channels_is_refused() -> None:
    world = World()
    outcome = execute_command("scale 4", world.context(channel="C0RANDOM"))
    assert "not available in this channel" in outcome.view.message
    assert world.capacity.capacity == Capacity(2, 10)


def test_aws_throttling_is_reported_audited_as_failed_and_the_lock_released() -> None:
    world = World()
    world.capacity.fail_on = {"RegisterScalableTarget"}
    outcome = execute_command("scale 4", world.context())
    assert outcome.view.kind == "failed"
    assert "throttling" in outcome.view.message
    assert world.audit()[-1].result == "failed"
    assert world.store.locks == {}


def test_failure_to_schedule_the_revert_puts_the_capacity_back() -> None:
    # Given scheduling will fail / When a temporary raise is asked for
    world = World()
    world.capacity.fail_on = {"PutScheduledAction"}
    outcome = execute_command("scale 4 for 6h", world.context())
    # Then no raise is left behind without its revert, and the user is told
    assert world.capacity.capacity == Capacity(2, 10)
    assert "capacity was put back to min 2 / max 10" in outcome.view.message
    assert world.audit()[-1].result == "failed"


def test_a_held_lock_refuses_a_concurrent_change() -> None:
    world = World()
    world.store.locks["mycandidate/web"] = "someone-else"
    outcome = execute_command("scale 4", world.context())
    assert "another change to mycandidate/web is in progress" in outcome.view.message
    assert world.capacity.capacity == Capacity(2, 10)


def test_undo_restores_the_previous_bounds_and_cancels_the_revert() -> None:
    world = World()
    applied = execute_command("scale 6 for 6h", world.context())
    undone = execute_action("scale_undo", applied.view.undo_key, world.context())
    assert undone.view.kind == "undone"
    assert world.capacity.capacity == Capacity(2, 10)
    assert world.capacity.actions == {}
    assert world.audit()[-1].after["undoes"] == applied.view.undo_key


def test_undo_of_a_setting_that_a_later_setting_replaced_has_nothing_to_undo() -> None:
    world = World()
    applied = execute_command("scale 4", world.context())
    execute_command("scale 6", world.context())
    undone = execute_action("scale_undo", applied.view.undo_key, world.context())
    assert undone.view.kind == "refused"
    assert "already undone, expired or replaced" in undone.view.message
    assert world.capacity.capacity == Capacity(6, 10)


def test_undo_after_another_change_asks_then_removes_only_its_own_raise() -> None:
    # Given A = `scale 6 for 2h`, then B = `scale 8 for 1h` by someone else
    world = World()
    a = execute_command("scale 6 for 2h", world.context())
    execute_command("scale 8 for 1h", world.context(user="U0ADMIN"))
    # When Undo is pressed on A
    asked = execute_action("scale_undo", a.view.undo_key, world.context())
    # Then it says what changed since and asks, changing nothing
    assert asked.view.kind == "confirm-undo"
    assert "`scale 8 for 1h` by U0ADMIN" in asked.view.note
    assert "U0ADMIN" in asked.view.note
    assert world.capacity.capacity == Capacity(8, 10)
    # And when confirmed, only A's raise goes: B's stays until it ends
    undone = execute_action("scale_undo_confirm", asked.view.confirmation_id, world.context())
    assert undone.view.kind == "undone"
    assert [i.owner for i in world.intents.intents()] == ["U0ADMIN"]
    assert sorted((a.at, a.min) for a in world.capacity.actions.values()) == [(NOW + timedelta(hours=1), 2)]
    assert world.audit()[-1].after["undoes"] == a.view.undo_key


def test_undo_needs_the_operator_role() -> None:
    world = World()
    applied = execute_command("scale 4", world.context())
    refused = execute_action("scale_undo", applied.view.undo_key, world.context(user="U0VIEW"))
    assert refused.view.kind == "refused"
    assert world.capacity.capacity == Capacity(4, 10)


def test_a_change_whose_audit_record_fails_is_still_reported_as_applied_with_a_warning() -> None:
    # Given the audit table accepts the pending entry, then starts throttling
    world = World()
    world.store.records_before_failure = 1
    # When an operator scales
    outcome = execute_command("scale 4", world.context())
    # Then the user is told what actually happened, and that it is not in the audit trail
    assert world.capacity.capacity == Capacity(4, 10)
    assert outcome.view.kind == "applied"
    assert "not recorded in the audit trail" in outcome.warning
    assert "not recorded in the audit trail" in json.dumps(render(outcome))


def test_when_the_audit_trail_is_down_nothing_is_changed() -> None:
    world = World()
    world.store.records_before_failure = 0
    outcome = execute_command("scale 4", world.context())
    assert world.capacity.capacity == Capacity(2, 10)
    assert "audit trail is unavailable, so nothing was changed" in outcome.view.message


def test_a_failed_lock_release_does_not_hide_a_change_that_happened() -> None:
    world = World()
    world.store.fail_release = True
    outcome = execute_command("scale 4", world.context())
    assert outcome.view.kind == "applied"
    assert world.audit()[-1].result == "ok"


def test_undo_that_cannot_restore_the_revert_puts_capacity_back_and_says_so() -> None:
    # Given a temporary raise was reset (cancelling its revert)
    world = World()
    execute_command("scale 6 for 6h", world.context())
    reset = execute_command("scale reset", world.context())
    # When Undo of the reset cannot re-create the revert
    world.capacity.fail_on = {"PutScheduledAction"}
    outcome = execute_action("scale_undo", reset.view.undo_key, world.context())
    # Then the bounds are not left half-restored, and the message and audit say where things stand
    assert world.capacity.capacity == Capacity(2, 10)
    assert "capacity was put back to min 2 / max 10" in outcome.view.message
    entry = world.audit()[-1]
    assert entry.result == "failed"
    assert entry.after == {"min": 2, "max": 10}


def test_the_single_revert_slot_of_earlier_versions_is_replaced_by_the_timeline() -> None:
    # Given a revert from yesterday still listed by Application Auto Scaling, and a person's own action
    world = World()
    world.capacity.actions["opsbot-revert-web"] = ScheduledAction(
        "opsbot-revert-web", "at(2026-05-28T05:00:00)", NOW - timedelta(days=1), 2, 10
    )
    world.capacity.actions["nightly-scale-in"] = ScheduledAction("nightly-scale-in", "cron(0 1 * * ? *)", None, 2, 6)
    # When a new temporary raise is made
    execute_command("scale 6 for 1h", world.context())
    # Then the bot's old slot is gone, its timeline is in place, and the person's action is untouched
    assert set(world.capacity.actions) == {"opsbot-capacity-20260529T060000Z", "nightly-scale-in"}
    assert world.capacity.actions["nightly-scale-in"].max == 6


def test_a_second_undo_says_it_is_already_undone() -> None:
    world = World()
    applied = execute_command("scale 4", world.context())
    execute_action("scale_undo", applied.view.undo_key, world.context())
    again = execute_action("scale_undo", applied.view.undo_key, world.context())
    assert again.view.message == (
        "nothing to undo: that change is already undone, expired or replaced (capacity is min 2 / max 10)"
    )


def test_confirm_refused_by_a_held_lock_stays_usable() -> None:
    world = World()
    world.given_capacity(Capacity(8, 14))
    asked = execute_command("scale 12", world.context())
    world.store.locks["mycandidate/web"] = "someone-else"
    refused = execute_action("scale_confirm", asked.view.confirmation_id, world.context())
    assert "in progress" in refused.view.message
    del world.store.locks["mycandidate/web"]
    confirmed = execute_action("scale_confirm", asked.view.confirmation_id, world.context())
    assert confirmed.view.kind == "applied"
    assert world.capacity.capacity == Capacity(12, 14)


@pytest.mark.parametrize("failing", ["DescribeScalableTargets", "RegisterScalableTarget"])
def test_a_confirmed_change_that_aws_refuses_changes_nothing_and_the_confirm_button_works_again(failing: str) -> None:
    # Given a raise waiting for its Confirm, and AWS refusing a call of the change (before it, or put back after)
    world = World()
    world.given_capacity(Capacity(8, 14))
    asked = execute_command("scale 12", world.context())
    world.capacity.fail_on = {failing}
    # When Confirm is pressed
    failed = execute_action("scale_confirm", asked.view.confirmation_id, world.context())
    # Then the operator is told why with AWS's code, it is audited as failed, nothing changed, the lock is free
    assert failed.view.kind == "failed"
    assert "ThrottlingException" in failed.view.message
    assert (world.audit()[-1].result, world.audit()[-1].error) == ("failed", failed.view.message)
    assert world.capacity.capacity == Capacity(8, 14)
    assert world.store.locks == {}
    # And once AWS answers again, the same button applies it (not "already used" for a change that never happened)
    world.capacity.fail_on = set()
    confirmed = execute_action("scale_confirm", asked.view.confirmation_id, world.context())
    assert confirmed.view.kind == "applied"
    assert world.capacity.capacity == Capacity(12, 14)


def test_reset_at_the_baseline_changes_nothing() -> None:
    world = World()
    outcome = execute_command("scale reset", world.context())
    assert outcome.view.kind == "noop"
    assert "RegisterScalableTarget" not in world.capacity.calls
