"""`sam local invoke` of SnapshotsFunction against moto in a container (issue 10), with every sample event: the
nightly run takes the bot's snapshot (named and tagged by the scheme) or moves itself out of the backup window,
and a second delivery does nothing; a follow posts one message and updates it; the pre-election job takes its
snapshot; RDS's events for a snapshot nobody follows, or of another region, are ignored with the reason; a
malformed event is rejected by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devtools.events import load_event
from devtools.local_stack import OPS_CHANNEL, create_bot_resources
from devtools.replica import seed_replica
from opsbot.config import Settings

FUNCTION = "SnapshotsFunction"
SETTINGS = Settings(
    operations_table="opsbot-operations",
    audit_table="opsbot-audit",
    idempotency_table="opsbot-idempotency",
    slack_secret_id="mycandidate-opsbot/dev/slack",
)


@pytest.fixture(scope="module")
def seeded(offline_stack: Any, moto_session: Any) -> Any:
    seed_replica(moto_session, endpoint_url=offline_stack.moto.host_url)
    create_bot_resources(moto_session, offline_stack.moto.host_url, SETTINGS)
    return offline_stack


@pytest.fixture
def function_env() -> dict[str, str]:
    return {
        "OPSBOT_OPERATIONS_TABLE": SETTINGS.operations_table,
        "OPSBOT_AUDIT_TABLE": SETTINGS.audit_table,
        "OPSBOT_IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
        "OPSBOT_SLACK_SECRET_ID": SETTINGS.slack_secret_id,
        "OPSBOT_SLACK_CHANNEL": OPS_CHANNEL,
        "OPSBOT_SNAPSHOT_SCHEDULE_GROUP": "default",
        "OPSBOT_SNAPSHOT_SCHEDULE_ROLE_ARN": "arn:aws:iam::123456789012:role/opsbot-e2e-snapshot-schedules",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _ours(aws_client: Callable[[str], Any]) -> dict[str, dict[str, Any]]:
    found = aws_client("rds").describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]
    return {s["DBSnapshotIdentifier"]: s for s in found if s["DBSnapshotIdentifier"].startswith("opsbot-")}


def test_the_snapshot_events_under_sam_local_invoke(
    seeded: Any, sam_invoke: Any, aws_client: Callable[[str], Any], function_env: dict[str, str]
) -> None:
    seeded.clear_recorder()
    nightly = sam_invoke(FUNCTION, load_event("snapshots_nightly.json"), function_env)
    assert nightly.error is None, nightly.stderr[-3000:]
    assert isinstance(nightly.payload, dict), nightly.stderr[-3000:]
    if "moved" in nightly.payload:  # run inside the replica's backup window (00:00-01:00 UTC): moved, and said so
        names = [s["Name"] for s in aws_client("scheduler").list_schedules(NamePrefix="opsbot-snapshot-")["Schedules"]]
        assert names
    else:
        snapshot = nightly.payload["snapshot"]
        assert snapshot["started"] is True
        assert snapshot["status"] == "available"  # moto makes it available at once; the follow saw it
        taken = _ours(aws_client)[snapshot["snapshot"]]
        tags = {t["Key"]: t["Value"] for t in taken["TagList"]}
        assert (tags["opsbot:created-by"], tags["opsbot:reason"]) == ("opsbot", "nightly")
        assert nightly.payload["residency_violations"] == 0
        texts = [str(c.body.get("text")) for c in seeded.recorder_calls() if c.api_method == "chat.update"]
        assert any("is available" in t for t in texts)
    again = sam_invoke(FUNCTION, load_event("snapshots_nightly.json"), function_env)
    assert again.payload.get("duplicate") is True, again.stderr[-3000:]

    take = sam_invoke(FUNCTION, load_event("snapshots_take.json"), function_env)
    assert take.error is None, take.stderr[-3000:]
    identifier = take.payload["snapshot"]
    assert identifier.startswith("opsbot-mycandidate-db-pre-election-ward-52-by-election-2026-12-06-")
    assert {t["Key"]: t["Value"] for t in _ours(aws_client)[identifier]["TagList"]}["opsbot:reason"] == (
        "pre-election:ward-52-by-election-2026-12-06"
    )

    follow = sam_invoke(FUNCTION, {**load_event("snapshots_follow.json"), "identifier": identifier}, function_env)
    assert follow.payload == {"followed": identifier, "status": "available"}, follow.stderr[-3000:]
    created = load_event("snapshots_rds_created.json")
    created["detail"]["SourceIdentifier"] = identifier
    event = sam_invoke(FUNCTION, created, function_env)
    assert event.payload["updated"] == identifier, event.stderr[-3000:]

    unfollowed = sam_invoke(FUNCTION, load_event("snapshots_rds_created.json"), function_env)
    assert unfollowed.payload == {"ignored": "no message follows opsbot-mycandidate-db-manual-20261203-0800"}
    elsewhere = sam_invoke(FUNCTION, load_event("snapshots_rds_other_region.json"), function_env)
    assert elsewhere.payload["ignored"].startswith("ignored: an RDS event of region eu-west-1")
    malformed = sam_invoke(FUNCTION, load_event("snapshots_malformed.json"), function_env)
    assert malformed.payload == {"rejected": "`identifier` is not a snapshot identifier"}
