"""The reconciler posts the readiness report 48 h and 24 h before polls open — once each, never twice on retries,
and again on the next run when Slack did not take it — and other owners' actions against a window once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opsbot.capacity.core import CapacityCore
from opsbot.commands.readiness import sources
from opsbot.elections.readiness import readiness
from opsbot.errors import AwsOperationError
from opsbot.ports import ScheduledAction
from tests.unit.test_election_scaler import Scene, _election

OPENS = datetime(2027, 2, 17, 5, 0, tzinfo=UTC)  # polls open 07:00 SAST on the by-election's polling day


def _scene() -> Scene:
    scene = Scene(elections=(_election(),))
    world = scene.world

    def report(election: Any, elections: Any, now: datetime, trigger: str) -> Any:
        core = CapacityCore(world.settings, world.capacity, world.intents)
        return readiness(election, elections, sources(world.settings, core, world.ports()), now, trigger)

    scene.readiness = report
    return scene


def _readiness_posts(scene: Scene) -> list[str]:
    return [p["text"] for p in scene.notifier.posts if p["text"].startswith("Readiness for")]


def test_the_reports_come_48_h_and_24_h_before_polls_open_once_each() -> None:
    scene = _scene()
    scene.run(OPENS - timedelta(hours=50))
    assert _readiness_posts(scene) == []
    first = scene.run(OPENS - timedelta(hours=47, minutes=50))
    assert first.posted == ["readiness-48h#ward-52"]
    scene.run(OPENS - timedelta(hours=46, minutes=50))  # the next hourly run, or a retry of the same one
    assert len(_readiness_posts(scene)) == 1
    scene.run(OPENS - timedelta(hours=23, minutes=50))
    scene.run(OPENS - timedelta(hours=22, minutes=50))
    posts = [p for p in scene.notifier.posts if p["text"].startswith("Readiness for")]
    assert len(posts) == 2
    assert "T-48 h report" in str(posts[0]["blocks"])
    assert "T-24 h report" in str(posts[1]["blocks"])


def test_a_run_that_first_looks_after_t_minus_24_h_sends_only_the_24_h_report() -> None:
    scene = _scene()
    summary = scene.run(OPENS - timedelta(hours=3))
    assert summary.posted == ["readiness-24h#ward-52"]
    assert len(_readiness_posts(scene)) == 1


def test_a_report_slack_did_not_take_is_posted_by_the_next_run() -> None:
    scene = _scene()
    scene.notifier.fail = 1
    failed = scene.run(OPENS - timedelta(hours=40))
    assert any(f.startswith("post readiness-48h#ward-52") for f in failed.failed)
    assert _readiness_posts(scene) == []
    scene.run(OPENS - timedelta(hours=39))
    assert len(_readiness_posts(scene)) == 1


def test_another_owners_action_against_a_window_is_reported_once_and_left_alone() -> None:
    scene = _scene()
    noon = datetime(2027, 2, 17, 10, tzinfo=UTC)
    cap = ScheduledAction("finance-cost-cap", "at(2027-02-17T10:00:00)", noon, None, 6)
    scene.world.capacity.actions[cap.name] = cap
    scene.run(OPENS - timedelta(days=6))
    scene.run(OPENS - timedelta(days=6) + timedelta(hours=1))
    reports = [p for p in scene.notifier.posts if "other owners work against a window" in p["text"]]
    assert len(reports) == 1
    assert "finance-cost-cap" in str(reports[0]["blocks"])
    assert scene.world.capacity.actions[cap.name] == cap  # never touched


class FakeSnapshotJobs:
    def __init__(self, fail: int = 0) -> None:
        self.taken: list[tuple[str, datetime]] = []
        self.fail = fail

    def follow(self, identifier: str, channel: str, requested_by: str) -> None: ...

    def take(self, reason: str, scheduled_at: datetime) -> None:
        if self.fail:
            self.fail -= 1
            raise AwsOperationError("Invoke", "TooManyRequestsException", "Lambda is throttling")
        self.taken.append((reason, scheduled_at))


def test_the_pre_election_snapshot_is_asked_for_26_h_before_polls_open_once() -> None:
    scene = _scene()
    jobs = FakeSnapshotJobs(fail=1)
    scene.snapshots = jobs
    scene.run(OPENS - timedelta(hours=27))
    assert jobs.taken == []  # not yet due
    failed = scene.run(OPENS - timedelta(hours=25, minutes=50))
    assert any("pre-election snapshot ward-52" in f for f in failed.failed)  # Lambda refused: asked again next run
    asked = scene.run(OPENS - timedelta(hours=24, minutes=50))
    assert asked.snapshots_requested == ["ward-52"]
    scene.run(OPENS - timedelta(hours=23, minutes=50))
    assert jobs.taken == [("pre-election:ward-52", OPENS - timedelta(hours=26))]


def test_readiness_warns_rather_than_fails_while_the_pre_election_snapshot_is_still_to_come() -> None:
    scene = _scene()
    scene.world.snapshots.latest = OPENS - timedelta(days=3)
    scene.run(OPENS - timedelta(hours=47, minutes=50))
    (post,) = [p for p in scene.notifier.posts if p["text"].startswith("Readiness for")]
    assert ":warning: *RDS snapshot*" in str(post["blocks"])
    assert "pre-election snapshot is due" in str(post["blocks"])
