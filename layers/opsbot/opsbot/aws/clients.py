"""Cached boto3 clients, pinned to the configured region with standard retries.

``OPSBOT_AWS_ENDPOINT_URL`` (or ``OPSBOT_AWS_ENDPOINT_URL_<SERVICE>``, e.g. ``…_LAMBDA``) points the bot at an
emulator for local runs and ``sam local invoke``. They are declared (empty) in ``template.yaml`` so that
``--env-vars`` can set them; an empty value means the real regional endpoint, and ``prod`` refuses them.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Re-exported: the list lives in a module without imports, which the layer build reads by path.
from opsbot.aws.endpoints import endpoint_override
from opsbot.aws.sdk_operations import REQUIRED_OPERATIONS as REQUIRED_OPERATIONS
from opsbot.errors import ConfigError

# Worst case per call: 3 attempts x (2 s connect + 5 s read) plus backoff, so a command of several calls fits
# the function's 60 s timeout and a stuck call is reported instead of freezing the change lock.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


def client(service: str, region: str) -> Any:
    """One client per service, region and endpoint for the life of the execution environment."""
    return _client(service, region, endpoint_override(service))


class LazyClient:
    """Stands in for ``client(service, region)`` and builds it on first use: an adapter wired at cold start costs
    nothing until a path calls it (a scale-out never builds the ECS or RDS client; ~25 ms each)."""

    def __init__(self, service: str, region: str) -> None:
        self._service = service
        self._region = region
        self._built: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._built is None:
            self._built = client(self._service, self._region)
        return getattr(self._built, name)


def lazy_client(service: str, region: str) -> Any:
    return LazyClient(service, region)


_LOCK = threading.Lock()


def check_operations(service: str, built: Any) -> None:
    """Raise ``ConfigError`` naming every operation the bot needs that this client lacks: a client without one (an
    SDK older than the operation) fails when it is built — at cold start for the alarm function — instead of with
    an AttributeError halfway through an action."""
    missing = [name for name in REQUIRED_OPERATIONS.get(service, ()) if not callable(getattr(built, name, None))]
    if missing:
        import botocore

        raise ConfigError(
            f"the AWS SDK (botocore {botocore.__version__}) has no {service} {', '.join(missing)}; "
            "the dependencies layer must ship a newer boto3/botocore"
        )


@lru_cache(maxsize=32)
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    # One shared session: its model loader is warm after the first client, which makes each further client
    # several times cheaper. Sessions are not thread-safe, hence the lock around client creation.
    with _LOCK:
        built = _session().client(service, region_name=region, endpoint_url=endpoint_url, config=_CONFIG)  # type: ignore[call-overload]
    check_operations(service, built)
    return built


@lru_cache(maxsize=1)
def _session() -> boto3.session.Session:
    return boto3.session.Session()
