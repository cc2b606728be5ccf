"""Block Kit primitives that escape outside text and keep every message inside Slack's limits.

Every message the bot sends is built here: views and incidents compose these primitives and finish with
``message()``, which enforces the per-message limits, defuses any markup that slipped through unescaped and
refuses (``MessageLimitError``) a message Slack would reject. Limits (docs.slack.dev, Block Kit reference):

- section text 3,000; section fields 10 x 2,000 (blocks/section-block)
- header text 150 (blocks/header-block); context 10 elements (blocks/context-block)
- actions 25 elements (blocks/actions-block); block_id 255 (every block)
- button text 75, value 2,000, action_id 255 (block-elements/button-element)
- 50 blocks per message (reference/block-kit/blocks); ``text`` 40,000, beyond which Slack truncates
  (api.slack.com/changelog/2018-04-truncating-really-long-messages)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from opsbot.errors import OpsbotError

Block = dict[str, Any]
Message = dict[str, Any]

SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
TEXT_OBJECT = 3000  # a context element is a text object
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
MESSAGE_BLOCKS = 50
MESSAGE_TEXT = 40_000
# Not documented for section blocks, but chat.postMessage answers msg_blocks_too_long at 11-13k characters of
# block text (slackapi/bolt-js#2509, #2867); staying under 10k keeps incidents and replies postable.
BLOCKS_TEXT = 10_000

ELLIPSIS = "…"

# The only markup this module emits: user mentions and links to the AWS console. Anything else that looks
# like markup (<!here>, <!channel>, <#C1>, <https://evil|click>) is external text that escaped escaping.
_OWN_MARKUP = re.compile(r"<(?!@[UW][A-Z0-9]{2,20}>|https://[a-z0-9.-]+\.aws\.amazon\.com/[^\s|<>]*\|[^<>|]*>)")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


class MessageLimitError(OpsbotError):
    """A message cannot be made to fit Slack's limits, or be made safe, without losing what must not be cut."""


def esc(text: object) -> str:
    """Escape Slack's control characters in text that did not come from this bot."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: object, limit: int = 0) -> str:
    """External text as an inline code span: escaped, shortened to ``limit``, backticks cannot close it."""
    plain = " ".join(str(text).replace("`", "'").split())
    if limit and len(plain) > limit:
        plain = plain[: limit - 1] + ELLIPSIS
    return f"`{esc(plain)}`"


def mention(user_id: str) -> str:
    """A user mention for a real Slack user id; anything else (``alarm:<name>``) is shown as escaped text."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else esc(user_id)


def link(url: str, label: str) -> str:
    """A ``<url|label>`` link; ``url`` must already be URL-quoted (it cannot hold ``|``, ``<`` or ``>``)."""
    if any(character in url for character in "|<> "):
        raise MessageLimitError("a link URL holds characters that would break out of the link")
    return f"<{url.replace('&', '&amp;')}|{esc(label)}>"


