"""Safe echoing of user text back to Slack."""

from __future__ import annotations

_MAX_ECHO = 40


def escape_for_slack(text: str, limit: int = _MAX_ECHO) -> str:
    """Escape ``&``, ``<``, ``>`` (Slack's control characters) and shorten, so echoed text cannot ping or link."""
    shortened = text if len(text) <= limit else text[: limit - 1] + "…"
    return shortened.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
