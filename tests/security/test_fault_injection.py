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
