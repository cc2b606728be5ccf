"""RDS snapshots (issue 10): naming within RDS's rules, the tag scheme, every pre-flight refusal, the nightly run
moved out of the backup and maintenance windows, retention that never touches a foreign, automated, pinned or
held snapshot, pinning only the bot's own, the residency violations, and "ensure a fresh snapshot"."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from opsbot.errors import GuardrailViolation, UsageError
from opsbot.snapshots import naming, preflight, retention, service
from opsbot.snapshots.model import KEEP, NOTE, Instance, Quota, Snapshot
from opsbot.snapshots.residency import violations
from tests.snapshot_fakes import DB, NOW, FakeRds, ours

# naming ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("manual", "opsbot-mycandidate-db-manual-20261203-0800"),
        ("nightly", "opsbot-mycandidate-db-nightly-20261203-0800"),
        ("pre-election:ward-52", "opsbot-mycandidate-db-pre-election-ward-52-20261203-0800"),
        ("pre-cutover:v1.5.0", "opsbot-mycandidate-db-pre-cutover-v1-5-0-20261203-0800"),
        ("alarm:mycandidate-rds--cpu_high", "opsbot-mycandidate-db-alarm-mycandidate-rds-cpu-high-20261203-0800"),
    ],
)
def test_identifiers_follow_the_scheme_and_rdss_rules(reason: str, expected: str) -> None:
    found = naming.identifier(DB, reason, NOW)
    assert found == expected
    assert naming.IDENTIFIER.fullmatch(found)
    assert "--" not in found
    assert not found.endswith("-")


def test_a_long_reason_is_cut_to_255_characters_still_valid() -> None:
    found = naming.identifier(DB, "alarm:" + "x" * 200, NOW)
    assert len(found) <= 255
    assert naming.IDENTIFIER.fullmatch(found)
    assert found.endswith("-20261203-0800")


def test_the_time_in_the_identifier_is_utc() -> None:
    local = datetime(2026, 12, 3, 10, 0, tzinfo=UTC).astimezone()
    assert naming.identifier(DB, "manual", local).endswith("-20261203-1000")


@pytest.mark.parametrize("reason", ["", "weekly", "pre-election:", "alarm:<@U123>", "manual; rm -rf"])
def test_an_unknown_reason_is_refused(reason: str) -> None:
    with pytest.raises(UsageError, match="not a snapshot reason"):
        naming.identifier(DB, reason, NOW)


def test_tags_mark_the_bot_its_reason_requester_and_a_cleaned_note() -> None:
    note = "before results <!channel> <https://evil.example|click> " + "x" * 10_000
    tags = {t["Key"]: t["Value"] for t in naming.tags("manual", "U0OPS", note)}
    assert tags["opsbot:created-by"] == "opsbot"
    assert tags["opsbot:reason"] == "manual"
    assert tags["opsbot:requested-by"] == "U0OPS"
    assert len(tags[NOTE]) <= 256
    assert "<" not in tags[NOTE]
    assert ">" not in tags[NOTE]
    assert "|" not in tags[NOTE]


# pre-flight ---------------------------------------------------------------------------------------------------


def test_an_instance_that_is_not_available_is_refused() -> None:
    with pytest.raises(GuardrailViolation, match="is modifying"):
        preflight.check(Instance(DB, "modifying"), [], None, 0)


def test_a_snapshot_already_being_created_is_reported_instead_of_starting_another() -> None:
    running = replace(ours("opsbot-mycandidate-db-manual-20261203-0755", timedelta(minutes=5)), status="creating")
    rds = FakeRds()
    rds.add(running)
    taken = service.take(rds, reason="manual", requested_by="U0OPS", note="", now=NOW, windows_close={})
    assert (taken.started, taken.snapshot.identifier) == (False, running.identifier)
    assert rds.calls == []


def test_the_quota_warns_from_80_percent_and_refuses_when_full_saying_what_a_prune_frees() -> None:
    warned = preflight.check(Instance(DB, "available"), [], Quota(85, 100), 0)
    assert warned.warnings == ("the manual-snapshot quota is at 85% (85 of 100 manual snapshots)",)
    with pytest.raises(GuardrailViolation, match=r"quota is full \(100 of 100.*would free 3"):
        preflight.check(Instance(DB, "available"), [], Quota(100, 100), 3)


def test_a_full_quota_refusal_counts_what_the_prune_would_free() -> None:
    rds = FakeRds(quota_figures=Quota(100, 100))
    rds.add(*(ours(f"opsbot-mycandidate-db-nightly-2026{i:04d}", timedelta(days=30 + i)) for i in range(16)))
    with pytest.raises(GuardrailViolation, match="would free 2"):
        service.take(rds, reason="manual", requested_by="U0OPS", note="", now=NOW, windows_close={})
    assert rds.calls == []


def test_the_nightly_run_moves_out_of_the_backup_and_maintenance_windows() -> None:
    instance = Instance(DB, "available", backup_window="00:00-00:30", maintenance_window="thu:00:45-thu:01:15")
    at, said = preflight.outside_windows(datetime(2026, 12, 3, 0, 10, tzinfo=UTC), instance)  # a Thursday
    assert at == datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # out of backup (00:45), then of maintenance (01:30)
    assert "maintenance window" in said
    untouched, nothing = preflight.outside_windows(datetime(2026, 12, 3, 22, 0, tzinfo=UTC), instance)
    assert (untouched, nothing) == (datetime(2026, 12, 3, 22, 0, tzinfo=UTC), "")


def test_a_backup_window_across_midnight_is_understood() -> None:
    instance = Instance(DB, "available", backup_window="23:30-00:30")
    at, said = preflight.outside_windows(datetime(2026, 12, 3, 0, 5, tzinfo=UTC), instance)
    assert at == datetime(2026, 12, 3, 0, 45, tzinfo=UTC)
    assert "backup window (23:30-00:30 UTC)" in said


# taking -------------------------------------------------------------------------------------------------------


def test_a_snapshot_is_taken_with_the_schemes_name_and_tags() -> None:
    rds = FakeRds()
    taken = service.take(rds, reason="manual", requested_by="U0OPS", note="before results", now=NOW, windows_close={})
    assert taken.started
    assert rds.calls == ["CreateDBSnapshot opsbot-mycandidate-db-manual-20261203-0800"]
    assert taken.snapshot.is_ours(DB)
    assert taken.snapshot.tags[NOTE] == "before results"


# retention ----------------------------------------------------------------------------------------------------


def _retention(snapshots: list[Snapshot], **kw: object) -> retention.RetentionPlan:
    return retention.plan(snapshots, DB, NOW, windows_close=kw.pop("windows_close", {}), **kw)  # type: ignore[arg-type]


def test_retention_keeps_the_newest_k_and_everything_younger_than_d_days() -> None:
    snapshots = [ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=i, hours=1)) for i in range(20)]
    plan = _retention(snapshots)
    assert [d.snapshot.identifier for d in plan.delete] == [
        f"opsbot-mycandidate-db-nightly-{i:03d}" for i in range(14, 20)
    ]
    small = _retention(snapshots, keep_newest=2)
    assert len(small.delete) == 13  # 7 days' worth stay even past the newest 2


def test_retention_never_deletes_foreign_automated_or_pinned_snapshots() -> None:
    old = timedelta(days=90)
    foreign_prefix = replace(ours("manual-by-a-person", old), identifier="manual-by-a-person")
    foreign_tag = replace(ours("opsbot-mycandidate-db-x", old), tags={})
    automated = replace(ours("rds:mycandidate-db-2026-09-01", old), kind="automated")
    pinned = ours("opsbot-mycandidate-db-manual-pinned", old, **{KEEP: "true"})
    plan = _retention([foreign_prefix, foreign_tag, automated, pinned], keep_newest=0, min_age=timedelta(days=1))
    assert plan.delete == ()
    assert [d.why for d in plan.keep] == ["pinned (opsbot:keep=true)"]


def test_the_newest_pre_election_snapshot_is_held_until_its_window_ends() -> None:
    newest = ours("opsbot-mycandidate-db-pre-election-ward-52-b", timedelta(days=30), "pre-election:ward-52")
    older = ours("opsbot-mycandidate-db-pre-election-ward-52-a", timedelta(days=40), "pre-election:ward-52")
    open_window = {"ward-52": NOW + timedelta(days=1)}
    plan = _retention([newest, older], keep_newest=0, windows_close=open_window)
    assert [d.snapshot.identifier for d in plan.delete] == [older.identifier]
    ended = _retention([newest, older], keep_newest=0, windows_close={"ward-52": NOW - timedelta(hours=1)})
    assert len(ended.delete) == 2


def test_the_newest_pre_cutover_snapshot_is_held_for_seven_days() -> None:
    recent = ours("opsbot-mycandidate-db-pre-cutover-v2", timedelta(days=6), "pre-cutover:v2")
    plan = _retention([recent], keep_newest=0, min_age=timedelta(days=1))
    assert plan.delete == ()
    stale = replace(recent, created=NOW - timedelta(days=8))
    assert len(_retention([stale], keep_newest=0, min_age=timedelta(days=1)).delete) == 1


def test_a_prune_that_fails_halfway_says_which_went() -> None:
    rds = FakeRds()
    rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(17)))
    rds.fail_delete = {"opsbot-mycandidate-db-nightly-015"}
    pruned = service.prune(rds, now=NOW, windows_close={}, dry_run=False)
    assert pruned.deleted == ("opsbot-mycandidate-db-nightly-014",)
    assert pruned.failed.startswith("opsbot-mycandidate-db-nightly-015")
    assert "opsbot-mycandidate-db-nightly-016" in rds.items  # not attempted


def test_a_dry_run_prune_deletes_nothing() -> None:
    rds = FakeRds()
    rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(17)))
    pruned = service.prune(rds, now=NOW, windows_close={}, dry_run=True)
    assert len(pruned.plan.delete) == 3
    assert rds.calls == []


# pinning ------------------------------------------------------------------------------------------------------


def test_only_the_bots_own_snapshot_can_be_pinned() -> None:
    rds = FakeRds()
    mine = ours("opsbot-mycandidate-db-manual-1", timedelta(days=1))
    theirs = replace(mine, identifier="release-backup", tags={})
    rds.add(mine, theirs)
    service.pin(rds, mine.identifier, keep=True)
    assert rds.items[mine.identifier].pinned
    service.pin(rds, mine.identifier, keep=False)
    assert not rds.items[mine.identifier].pinned
    with pytest.raises(GuardrailViolation, match="not made by the bot"):
        service.pin(rds, "release-backup", keep=True)
    with pytest.raises(GuardrailViolation, match="no snapshot"):
        service.pin(rds, "opsbot-mycandidate-db-missing", keep=True)
    with pytest.raises(UsageError, match="not a snapshot identifier"):
        service.pin(rds, "x; aws rds delete-db-instance", keep=True)


# residency ----------------------------------------------------------------------------------------------------


def test_a_clean_instance_has_no_violations() -> None:
    rds = FakeRds()
    rds.add(ours("opsbot-mycandidate-db-manual-1", timedelta(days=1)))
    assert service.residency_check(rds, "af-south-1") == []


def test_every_planted_violation_is_reported() -> None:
    rds = FakeRds(
        instance_figures=Instance(
            DB, "available", encrypted=True, kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/k",
            backup_replications=("arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-1",),
            read_replicas=("arn:aws:rds:eu-west-1:123456789012:db:replica",),
        )
    )  # fmt: skip
    rds.add(
        ours("opsbot-mycandidate-db-manual-1", timedelta(days=1)),
        replace(ours("opsbot-mycandidate-db-manual-2", timedelta(days=1)), encrypted=False),
    )
    rds.shares = {"opsbot-mycandidate-db-manual-1": ["210987654321"]}
    found = [v.what for v in service.residency_check(rds, "af-south-1")]
    assert found == [
        "snapshot opsbot-mycandidate-db-manual-1 is shared with account(s) 210987654321",
        "automated backups are replicated to eu-west-1",
        "read replica arn:aws:rds:eu-west-1:123456789012:db:replica is in eu-west-1",
        "the storage is encrypted with a KMS key in eu-west-1",
        "the bot's snapshot opsbot-mycandidate-db-manual-2 is not encrypted",
    ]


def test_a_public_snapshot_and_unencrypted_storage_are_violations() -> None:
    found = violations(Instance(DB, "available", encrypted=False), [], {"x": ["all"]}, "af-south-1", DB)
    assert [v.what for v in found] == [
        "snapshot x is shared with everyone (public)",
        "the storage of mycandidate-db is not encrypted",
    ]


# ensure a fresh snapshot ----------------------------------------------------------------------------------------


def test_ensure_recent_uses_a_fresh_snapshot_or_takes_one_and_waits() -> None:
    rds = FakeRds()
    rds.add(ours("opsbot-mycandidate-db-nightly-1", timedelta(hours=3)))
    kw = {"reason": "pre-cutover:v2", "requested_by": "U0OPS", "now": NOW, "wait_s": 60, "windows_close": {}}
    found = service.ensure_recent(rds, max_age=timedelta(hours=6), **kw)  # type: ignore[arg-type]
    assert (found.identifier, rds.calls) == ("opsbot-mycandidate-db-nightly-1", [])
    taken = service.ensure_recent(rds, max_age=timedelta(hours=1), **kw)  # type: ignore[arg-type]
    assert taken.identifier == "opsbot-mycandidate-db-pre-cutover-v2-20261203-0800"
    assert taken.status == "available"
    rds.becomes = "failed"
    rds.items.pop(taken.identifier)
    with pytest.raises(GuardrailViolation, match="is failed"):
        service.ensure_recent(rds, max_age=timedelta(hours=1), **kw)  # type: ignore[arg-type]
