"""The snapshots function (issue 10): one Slack message follows a snapshot and is updated in place (by RDS's
events or by polling), the nightly run (snapshot, prune, residency; moved out of the backup window), the
pre-election snapshot for the reconciler, and the events it refuses or ignores, with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from opsbot.config import Settings
from opsbot.errors import AwsOperationError
from opsbot.operations.runner import OperationRunner
from opsbot.slack.blocks import violations
from opsbot.slack.snapshot_views import progress, report
from opsbot.snapshots.entry import parse
from opsbot.snapshots.jobs import JobPorts, Render, SnapshotJobs
from opsbot.snapshots.model import Followed, Instance
from tests.fakes import FakeNotifier, FakeStore
from tests.snapshot_fakes import NOW, FakeRds, ours

SETTINGS = Settings(slack_channel="C0OPS", account_id="123456789012")


@dataclass
class FakeProgress:
    items: dict[str, Followed] = field(default_factory=dict)

    def record(self, followed: Followed) -> bool:
        if followed.identifier in self.items:
            return False
        self.items[followed.identifier] = followed
        return True

    def get(self, identifier: str) -> Followed | None:
        return self.items.get(identifier)


@dataclass
class FakeMoves:
    created: list[tuple[str, Any]] = field(default_factory=list)

    def create(self, name: str, at: Any) -> None:
        self.created.append((name, at))


@dataclass
class Bench:
    rds: FakeRds = field(default_factory=FakeRds)
    progress: FakeProgress = field(default_factory=FakeProgress)
    notifiers: dict[str, FakeNotifier] = field(default_factory=dict)
    store: FakeStore = field(default_factory=FakeStore)
    moves: FakeMoves = field(default_factory=FakeMoves)
    now: Any = NOW + timedelta(hours=14)  # 22:00 UTC: outside the fake instance's backup and maintenance windows

    def notifier(self, channel: str) -> FakeNotifier:
        return self.notifiers.setdefault(channel, FakeNotifier())

    def jobs(self) -> SnapshotJobs:
        ports = JobPorts(self.rds, self.progress, self.notifier, lambda: {}, self.moves)
        runner = OperationRunner(SETTINGS, self.store, self.store, clock=lambda: self.now)
        return SnapshotJobs(runner, ports, SETTINGS, lambda: self.now, Render(progress, report))


def _texts(notifier: FakeNotifier) -> list[str]:
    return [m["text"] for m in notifier.posts] + [m["text"] for _, _, m in notifier.updates]


def test_one_message_follows_a_snapshot_from_creating_to_available() -> None:
    bench = Bench()
    taken = bench.rds.create("opsbot-mycandidate-db-manual-20261203-0800", [
        {"Key": "opsbot:created-by", "Value": "opsbot"}, {"Key": "opsbot:reason", "Value": "manual"},
    ])  # fmt: skip
    result = bench.jobs().follow(taken.identifier, "C0OPS", "U0OPS")
    assert result == {"followed": taken.identifier, "status": "available"}
    ops = bench.notifiers["C0OPS"]
    assert len(ops.posts) == 1  # one message…
    assert "is creating" in ops.posts[0]["text"]
    (channel, ts, final) = ops.updates[-1]  # …updated in place
    assert (channel, ts) == ("C0OPS", "1780000000.000001")
    assert "is available — 100 GiB" in final["text"]
    assert violations(final) == []


def test_an_rds_event_updates_the_message_that_follows_it_and_a_retry_posts_no_second_one() -> None:
    bench = Bench()
    snapshot = ours("opsbot-mycandidate-db-manual-1", timedelta(minutes=3))
    bench.rds.add(replace(snapshot, status="creating"))
    bench.rds.becomes = "creating"  # RDS is slow: the poll gives up before it is done
    jobs = bench.jobs()
    jobs.follow(snapshot.identifier, "C0OPS", "U0OPS")
    jobs.follow(snapshot.identifier, "C0OPS", "U0OPS")  # a retried delivery
    assert len(bench.notifiers["C0OPS"].posts) == 1
    bench.rds.add(snapshot)  # available now
    assert jobs.on_event(snapshot.identifier, "RDS-EVENT-0042")["status"] == "available"
    assert "is available" in bench.notifiers["C0OPS"].updates[-1][2]["text"]


def test_an_event_for_a_snapshot_no_message_follows_is_ignored() -> None:
    bench = Bench()
    assert bench.jobs().on_event("opsbot-mycandidate-db-manual-9", "RDS-EVENT-0042") == {
        "ignored": "no message follows opsbot-mycandidate-db-manual-9"
    }


def test_a_failed_snapshot_says_so() -> None:
    bench = Bench()
    bench.rds.add(replace(ours("opsbot-mycandidate-db-manual-1", timedelta(minutes=3)), status="creating"))
    bench.rds.becomes = "failed"
    assert bench.jobs().follow("opsbot-mycandidate-db-manual-1", "C0OPS", "U0OPS")["status"] == "failed"
    assert ":x: Snapshot" in bench.notifiers["C0OPS"].updates[-1][2]["text"]


def test_the_nightly_run_takes_prunes_and_checks_residency() -> None:
    bench = Bench()
    bench.rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(16)))
    bench.rds.shares = {"opsbot-mycandidate-db-nightly-000": ["210987654321"]}
    summary = bench.jobs().nightly("2026-12-03T22:00:00.000000Z#00000001", "owner")
    assert summary["snapshot"]["started"] is True
    assert summary["prune"]["deleted"] == 3  # 17 of the bot's now: the newest 14 stay
    assert summary["residency_violations"] == 1
    texts = _texts(bench.notifiers["C0OPS"])
    assert any("Residency: 1 violation" in t for t in texts)
    verbs = sorted((e.verb, e.actor) for e in bench.store.entries.values() if e.phase == "outcome")
    assert verbs == [("snapshot", "snapshots:nightly"), ("snapshot prune", "snapshots:nightly")]


def _refused(operation: str) -> Any:
    def fail(*_args: Any) -> Any:
        raise AwsOperationError(operation, "AccessDeniedException", "the bot's IAM role is not allowed to do this")

    return fail


def _old_nightlies(bench: Bench) -> None:
    bench.rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(16)))


def test_a_nightly_run_whose_snapshot_fails_prunes_nothing_and_says_so() -> None:
    bench = Bench()
    _old_nightlies(bench)
    bench.rds.create = _refused("CreateDBSnapshot")  # type: ignore[method-assign]
    summary = bench.jobs().nightly("2026-12-03T22:00:00.000000Z#00000004", "owner")
    assert "AccessDeniedException" in summary["snapshot"]["failed"]
    assert "prune" not in summary
    assert not [c for c in bench.rds.calls if c.startswith("DeleteDBSnapshot")]  # the old ones all stay
    (said,) = _texts(bench.notifiers["C0OPS"])
    assert "Nightly snapshot failed" in said
    assert "AccessDeniedException" in said
    assert "nothing was pruned" in said


def test_a_nightly_run_whose_residency_check_fails_after_the_prune_says_so_instead_of_raising() -> None:
    bench = Bench()
    _old_nightlies(bench)
    bench.rds.shared_with = _refused("DescribeDBSnapshotAttributes")  # type: ignore[method-assign]
    summary = bench.jobs().nightly("2026-12-03T22:00:00.000000Z#00000005", "owner")  # a raise: Lambda runs it again
    assert summary["prune"]["deleted"] == 3
    assert "AccessDeniedException" in summary["residency_failed"]
    assert any("residency check could not run" in t and "AccessDeniedException" in t
               for t in _texts(bench.notifiers["C0OPS"]))  # fmt: skip


def test_a_nightly_run_whose_progress_message_cannot_follow_the_snapshot_still_prunes() -> None:
    bench = Bench()
    _old_nightlies(bench)
    bench.rds.wait_available = _refused("DescribeDBSnapshots")  # type: ignore[method-assign]
    summary = bench.jobs().nightly("2026-12-03T22:00:00.000000Z#00000006", "owner")
    assert summary["snapshot"]["started"] is True
    assert "AccessDeniedException" in summary["snapshot"]["follow_failed"]
    assert summary["prune"]["deleted"] == 3


def test_a_nightly_prune_that_cannot_run_says_so() -> None:
    bench = Bench()
    _old_nightlies(bench)
    listed = bench.rds.snapshots
    calls = {"n": 0}

    def snapshots() -> Any:  # the take's pre-flight reads the list; the prune's read is refused
        calls["n"] += 1
        if calls["n"] > 1:
            raise AwsOperationError("DescribeDBSnapshots", "AccessDeniedException", "not allowed")
        return listed()

    bench.rds.snapshots = snapshots  # type: ignore[method-assign]
    summary = bench.jobs().nightly("2026-12-03T22:00:00.000000Z#00000007", "owner")
    assert "AccessDeniedException" in summary["prune"]["failed"]
    assert any("Nightly prune failed" in t and "AccessDeniedException" in t for t in _texts(bench.notifiers["C0OPS"]))


def test_the_nightly_run_moves_out_of_the_backup_window_and_says_so() -> None:
    bench = Bench(now=NOW.replace(hour=0, minute=10))
    summary = bench.jobs().nightly("k", "owner")
    assert summary == {"moved": NOW.replace(hour=0, minute=45).isoformat()}
    assert bench.moves.created == [("opsbot-snapshot-20261203T004500Z", NOW.replace(hour=0, minute=45))]
    assert bench.rds.calls == []
    assert "backup window" in _texts(bench.notifiers["C0OPS"])[0]


def test_the_pre_election_snapshot_is_taken_as_the_system_actor() -> None:
    bench = Bench()
    result = bench.jobs().take("pre-election:ward-52", "election:ward-52", "C0OPS", "k#00000002", "owner")
    assert result["snapshot"] == "opsbot-mycandidate-db-pre-election-ward-52-20261203-2200"
    assert bench.rds.items[result["snapshot"]].reason == "pre-election:ward-52"


def test_a_refused_snapshot_is_audited_and_reported() -> None:
    bench = Bench()
    bench.rds.instance_figures = Instance("mycandidate-db", "rebooting")
    result = bench.jobs().take("nightly", "snapshots:nightly", "C0OPS", "k#00000003", "owner")
    assert "rebooting" in result["failed"]
    (entry,) = [e for e in bench.store.entries.values() if e.phase == "outcome"]
    assert (entry.decision, entry.result) == ("refused", "refused")


# the events the function accepts ------------------------------------------------------------------------------


def _rds_event(**detail: Any) -> dict[str, Any]:
    return {
        "source": "aws.rds", "detail-type": "RDS DB Snapshot Event", "account": "123456789012",
        "region": "af-south-1",
        "detail": {"EventID": "RDS-EVENT-0042", "SourceIdentifier": "opsbot-mycandidate-db-manual-1", **detail},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"opsbot": "snapshot-follow", "identifier": "x; rm -rf /", "channel": "C0OPS", "by": "U0OPS"}, "identifier"),
        ({"opsbot": "snapshot-follow", "identifier": "opsbot-x", "channel": "#general", "by": "U0OPS"}, "channel"),
        ({"opsbot": "snapshot-follow", "identifier": "opsbot-x", "channel": "C0OPS", "by": "<!channel>"}, "`by`"),
        ({"opsbot": "snapshot-nightly", "scheduled_at": "tonight"}, "ISO 8601"),
        ({"opsbot": "snapshot-take", "reason": "manual", "scheduled_at": "2026-12-03T00:00:00Z"}, "pre-election"),
        ({"opsbot": "weekly"}, "not a snapshot job"),
        ([1, 2], "not a JSON object"),
        ({**_rds_event(), "region": "eu-west-1"}, "ignored: an RDS event of region eu-west-1"),
        ({**_rds_event(), "account": "210987654321"}, "ignored: an RDS event of another account"),
        (_rds_event(EventID="RDS-EVENT-0091"), "ignored: RDS event RDS-EVENT-0091"),
        (_rds_event(SourceIdentifier="rds:mycandidate-db-2026-12-03"), "ignored: a snapshot the bot did not make"),
    ],
)
def test_events_that_are_not_acted_on_say_why(event: Any, says: str) -> None:
    reason = parse(event, SETTINGS)
    assert isinstance(reason, str)
    assert says in reason


def test_the_events_it_acts_on() -> None:
    assert parse(_rds_event(), SETTINGS) == (
        "event", {"identifier": "opsbot-mycandidate-db-manual-1", "event_id": "RDS-EVENT-0042"}
    )  # fmt: skip
    assert parse({"opsbot": "snapshot-nightly", "scheduled_at": "2026-12-03T00:30:00Z"}, SETTINGS) == (
        "nightly", {"scheduled_at": "2026-12-03T00:30:00Z"}
    )  # fmt: skip