def slack_len(text: str) -> int:
    """Length as Slack counts it, conservatively: UTF-16 code units, so an emoji counts twice."""
    return len(text) + sum(1 for character in text if ord(character) > 0xFFFF)


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits, else a prefix ending in a visible "…", never cutting an entity, link or code span."""
    if slack_len(text) <= limit:
        return text
    cut = _prefix(text, limit - 2)  # room for a closing backtick and the ellipsis
    cut = re.sub(r"&[a-z]*$", "", cut)  # half of "&amp;"
    if cut.rfind("<") > cut.rfind(">"):  # half of a mention or link
        cut = cut[: cut.rfind("<")]
    if cut.count("`") % 2:
        cut += "`"
    return cut + ELLIPSIS


def _prefix(text: str, units: int) -> str:
    used = 0
    for index, character in enumerate(text):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def section(markdown: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(markdown or " ", SECTION_TEXT)}}


def context(markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(markdown or " ", TEXT_OBJECT)}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text or " ", HEADER_TEXT)}}


def button(text: str, action_id: str, value: str, style: str = "") -> Block:
    """A button. Its value is an id the bot acts on: cutting it would act on something else, so it is refused."""
    if len(value) > BUTTON_VALUE or len(action_id) > ACTION_ID:
        raise MessageLimitError(f"the {action_id[:40]} button's value is longer than Slack allows")
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(buttons: list[Block], block_id: str = "") -> Block:
    if len(buttons) > ACTIONS_ELEMENTS:
        raise MessageLimitError(f"{len(buttons)} buttons in one message; Slack allows {ACTIONS_ELEMENTS}")
    block: Block = {"type": "actions", "elements": buttons}
    if block_id:
        block["block_id"] = block_id[:BLOCK_ID]
    return block


def sections(lines: Iterable[str], noun: str, budget: int = BLOCKS_TEXT - 1000, separator: str = "\n") -> list[Block]:
    """Lines packed into as few sections as fit; past ``budget`` characters, a visible "…and N more <noun>"."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = used = 0
    pending = [truncate(line, SECTION_TEXT) for line in lines if line]
    for shown, line in enumerate(pending):
        length = slack_len(line) + len(separator)
        if used + length > budget or len(blocks) >= MESSAGE_BLOCKS - 5:
            if chunk:
                blocks.append(section(separator.join(chunk)))
            return [*blocks, context(f"{ELLIPSIS}and {len(pending) - shown} more {noun} not shown")]
        if size + length > SECTION_TEXT and chunk:
            blocks.append(section(separator.join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += length
        used += length
    if chunk:
        blocks.append(section(separator.join(chunk)))
    return blocks


def capped_join(items: list[str], budget: int, noun: str, separator: str = ", ") -> str:
    """Items joined until ``budget`` characters, then "…and N more <noun>"."""
    shown: list[str] = []
    used = 0
    for index, item in enumerate(items):
        used += slack_len(item) + len(separator)
        if used > budget:
            return separator.join(shown) + f" {ELLIPSIS}and {len(items) - index} more {noun}"
        shown.append(item)
    return separator.join(shown)


def message(text: str, blocks: list[Block] | None = None, **fields: Any) -> Message:
    """The finished message: within Slack's limits, no stray markup, or ``MessageLimitError``.

    ``text`` is the notification/fallback text and must be built from escaped parts like the blocks.
    """
    result: Message = {"text": truncate(defuse(text), MESSAGE_TEXT), **fields}
    if blocks:
        result["blocks"] = [_defuse_block(block) for block in _fit(blocks)]
    problems = violations(result)
    if problems:
        raise MessageLimitError("message exceeds Slack's limits: " + "; ".join(problems))
    return result


def defuse(text: str) -> str:
    """Escape any ``<`` that does not open this module's own mentions and links (a last line of defence)."""
    return _OWN_MARKUP.sub("&lt;", text)


def _defuse_block(block: Block) -> Block:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                return {**node, "text": defuse(str(node.get("text", "")))}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return dict(walk(block))


def _fit(blocks: list[Block]) -> list[Block]:
    """Drop trailing content blocks (never buttons) past 50 blocks or the block-text budget, saying so."""
    if len(blocks) <= MESSAGE_BLOCKS and _text_size(blocks) <= BLOCKS_TEXT:
        return blocks
    kept_actions = [block for block in blocks if block.get("type") == "actions"]
    room, budget = MESSAGE_BLOCKS - len(kept_actions) - 1, BLOCKS_TEXT - _text_size(kept_actions) - 100
    kept: list[Block] = []
    dropped = 0
    for block in blocks:
        if block.get("type") == "actions":
            kept.append(block)
        elif dropped == 0 and room > 0 and _text_size([block]) <= budget:
            kept.append(block)
            room, budget = room - 1, budget - _text_size([block])
        else:
            dropped += 1
    notice = context(f"{ELLIPSIS}and {dropped} more parts not shown (Slack's message size limit)")
    first_action = next((i for i, block in enumerate(kept) if block.get("type") == "actions"), len(kept))
    return [*kept[:first_action], notice, *kept[first_action:]] if dropped else kept


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") in {"mrkdwn", "plain_text"}:
            yield str(node.get("text", ""))
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _text_size(blocks: list[Block]) -> int:
    return sum(slack_len(text) for text in _texts(blocks))


def violations(message_: Message) -> list[str]:
    """Every Slack limit ``message_`` breaks, as readable lines (empty when Slack will accept it)."""
    problems: list[str] = []

    def over(what: str, text: Any, limit: int) -> None:
        length = slack_len(str(text or ""))
        if length > limit or length == 0:
            problems.append(f"{what} is {length} characters (1..{limit})")

    over("text", message_.get("text"), MESSAGE_TEXT)
    blocks = message_.get("blocks") or []
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MESSAGE_BLOCKS})")
    if _text_size(blocks) > BLOCKS_TEXT:
        problems.append(f"{_text_size(blocks)} characters of block text (at most {BLOCKS_TEXT})")
    for n, block in enumerate(blocks):
        kind = block.get("type")
        if len(block.get("block_id", "")) > BLOCK_ID:
            problems.append(f"block {n} block_id over {BLOCK_ID}")
        if kind == "section":
            if "text" in block:
                over(f"block {n} section text", block["text"].get("text"), SECTION_TEXT)
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                problems.append(f"block {n} has {len(fields)} fields (at most {SECTION_FIELDS})")
            for field in fields:
                over(f"block {n} field", field.get("text"), FIELD_TEXT)
        elif kind == "header":
            over(f"block {n} header", block["text"].get("text"), HEADER_TEXT)
        elif kind == "context":
            if len(block["elements"]) > CONTEXT_ELEMENTS:
                problems.append(f"block {n} has {len(block['elements'])} context elements")
            for element in block["elements"]:
                over(f"block {n} context element", element.get("text"), TEXT_OBJECT)
        elif kind == "actions":
            if len(block["elements"]) > ACTIONS_ELEMENTS:
                problems.append(f"block {n} has {len(block['elements'])} actions elements")
            for element in block["elements"]:
                over(f"block {n} button text", element["text"].get("text"), BUTTON_TEXT)
                over(f"block {n} button value", element.get("value"), BUTTON_VALUE)
                over(f"block {n} action_id", element.get("action_id"), ACTION_ID)
    return problems
