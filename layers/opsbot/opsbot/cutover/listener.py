"""The smoke tests' HTTP client: ``GET`` with a timeout, no redirects followed, the body cut at 256 KiB. A
response of any status is an answer; only a connection that fails or times out raises (``OSError``)."""

from __future__ import annotations

import urllib.error
import urllib.request

MAX_BODY = 256 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:  # noqa: ARG002 - urllib signature
        return None  # a redirect is an answer to judge, not a place to go


_OPENER = urllib.request.build_opener(_NoRedirects)


def get(url: str, timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("http://", "https://")):
        raise OSError(f"not an HTTP URL: {url[:80]}")
    request = urllib.request.Request(url, headers={"User-Agent": "mycandidate-opsbot-smoke"}, method="GET")  # noqa: S310 - scheme checked above
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status), response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:  # 4xx/5xx/3xx: still an answer
        return int(exc.code), exc.read(MAX_BODY) if exc.fp is not None else b""
