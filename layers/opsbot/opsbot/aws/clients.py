"""Cached boto3 clients, pinned to the configured region with standard retries.

``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) are honoured by botocore itself, which is how the
offline stack points the bot at moto.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=32)
def client(service: str, region: str) -> Any:
    """One client per service and region for the life of the execution environment."""
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]
