"""The hourly budget of automatic actions (moto DynamoDB): at most ``limit`` actions in ANY rolling 60 minutes,
held by slot items claimed with conditional writes, so concurrent deliveries never exceed it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.local_stack import create_bot_resources
from opsbot.aws.remediation import RemediationStore
from opsbot.config import Settings
from opsbot.ports import RemediationStatePort
from tests.fakes import FakeRemediationState

TABLE = "opsbot-operations"
SERVICE = "mycandidate/web"
LIMIT = 6
AT_10_59 = datetime(2026, 5, 29, 10, 59, tzinfo=UTC)


class RacingClient:
    """The real client, except that ``between`` runs right after each Query, before the write that follows it:
    another writer acting between this store's read of the slots and its claim."""

    def __init__(self, client: Any, between: Callable[[], object]) -> None:
        self._client = client
        self._between = between

    def query(self, **kwargs: Any) -> Any:
        response = self._client.query(**kwargs)
        self._between()
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        session = boto3.session.Session(region_name="af-south-1")
        create_bot_resources(session, None, Settings())
        yield session.client("dynamodb", region_name="af-south-1")


@pytest.fixture
def store(dynamodb: Any) -> RemediationStore:
    return RemediationStore(dynamodb, TABLE, flap_window=timedelta(minutes=10))


def claim(store: RemediationStatePort, times: int, now: datetime) -> list[bool]:
    return [store.count_action(SERVICE, LIMIT, now) for _ in range(times)]


def slot_items(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"BUDGET#{SERVICE}"}},
    )["Items"]
    return items


def test_the_limit_is_claimed_and_the_next_action_is_refused(store: RemediationStore, dynamodb: Any) -> None:
    # Given an empty budget
    # When LIMIT actions are counted, then one more
    counted = claim(store, LIMIT, AT_10_59)
    extra = store.count_action(SERVICE, LIMIT, AT_10_59 + timedelta(minutes=1))
    # Then the LIMIT succeed, the next is refused, and exactly LIMIT slots exist, each with its TTL
    assert counted == [True] * LIMIT
    assert extra is False
    items = slot_items(dynamodb)
    assert sorted(item["sk"]["S"] for item in items) == [f"SLOT#{i}" for i in range(LIMIT)]
    assert all(int(item["expires_at"]["N"]) > AT_10_59.timestamp() + 3600 for item in items)


def test_the_budget_is_not_renewed_at_the_top_of_the_hour(store: RemediationStore) -> None:
    # Given the whole budget spent at 10:59
    claim(store, LIMIT, AT_10_59)
    # When another action comes at 11:01 (a new clock hour, which the former per-hour counter would have allowed)
    allowed = store.count_action(SERVICE, LIMIT, datetime(2026, 5, 29, 11, 1, tzinfo=UTC))
    # Then it is refused: six actions already happened within the last 60 minutes
    assert allowed is False


def test_the_budget_comes_back_an_hour_after_the_actions(store: RemediationStore) -> None:
    # Given the whole budget spent at 10:59
    claim(store, LIMIT, AT_10_59)
    # When actions come at 11:58:59 and then at 11:59:01
    just_before = store.count_action(SERVICE, LIMIT, datetime(2026, 5, 29, 11, 58, 59, tzinfo=UTC))
    after = claim(store, LIMIT + 1, datetime(2026, 5, 29, 11, 59, 1, tzinfo=UTC))
    # Then the first is still refused, and the budget is whole again an hour after the actions (and no more)
    assert just_before is False
    assert after == [True] * LIMIT + [False]


def test_a_rolling_hour_counts_actions_spread_over_it(store: RemediationStore) -> None:
    # Given three actions at 10:20 and three at 10:50
    claim(store, 3, datetime(2026, 5, 29, 10, 20, tzinfo=UTC))
    claim(store, 3, datetime(2026, 5, 29, 10, 50, tzinfo=UTC))
    # When actions come at 11:10 and at 11:21
    at_11_10 = store.count_action(SERVICE, LIMIT, datetime(2026, 5, 29, 11, 10, tzinfo=UTC))
    at_11_21 = claim(store, 4, datetime(2026, 5, 29, 11, 21, tzinfo=UTC))
    # Then 11:10 is refused (six in the last hour); at 11:21 the three from 10:20 have aged out, not the others
    assert at_11_10 is False
    assert at_11_21 == [True, True, True, False]


def test_a_refund_frees_the_slot_it_was_counted_in(store: RemediationStore) -> None:
    # Given the whole budget spent, the last action counted at 10:59:30
    claim(store, LIMIT - 1, AT_10_59)
    last = AT_10_59 + timedelta(seconds=30)
    assert store.count_action(SERVICE, LIMIT, last)
    # When that action is refunded (it did not happen after all)
    store.refund_action(SERVICE, last)
    # Then exactly one action can be counted again
    assert claim(store, 2, AT_10_59 + timedelta(minutes=1)) == [True, False]


