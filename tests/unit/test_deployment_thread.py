"""One Slack thread per service deployment (issue 11): started for a running deployment, each stage, verdict and the
pause's gate posted once (an event and the poll together post nothing twice; a failed post is retried), and the end
explained — which hook or alarm, the values the hook measured, links to the console. ECS's events are accepted only
for this bot's own service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from devtools.events import load_event
from opsbot.cutover import events, thread
from opsbot.cutover.tracker import Render, Tracker
from opsbot.ports import AuditEntry, IncidentDeliveryError
from opsbot.slack.blocks import violations
from opsbot.slack.cutover_views import thread_gate, thread_line, thread_top
from tests.fakes import FakeNotifier, FakeStore
from tests.snapshot_fakes import NOW

DEPLOYMENT = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/Bs3QXUPe2LtBHMMqDUJU9"
REGION = "af-south-1"


@dataclass
class FakeThreads:
    threads: dict[str, tuple[str, str]] = field(default_factory=dict)
    claimed: set[tuple[str, str]] = field(default_factory=set)

    def thread(self, deployment: str) -> tuple[str, str] | None:
        return self.threads.get(deployment)

    def start(self, deployment: str, channel: str, ts: str, now: Any) -> None:
        self.threads[deployment] = (channel, ts)

    def claim(self, deployment: str, key: str, now: Any) -> bool:
        if (deployment, key) in self.claimed:
            return False
        self.claimed.add((deployment, key))
        return True

    def release(self, deployment: str, key: str) -> None:
        self.claimed.discard((deployment, key))


@dataclass
class Described:
    status: str = "IN_PROGRESS"
    stage: str = "POST_TEST_TRAFFIC_SHIFT"
    pause: str = ""  # the PAUSE hook's status, "" = not reached
    triggered: tuple[str, ...] = ()
    reason: str = ""

    def latest(self) -> dict[str, Any]:
        return self.describe(DEPLOYMENT)

    def describe(self, arn: str) -> dict[str, Any]:
        hooks: list[dict[str, Any]] = [{"hookId": "h-lambda", "targetType": "AWS_LAMBDA", "status": "SUCCEEDED"}]
        if self.pause:
            hooks.append({"hookId": "h-pause", "targetType": "PAUSE", "status": self.pause,
                          "expiresAt": NOW + timedelta(minutes=30), "timeoutAction": "ROLLBACK"})  # fmt: skip
        return {
            "serviceDeploymentArn": DEPLOYMENT, "status": self.status, "lifecycleStage": self.stage,
            "lifecycleHookDetails": hooks, "deploymentConfiguration": {"bakeTimeInMinutes": 10},
            "alarms": {"status": "TRIGGERED" if self.triggered else "MONITORING",
                       "alarmNames": ["mycandidate-alb-5xx-rate"], "triggeredAlarmNames": list(self.triggered)},
            "statusReason": self.reason,
        }  # fmt: skip


class FlakyNotifier(FakeNotifier):
    fail_next: bool = False

    def reply(self, channel: str, ts: str, message: dict[str, Any]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise IncidentDeliveryError("Slack said no", "ratelimited")
        super().reply(channel, ts, message)


@pytest.fixture
def scene() -> tuple[Described, FakeThreads, FlakyNotifier, FakeStore, Tracker]:
    described, threads, notifier, store = Described(), FakeThreads(), FlakyNotifier(), FakeStore()
    store.record(AuditEntry(
        key="op-deploy", at=NOW - timedelta(minutes=5), actor="U0OPS", channel="C0OPS", verb="deploy",
        arguments="v1.5.0", decision="allowed", result="ok",
        after={"deployment": DEPLOYMENT, "image": "123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.5.0"},
    ))  # fmt: skip
    render = Render(thread_top, thread_line, thread_gate)
    tracker = Tracker(described, threads, notifier, store, store, render, REGION, lambda: NOW)  # type: ignore[arg-type]
    return described, threads, notifier, store, tracker


def _verdict(store: FakeStore, status: str, reason: str) -> None:
    store.record(AuditEntry(
        key=f"hook-{status}", at=NOW, actor="ecs", channel="", verb="cutover-hook", arguments="POST_TEST_TRAFFIC_SHIFT",
        decision="allowed", result="ok" if status == "SUCCEEDED" else "failed",
        after={"deployment": DEPLOYMENT, "stage": "POST_TEST_TRAFFIC_SHIFT", "status": status, "reason": reason},
    ))  # fmt: skip


def _texts(notifier: FakeNotifier) -> list[str]:
    return [reply[2]["text"] for reply in notifier.replies]


def test_the_thread_starts_with_who_deployed_what_and_posts_each_line_once(scene: Any) -> None:
    described, threads, notifier, store, tracker = scene
    assert tracker.follow(DEPLOYMENT) == 1
    (top,) = notifier.posts
    assert "<@U0OPS>" in top["text"]
    assert "mycandidate:v1.5.0" in top["text"]
    assert threads.threads[DEPLOYMENT] == ("C0OPS", "1780000000.000001")
    assert "Stage POST_TEST_TRAFFIC_SHIFT" in _texts(notifier)[0]
    assert tracker.follow() == 0  # the poll after the event: nothing twice
    described.stage, described.pause = "POST_TEST_TRAFFIC_SHIFT", "AWAITING_ACTION"
    _verdict(store, "SUCCEEDED", "smoke tests and analysis passed: 3 of 3 measurements successful")
    assert tracker.follow(DEPLOYMENT) == 2  # the verdict, then the gate
    verdict, gate = notifier.replies[-2:]
    assert "smoke tests and analysis passed" in verdict[2]["text"]
    buttons = [e["action_id"] for b in gate[2]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["cutover_promote", "cutover_rollback"]
    assert all(violations(message) == [] for message in [top, *(r[2] for r in notifier.replies)])


def test_a_failed_post_is_posted_by_the_next_delivery(scene: Any) -> None:
    _, _, notifier, _, tracker = scene
    notifier.fail_next = True
    with pytest.raises(IncidentDeliveryError):
        tracker.follow(DEPLOYMENT)
    assert tracker.follow(DEPLOYMENT) == 1
    assert len(notifier.posts) == 1  # the thread itself was started once


def test_a_rollback_by_the_hook_says_which_check_failed_with_its_values(scene: Any) -> None:
    described, _, notifier, store, tracker = scene
    tracker.follow(DEPLOYMENT)
    reason = "smoke test failed: candidates: HTTP 500 (expected 200)"
    _verdict(store, "FAILED", reason)
    described.status, described.stage = "ROLLBACK_SUCCESSFUL", "CLEAN_UP"
    tracker.follow(DEPLOYMENT)
    *_, rolling, end = _texts(notifier)
    assert f"Rolling back — why: the hook at POST_TEST_TRAFFIC_SHIFT failed: {reason}" in rolling
    assert f"Rolled back — the hook at POST_TEST_TRAFFIC_SHIFT failed: {reason}" in end
    assert "console.aws.amazon.com/ecs/v2/clusters/mycandidate/services/web/deployments/Bs3QXUPe2LtBHMMqDUJU9" in end
    ((_, _, updated),) = notifier.updates  # the top message says how it ended
    assert "Rolled back" in str(updated["blocks"])


def test_a_rollback_by_an_alarm_names_the_alarm_with_a_link(scene: Any) -> None:
    described, _, notifier, _, tracker = scene
    described.status, described.stage, described.triggered = "ROLLBACK_IN_PROGRESS", "BAKE_TIME", ("a<b>&c",)
    tracker.follow(DEPLOYMENT)
    end = _texts(notifier)[-1]
    assert "rollback alarm a&lt;b&gt;&amp;c went into ALARM" in end  # escaped: alarm names are outside text
    assert "#alarmsV2:alarm/a%3Cb%3E%26c" in end
    assert "Baking for 10 min" in " ".join(_texts(notifier))


def test_an_old_finished_deployment_gets_no_thread_from_the_poll(scene: Any) -> None:
    described, _, notifier, _, tracker = scene
    described.status = "SUCCESSFUL"
    assert tracker.follow() == 0
    assert notifier.posts == []


def test_the_end_of_a_completed_deployment() -> None:
    found = thread.lines(Described(status="SUCCESSFUL", stage="CLEAN_UP").describe(DEPLOYMENT), [], REGION)
    assert found[-1].key == "end:SUCCESSFUL"
    assert found[-1].end


@pytest.mark.parametrize(("change", "says"), [
    ({"account": "999999999999"}, "not this bot's"),
    ({"region": "eu-west-1"}, "not this bot's"),
    ({"detail": {"serviceArn": "arn:aws:ecs:af-south-1:123456789012:service/mycandidate/api"}}, "not arn:aws:ecs"),
    ({"detail": "nope"}, "no detail object"),
])  # fmt: skip
def test_ecs_events_for_anything_but_this_service_are_refused(change: dict[str, Any], says: str) -> None:
    event = load_event("ecs_hook_awaiting_action.json") | change
    refused = events.follow(event, "123456789012", REGION, "mycandidate", "web")
    assert isinstance(refused, str)
    assert says in refused


def test_ecs_events_name_the_deployment_to_follow() -> None:
    hook = events.follow(load_event("ecs_hook_awaiting_action.json"), "123456789012", REGION, "mycandidate", "web")
    assert hook == events.Follow(DEPLOYMENT, "HOOK_AWAITING_ACTION")
    old = events.follow(load_event("ecs_deployment_in_progress.json"), "123456789012", REGION, "mycandidate", "web")
    assert old == events.Follow("", "SERVICE_DEPLOYMENT_IN_PROGRESS")
