"""Incident delivery against the moto server and the Slack recorder: one message per alarm episode, Slack's
rate limiting retried, and a message Slack never took recorded in the audit trail."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from devtools.events import load_event
from devtools.local_stack import LocalStack
from opsbot import dependencies
from opsbot.alarms.entry import process
from opsbot.idempotency import exactly_once

ALARM = "mycandidate-ecs-cpu-high"


@pytest.fixture
def alarms(stack: LocalStack) -> Any:
    remediator = dependencies.build_remediator(stack.settings)
    once = exactly_once(stack.settings, local_cache=True)
    return lambda event: process(event, remediator, once)


def _state_change(state: str, previous: str, minute: int) -> dict[str, Any]:
    """The CPU alarm's EventBridge event, moved to 05:<minute> and to ``previous`` -> ``state``."""
    event = copy.deepcopy(load_event("alarm_eventbridge_cpu_high.json"))
    at = f"2026-05-29T05:{minute:02d}:00"
    event["id"] = f"episode-{state}-{minute}"
    event["time"] = f"{at}Z"
    event["detail"]["state"].update(value=state, timestamp=f"{at}.123+0000")
    event["detail"]["previousState"]["value"] = previous
    return dict(event)


def _incident_posts(stack: LocalStack) -> list[Any]:
    """Incident messages Slack accepted (not thread replies, not refused attempts)."""
    calls = stack.recorder.api_calls("chat.postMessage")
    return [c for c in calls if (c.response or {}).get("ok") and not (c.body or {}).get("thread_ts")]


def test_alarm_no_data_alarm_then_ok_is_one_message_edited_in_place(stack: LocalStack, alarms: Any) -> None:
    # Given the CPU alarm entering ALARM, losing its data, entering ALARM again and recovering
    alarms(_state_change("ALARM", "OK", 0))
    alarms(_state_change("INSUFFICIENT_DATA", "ALARM", 5))
    alarms(_state_change("ALARM", "INSUFFICIENT_DATA", 10))
    alarms(_state_change("OK", "ALARM", 20))
    # Then the channel got one incident message, edited by the second ALARM and by the recovery
    (post,) = _incident_posts(stack)
    ts = post.response["ts"]
    updates = [c.body for c in stack.recorder.api_calls("chat.update")]
    assert [u["ts"] for u in updates] == [ts, ts]
    assert updates[0]["text"].startswith(f"{ALARM} is in ALARM again")
    assert "recovered after 20m" in updates[1]["text"]


def test_slack_rate_limiting_an_incident_is_retried_and_the_incident_is_posted(stack: LocalStack, alarms: Any) -> None:
    # Given Slack answering the next chat.postMessage with 429 (Retry-After: 0)
    stack.recorder.refuse("chat.postMessage", times=1)
    # When the CPU alarm fires
    alarms(load_event("alarm_eventbridge_cpu_high.json"))
    # Then the client retried and the incident was posted, once
    attempts = stack.recorder.api_calls("chat.postMessage")
    assert [(c.response or {}).get("ok") for c in attempts] == [False, True]
    (post,) = _incident_posts(stack)
    assert ALARM in post.body["text"]
    # And recovery can find and update it
    alarms(load_event("alarm_eventbridge_cpu_ok.json"))
    (update,) = stack.recorder.api_calls("chat.update")
    assert update.body["ts"] == post.response["ts"]


def test_an_incident_slack_keeps_refusing_is_audited_and_the_action_still_happens(
    stack: LocalStack, alarms: Any
) -> None:
    # Given Slack rate-limiting more often than the client retries
    stack.recorder.refuse("chat.postMessage", times=10)
    # When the CPU alarm fires
    summary = alarms(load_event("alarm_eventbridge_cpu_high.json"))
    # Then the minimum was raised all the same, after a bounded number of attempts
    assert summary["acted"] == 1
    assert stack.capacity() == (4, 10)
    assert len(stack.recorder.api_calls("chat.postMessage")) == 3
    # And the audit trail says the incident was not posted, with Slack's error code
    entries = dependencies.build_ports(stack.settings).audit.latest(20)
    (lost,) = [e for e in entries if e.verb == "notify"]
    assert (lost.actor, lost.result) == (f"alarm:{ALARM}", "failed")
    assert lost.error == f"the incident for alarm {ALARM} could not be posted in Slack: ratelimited"


def test_an_unreadable_slack_secret_costs_the_report_not_the_remediation(stack: LocalStack) -> None:
    # Given an alarm function whose Slack secret cannot be read (deleted, or access denied)
    settings = replace(stack.settings, slack_secret_id="mycandidate-opsbot/dev/missing")
    remediator = dependencies.build_remediator(settings)
    # When the CPU alarm fires
    summary = process(load_event("alarm_eventbridge_cpu_high.json"), remediator, exactly_once(settings))
    # Then the minimum was raised, nothing reached Slack, and the audit trail says the incident was lost and why
    assert summary["acted"] == 1
    assert stack.capacity() == (4, 10)
    assert stack.recorder.api_calls("chat.postMessage") == []
    entries = dependencies.build_ports(settings).audit.latest(20)
    (lost,) = [e for e in entries if e.verb == "notify"]
    why = "credentials_unavailable (ResourceNotFoundException)"  # the secret is not there: AWS's own code
    assert lost.error == f"the incident for alarm {ALARM} could not be posted in Slack: {why}"
