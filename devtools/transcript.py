"""Render Slack messages as plain text, the way a person would read them in the channel."""

from __future__ import annotations

import html
import json
from typing import Any


def message_text(message: dict[str, Any]) -> str:
    """Sections and context lines, then buttons as ``[Label]``; falls back to ``text``."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("type") == "section":
            lines.append(block["text"]["text"])
        elif block.get("type") == "context":
            lines.extend(element.get("text", "") for element in block.get("elements", []))
        elif block.get("type") == "actions":
            lines.append("  ".join(f"[{element['text']['text']}]" for element in block.get("elements", [])))
    if not lines and message.get("text"):
        lines.append(str(message["text"]))
    return html.unescape("\n".join(lines))


def ack_text(response: dict[str, Any]) -> str:
    """What Slack shows for the HTTP answer to a slash command (empty body: nothing)."""
    if response.get("statusCode") != 200:
        return f"HTTP {response.get('statusCode')} {response.get('body', '')}".strip()
    body = response.get("body") or ""
    if not body:
        return ""
    try:
        return message_text(json.loads(body))
    except json.JSONDecodeError:
        return str(body)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
