"""The scheduled functions' events, fuzzed: the election scheduler's ``election-sync`` event
(``opsbot.elections.entry.parse``) and the snapshots function's job events and RDS snapshot events
(``opsbot.snapshots.entry.parse``), from the samples in ``events/`` with fields replaced, removed or retyped.

Contract: ``parse`` returns the parsed job, or a string saying why the event is not acted on — never raises
(the handler logs and returns the string: retrying would not make the event valid)."""

from __future__ import annotations

import copy
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from devtools.events import load_event
from opsbot.elections import entry as elections
from opsbot.snapshots import entry as snapshots
from tests.fakes import World
from tests.fuzz._support import json_values

ELECTION_SAMPLES = ("election_scaler_hourly.json", "election_scaler_boundary.json", "election_scaler_malformed.json")
SNAPSHOT_SAMPLES = (
    "snapshots_nightly.json", "snapshots_follow.json", "snapshots_take.json", "snapshots_rds_created.json",
    "snapshots_rds_other_region.json", "snapshots_malformed.json",
)  # fmt: skip
SETTINGS = World().settings
_leaf = st.one_of(
    json_values,
    st.sampled_from(["election-sync", "snapshot-nightly", "snapshot-follow", "snapshot-take", "hourly", "boundary",
                     "2026-12-02T18:00:00Z", "2026-12-02T18:00:00ZZ", "2026-12-02", "9999-12-31T23:59:59+14:00",
                     "x" * 41, "C0OPS", "U0OPS", "pre-election:ward-52", "RDS-EVENT-0042", "aws.rds", "af-south-1",
                     "opsbot-mycandidate-db-manual-1", "opsbot-mycandidate-db-<!channel>", "alarm:a/b"]),
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, samples: tuple[str, ...]) -> object:
    event = copy.deepcopy(load_event(draw(st.sampled_from(samples))))
    for _ in range(draw(st.integers(0, 3))):
        node = event
        if isinstance(node.get("detail"), dict) and draw(st.booleans()):
            node = node["detail"]
        key = draw(st.sampled_from([*node, "opsbot", "reason", "scheduled_at", "identifier", "channel", "by"]))
        if draw(st.integers(0, 3)) == 0:
            node.pop(key, None)
        else:
            node[key] = draw(_leaf)
    return event


@given(mutated(ELECTION_SAMPLES) | json_values)
def test_an_election_event_is_a_run_or_a_rejection(event: object) -> None:
    """A run has a parseable ``scheduled_at`` and a known reason; anything else is a short rejection string."""
    parsed = elections.parse(event)
    if isinstance(parsed, str):
        assert parsed
        assert len(parsed) < 200
        return
    scheduled_at, reason = parsed
    assert reason in elections.REASONS
    assert len(scheduled_at) <= 40
    datetime.fromisoformat(scheduled_at.replace("Z", "+00:00"))


@given(mutated(SNAPSHOT_SAMPLES) | json_values)
def test_a_snapshots_event_is_a_job_or_a_rejection(event: object) -> None:
    """A job has only text arguments of the shapes the jobs expect (an RDS event only for this bot's snapshots of
    this instance); anything else is a short rejection or "ignored" string."""
    parsed = snapshots.parse(event, SETTINGS)
    if isinstance(parsed, str):
        assert parsed
        assert len(parsed) < 200
        return
    job, arguments = parsed
    assert job in {"nightly", "follow", "take", "event"}
    assert all(isinstance(value, str) and value for value in arguments.values())
    if job == "event":
        assert arguments["identifier"].startswith(f"opsbot-{SETTINGS.db_instance}-")
    if "scheduled_at" in arguments:
        datetime.fromisoformat(arguments["scheduled_at"].replace("Z", "+00:00"))
