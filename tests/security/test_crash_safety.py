"""Crash safety (issue 12, part 2; the CI subset of `make security`): Lambda stopped right after a mutating AWS
call, before the operation's record is complete. The sweeper finds the pending record, works out from AWS what
happened, completes it and tells the ops channel; an exactly-once record left in progress expires with the
stopped invocation's remaining time, so a retry runs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devtools import crashes, security
from devtools.faults import LambdaStopped
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import LocalStack, running_stack
from opsbot.idempotency import current_lambda_context, exactly_once


def test_scale_stopped_after_each_of_its_writes_is_completed_and_never_left_in_a_third_state() -> None:
    campaign = crashes.run_path(security.PATHS[0])
    verdicts = {c.call.split(": ", 1)[1]: c.verdict for c in campaign.outcomes}
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    # Stopped after AWS changed capacity: the sweeper records it as done and brings AWS in line with the intents
    assert verdicts["application-autoscaling.RegisterScalableTarget"] == "completed by the sweeper (ok)"
    assert verdicts["dynamodb.TransactWriteItems"] == "completed by the sweeper (ok)"
    assert len(campaign.outcomes) >= 6


def test_a_snapshot_stopped_after_rds_accepted_it_is_completed_from_what_rds_shows() -> None:
    campaign = crashes.run_path(security.PATHS[3])
    verdicts = {c.call.split(": ", 1)[1]: c.verdict for c in campaign.outcomes}
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    assert verdicts["rds.CreateDBSnapshot"] == "completed by the sweeper (ok)"


def test_a_confirm_stopped_after_taking_its_one_time_confirmation_tells_the_channel_to_run_it_again() -> None:
    (confirm,) = [p for p in security.PATHS if p.name == "scale 12: Confirm"]
    # Stopped after its 4th call, the DeleteItem that takes the confirmation: nothing changed, the button is spent
    campaign = crashes.run_path(confirm, numbers={4})
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    (stop,) = campaign.outcomes
    assert stop.call == "4: dynamodb.DeleteItem"
    assert stop.verdict == "completed by the sweeper (failed)"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with running_stack() as started:
        yield started


def test_an_exactly_once_record_left_in_progress_expires_with_the_stopped_invocation(stack: LocalStack) -> None:
    # Given an invocation with 1 s left that stops (a timeout) in the middle of its work
    once = exactly_once(stack.settings)
    ran: list[str] = []

    def stopped() -> None:
        ran.append("first")
        raise LambdaStopped("timed out")

    token = current_lambda_context.set(FakeLambdaContext(timeout_seconds=1.0))
    try:
        with pytest.raises(LambdaStopped):
            once("action:T0STOPPED", stopped)
        # When the retry comes while the stopped one could still be running, it is skipped
        assert once("action:T0STOPPED", lambda: ran.append("too early")) == (False, None)
        # Then once the stopped invocation's time is up, the in-progress record has expired and the retry runs
        time.sleep(1.2)
        assert once("action:T0STOPPED", lambda: ran.append("retry"))[0] is True
    finally:
        current_lambda_context.reset(token)
    assert ran == ["first", "retry"]
