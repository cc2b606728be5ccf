"""The DynamoDB operations table (moto): change lock, confirmations and audit ordering."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from devtools.local_stack import create_bot_resources
from opsbot.aws.store import OperationsStore
from opsbot.config import Settings
from opsbot.errors import ChangeInProgress
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


def test_audit_lists_newest_first_and_round_trips_before_and_after(store: OperationsStore) -> None:
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
