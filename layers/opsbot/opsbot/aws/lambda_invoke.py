"""Bolt's lazy self-invocation as one signed request: Lambda ``Invoke`` with ``InvocationType=Event``.

Why not the SDK's Lambda client: it is the only AWS call on the ack path, and on a cold start building a boto3
session and client costs ~20 ms of CPU on a full core (~35 ms at 1,024 MB: botocore registers ~130 event handlers,
loads the model and the endpoint rules, builds the client class) before Slack gets its answer. Signing and sending
the one request with botocore's own pieces (``SigV4Auth``, ``AWSRequest``, ``URLLib3Session``, all imported with
boto3 anyway) costs about a millisecond. Everything else in the bot uses SDK clients.

The request is the one botocore's client sends (a test compares the signatures): ``POST
/2015-03-31/functions/<function, percent-encoded>/invocations`` with ``X-Amz-Invocation-Type: Event`` and the JSON
payload as the body, SigV4-signed for ``lambda`` in the configured region with the function's credentials, which
Lambda puts in the environment. Without credentials in the environment (a developer's profile or SSO), the SDK
client is used instead. Retries follow botocore's standard mode (3 attempts on throttling, 5xx and connection
errors), with a short backoff because Slack is waiting.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.exceptions import HTTPClientError
from botocore.httpsession import URLLib3Session

from opsbot.errors import AwsOperationError

MAX_ATTEMPTS = 3  # botocore's standard retry mode
_TIMEOUTS = (2, 5)  # connect, read (seconds): as the SDK clients (opsbot.aws.clients)
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_HEADERS = {"X-Amz-Invocation-Type": "Event", "User-Agent": "mycandidate-opsbot/lazy-self-invocation"}
_BACKOFF_SECONDS = 0.05  # x 2^attempt, jittered: Slack's 3 s include the retries


class LambdaInvokeError(AwsOperationError):
    """Lambda refused the invocation (after retries where retrying can help); carries Lambda's error code, like
    every AWS failure the adapters report (``opsbot.aws.errors``)."""

    def __init__(self, code: str, status: int | None) -> None:
        reason = f"Lambda answered HTTP {status}" if status else "could not reach Lambda"
        super().__init__("Invoke (self-invocation)", code, reason)
        self.status = status


class EventInvoker:
    """``invoke(FunctionName=…, InvocationType="Event", Payload=…)``, the call Bolt's lazy listener runner makes."""

    def __init__(
        self,
        region: str,
        credentials: Credentials,
        endpoint_url: str | None = None,
        http: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._region = region
        self._credentials = credentials
        self._endpoint = (endpoint_url or f"https://lambda.{region}.amazonaws.com").rstrip("/")
        # As botocore's clients build it: a (connect, read) timeout pair, and Nagle's algorithm off (without
        # TCP_NODELAY the body waits for the server's delayed ACK of the headers, ~40 ms per call).
        self._http = http or URLLib3Session(timeout=_TIMEOUTS, socket_options=_SOCKET_OPTIONS)  # type: ignore[arg-type]
        self._sleep = sleep

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: str | bytes) -> dict[str, Any]:
        if InvocationType != "Event":
            raise ValueError(f"only asynchronous (Event) invocations are sent this way, not {InvocationType!r}")
        body = Payload.encode() if isinstance(Payload, str) else Payload
        url = f"{self._endpoint}/2015-03-31/functions/{urllib.parse.quote(FunctionName, safe='')}/invocations"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._http.send(self._signed(url, body))
            except (BotocoreConnectionError, HTTPClientError) as exc:  # timeouts, refused or reset connections
                if attempt == MAX_ATTEMPTS:
                    raise LambdaInvokeError(type(exc).__name__, None) from exc
            else:
                if 200 <= response.status_code < 300:
                    return {"StatusCode": response.status_code, "ResponseMetadata": {"RetryAttempts": attempt - 1}}
                code = _error_code(response.headers, response.content)
                if response.status_code not in _RETRYABLE_STATUS or attempt == MAX_ATTEMPTS:
                    raise LambdaInvokeError(code, response.status_code)
            self._sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _signed(self, url: str, body: bytes) -> Any:
        request = AWSRequest(method="POST", url=url, data=body, headers=_HEADERS)
        SigV4Auth(self._credentials, "lambda", self._region).add_auth(request)
        return request.prepare()


def environment_credentials(env: Mapping[str, str] | None = None) -> Credentials | None:
    """The function's credentials as Lambda sets them, or None where they are not in the environment."""
    env = os.environ if env is None else env
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return None
    return Credentials(key, secret, env.get("AWS_SESSION_TOKEN") or None, method="env")


def _error_code(headers: Mapping[str, str], content: bytes) -> str:
    # Lambda names the error in x-amzn-ErrorType ("TooManyRequestsException:http://…") and in the JSON body's
    # "Type"/"__type"; the message is not kept (AWS error text is untrusted and may be long).
    header = headers.get("x-amzn-ErrorType") or ""  # botocore's response headers ignore case
    if header:
        return _token(header.split(":", 1)[0])
    try:
        document = json.loads(content or b"{}")
    except ValueError:
        return "UnknownError"
    name = (document.get("__type") or document.get("Type") or "") if isinstance(document, dict) else ""
    return _token(str(name).rsplit("#", 1)[-1]) or "UnknownError"


def _token(text: str) -> str:
    # An error code is an identifier: anything else in it is dropped, and it is kept short for logs and Slack.
    return "".join(ch for ch in text if ch.isalnum() or ch in "._-")[:64]
