"""`make security`'s runner (devtools.security.main, --jobs): the worker processes' outcomes come back in the
table's order whichever finishes first, and a unit whose worker fails is a missed figure, not a silent gap."""

from __future__ import annotations

import time

import pytest

from devtools import security


def finishing_in_reverse(part: str, index: int) -> tuple[list[security.Outcome], str, list[str], float]:
    """A worker's unit that takes longer the earlier its path comes, so the workers finish in reverse order."""
    time.sleep(0.6 - 0.2 * index)
    return [security.Outcome(security.PATHS[index].name, "call", "fault", "retried")], "", [], 0.1


def test_a_unit_that_fails_in_its_worker_is_reported_missed_with_where_it_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = security._run_units([("nope", 0)], jobs=2)
    assert results.faults.outcomes == results.crashes.outcomes == []
    assert len(results.failures) == 1
    assert results.failures[0].startswith("nope · scale 4 did not finish (ValueError: no part 'nope'")
    err = capsys.readouterr().err
    assert "nope · scale 4 did not finish:" in err
    assert 'in run_unit\n    raise ValueError(f"no part' in err  # the worker's traceback, not only the parent's


def test_the_workers_outcomes_are_merged_in_the_order_of_the_paths() -> None:
    units = [("faults", 0), ("faults", 1), ("faults", 2)]
    results = security._run_units(units, jobs=3, work=finishing_in_reverse)
    assert results.failures == []
    assert [o.path for o in results.faults.outcomes] == [p.name for p in security.PATHS[:3]]
    assert results.seconds["faults"] == pytest.approx(0.3)


@pytest.mark.parametrize(("argv", "says"), [
    (["--jobs", "0"], "--jobs 0: give at least 1"),
    (["--parts", "faults,nope"], "unknown part(s): nope"),
    (["--shard", "4/3"], "--shard '4/3'"),
])  # fmt: skip
def test_a_bad_option_is_named(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        security.main(argv)
    assert stopped.value.code == 2
    assert says in capsys.readouterr().err