def test_a_refund_without_a_matching_claim_changes_nothing(store: RemediationStore, dynamodb: Any) -> None:
    # Given the whole budget spent at 10:59
    claim(store, LIMIT, AT_10_59)
    # When a refund names a time at which nothing was counted
    store.refund_action(SERVICE, AT_10_59 + timedelta(seconds=1))
    # Then no slot is freed
    assert len(slot_items(dynamodb)) == LIMIT
    assert store.count_action(SERVICE, LIMIT, AT_10_59 + timedelta(minutes=2)) is False


def test_a_smaller_limit_ignores_the_slots_beyond_it(store: RemediationStore) -> None:
    # Given six actions counted under a limit of 6
    claim(store, LIMIT, AT_10_59)
    # When the limit is lowered to 2 and raised to 8 within the hour
    lowered = store.count_action(SERVICE, 2, AT_10_59 + timedelta(minutes=5))
    raised = [store.count_action(SERVICE, 8, AT_10_59 + timedelta(minutes=5)) for _ in range(3)]
    # Then the lower limit is spent, and the higher one has exactly two slots left
    assert lowered is False
    assert raised == [True, True, False]


def test_a_slot_taken_between_the_read_and_the_claim_is_skipped(dynamodb: Any) -> None:
    # Given five of six slots used, and another writer that takes the last one right after this store reads them
    other = RemediationStore(dynamodb, TABLE, flap_window=timedelta(minutes=10))
    claim(other, LIMIT - 1, AT_10_59)
    outcomes: list[bool] = []
    racing = RemediationStore(
        RacingClient(dynamodb, lambda: outcomes.append(other.count_action(SERVICE, LIMIT, AT_10_59))),
        TABLE,
        flap_window=timedelta(minutes=10),
    )
    # When this store counts an action
    counted = racing.count_action(SERVICE, LIMIT, AT_10_59)
    # Then the other writer got the last slot, this store's conditional claim failed, and the limit held
    assert outcomes == [True]
    assert counted is False
    assert len(slot_items(dynamodb)) == LIMIT


def test_a_store_that_loses_a_slot_to_a_racer_takes_the_next_free_one(dynamodb: Any) -> None:
    # Given an empty budget, and another writer that counts an action right after this store reads the slots
    other = RemediationStore(dynamodb, TABLE, flap_window=timedelta(minutes=10))
    racing = RemediationStore(
        RacingClient(dynamodb, lambda: claim(other, 1, AT_10_59)), TABLE, flap_window=timedelta(minutes=10)
    )
    # When this store counts an action
    counted = racing.count_action(SERVICE, LIMIT, AT_10_59)
    # Then both are counted, in different slots
    assert counted is True
    assert sorted(item["sk"]["S"] for item in slot_items(dynamodb)) == ["SLOT#0", "SLOT#1"]


def test_many_deliveries_reading_the_same_free_slots_never_exceed_the_limit(dynamodb: Any) -> None:
    # Given ten deliveries that all read the (empty) slots before any of them writes: each one's read is followed
    # by the next one's whole attempt, so every delivery believes all six slots are free
    outcomes: list[bool] = []
    racers = 10

    def store_for(index: int) -> RemediationStore:
        def next_racer() -> None:
            if index + 1 < racers:
                outcomes.append(store_for(index + 1).count_action(SERVICE, LIMIT, AT_10_59))

        return RemediationStore(RacingClient(dynamodb, next_racer), TABLE, flap_window=timedelta(minutes=10))

    # When they all count an action
    outcomes.append(store_for(0).count_action(SERVICE, LIMIT, AT_10_59))
    # Then exactly LIMIT of them are counted, one per slot
    assert sorted(outcomes) == [False] * (racers - LIMIT) + [True] * LIMIT
    assert len(slot_items(dynamodb)) == LIMIT


@pytest.mark.parametrize("kind", ["store", "fake"])
def test_the_unit_tests_fake_keeps_the_same_sliding_hour(kind: str, store: RemediationStore) -> None:
    # Given the DynamoDB store or the unit tests' in-memory fake, with the whole budget spent at 10:59
    state: RemediationStatePort = store if kind == "store" else FakeRemediationState()
    claim(state, LIMIT, AT_10_59)
    # When actions come at 11:01, then one is refunded, then at 11:59:01
    at_11_01 = state.count_action(SERVICE, LIMIT, datetime(2026, 5, 29, 11, 1, tzinfo=UTC))
    state.refund_action(SERVICE, AT_10_59)
    after_refund = claim(state, 2, datetime(2026, 5, 29, 11, 2, tzinfo=UTC))
    at_11_59_01 = claim(state, LIMIT, datetime(2026, 5, 29, 11, 59, 1, tzinfo=UTC))
    # Then both refuse at 11:01, free one slot for the refund, and give back the five 10:59 slots an hour later
    assert at_11_01 is False
    assert after_refund == [True, False]
    assert at_11_59_01 == [True] * (LIMIT - 1) + [False]
