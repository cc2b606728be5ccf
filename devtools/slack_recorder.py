"""A stand-in for Slack (and for Lambda's async Invoke API and the Parameters and Secrets extension) that records
every request it receives.

Used in two ways:

* in-process, by integration tests and the local demo::

      recorder = SlackRecorder()
      recorder.start()  # binds 127.0.0.1 on a free port
      os.environ["SLACK_API_URL"] = recorder.url + "/api/"
      ...
      recorder.api_calls("chat.postMessage")
      recorder.stop()

* as a server in a container for ``sam local invoke`` (end-to-end tests)::

      python -m devtools.slack_recorder --host 0.0.0.0 --port 5000

  and read back over HTTP with :func:`fetch_calls` / :func:`clear_calls` (``GET``/``DELETE /_calls``).

Responses:

* ``POST /api/<method>`` (Slack Web API) -> ``{"ok": true, "ts": "<unique>", "channel": "<channel or C000>"}``
* ``POST /2015-03-31/functions/<name>/invocations`` (Lambda ``Invoke``; point ``AWS_ENDPOINT_URL_LAMBDA``
  or ``OPSBOT_AWS_ENDPOINT_URL_LAMBDA`` here to capture Bolt's lazy self-invocation) -> ``202`` with no body
* any other ``POST`` (``response_url`` posts) -> ``200 ok``
* ``GET /secretsmanager/get?secretId=<id>`` (the AWS Parameters and Secrets Lambda Extension; point
  ``OPSBOT_SECRETS_EXTENSION_URL`` here) -> the ``GetSecretValue`` JSON of a secret stored with :func:`put_secret`
  (``PUT /_secrets/<id>``); ``401`` without the ``X-Aws-Parameters-Secrets-Token`` header, ``400`` for an unknown id
* after ``SlackRecorder.refuse(method, times, status=429)``, the next ``times`` calls to ``method`` are answered
  ``429`` (``Retry-After: 0``, ``{"ok": false, "error": "ratelimited"}``) or with ``status``; they are recorded too

Only the standard library is used, so the module runs in a bare Python container.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["RecordedCall", "SlackRecorder", "clear_calls", "fetch_calls", "main", "put_secret"]

SLACK_API = "slack_api"
RESPONSE_URL = "response_url"
LAMBDA_INVOKE = "lambda_invoke"
SECRETS_EXTENSION = "secrets_extension"

_API_PATH = re.compile(r"^/api/(?P<method>[A-Za-z0-9_.]+)/?$")
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_SECRET_PATH = re.compile(r"^/_secrets/(?P<id>[^/]+)$")
_DROPPED_HEADERS = frozenset({"authorization", "x-aws-parameters-secrets-token"})
_DEFAULT_CHANNEL = "C000"


@dataclass(frozen=True)
class RecordedCall:
    """One ``POST`` received by the recorder.

    Attributes:
        kind: ``"slack_api"``, ``"response_url"`` or ``"lambda_invoke"``.
        path: Request path including any query string.
        headers: Request headers, without ``Authorization``.
        body: JSON body (any JSON value), form body (``dict``; single values unwrapped), or raw text.
        api_method: Slack Web API method (``chat.postMessage``) for ``slack_api`` calls.
        function_name: Invoked function name (URL-decoded) for ``lambda_invoke`` calls.
        response: The JSON the recorder answered with (``slack_api`` only).
        received_at: Unix time the request arrived.
    """

    kind: str
    path: str
    headers: dict[str, str]
    body: Any
    api_method: str | None = None
    function_name: str | None = None
    response: dict[str, Any] | None = None
    received_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (what ``GET /_calls`` returns)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecordedCall:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _parse_body(raw: bytes, content_type: str) -> Any:
    """Parse a request body as JSON or form data according to its content type, falling back to text."""
    text = raw.decode("utf-8", errors="replace")
    if not text:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        form = parse_qs(text, keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Store:
    """Thread-safe list of recorded calls plus the ``ts`` counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._counter = itertools.count(1)
        self._refusals: dict[str, list[int]] = {}  # method -> statuses still to answer with, in order
        self.secrets: dict[str, str] = {}  # secret id -> SecretString, served as the secrets extension

    def add(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def snapshot(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def refuse(self, method: str, statuses: list[int]) -> None:
        with self._lock:
            self._refusals.setdefault(method, []).extend(statuses)

    def take_refusal(self, method: str) -> int | None:
        with self._lock:
            pending = self._refusals.get(method)
            return pending.pop(0) if pending else None

    def next_ts(self) -> str:
        with self._lock:
            n = next(self._counter)
        return f"{int(time.time())}.{n:06d}"


class _RecorderServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], store: _Store, *, quiet: bool) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.quiet = quiet


