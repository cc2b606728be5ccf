"""Faults injected under the bot's AWS calls (issue 12, part 1; the CI subset of `make security`): on `scale 4`, the
capacity change itself (RegisterScalableTarget) and the capacity intents' write (TransactWriteItems) fail with
each fault. A transient fault is retried by botocore's standard mode and the change lands once; a permanent one
leaves capacity as it was, tells the person with the AWS error code, audits the failure and frees the lock."""

from __future__ import annotations

from devtools import security


def test_the_scale_path_survives_every_fault_at_its_writes() -> None:
    campaign = security.run_path(
        security.PATHS[0], calls=lambda name: name in {"application-autoscaling.RegisterScalableTarget",
                                                       "dynamodb.TransactWriteItems"},
    )  # fmt: skip
    fired = [o for o in campaign.outcomes if o.verdict != "not reached"]
    assert len(fired) == 2 * 6, security.table(campaign)
    assert campaign.lost == [], "\n".join(security.table(campaign))
    by_fault = {(o.call, o.fault): o.verdict for o in fired}
    assert by_fault[("application-autoscaling.RegisterScalableTarget", "throttling")] == "retried"
    assert by_fault[("application-autoscaling.RegisterScalableTarget", "access-denied")] == "reported"


def test_an_exactly_once_record_that_cannot_be_written_is_told_and_audited() -> None:
    # The first call of a slash command's lazy run is the exactly-once record's PutItem: when it fails for good,
    # nothing runs, and the attempt is still in the audit trail as failed, with the AWS code.
    campaign = security.run_path(security.PATHS[0], numbers={1})
    fired = {o.fault: o for o in campaign.outcomes if o.verdict != "not reached"}
    assert {o.call for o in fired.values()} == {"dynamodb.PutItem"}
    assert campaign.lost == [], "\n".join(security.table(campaign))
    assert fired["access-denied"].verdict == "reported"
    assert fired["throttling-persistent"].verdict == "reported"
    assert fired["throttling"].verdict == "retried"
