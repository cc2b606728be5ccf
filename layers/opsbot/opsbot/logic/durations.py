"""Parse ``for <duration>`` values such as ``90m``, ``6h``, ``1h30m``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

from opsbot.errors import UsageError
from opsbot.logic.text import echo

_PART = re.compile(r"([0-9]{1,4})([dhm])")
_WHOLE = re.compile(r"(?:[0-9]{1,4}[dhm])+")
_UNIT = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def parse_duration(text: str, usage: str = "") -> timedelta:
    """Return the duration, or raise ``UsageError`` saying what a duration looks like."""
    if not _WHOLE.fullmatch(text):
        raise UsageError(f"`{echo(text)}` is not a duration; use e.g. `30m`, `6h`, `1h30m` or `2d`", usage)
    total = timedelta()
    for amount, unit in _PART.findall(text):
        total += int(amount) * _UNIT[unit]
    return total


def format_duration(value: timedelta) -> str:
    """Render a duration compactly: ``1h30m``, ``2d``, ``45s``."""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