class _Handler(BaseHTTPRequestHandler):
    server: _RecorderServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") == "/_calls":
            self._send_json(200, [c.to_dict() for c in self.server.store.snapshot()])
        elif parts.path == "/secretsmanager/get":
            self._secret(parse_qs(parts.query).get("secretId", [""])[0])
        else:
            self._send(404, b"not found")

    def do_PUT(self) -> None:
        raw = self._read_body()
        if match := _SECRET_PATH.match(urlsplit(self.path).path):
            self.server.store.secrets[unquote(match["id"])] = raw.decode()
            self._send(204)
        else:
            self._send(404, b"not found")

    def _secret(self, secret_id: str) -> None:
        """What the extension answers: GetSecretValue's JSON, after checking the caller's token header."""
        store = self.server.store
        store.add(RecordedCall(kind=SECRETS_EXTENSION, path=self.path, headers={}, body=None))
        if not self.headers.get("X-Aws-Parameters-Secrets-Token"):
            self._send(401, b"missing X-Aws-Parameters-Secrets-Token")
            return
        value = store.secrets.get(secret_id)
        if value is None:
            error = {"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the secret."}
            self._send_json(400, error)
            return
        arn = f"arn:aws:secretsmanager:af-south-1:123456789012:secret:{secret_id}-AbCdEf"
        self._send_json(
            200,
            {
                "ARN": arn,
                "Name": secret_id,
                "VersionId": "00000000-0000-4000-8000-000000000001",
                "SecretString": value,
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": "2026-01-01T00:00:00.000Z",
            },
        )

    def do_DELETE(self) -> None:
        self._read_body()
        if urlsplit(self.path).path.rstrip("/") == "/_calls":
            self.server.store.clear()
            self._send(204)
        else:
            self._send(404, b"not found")

    def do_POST(self) -> None:
        raw = self._read_body()
        path = urlsplit(self.path).path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _DROPPED_HEADERS}
        body = _parse_body(raw, self.headers.get("Content-Type", ""))
        store = self.server.store

        if match := _INVOKE_PATH.match(path):
            store.add(
                RecordedCall(
                    kind=LAMBDA_INVOKE,
                    path=self.path,
                    headers=headers,
                    body=body,
                    function_name=unquote(match["name"]),
                )
            )
            self._send(202)
            return

        if match := _API_PATH.match(path):
            refused = store.take_refusal(match["method"])
            if refused is not None:
                error = {"ok": False, "error": "ratelimited" if refused == 429 else "internal_error"}
                store.add(RecordedCall(SLACK_API, self.path, headers, body, api_method=match["method"], response=error))
                payload = json.dumps(error).encode()
                self.send_response(refused)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            channel = body.get("channel") if isinstance(body, dict) else None
            response = {
                "ok": True,
                "ts": store.next_ts(),
                "channel": channel if isinstance(channel, str) and channel else _DEFAULT_CHANNEL,
            }
            if match["method"] == "auth.test":  # what Bolt reads when it verifies its token
                response.update(user_id="U0BOT", bot_id="B0BOT", team_id="T000", team="offline", user="opsbot")
            store.add(
                RecordedCall(
                    kind=SLACK_API,
                    path=self.path,
                    headers=headers,
                    body=body,
                    api_method=match["method"],
                    response=response,
                )
            )
            self._send_json(200, response)
            return

        store.add(RecordedCall(kind=RESPONSE_URL, path=self.path, headers=headers, body=body))
        self._send(200, b"ok")


