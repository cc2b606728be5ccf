"""`make security`'s runner (devtools.security.main, --jobs): the worker processes' outcomes come back in the
table's order whichever finishes first, and a unit whose worker fails is a missed figure, not a silent gap."""

from __future__ import annotations

import pytest

from devtools import security


def test_a_unit_that_fails_in_its_worker_is_reported_missed() -> None:
    results = security._run_units([("nope", 0)], jobs=2)
    assert results.faults.outcomes == results.crashes.outcomes == []
    assert len(results.failures) == 1
    assert results.failures[0].startswith("nope · scale 4 did not finish (ValueError: no part 'nope'")


def test_the_workers_outcomes_are_merged_in_the_order_of_the_paths() -> None:
    # Two units in two workers: the table lists the first path's outcomes first, as a one-process run would.
    names = ("snapshot keep", "snapshot unkeep")
    units = [("crashes", security.PATHS.index(next(p for p in security.PATHS if p.name == n))) for n in names]
    results = security._run_units(units, jobs=2)
    assert results.failures == []
    order = [o.path for o in results.crashes.outcomes]
    assert order
    assert order == sorted(order, key=names.index)
    assert set(order) == set(names)
    assert results.crashes.lost == []


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
