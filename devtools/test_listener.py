"""A tiny HTTP server on 127.0.0.1 standing in for the ALB's test listener: it answers ``GET <path>`` from a dict
``path -> (status, JSON body)`` that the caller may change while it runs (healthy or broken, as a release would
be), 404 for anything else. Test support only: never shipped in the Lambda layer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answers = MutableMapping[str, tuple[int, Any]]

HEALTHY: dict[str, tuple[int, Any]] = {
    "/api/v1/health": (200, {"status": "ok"}),
    "/api/v1/wards/52/candidates": (200, [{"name": "A. Candidate", "party": "Independent"}]),
}


@contextmanager
def serving(answers: Answers) -> Iterator[str]:
    """Serve ``answers`` until the block ends; yields the listener's base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.get(self.path, (404, {"error": "not found"}))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:  # noqa: ARG002 - quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
