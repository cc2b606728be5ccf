"""What the fuzz modules share: strategies for hostile Slack text and JSON, a world of fakes, and the checks every
rendered message must pass (Slack's limits, no stray markup, every outside string escaped)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from opsbot.logic.text import echo
from opsbot.slack.blocks import _texts, violations
from tests.fakes import World
from tests.snapshot_fakes import NOW

__all__ = ["NOW", "assert_message_ok", "json_values", "names", "token", "tokens", "world"]

ACTORS = ("U0VIEW", "U0OPS", "U0ADMIN")

# The markup the bot itself writes (blocks._OWN_MARKUP's allowed forms): a user mention and a console link.
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})>")
_OWN = re.compile(r"<@[UW][A-Z0-9]{2,20}>|<https://[a-z0-9.-]+\.aws\.amazon\.com/[^\s|<>]*\|[^<>|]*>")
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")

# Slack markup and entities a user (or a forged button, or an alarm name) can type.
MARKUP = (
    "<@U1>", "<@UFUZZ99>", "<@WFUZZ12|x>", "<!channel>", "<!here>", "<!everyone>", "<#C0FUZZ|ops>",
    "<https://evil.example|click>", "<https://eu-west-1.console.aws.amazon.com/x|ok>", "&", "&amp;", "&lt;", "&gt;",
    "<", ">", "<>", "`", "``", "*bold*", "_it_", "~s~", '"', "“", "”", "'", "\\", "|", "\u200b", "\u202e", "🗳️",
)  # fmt: skip
WORDS = (
    "help", "status", "public", "scale", "reset", "for", "6h", "90m", "1h30m", "2d", "0", "3", "10", "-1", "min=2",
    "max=8", "min=", "MAX=99999", "--dry-run", "—dry-run", "–dry-run", "--dryrun", "--override", "—override", "audit",
    "25", "autoremediation", "on", "off", "mute", "mycandidate-ecs-cpu-high", "schedule", "add", "remove", "sync",
    "readiness", "ward-52-by-election-2027-02-17", "2027-02-17", "2026-02-30", "kind=municipal", "kind=x",
    "snapshot", "prune", "keep", "unkeep", "snapshots", "opsbot-mycandidate-db-nightly-1", "residency", "deploy",
    "v1.5.0", "sha256:" + "a" * 64, "sha256:abc", "strategy=canary", "strategy=rolling", "bake=15", "bake=9999",
    "rollback", "cutover", "9999d" * 3,
)  # fmt: skip


def _no_space(text: str) -> bool:
    return len(text.split()) == 1 and text == text.split()[0]


# One whitespace-free word, as `text.split()` would give it: a real word, markup, or anything printable.
_printable = st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs"))
token = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(MARKUP),
    st.text(_printable, min_size=1, max_size=12),
    st.builds(lambda a, b: a + b, st.sampled_from(WORDS), st.sampled_from(MARKUP)),
    st.builds(lambda a, b: a + b, st.sampled_from(MARKUP), st.text(_printable, min_size=1, max_size=60)),
    st.builds(lambda c, n: c * n, st.sampled_from("a9<&>`x"), st.integers(38, 3000)),
).filter(_no_space)
tokens = st.lists(token, max_size=6)


def quoted(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``"<inner>"`` with straight or curly quotes, as Slack clients send them."""
    return st.builds(lambda q, body, r: f"{q}{body}{r}", st.sampled_from('"“”'), inner, st.sampled_from('"“”'))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from(MARKUP),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def world() -> World:
    """Every port a command may use, as fakes: capacity, calendar, snapshots, a deployment waiting at its gate."""
    from tests.unit.test_cutover_commands import GatedDeployments
    from tests.unit.test_deploy_command import deploy_world

    return deploy_world(GatedDeployments())


def names(token_: str, message: str, limit: int = 40) -> bool:
    """Whether ``message`` names ``token_`` the way ``opsbot.logic.text.echo`` shows it: the whole token, or (when
    echo shortens it) the shown prefix before the "…"."""
    shown = echo(token_, limit)
    return shown in message or (shown.endswith("…") and len(token_) > limit and shown[:-1] in message)


def _fragments(text: str) -> Iterable[str]:
    """Three-character windows of ``text`` around each ``<``, ``>`` and ``&``: what would show up verbatim in a
    message that forgot to escape it (the escaped form never holds the window)."""
    for index, character in enumerate(text):
        if character not in "<>&" or index == 0 or index + 1 >= len(text):
            continue
        window = text[index - 1 : index + 2]
        if any(c.isspace() or c == "`" for c in window):
            continue  # code spans and whitespace folding change those
        if character == "&" and text[index + 1] in "alg":
            continue  # "&amp;…" from the input escapes to "&amp;amp;…", which still holds the window
        yield window


def message_texts(message: dict[str, Any]) -> list[str]:
    return [str(message.get("text", "")), *_texts(message.get("blocks") or [])]


def assert_message_ok(message: dict[str, Any], inputs: Iterable[str] = (), mentions: Iterable[str] = ACTORS) -> None:
    """Slack accepts it (``violations``); outside markup is inert: the only ``<`` left opens the bot's own mention
    (of an expected user) or console link, every ``&`` is an entity, and no unescaped window of an input appears."""
    problems = violations(message)
    assert problems == [], problems
    allowed = set(mentions)
    windows = {w for text in inputs for w in _fragments(text)}
    for text in message_texts(message):
        for user in _MENTION.findall(text):
            assert user in allowed, f"mention of {user} in {text!r}"
        rest = _OWN.sub(" ", text)
        assert "<" not in rest, f"stray markup in {text!r}"
        assert not _BARE_AMPERSAND.search(rest), f"unescaped & in {text!r}"
        for window in windows:
            assert window not in rest, f"unescaped {window!r} from the input in {text!r}"
    json.dumps(message)  # what respond()/chat.postMessage send