class SlackRecorder:
    """In-process recorder: ``start()`` binds ``host`` (default 127.0.0.1) on ``port`` (default: a free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self._address = (host, port)
        self._quiet = quiet
        self._store = _Store()
        self._server: _RecorderServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SlackRecorder:
        """Start serving in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._server = _RecorderServer(self._address, self._store, quiet=self._quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (recorded calls are kept)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackRecorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. ``http://127.0.0.1:41234``; Slack's base is ``url + "/api/"``."""
        if self._server is None:
            raise RuntimeError("SlackRecorder is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def calls(self) -> list[RecordedCall]:
        """Every recorded call, oldest first (a copy)."""
        return self._store.snapshot()

    def refuse(self, method: str, times: int = 1, status: int = 429) -> None:
        """Answer the next ``times`` calls to ``method`` with ``status`` (429: rate limited, as Slack does)."""
        self._store.refuse(method, [status] * times)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        self._store.clear()

    def api_calls(self, method: str | None = None) -> list[RecordedCall]:
        """Slack Web API calls, optionally only those to ``method`` (e.g. ``"chat.postMessage"``)."""
        return [c for c in self.calls if c.kind == SLACK_API and (method is None or c.api_method == method)]

    def response_url_posts(self) -> list[RecordedCall]:
        """Posts to anything that is neither the Web API nor Lambda (i.e. ``response_url``)."""
        return [c for c in self.calls if c.kind == RESPONSE_URL]

    def lambda_invocations(self) -> list[RecordedCall]:
        """Lambda ``Invoke`` requests (``body`` is the payload)."""
        return [c for c in self.calls if c.kind == LAMBDA_INVOKE]

    def put_secret(self, secret_id: str, value: str) -> None:
        """Serve ``value`` as the SecretString of ``secret_id`` from the stand-in extension."""
        self._store.secrets[secret_id] = value

    def secret_reads(self) -> list[RecordedCall]:
        """Requests to the stand-in for the Parameters and Secrets extension."""
        return [c for c in self.calls if c.kind == SECRETS_EXTENSION]


def fetch_calls(base_url: str, timeout: float = 10.0) -> list[RecordedCall]:
    """Read the calls recorded by a recorder running elsewhere (``GET <base_url>/_calls``)."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/_calls", timeout=timeout) as resp:  # noqa: S310
        return [RecordedCall.from_dict(d) for d in json.load(resp)]


def put_secret(base_url: str, secret_id: str, value: str, timeout: float = 10.0) -> None:
    """Store ``value`` as the SecretString the stand-in extension serves for ``secret_id`` (``PUT /_secrets/<id>``)."""
    url = f"{base_url.rstrip('/')}/_secrets/{quote(secret_id, safe='')}"
    req = urllib.request.Request(url, data=value.encode(), method="PUT")  # noqa: S310
    with urllib.request.urlopen(req, timeout=timeout):  # noqa: S310
        pass


def clear_calls(base_url: str, timeout: float = 10.0) -> None:
    """Clear a remote recorder (``DELETE <base_url>/_calls``)."""
    req = urllib.request.Request(base_url.rstrip("/") + "/_calls", method="DELETE")  # noqa: S310
    with urllib.request.urlopen(req, timeout=timeout):  # noqa: S310
        pass


def main(argv: list[str] | None = None) -> None:
    """Serve in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    args = parser.parse_args(argv)
    server = _RecorderServer((args.host, args.port), _Store(), quiet=args.quiet)
    host, port = server.server_address[:2]
    print(f"slack recorder listening on http://{host!s}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
