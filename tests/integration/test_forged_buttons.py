"""Forged button clicks through the real Slack handler and DynamoDB: correctly signed (anyone with the signing
secret, or a replayed payload with its value edited), but carrying values the bot never rendered."""

from __future__ import annotations

import pytest

from devtools.local_stack import OPERATOR, LocalStack
from devtools.transcript import message_text


def _audit(stack: LocalStack) -> list[dict]:
    return stack.audit_items()


@pytest.mark.parametrize("value", ["", "not-a-key", "2026-05-29T05:00:00.000000Z#0badf00d"])
def test_undo_with_an_empty_forged_or_unknown_value_is_refused_not_an_aws_error(stack: LocalStack, value: str) -> None:
    # When an Undo arrives whose value is empty, malformed, or names no recorded change
    stack.bot().click("scale_undo", value, OPERATOR, response_url=f"{stack.recorder.url}/response/undo")
    # Then the operator is told plainly that there is nothing to undo, and nothing changed
    (post,) = stack.recorder.response_url_posts()
    text = message_text(post.body)
    assert "nothing to undo" in text or "no applied scale change" in text
    assert "ValidationException" not in text
    assert stack.capacity() == (2, 10)
    (entry,) = _audit(stack)
    assert entry["result"]["S"] == "refused"


def test_a_mute_button_carrying_a_mention_writes_no_mute(stack: LocalStack) -> None:
    stack.bot().click("alarm_mute", "mycandidate-<!channel>", OPERATOR, response_url=f"{stack.recorder.url}/response/m")
    (post,) = stack.recorder.response_url_posts()
    assert "is not an alarm name" in message_text(post.body)
    items = stack.client("dynamodb").scan(TableName=stack.settings.operations_table)["Items"]
    assert not [i for i in items if "MUTE" in i["pk"]["S"] or "mute" in i["sk"]["S"].lower()]
