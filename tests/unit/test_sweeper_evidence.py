"""A snapshot or a deploy cut short is completed from what AWS shows (issue 12, crash safety): RDS's tagged
snapshots and ECS's service deployments decide ``ok`` or ``failed``, not "unknown"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsbot.commands.base import new_audit_key
from opsbot.cutover.sweep import deploy_evidence
from opsbot.operations.sweeper import Sweeper
from opsbot.ports import AuditEntry
from opsbot.snapshots.model import CREATED_BY, CREATED_BY_VALUE, REASON, REQUESTED_BY, Snapshot
from opsbot.snapshots.sweep import snapshot_evidence
from tests.fakes import NOW
from tests.unit.test_remediation import Bench

DB = "mycandidate-db"


class Rds:
    db = DB

    def __init__(self, *snapshots: Snapshot) -> None:
        self._snapshots = list(snapshots)

    def snapshots(self) -> list[Snapshot]:
        return self._snapshots


def _ours(identifier: str, minutes: int, **tags: str) -> Snapshot:
    return Snapshot(
        identifier, DB, "manual", "creating", NOW + timedelta(minutes=minutes),
        tags={CREATED_BY: CREATED_BY_VALUE, **tags},
    )  # fmt: skip


def _pending(verb: str, actor: str = "U0OPS", arguments: str = "") -> AuditEntry:
    key = new_audit_key(NOW, "0000cafe")
    return AuditEntry(key, NOW, actor, "C0OPS", verb, arguments, "allowed", "pending", phase="pending")


def test_a_snapshot_cut_short_after_rds_accepted_it_is_ok_and_names_the_snapshot() -> None:
    rds = Rds(_ours(f"opsbot-{DB}-manual-1", 0, **{REQUESTED_BY: "U0OPS", REASON: "manual"}))
    result, summary = snapshot_evidence(rds, _pending("snapshot"))  # type: ignore[arg-type]
    assert result == "ok"
    assert f"opsbot-{DB}-manual-1" in summary


def test_a_snapshot_cut_short_before_rds_was_asked_is_failed() -> None:
    # An older snapshot by the same person, and one by someone else during the run, are not this operation's
    rds = Rds(
        _ours(f"opsbot-{DB}-manual-0", -60, **{REQUESTED_BY: "U0OPS"}),
        _ours(f"opsbot-{DB}-manual-2", 1, **{REQUESTED_BY: "U0OTHER"}),
        Snapshot(f"opsbot-{DB}-manual-3", DB, "manual", "creating", NOW, tags={REQUESTED_BY: "U0OPS"}),  # untagged
    )
    result, summary = snapshot_evidence(rds, _pending("snapshot"))  # type: ignore[arg-type]
    assert result == "failed"
    assert "take it again" in summary


def test_a_scheduled_snapshot_is_recognised_by_its_reason() -> None:
    rds = Rds(_ours(f"opsbot-{DB}-pre-election-1", 2, **{REASON: "pre-election:lge-2026"}))
    entry = _pending("snapshot", actor="snapshots:pre-election", arguments="pre-election:lge-2026")
    assert snapshot_evidence(rds, entry)[0] == "ok"  # type: ignore[arg-type]


class Ecs:
    def __init__(self, latest: dict[str, Any] | None) -> None:
        self._latest = latest

    def latest(self) -> dict[str, Any] | None:
        return self._latest

    def service(self) -> dict[str, Any]:
        return {"taskDefinition": "arn:aws:ecs:af-south-1:123456789012:task-definition/mycandidate-web:7"}


def test_a_deploy_cut_short_after_update_service_is_ok_with_its_deployment() -> None:
    arn = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/abc123"
    ecs = Ecs({"serviceDeploymentArn": arn, "createdAt": NOW + timedelta(seconds=3), "status": "IN_PROGRESS"})
    result, summary = deploy_evidence(ecs, _pending("deploy", arguments="v1.4.3"))  # type: ignore[arg-type]
    assert result == "ok"
    assert "abc123" in summary


def test_a_deploy_cut_short_before_update_service_is_failed_and_names_what_runs() -> None:
    ecs = Ecs({"serviceDeploymentArn": "arn:…/old", "createdAt": NOW - timedelta(days=2), "status": "SUCCESSFUL"})
    result, summary = deploy_evidence(ecs, _pending("deploy", arguments="v1.4.3"))  # type: ignore[arg-type]
    assert result == "failed"
    assert "mycandidate-web:7" in summary


def test_when_aws_cannot_be_asked_the_record_stays_open_for_the_next_sweep() -> None:
    bench = Bench()
    world = bench.world
    world.store.record(_pending("snapshot"))

    def unreachable(entry: AuditEntry) -> tuple[str, str]:
        raise OSError("connection refused")

    bench.now = NOW + timedelta(minutes=20)
    sweeper = Sweeper(bench.settings, world.store, world.store, world.capacity, world.intents, lambda: bench.now,
                      evidence={"snapshot": unreachable})  # fmt: skip
    assert sweeper.sweep() == []
    assert sweeper.sweep() == []  # still open: asked again, never guessed
    (left,) = world.store.unfinished(NOW - timedelta(days=1), bench.now)
    assert left.verb == "snapshot"


def test_a_schedule_sync_cut_short_after_its_commit_is_materialised_by_its_marker() -> None:
    # Given a `schedule sync` (not a verb the sweeper knows) stopped after it committed an intent and its marker
    from opsbot.capacity.core import APPLIED
    from opsbot.capacity.model import Generation, Intent
    from opsbot.logic.scaling import Capacity

    bench = Bench()
    world = bench.world
    key = new_audit_key(NOW, "0000abcd")
    world.intents.put_intent(Intent(key, "election:ward-52", "raise", 5, 10, NOW, NOW + timedelta(hours=6), "w52"))
    world.intents.bump_generation(0, Generation(1, key, "election:ward-52", "sync", NOW))
    world.intents.markers[key] = APPLIED
    world.store.record(AuditEntry(key, NOW, "U0OPS", "C0OPS", "schedule sync", "", "allowed", "pending",
                                  phase="pending"))  # fmt: skip
    # When the sweeper runs once it is old enough
    bench.now = NOW + timedelta(minutes=20)
    (swept,) = Sweeper(bench.settings, world.store, world.store, world.capacity, world.intents,
                       lambda: bench.now).sweep()  # fmt: skip
    # Then the change is recorded as made and AWS is brought in line with the intents, not left "unknown"
    assert swept.result == "ok"
    assert world.capacity.capacity == Capacity(5, 10)


class Confirmations:
    def __init__(self, *waiting: str) -> None:
        self._waiting = set(waiting)

    def waiting(self, confirmation_id: str) -> bool:
        return confirmation_id in self._waiting


OLD = {"serviceDeploymentArn": "arn:…/old", "createdAt": NOW - timedelta(days=2), "status": "SUCCESSFUL"}


def test_a_reject_cut_short_is_done_once_its_approval_is_taken_and_failed_before() -> None:
    from opsbot.cutover.sweep import deploy_evidence

    entry = _pending("deploy", arguments="deploy_reject c0ffee")
    taken = deploy_evidence(Ecs(OLD), entry, confirmations=Confirmations())  # type: ignore[arg-type]
    assert taken == ("ok", "the deploy was rejected: its approval is used up and nothing was deployed")
    result, summary = deploy_evidence(Ecs(OLD), entry, confirmations=Confirmations("c0ffee"))  # type: ignore[arg-type]
    assert result == "failed"
    assert "the approval was not used" in summary


def test_an_approve_cut_short_before_the_deployment_says_whether_its_button_still_works() -> None:
    from opsbot.cutover.sweep import deploy_evidence

    entry = _pending("deploy", arguments="deploy_approve c0ffee")
    spent = deploy_evidence(Ecs(OLD), entry, confirmations=Confirmations())  # type: ignore[arg-type]
    assert spent[0] == "failed"
    assert spent[1].endswith("deploy again")
    unused = deploy_evidence(Ecs(OLD), entry, confirmations=Confirmations("c0ffee"))  # type: ignore[arg-type]
    assert unused[0] == "failed"
    assert "its Approve button works again" in unused[1]


def _at_the_pause(hook_status: str, status: str = "IN_PROGRESS") -> Ecs:
    return Ecs({
        "serviceDeploymentArn": "arn:…/abc", "status": status, "lifecycleStage": "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "createdAt": NOW - timedelta(minutes=20),
        "lifecycleHookDetails": [{"hookId": "h-pause", "targetType": "PAUSE", "status": hook_status}],
    })  # fmt: skip


def test_a_gate_answer_cut_short_while_the_deployment_still_waits_is_failed_and_says_run_cutover_again() -> None:
    from opsbot.cutover.sweep import gate_evidence

    result, summary = gate_evidence(
        _at_the_pause("AWAITING_ACTION"), _pending("cutover", arguments="cutover_promote c0")
    )  # type: ignore[arg-type]
    assert result == "failed"
    assert "run `cutover` again" in summary


def test_a_gate_answer_cut_short_once_the_pause_is_over_asks_a_person_to_check() -> None:
    from opsbot.cutover.sweep import gate_evidence

    ecs = _at_the_pause("SUCCEEDED")
    result, summary = gate_evidence(ecs, _pending("cutover", arguments="cutover_promote c0"))  # type: ignore[arg-type]
    assert result == "unknown"
    assert "no longer waits at its pause (IN_PROGRESS at PRE_PRODUCTION_TRAFFIC_SHIFT)" in summary
