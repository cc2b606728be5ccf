"""The snapshot commands through the dispatcher (issue 10): roles, the audit trail, a prune while another holds the
database's lock, RDS's errors as clear messages with the attempt audited as failed, and the messages within
Slack's limits with every external string escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from opsbot.commands.dispatch import execute_command
from opsbot.errors import AwsOperationError
from opsbot.slack.blocks import violations
from opsbot.slack.views import render
from tests.fakes import World
from tests.snapshot_fakes import NOW, FakeRds, ours


@pytest.fixture
def world() -> World:
    world = World()
    world.rds = FakeRds()
    return world


def _run(world: World, text: str, user: str = "U0OPS") -> object:
    return execute_command(text, world.context(user=user, now=NOW))


def test_snapshot_takes_one_and_is_audited_as_the_requester(world: World) -> None:
    outcome = _run(world, "snapshot before the results <@U0ADMIN>")
    assert outcome.view.started  # type: ignore[attr-defined]
    (entry,) = [e for e in world.audit() if e.phase == "outcome"]
    assert (entry.actor, entry.verb, entry.result) == ("U0OPS", "snapshot", "ok")
    assert world.rds.calls == ["CreateDBSnapshot opsbot-mycandidate-db-manual-20261203-0800"]
    message = render(outcome)
    assert violations(message) == []
    assert "<@U0ADMIN>" not in str(message)  # the note is shown escaped


def test_a_viewer_may_list_but_not_take_and_only_an_admin_prunes(world: World) -> None:
    assert "operator" in _run(world, "snapshot", user="U0VIEW").view.message  # type: ignore[attr-defined]
    assert _run(world, "snapshots", user="U0VIEW").view.total == 0  # type: ignore[attr-defined]
    assert "admin" in _run(world, "snapshot prune", user="U0OPS").view.message  # type: ignore[attr-defined]
    assert world.rds.calls == []


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("SnapshotQuotaExceeded", "SnapshotQuotaExceeded"),
        ("InvalidDBInstanceState", "InvalidDBInstanceState"),
        ("ThrottlingException", "ThrottlingException"),
        ("AccessDenied", "AccessDenied"),
    ],
)
def test_rds_errors_are_a_clear_message_and_a_failed_audit_entry(world: World, code: str, says: str) -> None:
    def refuse(identifier: str, tags: object) -> object:
        raise AwsOperationError("CreateDBSnapshot", code, f"RDS said {code}")

    world.rds.create = refuse  # type: ignore[method-assign]
    outcome = _run(world, "snapshot")
    assert outcome.view.kind == "failed"  # type: ignore[attr-defined]
    assert "CreateDBSnapshot" in outcome.view.message  # type: ignore[attr-defined]
    (entry,) = [e for e in world.audit() if e.phase == "outcome"]
    assert entry.result == "failed"
    assert says in entry.error or "RDS said" in entry.error


def test_a_prune_while_another_holds_the_databases_lock_is_refused(world: World) -> None:
    world.rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(17)))
    world.store.locks["snapshots:mycandidate-db"] = "someone-else"
    outcome = _run(world, "snapshot prune", user="U0ADMIN")
    assert outcome.view.kind == "refused"  # type: ignore[attr-defined]
    assert world.rds.calls == []


def test_prune_deletes_by_the_rule_and_says_what_went(world: World) -> None:
    world.rds.add(*(ours(f"opsbot-mycandidate-db-nightly-{i:03d}", timedelta(days=10 + i)) for i in range(17)))
    outcome = _run(world, "snapshot prune", user="U0ADMIN")
    assert outcome.view.pruned.deleted == (  # type: ignore[attr-defined]
        "opsbot-mycandidate-db-nightly-014", "opsbot-mycandidate-db-nightly-015", "opsbot-mycandidate-db-nightly-016",
    )  # fmt: skip
    message = render(outcome)
    assert violations(message) == []
    assert "Pruned 3 snapshot(s)" in message["text"]


def test_the_listing_escapes_what_rds_holds(world: World) -> None:
    evil = replace(ours("opsbot-mycandidate-db-manual-1", timedelta(hours=2)), tags={
        "opsbot:created-by": "opsbot", "opsbot:reason": "manual <!channel>", "opsbot:requested-by": "<@U0ADMIN|x>",
    })  # fmt: skip
    world.rds.add(evil)
    message = render(_run(world, "snapshots", user="U0VIEW"))
    assert violations(message) == []
    assert "<!channel>" not in str(message)
    assert "<@U0ADMIN|x>" not in str(message)


def test_bad_arguments_get_a_specific_message(world: World) -> None:
    assert "count from 1 to 50" in _run(world, "snapshots 500").view.message  # type: ignore[attr-defined]
    assert "only understands `--dry-run`" in _run(world, "snapshot prune now", "U0ADMIN").view.message  # type: ignore[attr-defined]
    assert "letters, digits and single hyphens" in _run(world, "snapshot keep a;b").view.message  # type: ignore[attr-defined]
    assert "exactly one" in _run(world, "snapshot keep").view.message  # type: ignore[attr-defined]
