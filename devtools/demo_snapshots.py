"""The snapshot part of `make demo` (issue 10): `snapshot before-results` taken from Slack and followed by one
message that RDS's events (the replica's, as its clock moves) update to available; `snapshots`; the prune's dry
run; and `residency` reporting, in red, a snapshot somebody shared with another account."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import ADMIN, OPERATOR, VIEWER
from devtools.transcript import indent, message_text

if TYPE_CHECKING:
    from devtools.demo import Demo

ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-snapshots"
OTHER_ACCOUNT = "210987654321"
_RULE = "─" * 78


def connect_snapshots_function(demo: Demo) -> None:
    """The snapshots function, run in this process for the hand-overs of the Slack and election functions (the
    pre-election snapshot) and for the replica's RDS events."""
    from opsbot.snapshots import entry

    stack = demo.stack
    entry._runtime.cache_clear()
    context = FakeLambdaContext(function_name="mycandidate-opsbot-snapshots", invoked_function_arn=ARN)

    def function(payload: dict[str, Any]) -> None:
        kind = payload.get("opsbot") or payload.get("detail", {}).get("EventID", "?")
        before = max(len(stack.recorder.api_calls()), demo.printed_upto)
        result = entry.handle(payload, context, clock=stack.clock)
        print(f"snapshots function ({kind})> {result}")
        calls = stack.recorder.api_calls()
        for call in calls[before:]:
            print(
                f"bot ({call.api_method} in #{call.body.get('channel')})> "
                + indent(message_text(call.body), " " * 6).lstrip()
            )
        demo.printed_upto = len(calls)

    stack.on_snapshot_job = function  # the asynchronous hand-overs
    stack.on_rds_event = function  # EventBridge's RDS DB Snapshot Events


def run_snapshot_scenario(demo: Demo, first_step: int) -> int:
    from opsbot.snapshots import entry

    stack = demo.stack
    number = iter(range(first_step, first_step + 100))
    follows_before = len([j for j in stack.snapshot_jobs if j["opsbot"] == "snapshot-follow"])

    demo.step(f"{next(number)}. An operator takes a snapshot before the results", OPERATOR, "snapshot before-results")
    follows = [j for j in stack.snapshot_jobs if j["opsbot"] == "snapshot-follow"]
    demo.expect(len(follows) == follows_before + 1, "the snapshot is handed to the snapshots function")
    manual = follows[-1]["identifier"] if follows else "?"
    posted = [c.body for c in stack.recorder.api_calls("chat.postMessage") if manual in str(c.body)]
    demo.expect(len(posted) == 1 and "is creating" in str(posted[-1]), "one message says it is being created")

    print(f"\n{_RULE}\n{next(number)}. Five minutes pass on the replica: RDS reports the snapshot created\n{_RULE}")
    stack.advance(timedelta(minutes=5))
    updates = [c.body for c in stack.recorder.api_calls("chat.update") if manual in str(c.body)]
    demo.expect(bool(updates) and "is available" in str(updates[-1]), "the same message now says available")

    posts = demo.step(f"{next(number)}. A viewer lists the snapshots", VIEWER, "snapshots")
    listing = message_text(posts[-1]) if posts else ""
    demo.expect("-manual-" in listing and "available · manual" in listing, "the listing shows the new snapshot")
    demo.step(f"{next(number)}. An admin looks at what a prune would delete", ADMIN, "snapshot prune --dry-run")

    baseline = stack.replica.spec.db_snapshot
    stack.client("rds").modify_db_snapshot_attribute(
        DBSnapshotIdentifier=baseline, AttributeName="restore", ValuesToAdd=[OTHER_ACCOUNT]
    )
    print(f"\n(Somebody shares {baseline} with account {OTHER_ACCOUNT}, outside the bot.)")
    posts = demo.step(f"{next(number)}. A viewer checks data residency", VIEWER, "residency")
    shown = message_text(posts[-1]) if posts else ""
    demo.expect(":red_circle:" in shown and OTHER_ACCOUNT in shown, "residency reports the share in red")
    entry._runtime.cache_clear()
    return next(number)
