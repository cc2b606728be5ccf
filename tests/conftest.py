"""Shared fixtures: the offline stack (moto server + replica + Slack recorder) and signed Slack requests."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MyCandidateOpsbot")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")


@pytest.fixture
def stack() -> Iterator[object]:
    from devtools.local_stack import running_stack

    with running_stack() as running:
        yield running


# Every (service, operation) the bot's own clients (built by opsbot.aws.clients) call during the session. The
# dependencies layer keeps only REQUIRED_OPERATIONS of botocore's models, so a call missing there would pass here
# and fail in Lambda; the session fails instead. Clients the tests and devtools build for seeding are not counted.
_BOT_CLIENTS: weakref.WeakSet[Any] = weakref.WeakSet()
_CALLED: set[tuple[str, str]] = set()


@pytest.fixture(scope="session", autouse=True)
def _record_sdk_operations() -> Iterator[None]:
    import botocore
    from botocore.client import BaseClient

    from opsbot.aws import clients

    check_operations = clients.check_operations
    make_api_call = BaseClient._make_api_call

    def remembering_check(service: str, built: Any) -> None:
        _BOT_CLIENTS.add(built)
        check_operations(service, built)

    def recording_call(self: Any, operation_name: str, api_params: Any) -> Any:
        if self in _BOT_CLIENTS:
            _CALLED.add((self.meta.service_model.service_name, botocore.xform_name(operation_name)))
        return make_api_call(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clients, "check_operations", remembering_check)
        patch.setattr(BaseClient, "_make_api_call", recording_call)
        yield


def _unlisted_operations() -> list[str]:
    from opsbot.aws.sdk_operations import REQUIRED_OPERATIONS

    return sorted(f"{s} {op}" for s, op in _CALLED if op not in REQUIRED_OPERATIONS.get(s, ()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist a worker's exit status is dropped: it hands what it saw to the controller, which decides.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["bot_operations"] = sorted(_CALLED)
        return
    if _unlisted_operations():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker finished: the operations its bot clients called join the controller's."""
    _CALLED.update((service, operation) for service, operation in node.workeroutput.get("bot_operations", ()))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    unlisted = _unlisted_operations()
    if unlisted:
        terminalreporter.section("AWS operations missing from REQUIRED_OPERATIONS", red=True)
        terminalreporter.line(
            "the bot called these, which the dependencies layer would not ship "
            f"(add them to layers/opsbot/opsbot/aws/sdk_operations.py): {', '.join(unlisted)}"
        )
