"""The DynamoDB operations table (moto): change lock and confirmations; the append-only audit table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from devtools.local_stack import create_bot_resources
from opsbot.aws.audit import AuditStore
from opsbot.aws.store import OperationsStore
from opsbot.config import Settings
from opsbot.errors import AuditRecordExists, ChangeInProgress
from opsbot.ports import AuditEntry

NOW = datetime(2026, 5, 29, 5, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[OperationsStore]:
    with mock_aws():
        session = boto3.session.Session(region_name="af-south-1")
        create_bot_resources(session, None, Settings())
        yield OperationsStore(
            session.client("dynamodb", region_name="af-south-1"),
            "opsbot-operations",
            lock_ttl=timedelta(minutes=5),
            confirmation_ttl=timedelta(minutes=10),
        )


def test_a_second_change_cannot_take_the_lock_until_the_first_releases_it(store: OperationsStore) -> None:
    store.acquire("mycandidate/web", "first", NOW)
    with pytest.raises(ChangeInProgress):
        store.acquire("mycandidate/web", "second", NOW + timedelta(seconds=1))
    store.release("mycandidate/web", "first")
    store.acquire("mycandidate/web", "second", NOW + timedelta(seconds=2))


def test_a_lock_left_by_a_crashed_run_expires(store: OperationsStore) -> None:
    store.acquire("mycandidate/web", "crashed", NOW)
    store.acquire("mycandidate/web", "later", NOW + timedelta(minutes=6))


def test_releasing_someone_elses_lock_does_not_free_it(store: OperationsStore) -> None:
    store.acquire("mycandidate/web", "owner", NOW)
    store.release("mycandidate/web", "intruder")
    with pytest.raises(ChangeInProgress):
        store.acquire("mycandidate/web", "third", NOW)


def test_a_confirmation_can_be_used_once_and_not_after_it_expires(store: OperationsStore) -> None:
    store.put("c1", {"request": "12"}, NOW)
    assert store.take("c1", NOW) == {"request": "12"}
    assert store.take("c1", NOW) is None
    store.put("c2", {"request": "12"}, NOW)
    assert store.take("c2", NOW + timedelta(minutes=11)) is None


@pytest.fixture
def audit() -> Iterator[AuditStore]:
    with mock_aws():
        session = boto3.session.Session(region_name="af-south-1")
        create_bot_resources(session, None, Settings())
        yield AuditStore(session.client("dynamodb", region_name="af-south-1"), "opsbot-audit")


def test_audit_lists_newest_first_and_round_trips_before_and_after(audit: AuditStore) -> None:
    store = audit
    for minute in range(3):
        at = NOW + timedelta(minutes=minute)
        store.record(
            AuditEntry(
                f"{at.isoformat()}#{minute}",
                at,
                "U0OPS",
                "C0OPS",
                "scale",
                str(4 + minute),
                "allowed",
                "ok",
                before={"min": 2, "max": 10},
                after={"min": 4 + minute, "max": 10},
            )
        )
    latest = store.latest(2)
    assert [e.arguments for e in latest] == ["6", "5"]
    assert latest[0].after == {"min": 6, "max": 10}
    assert store.get(latest[1].key) == latest[1]


def _entry(key: str, phase: str, at: datetime = NOW, result: str = "ok") -> AuditEntry:
    return AuditEntry(key, at, "U0OPS", "C0OPS", "scale", "4", "allowed", result, phase=phase)


def test_the_audit_trail_never_rewrites_a_record(audit: AuditStore) -> None:
    # Given an outcome in the trail
    key = "2026-05-29T05:00:00.000000Z#0000abcd"
    audit.record(_entry(key, "outcome"))
    # When something tries to write the same record again (a retry, a bug)
    with pytest.raises(AuditRecordExists):
        audit.record(_entry(key, "outcome", result="failed"))
    # Then the first record stands
    found = audit.get(key)
    assert found is not None
    assert found.result == "ok"


def test_a_change_leaves_two_linked_records_and_the_listing_shows_it_once(audit: AuditStore) -> None:
    # Given a change that wrote its pending record and then its outcome
    key = "2026-05-29T05:00:00.000000Z#0000abcd"
    audit.record(_entry(key, "pending", result="pending"))
    audit.record(_entry(key, "outcome", at=NOW + timedelta(seconds=1)))
    # Then both are kept, `get` answers with the outcome, and the listing shows the operation once
    found = audit.get(key)
    assert found is not None
    assert (found.phase, found.result) == ("outcome", "ok")
    assert [(e.key, e.phase) for e in audit.latest(10)] == [(key, "outcome")]
    assert audit.unfinished(NOW - timedelta(hours=1), NOW + timedelta(hours=1)) == []


def test_an_operation_cut_short_is_found_by_its_pending_record_alone(audit: AuditStore) -> None:
    # Given a pending record with no outcome (the function stopped between acting and recording)
    key = "2026-05-29T05:00:00.000000Z#0000dead"
    audit.record(_entry(key, "pending", result="pending"))
    # Then it is listed as still running and found as unfinished
    assert [(e.key, e.phase) for e in audit.latest(10)] == [(key, "pending")]
    (unfinished,) = audit.unfinished(NOW - timedelta(hours=1), NOW + timedelta(minutes=1))
    assert unfinished.key == key
