"""Elections added from Slack, stored in the operations table (moto): added once per slug, removed, read back and
validated like the repository's calendar, and merged over it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from devtools.local_stack import create_bot_resources
from opsbot.aws.elections import ElectionEntries
from opsbot.config import Settings
from opsbot.elections.calendar import load_calendar, merge
from opsbot.errors import ConfigError

NOW = datetime(2027, 2, 1, 9, tzinfo=UTC)
WARD_52 = {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election", "polling_date": "2027-02-17"}


@pytest.fixture
def entries() -> Iterator[tuple[ElectionEntries, object]]:
    with mock_aws():
        session = boto3.session.Session(region_name="af-south-1")
        create_bot_resources(session, None, Settings())
        client = session.client("dynamodb", region_name="af-south-1")
        yield ElectionEntries(client, "opsbot-operations"), client


def test_an_entry_is_added_once_and_read_back_as_a_calendar_entry(entries: tuple[ElectionEntries, object]) -> None:
    store, _ = entries
    assert store.add(WARD_52, by="U0ADMIN", now=NOW) is True
    # A second add of the same slug is refused, not overwritten
    assert store.add({**WARD_52, "name": "Someone else's"}, by="U0OTHER", now=NOW) is False
    (stored,) = store.entries()
    assert stored == WARD_52
    (election,) = load_calendar({"elections": store.entries()}, ceiling=20, source="slack")
    assert (election.slug, election.source, election.name) == ("ward-52", "slack", "Ward 52 by-election")


def test_slack_entries_win_over_the_calendars_on_a_slug_clash(entries: tuple[ElectionEntries, object]) -> None:
    store, _ = entries
    store.add({**WARD_52, "polling_date": "2027-02-24"}, by="U0ADMIN", now=NOW)
    calendar = load_calendar({"elections": [WARD_52]}, ceiling=20)
    (merged,) = merge(calendar, load_calendar({"elections": store.entries()}, ceiling=20, source="slack"))
    assert (merged.source, merged.polling_date.isoformat()) == ("slack", "2027-02-24")


def test_a_removed_entry_is_gone_and_removing_it_again_says_so(entries: tuple[ElectionEntries, object]) -> None:
    store, _ = entries
    store.add(WARD_52, by="U0ADMIN", now=NOW)
    assert store.remove("ward-52") is True
    assert store.remove("ward-52") is False
    assert store.entries() == []


def test_a_damaged_stored_entry_is_refused_by_name_when_the_calendar_is_assembled(
    entries: tuple[ElectionEntries, object],
) -> None:
    store, client = entries
    client.put_item(  # type: ignore[attr-defined]
        TableName="opsbot-operations",
        Item={"pk": {"S": "ELECTION"}, "sk": {"S": "ENTRY#ward-9"}, "entry": {"S": "{not json"}},
    )
    (damaged,) = store.entries()
    assert damaged == {"slug": "ward-9"}
    with pytest.raises(ConfigError, match=r"election 'ward-9': `name` is required"):
        load_calendar({"elections": store.entries()}, ceiling=20, source="slack")
