"""The calendar's paths of the fault and crash campaigns (issue 12; the CI subset of `make security`): the gated
scale-down's Scale down now, `schedule add` and `schedule remove`'s Confirm, each at the calls where the campaign
found a defect or where it matters most. The whole of each runs with `make security --paths election,schedule`."""

from __future__ import annotations

from devtools import crashes, security
from devtools.faults import FAULTS
from devtools.security_paths_calendar import paths

ACCESS_DENIED = next(f for f in FAULTS if f.name == "access-denied")


def _path(name: str) -> security.Path:
    (found,) = [p for p in paths() if p.name == name]
    return found


def test_a_scale_down_whose_capacity_change_fails_leaves_no_answer_for_the_hourly_run() -> None:
    # Refused at the transaction of the intents (call 11), and at the bounds once they were committed (call 13):
    # capacity, the schedule, the intents and the team's answer are all as before, the person told the AWS code
    campaign = security.run_path(_path("election: Scale down now"), faults=(ACCESS_DENIED,), numbers={11, 13})
    assert campaign.lost == [], "\n".join(security.table(campaign))
    assert [(o.call, o.verdict) for o in campaign.outcomes] == [
        ("dynamodb.TransactWriteItems", "reported"),
        ("application-autoscaling.RegisterScalableTarget", "reported"),
    ]


def test_a_scale_down_stopped_after_recording_its_answer_is_taken_back_by_the_sweeper() -> None:
    # Stopped after its 8th call, the PutItem of the answer, before the capacity change: the sweeper takes it back
    campaign = crashes.run_path(_path("election: Scale down now"), numbers={8})
    assert campaign.lost == [], "\n".join(crashes.table(campaign))
    (stop,) = campaign.outcomes
    assert stop.call == "8: dynamodb.PutItem"
    assert stop.verdict == "completed by the sweeper (failed)"


def test_schedule_add_whose_entry_cannot_be_stored_is_reported() -> None:
    campaign = security.run_path(_path("schedule add"), faults=(ACCESS_DENIED,), numbers={5})
    assert campaign.lost == [], "\n".join(security.table(campaign))
    assert [(o.call, o.verdict) for o in campaign.outcomes] == [("dynamodb.PutItem", "reported")]


def test_a_removal_confirmed_but_refused_keeps_its_button_and_one_cut_short_names_it_used_up() -> None:
    confirm = _path("schedule remove: Confirm")
    # The entry's DeleteItem (call 4) refused: the entry stays and the confirmation is put back
    faulted = security.run_path(confirm, faults=(ACCESS_DENIED,), numbers={4})
    assert faulted.lost == [], "\n".join(security.table(faulted))
    assert [(o.call, o.verdict) for o in faulted.outcomes] == [("dynamodb.DeleteItem", "reported")]
    # Stopped after taking the confirmation (call 3): the sweeper tells the channel to run the command again
    stopped = crashes.run_path(confirm, numbers={3})
    assert stopped.lost == [], "\n".join(crashes.table(stopped))
    (stop,) = stopped.outcomes
    assert stop.call == "3: dynamodb.DeleteItem"
    assert stop.verdict == "completed by the sweeper (unknown)"
