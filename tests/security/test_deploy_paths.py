"""The deployment buttons under faults and crashes (issue 12, parts 1 and 2; the CI subset of `make security` for
``devtools.security_paths_deploys``): Promote at a deployment's pause, and a prod deploy's Approve and Reject.

A gate's answer or an approval that AWS fails before anything changed keeps its one-time confirmation, so the same
button works again; a stop after the confirmation was taken is completed by the sweeper from what ECS and the
confirmations show, and the ops channel is told what to do next."""

from __future__ import annotations

from devtools import crashes, security
from devtools.faults import FAULTS
from devtools.security_paths_deploys import paths

ACCESS_DENIED = next(f for f in FAULTS if f.name == "access-denied")
PROMOTE, ROLL_BACK, APPROVE, REJECT = paths()


def test_a_promote_that_ecs_refuses_is_reported_and_its_button_still_works() -> None:
    # The 7th call is ContinueServiceDeployment: refused for good, the gate still waits and keeps its confirmation
    campaign = security.run_path(PROMOTE, faults=(ACCESS_DENIED,), numbers={7})
    assert campaign.lost == [], "\n".join(security.table(campaign))
    (refused,) = campaign.outcomes
    assert (refused.call, refused.verdict) == ("ecs.ContinueServiceDeployment", "reported")


def test_a_promote_stopped_after_taking_its_confirmation_tells_the_channel_to_run_cutover_again() -> None:
    # Stopped after its 4th call, the DeleteItem that takes the gate's confirmation: the deployment still waits
    campaign = crashes.run_path(PROMOTE, numbers={4})
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    (stop,) = campaign.outcomes
    assert (stop.call, stop.verdict) == ("4: dynamodb.DeleteItem", "completed by the sweeper (failed)")


def test_an_approved_deploy_that_ecs_refuses_is_reported_and_the_approval_still_works() -> None:
    campaign = security.run_path(
        APPROVE, faults=(ACCESS_DENIED,), calls=lambda name: name == "ecs.UpdateService"
    )  # fmt: skip
    assert campaign.lost == [], "\n".join(security.table(campaign))
    (refused,) = campaign.outcomes
    assert (refused.call, refused.verdict) == ("ecs.UpdateService", "reported")


def test_a_reject_stopped_after_taking_the_approval_is_completed_as_rejected() -> None:
    # Stopped after its 3rd call, the DeleteItem that takes the approval: the reject is done, nothing was deployed
    campaign = crashes.run_path(REJECT, numbers={3})
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    (stop,) = campaign.outcomes
    assert (stop.call, stop.verdict) == ("3: dynamodb.DeleteItem", "completed by the sweeper (ok)")
