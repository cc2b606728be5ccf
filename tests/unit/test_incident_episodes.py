"""Incidents follow the alarm's episode (entering ALARM until OK), and a Slack report that is lost is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from opsbot.alarms.model import Decision
from opsbot.ports import AuditEntry, IncidentDeliveryError
from tests.fakes import NOW, FakeNotifier
from tests.unit.test_remediation import Bench, bench, transition

__all__ = ["bench"]  # the fixture, shared with the remediation tests

ALARM = "mycandidate-ecs-cpu-high"


def _no_data(minutes: int) -> Any:
    return transition(state="INSUFFICIENT_DATA", old_state="ALARM", at=NOW + timedelta(minutes=minutes))


def _alarm_again(minutes: int) -> Any:
    return transition(old_state="INSUFFICIENT_DATA", at=NOW + timedelta(minutes=minutes))


def _ok(minutes: int) -> Any:
    return transition(state="OK", old_state="ALARM", at=NOW + timedelta(minutes=minutes))


@dataclass
class FailingNotifier(FakeNotifier):
    """Slack refusing every call with ``code``, as it does after the client's retries are spent."""

    code: str = "ratelimited"
    fail_posts: bool = True
    fail_updates: bool = True
    attempts: list[str] = field(default_factory=list)

    def post(self, message: dict[str, Any]) -> tuple[str, str]:
        self.attempts.append("post")
        if self.fail_posts:
            raise IncidentDeliveryError(f"Slack chat.postMessage failed: {self.code}", self.code)
        return super().post(message)

    def update(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        self.attempts.append("update")
        if self.fail_updates:
            raise IncidentDeliveryError(f"Slack chat.update failed: {self.code}", self.code)
        super().update(channel, ts, message)


def _lost_reports(bench: Bench) -> list[AuditEntry]:
    return [entry for entry in bench.world.audit() if entry.verb == "notify"]


def test_alarm_again_after_no_data_updates_the_same_incident_and_recovery_closes_it(bench: Bench) -> None:
    # Given the CPU alarm entered ALARM (the minimum was raised) and its incident was posted
    bench.handle(transition())
    (first,) = bench.notifier.posts
    # When the alarm goes to INSUFFICIENT_DATA and back to ALARM in the same episode
    bench.handle(_no_data(3))
    second = bench.handle(_alarm_again(6))
    # Then no second message is posted: the first is edited to say it is in ALARM again, with what was done now
    assert isinstance(second, Decision)
    assert len(bench.notifier.posts) == 1
    ((_, ts, update),) = bench.notifier.updates
    assert ts == "1780000000.000001"
    assert update["text"].startswith(f"{ALARM} is in ALARM again: ")
    assert "cooldown" in update["text"]  # what happened this time: the raise is still cooling down
    assert f"in ALARM since {NOW:%H:%M:%S} UTC, 2 times" in json.dumps(update)
    assert first["text"] != update["text"]
    # And when the alarm recovers, that same message says so, counting from the start of the episode
    bench.handle(_ok(20))
    (_, recovered_ts, recovery) = bench.notifier.updates[-1]
    assert recovered_ts == ts
    assert "recovered after 20m" in recovery["text"]
    assert bench.world.remediation.incidents == {}


def test_a_new_alarm_after_recovery_is_a_new_episode_with_its_own_message(bench: Bench) -> None:
    # Given an episode that opened and recovered
    bench.handle(transition())
    bench.handle(_ok(10))
    # When the alarm fires again later
    bench.handle(transition(at=NOW + timedelta(hours=1)))
    # Then a second incident message is posted (the first stays "recovered")
    assert len(bench.notifier.posts) == 2
    assert "again" not in bench.notifier.posts[1]["text"]
    assert bench.world.remediation.incidents[ALARM].ts == "1780000000.000002"


def test_a_retry_of_the_alarm_shown_does_not_count_as_entering_alarm_again(bench: Bench) -> None:
    # Given an incident posted for an ALARM
    bench.handle(transition())
    # When a later delivery of that same state change is handled again (a redrive)
    bench.handle(transition())
    # Then the message is edited, and still counts one entry into ALARM
    ((_, _, update),) = bench.notifier.updates
    assert "again" not in update["text"]
    assert bench.world.remediation.incidents[ALARM].alarms == 1


def test_an_incident_slack_would_not_take_is_audited_with_the_error_code_and_the_action_still_happened() -> None:
    # Given Slack rate-limiting every call, beyond the client's retries
    bench = Bench(notifier=FailingNotifier(code="ratelimited"))
    # When the CPU alarm fires
    decision = bench.handle(transition())
    # Then the minimum was still raised, and the audit trail says the incident could not be posted, and why
    assert isinstance(decision, Decision)
    assert decision.acted
    (lost,) = _lost_reports(bench)
    assert (lost.actor, lost.result) == (f"alarm:{ALARM}", "failed")
    assert lost.error == f"the incident for alarm {ALARM} could not be posted in Slack: ratelimited"
    # And the entry carries no message: no before/after, nothing of the payload
    assert (lost.before, lost.after) == ({}, {})
    assert "blocks" not in lost.error
    assert "Threshold" not in lost.error
    # And the decision's own audit entry is kept, apart from the lost report
    assert [e.verb for e in bench.world.audit()].count("remediate") == 1


def test_a_recovery_slack_would_not_take_is_audited_and_the_incident_stays_open_for_a_retry() -> None:
    # Given an open incident, and Slack then refusing updates
    notifier = FailingNotifier(code="channel_not_found", fail_posts=False)
    bench = Bench(notifier=notifier)
    bench.handle(transition())
    # When the alarm recovers
    bench.handle(_ok(10))
    # Then the loss is audited, and the incident stays open so a retry of the OK can still update it
    (lost,) = _lost_reports(bench)
    assert "could not be updated with its recovery" in lost.error
    assert lost.error.endswith(": channel_not_found")
    assert ALARM in bench.world.remediation.incidents


def test_an_unreadable_incident_record_still_posts_the_incident(bench: Bench) -> None:
    # Given the incident records cannot be read (DynamoDB refuses)
    from opsbot.errors import AwsOperationError

    def refused(alarm: str) -> Any:
        raise AwsOperationError("GetItem (incident)", "AccessDeniedException", "not allowed")

    bench.world.remediation.get_incident = refused  # type: ignore[method-assign]
    # When the CPU alarm fires
    decision = bench.handle(transition())
    # Then the minimum was raised and the channel is still told, in a message of its own
    assert isinstance(decision, Decision)
    assert decision.acted
    assert len(bench.notifier.posts) == 1
