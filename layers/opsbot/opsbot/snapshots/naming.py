"""The bot's snapshot identifiers and tags (pure).

Identifier: ``opsbot-<db>-<reason>-<yyyymmdd-hhmm>`` in UTC, within RDS's rules (1 to 255 letters, digits and
hyphens; a letter first; no two hyphens in a row, none at the end). Reasons: ``manual``, ``nightly``,
``pre-election:<slug>``, ``pre-cutover:<tag>``, ``alarm:<name>``; in the identifier the colon becomes a hyphen.
Tag values keep to what RDS accepts (letters, digits, spaces and ``_.:/=+-@``, at most 256 characters): a note
from Slack is cut and stripped of anything else, and escaped again wherever it is shown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from opsbot.errors import UsageError
from opsbot.snapshots.model import CREATED_BY, CREATED_BY_VALUE, NOTE, REASON, REQUESTED_BY, prefix

MAX_IDENTIFIER = 255
MAX_TAG_VALUE = 256
IDENTIFIER = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
_REASON = re.compile(r"(manual|nightly)|(pre-election|pre-cutover|alarm):([A-Za-z0-9][A-Za-z0-9._:/-]{0,200})")
_NOT_IDENTIFIER = re.compile(r"[^a-z0-9]+")
_NOT_TAG_VALUE = re.compile(r"[^\w .:/=+@-]", re.UNICODE)


def check_reason(reason: str) -> str:
    if not _REASON.fullmatch(reason):
        raise UsageError(
            f"`{reason[:60]}` is not a snapshot reason (manual, nightly, pre-election:<slug>, pre-cutover:<tag>,"
            " alarm:<name>)"
        )
    return reason


def identifier(db: str, reason: str, at: datetime) -> str:
    """The identifier for a snapshot of ``db`` taken at ``at`` (aware) for ``reason``."""
    check_reason(reason)
    stamp = at.astimezone(UTC).strftime("%Y%m%d-%H%M")
    head = prefix(db)
    room = MAX_IDENTIFIER - len(head) - len(stamp) - 1
    middle = _NOT_IDENTIFIER.sub("-", reason.lower()).strip("-")[:room].rstrip("-")
    found = f"{head}{middle}-{stamp}"
    if len(found) > MAX_IDENTIFIER or not IDENTIFIER.fullmatch(found):
        raise UsageError(f"cannot name a snapshot of `{db}` for `{reason[:60]}` within RDS's identifier rules")
    return found


def tag_value(text: str) -> str:
    """``text`` as a tag value RDS accepts: other characters dropped, whitespace collapsed, cut to 256."""
    cleaned = " ".join(_NOT_TAG_VALUE.sub(" ", text).split())
    return cleaned[:MAX_TAG_VALUE].rstrip()


def tags(reason: str, requested_by: str, note: str = "") -> list[dict[str, str]]:
    found = [
        {"Key": CREATED_BY, "Value": CREATED_BY_VALUE},
        {"Key": REASON, "Value": tag_value(check_reason(reason))},
        {"Key": REQUESTED_BY, "Value": tag_value(requested_by) or "unknown"},
    ]
    if note.strip() and tag_value(note):
        found.append({"Key": NOTE, "Value": tag_value(note)})
    return found
