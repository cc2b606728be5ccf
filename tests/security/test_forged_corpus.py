"""Every kind of forged or malformed Slack request in ``forged_corpus.FORGED_KINDS``, through the function's real
path against one offline stack: refused (or, where the contract says so, an ephemeral refusal), nothing changed,
nothing from the request in the logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.local_stack import LocalStack, running_stack
from tests.security.forged_corpus import FORGED_KINDS, MARKER, Kind, _command, _signed, check_kind

_PARAMS = [
    pytest.param(kind, id=kind.name, marks=[pytest.mark.xfail(strict=True, reason=kind.defect)] if kind.defect else [])
    for kind in FORGED_KINDS
]


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[LocalStack]:
    with running_stack() as running:
        yield running


def test_the_corpus_has_at_least_fifty_kinds() -> None:
    assert len(FORGED_KINDS) >= 50


def test_the_unforged_request_is_served_so_the_corpus_proves_something(shared_stack: LocalStack) -> None:
    # Given the valid request every kind is built from (a scale that raises the minimum by one)
    low = shared_stack.capacity()[0]
    # When it is sent unchanged
    response = shared_stack.bot().send(_signed(_command(shared_stack)))
    # Then it is served and changes the service: a kind that shows no change was refused, not harmless
    assert response["statusCode"] == 200
    assert shared_stack.capacity()[0] == low + 1


@pytest.mark.parametrize("kind", _PARAMS)
def test_a_forged_request_is_refused_changes_nothing_and_logs_nothing_of_it(
    shared_stack: LocalStack, capfd: pytest.CaptureFixture[str], kind: Kind
) -> None:
    # Given a forged or malformed request built from a valid one; When it reaches the Slack function
    broken = check_kind(shared_stack, kind)
    out, err = capfd.readouterr()
    # Then every property holds, and nothing of the request reached the process's stdout/stderr either
    assert broken == []
    assert MARKER not in out + err
