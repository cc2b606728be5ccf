"""The alarm-side and snapshot paths of the fault and crash campaigns (issue 12; the CI subset of `make security`,
``devtools.security_paths_alarms``): a few (call, fault) pairs and stops where each path changes AWS."""

from __future__ import annotations

from devtools import crashes, security
from devtools.faults import FAULTS
from devtools.security_paths_alarms import paths

ACCESS_DENIED = next(f for f in FAULTS if f.name == "access-denied")


def _path(name: str) -> security.Path:
    (found,) = [p for p in paths() if p.name == name]
    return found


def _verdicts(campaign: security.Campaign) -> dict[str, str]:
    return {o.call: o.verdict for o in campaign.outcomes}


def test_the_mute_button_refused_by_dynamodb_reports_it_and_a_stop_after_the_mute_is_swept() -> None:
    mute = _path("incident: Mute 1h")
    # The third call is the mute's own write (MUTE#<alarm> in the operations table; CloudWatch is only read)
    faulted = security.run_path(mute, faults=(ACCESS_DENIED,), numbers={3})
    assert faulted.lost == [], "\n".join(security.table(faulted))
    assert _verdicts(faulted) == {"dynamodb.PutItem": "reported"}
    stopped = crashes.run_path(mute, numbers={3})
    assert stopped.lost == [], "\n".join(crashes.table(stopped))
    assert _verdicts(stopped) == {"3: dynamodb.PutItem": "completed by the sweeper (unknown)"}


def test_the_5xx_alarm_stopped_after_forcing_a_new_deployment_leaves_no_third_state() -> None:
    replace_tasks = _path("alarm: 5xx → replace tasks")
    # Stopped after UpdateService, and after the lock's release: the redelivered alarm finds the bot's own forced
    # deployment in progress, begun after the alarm fired — it neither rolls it back nor forces another
    stopped = crashes.run_path(replace_tasks, numbers={16, 17})
    assert stopped.lost == [], "\n".join(crashes.table(stopped))
    assert _verdicts(stopped) == {
        "16: ecs.UpdateService": "completed by the sweeper (unknown), after the redelivery",
        "17: dynamodb.DeleteItem": "completed by the sweeper (unknown), after the redelivery",
    }


def test_the_nightly_prune_refused_part_way_names_what_it_deleted() -> None:
    nightly = _path("snapshots function: nightly job")
    faulted = security.run_path(nightly, faults=(ACCESS_DENIED,), numbers={24})
    assert faulted.lost == [], "\n".join(security.table(faulted))
    assert _verdicts(faulted) == {"rds.DeleteDBSnapshot": "stopped part-way, reported"}
