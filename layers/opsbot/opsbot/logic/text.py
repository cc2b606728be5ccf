"""Echoing user text back safely. Slack escaping (``&``, ``<``, ``>``) and Slack's length limits are applied where
messages are built, in ``opsbot.slack.blocks``."""

from __future__ import annotations

_MAX_ECHO = 40


def echo(text: str, limit: int = _MAX_ECHO) -> str:
    """Shorten user text and drop backticks so it cannot break out of the code span it is shown in."""
    shortened = text if len(text) <= limit else text[: limit - 1] + "…"
    return shortened.replace("`", "'")
