"""Slack messages about the operations core itself: an operation that was cut short and completed by the sweeper.

The operation's fields come from the audit trail, which holds outside text (arguments, AWS errors): escaped here.
"""

from __future__ import annotations

from typing import Any

from opsbot.operations.sweeper import Swept
from opsbot.slack import blocks as bk
from opsbot.slack.blocks import code, esc

_ICON = {"ok": ":white_check_mark:", "failed": ":x:", "unknown": ":grey_question:"}


def render_swept(swept: Swept) -> dict[str, Any]:
    entry = swept.entry
    text = (
        f"{_ICON.get(swept.result, ':grey_question:')} An operation was cut short and its record completed: "
        f"{code(entry.verb, 40)} {code(entry.arguments, 200)} by {code(entry.actor, 120)} "
        f"at {entry.at:%Y-%m-%d %H:%M} UTC — {esc(bk.truncate(swept.summary, 600))}"
    )
    return bk.message(text, [bk.section(text), bk.context(f"operation {esc(entry.key)}")])
