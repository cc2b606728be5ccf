"""Snapshots against the moto server (issue 10): `snapshot` from Slack is taken with the scheme's name and tags and
followed by one message in the channel, which RDS's events (the replica's, as its clock advances) update in place
to available; `snapshots` lists with the quota; the prune's dry run; `residency` finds a planted share; the bot
refuses to pin a snapshot it did not make."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import ADMIN, OPERATOR, VIEWER, LocalStack, running_stack
from devtools.transcript import message_text
from opsbot.snapshots import entry

ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-snapshots"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with running_stack() as stack:
        entry._runtime.cache_clear()
        context = FakeLambdaContext(function_name="mycandidate-opsbot-snapshots", invoked_function_arn=ARN)
        stack.on_snapshot_job = lambda payload: entry.handle(payload, context, clock=stack.clock)
        stack.on_rds_event = lambda event: entry.handle(event, context, clock=stack.clock)
        yield stack
        entry._runtime.cache_clear()


def _say(stack: LocalStack, user: str, text: str, tag: str) -> str:
    stack.bot().command(text, user, response_url=f"{stack.recorder.url}/response/{tag}")
    posts = [c for c in stack.recorder.response_url_posts() if c.path == f"/response/{tag}"]
    return message_text(posts[-1].body) if posts else ""


def _channel_messages(stack: LocalStack) -> list[tuple[str, dict[str, Any]]]:
    return [
        (c.api_method, c.body)
        for c in stack.recorder.api_calls()
        if c.api_method in {"chat.postMessage", "chat.update"}
    ]


def test_a_snapshot_from_slack_is_followed_by_one_message_updated_to_available(stack: LocalStack) -> None:
    answer = _say(stack, OPERATOR, "snapshot before results <!channel>", "snap")
    assert "started" in answer
    (follow,) = stack.snapshot_jobs
    identifier = follow["identifier"]
    assert identifier.startswith("opsbot-mycandidate-db-manual-")
    rds = stack.client("rds")
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]
    assert snapshot["Status"] == "creating"
    tags = {t["Key"]: t["Value"] for t in snapshot["TagList"]}
    assert tags["opsbot:created-by"] == "opsbot"
    assert tags["opsbot:requested-by"] == OPERATOR
    assert "<" not in tags["opsbot:note"]
    # Then time passes on the replica: RDS says "creating", then "created", and the one message follows
    stack.advance(timedelta(minutes=5))
    assert [e["detail"]["EventID"] for e in stack.rds_events] == ["RDS-EVENT-0040", "RDS-EVENT-0042"]
    messages = _channel_messages(stack)
    assert [method for method, _ in messages].count("chat.postMessage") == 1
    method, last = messages[-1]
    assert method == "chat.update"
    assert "is available — 100 GiB" in last["text"]
    assert rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]["Status"] == "available"


def test_a_second_snapshot_while_one_is_being_created_reports_that_one(stack: LocalStack) -> None:
    _say(stack, OPERATOR, "snapshot", "first")
    answer = _say(stack, OPERATOR, "snapshot again", "second")
    assert "already being created" in answer
    assert len(stack.snapshot_jobs) == 1


def test_snapshots_lists_with_the_quota_and_prune_dry_run_deletes_nothing(stack: LocalStack) -> None:
    listing = _say(stack, VIEWER, "snapshots 5", "list")
    assert "manual-snapshot quota 1 of 100" in listing
    assert "mycandidate-db-manual-baseline" in listing
    dry = _say(stack, ADMIN, "snapshot prune --dry-run", "prune")
    assert "Prune (dry run): 0 snapshot(s) would go" in dry
    refused = _say(stack, OPERATOR, "snapshot prune", "prune-operator")
    assert "admin" in refused.lower()


def test_residency_reports_a_planted_share_in_red(stack: LocalStack) -> None:
    assert "no copy of" in _say(stack, VIEWER, "residency", "clean")
    stack.client("rds").modify_db_snapshot_attribute(
        DBSnapshotIdentifier="mycandidate-db-manual-baseline", AttributeName="restore", ValuesToAdd=["210987654321"]
    )
    found = _say(stack, VIEWER, "residency", "planted")
    assert ":red_circle: *snapshot mycandidate-db-manual-baseline is shared with account(s) 210987654321*" in found


def test_the_bot_does_not_pin_a_snapshot_it_did_not_make(stack: LocalStack) -> None:
    refused = _say(stack, OPERATOR, "snapshot keep mycandidate-db-manual-baseline", "keep")
    assert "was not made by the bot" in refused
    assert "invalid" not in refused
