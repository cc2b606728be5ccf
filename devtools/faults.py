"""Fault injection for the bot's AWS calls (issue 12): make the Nth AWS call of a path fail, below botocore's retry
handler, so the bot's retry configuration (standard mode, 3 attempts) is what retries it.

:func:`injecting` patches, in this process, ``BaseClient._make_api_call`` (to count the logical calls and know
which one is running) and ``Endpoint._send`` (to answer that call's HTTP attempts with the fault instead of sending
them). A transient fault (throttling, a 503, a read timeout) fails the call's first attempt only — botocore retries
it; a permanent one (access denied, validation) fails every attempt, as AWS would. The error body is the one the
service's protocol carries (JSON ``__type`` for json / rest-json, XML ``ErrorResponse`` for query), so botocore
parses the same ``ClientError`` code it would from AWS. It needs an HTTP endpoint (the moto server of the offline
stack): in-process ``mock_aws`` answers before ``Endpoint._send``.

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.compat import HTTPHeaders
from botocore.endpoint import Endpoint
from botocore.exceptions import ReadTimeoutError


@dataclass(frozen=True)
class Fault:
    name: str
    status: int
    code: str  # the error code AWS answers with; "" for a read timeout
    transient: bool  # fails the first attempt only (botocore retries it); else every attempt


FAULTS: Final = (
    Fault("throttling", 400, "ThrottlingException", transient=True),
    Fault("unavailable", 503, "ServiceUnavailable", transient=True),
    Fault("timeout", 0, "", transient=True),
    Fault("access-denied", 400, "AccessDeniedException", transient=False),
    Fault("validation", 400, "ValidationException", transient=False),
)
# A fault that outlasts the retries: the same throttling on every attempt.
PERSISTENT_THROTTLING: Final = Fault("throttling-persistent", 400, "ThrottlingException", transient=False)


class LambdaStopped(BaseException):
    """The invocation stopped (a timeout, out of memory): a BaseException, so the bot's ``except Exception`` handlers
    do not see it, and every later AWS call of the invocation fails with it too — a dead process calls nothing."""


class _Raw:
    """What AWSResponse reads the body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _response(fault: Fault, protocol: str, url: str) -> AWSResponse:
    message = f"injected {fault.name} fault"
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}</Code><Message>{message}</Message>"
            "</Error><RequestId>opsbot-fault</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:  # json, rest-json
        body = json.dumps({"__type": fault.code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": fault.code}
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name] = value
    return AWSResponse(url, fault.status, http_headers, _Raw(body))


@dataclass
class Injection:
    """Fail the ``at``-th AWS call (1-based) with ``fault``; ``None``: only count. ``calls`` is every logical call
    seen while injecting, as ``service.Operation``."""

    fault: Fault | None = None
    at: int = 0
    calls: list[str] = field(default_factory=list)
    injected: int = 0  # HTTP attempts answered with the fault
    stop_after: int = 0  # the invocation stops once this call (1-based) has returned: ``LambdaStopped``
    stopped: bool = False
    _local: threading.local = field(default_factory=threading.local)

    @property
    def hit(self) -> str:
        """The call the fault hit, or ""."""
        return self.calls[self.at - 1] if self.fault is not None and 0 < self.at <= len(self.calls) else ""


_ACTIVE: list[Injection] = []
_BOT_CLIENTS: weakref.WeakSet[Any] = weakref.WeakSet()  # only the bot's calls count, not the replica's or a test's
_GUARD = threading.Lock()
_CALL, _SEND = "_make_api_call", "_send"  # private botocore methods (the stubs do not declare them)
_ORIGINAL: dict[str, Any] = {}  # what was there when injection began (another wrapper, e.g. the tests' recorder)


def _make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    injection = _ACTIVE[-1] if _ACTIVE else None
    if injection is None or self not in _BOT_CLIENTS:
        return _ORIGINAL["call"](self, operation_name, api_params)
    if injection.stopped:
        raise LambdaStopped(f"{operation_name} after the stop")
    service = self.meta.service_model.service_name
    with _GUARD:
        injection.calls.append(f"{service}.{operation_name}")
        number = len(injection.calls)
    previous = getattr(injection._local, "call", None)
    injection._local.call = (number, getattr(self.meta.service_model, "resolved_protocol", "json"), 0)
    try:
        result = _ORIGINAL["call"](self, operation_name, api_params)
    finally:
        injection._local.call = previous
    if number == injection.stop_after:
        injection.stopped = True
        raise LambdaStopped(f"stopped after {service}.{operation_name}")
    return result


def _send(self: Endpoint, request: Any) -> Any:
    injection = _ACTIVE[-1] if _ACTIVE else None
    current = getattr(injection._local, "call", None) if injection is not None else None
    if injection is None or injection.fault is None or current is None:
        return _ORIGINAL["send"](self, request)
    number, protocol, attempts = current
    injection._local.call = (number, protocol, attempts + 1)
    fault = injection.fault
    if number != injection.at or (fault.transient and attempts > 0):
        return _ORIGINAL["send"](self, request)
    with _GUARD:
        injection.injected += 1
    if not fault.code:
        raise ReadTimeoutError(endpoint_url=request.url)
    return _response(fault, protocol, request.url)


@contextmanager
def injecting(injection: Injection) -> Iterator[Injection]:
    """Count (and fault) the AWS calls the bot's clients (``opsbot.aws.clients``) make in this process while the
    block runs. The bot's client cache is emptied first, so every client it uses is built, and known, here."""
    from opsbot.aws import clients

    with _GUARD:
        if not _ACTIVE:
            _ORIGINAL.update(call=getattr(BaseClient, _CALL), send=getattr(Endpoint, _SEND))
            _ORIGINAL["check"] = clients.check_operations
            setattr(BaseClient, _CALL, _make_api_call)
            setattr(Endpoint, _SEND, _send)
            clients.check_operations = _remembering_check
            clients._client.cache_clear()
        _ACTIVE.append(injection)
    try:
        yield injection
    finally:
        with _GUARD:
            _ACTIVE.remove(injection)
            if not _ACTIVE:
                setattr(BaseClient, _CALL, _ORIGINAL["call"])
                setattr(Endpoint, _SEND, _ORIGINAL["send"])
                clients.check_operations = _ORIGINAL["check"]


def _remembering_check(service: str, built: Any) -> None:
    _BOT_CLIENTS.add(built)
    _ORIGINAL["check"](service, built)
