"""A tiny HTTP server on 127.0.0.1 standing in for the ALB's test listener: it answers ``GET <path>`` from a dict
``path -> (status, JSON body)`` that the caller may change while it runs (healthy or broken, as a release would
be), 404 for anything else. :func:`by_image` answers depending on the image the green revision runs, so that a
broken build is broken whenever it is deployed, without the caller switching the answers around the deploy.
Test support only: never shipped in the Lambda layer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answers = MutableMapping[str, tuple[int, Any]]

HEALTHY: dict[str, tuple[int, Any]] = {
    "/api/v1/health": (200, {"status": "ok"}),
    "/api/v1/wards/52/candidates": (200, [{"name": "A. Candidate", "party": "Independent"}]),
}


CANDIDATES = "/api/v1/wards/52/candidates"
BROKEN: dict[str, tuple[int, Any]] = {CANDIDATES: (500, {"error": "database unreachable"})}


def is_broken_tag(tag: str) -> bool:
    """The default: an image tag naming itself broken (``v1.4.1-broken``) is a build whose ward lookups fail."""
    return "broken" in tag.lower()


class ImageAnswers(MutableMapping[str, tuple[int, Any]]):
    """Answers that follow the green revision's image: ``broken`` answers override ``healthy`` ones while the image
    returned by ``green_image`` has a broken tag. Writes change the healthy answers."""

    def __init__(
        self,
        green_image: Callable[[], str],
        broken_tags: Callable[[str], bool] | Collection[str] = is_broken_tag,
        healthy: Mapping[str, tuple[int, Any]] = HEALTHY,
        broken: Mapping[str, tuple[int, Any]] = BROKEN,
    ) -> None:
        self.green_image = green_image
        self.broken_tags = broken_tags
        self.healthy = dict(healthy)
        self.broken = dict(broken)

    def tag_is_broken(self, tag: str) -> bool:
        if callable(self.broken_tags):
            return bool(self.broken_tags(tag))
        return tag in self.broken_tags

    def current(self) -> dict[str, tuple[int, Any]]:
        """What the listener answers right now (asks ``green_image`` once)."""
        tag = self.green_image().rpartition(":")[2]
        return {**self.healthy, **self.broken} if self.tag_is_broken(tag) else dict(self.healthy)

    def __getitem__(self, path: str) -> tuple[int, Any]:
        return self.current()[path]

    def __setitem__(self, path: str, answer: tuple[int, Any]) -> None:
        self.healthy[path] = answer

    def __delitem__(self, path: str) -> None:
        del self.healthy[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())


def by_image(
    green_image: Callable[[], str], broken_tags: Callable[[str], bool] | Collection[str] = is_broken_tag
) -> ImageAnswers:
    """Answers for :func:`serving`: :data:`HEALTHY`, except a 500 on the ward candidates lookup while the image of
    the green revision (``green_image()``, e.g. :func:`service_image`) has a tag in ``broken_tags`` (a set of tags,
    or a predicate; default: tags containing ``broken``)."""
    return ImageAnswers(green_image, broken_tags)


def service_image(ecs: Any, cluster: str, service: str) -> str:
    """The image of the service's task definition: the target (green) revision while a deployment runs."""
    arn = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return str(definition["containerDefinitions"][0]["image"])


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
