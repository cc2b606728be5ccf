"""Emulator endpoints for local runs, in a module of their own: the Slack ack path reads them without importing boto3.

``OPSBOT_AWS_ENDPOINT_URL`` (or ``OPSBOT_AWS_ENDPOINT_URL_<SERVICE>``, e.g. ``…_LAMBDA``) points the bot at an
emulator for local runs and ``sam local invoke``; empty means the real regional endpoint, and ``prod`` refuses them.
"""

from __future__ import annotations

import os


def endpoint_override(service: str) -> str | None:
    """The emulator endpoint for ``service``, if one is configured."""
    specific = f"OPSBOT_AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    return os.environ.get(specific) or os.environ.get("OPSBOT_AWS_ENDPOINT_URL") or None
