"""Secrets through the AWS Parameters and Secrets Lambda Extension: an HTTP GET to the extension on localhost.

Why not the SDK: building a Secrets Manager client costs a cold start tens of milliseconds of CPU (its model, the
endpoint rules, the first client's setup) before Slack's first request can even be verified; the extension is a
separate process that already holds the connection and a cache, so the function pays one local HTTP round trip.
It is a layer added by ``template.yaml`` when ``SecretsExtensionLayerArn`` is set; the request must carry the
function's session token in ``X-Aws-Parameters-Secrets-Token`` (how the extension knows the caller is the function),
and the answer is the ``GetSecretValue`` response as JSON. It only answers during an invocation, not during INIT.

Same interface as Powertools' ``SecretsProvider.get`` (``max_age``, ``transform="json"``), with its own cache in
front of the extension's, so a warm request makes no call at all.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from opsbot.errors import ConfigError

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 - a header name; the token is AWS_SESSION_TOKEN
_TIMEOUT_SECONDS = 3.0  # the extension answers from its cache or after one Secrets Manager call


class SecretsExtensionError(ConfigError):
    """The extension did not give the secret (refused, unreachable, not JSON); names the secret, never a value."""


class ExtensionSecrets:
    """``get(name, max_age, transform)`` for one container, read from the extension at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)  # http://host:port, checked by Settings
        self._host, self._port = parsed.hostname or "localhost", parsed.port or 80
        self._env = os.environ if env is None else env
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, max_age: int | None = None, transform: Any = None) -> Any:
        if transform not in (None, "json"):
            raise ValueError(f"unsupported transform {transform!r}")
        with self._lock:
            cached = self._cache.get(name)
        now = self._clock()
        if cached is not None and max_age and now - cached[0] < max_age:
            text = cached[1]
        else:
            text = self._fetch(name)
            with self._lock:
                self._cache[name] = (now, text)
        if transform != "json":
            return text
        try:
            return json.loads(text)
        except ValueError as exc:
            raise SecretsExtensionError(f"secret {name} is not JSON") from exc

    def _fetch(self, name: str) -> str:
        token = self._env.get("AWS_SESSION_TOKEN", "")
        if not token:
            raise SecretsExtensionError(f"secret {name}: AWS_SESSION_TOKEN is not set (the extension requires it)")
        path = "/secretsmanager/get?" + urllib.parse.urlencode({"secretId": name})
        # http.client, not urllib.request: urllib's opener builds a TLS context (~8 ms of certificate loading on a
        # cold start) that a plain-HTTP localhost call never uses.
        connection = http.client.HTTPConnection(self._host, self._port, timeout=_TIMEOUT_SECONDS)
        try:
            connection.request("GET", path, headers={TOKEN_HEADER: token})
            response = connection.getresponse()
            status, body = response.status, response.read()
        except (http.client.HTTPException, OSError) as exc:
            raise SecretsExtensionError(
                f"secret {name}: the secrets extension is unreachable ({type(exc).__name__})"
            ) from None
        finally:
            connection.close()
        if status != 200:
            # The body is the extension's (or Secrets Manager's) message: untrusted, and not needed to act on it.
            raise SecretsExtensionError(f"secret {name}: the secrets extension answered HTTP {status}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise SecretsExtensionError(f"secret {name}: the secrets extension did not answer JSON") from None
        value = answer.get("SecretString") if isinstance(answer, dict) else None
        if not isinstance(value, str):
            raise SecretsExtensionError(f"secret {name} has no SecretString")
        return value
