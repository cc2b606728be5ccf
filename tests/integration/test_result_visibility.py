"""Who sees a result, through the real Slack handler against the offline stack: response_url posts and
chat.postMessage as Slack receives them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from devtools.local_stack import OPERATOR, LocalBot, LocalStack
from devtools.transcript import message_text
from opsbot.config import Results

WAR_ROOM = "C0WARROOM"


def _url(stack: LocalStack, name: str) -> str:
    return f"{stack.recorder.url}/response/{name}"


def _posts(stack: LocalStack, name: str) -> list[dict[str, Any]]:
    return [c.body for c in stack.recorder.response_url_posts() if c.path == f"/response/{name}"]


def _bot(stack: LocalStack, results: Results) -> LocalBot:
    """A bot with OPSBOT_RESULTS=``results`` that also accepts commands in a second channel, the war room."""
    settings = stack.settings
    rbac = replace(settings.rbac, allowed_channels=frozenset({settings.slack_channel, WAR_ROOM}))
    return LocalBot(replace(settings, results=results, rbac=rbac))


def _raise_minimum_to(stack: LocalStack, low: int, high: int) -> None:
    stack.given_capacity(low, high)


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
    }


def test_a_scale_and_its_undo_are_posted_to_the_channel_naming_the_operator(stack: LocalStack) -> None:
    # Given the default settings
    bot = stack.bot()
    # When an operator scales, and presses Undo on the posted result
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "scale"))
    (scaled,) = _posts(stack, "scale")
    bot.click("scale_undo", _buttons(scaled)["scale_undo"], OPERATOR, response_url=_url(stack, "undo"))
    # Then the channel sees both, each saying who did it
    assert scaled["response_type"] == "in_channel"
    assert "Scaled: min 2 / max 10 → min 4 / max 10" in message_text(scaled)
    assert "by <@U0OPERATOR>" in message_text(scaled)
    undone = _posts(stack, "undo")[0]
    assert undone["response_type"] == "in_channel"
    assert "Undone" in message_text(undone)
    assert "by <@U0OPERATOR>" in message_text(undone)
    assert stack.capacity() == (2, 10)


def test_the_confirm_prompt_is_private_and_the_confirmed_change_replaces_it_with_a_channel_post(
    stack: LocalStack,
) -> None:
    # Given a raise above the confirmation threshold
    _raise_minimum_to(stack, 8, 14)
    bot = stack.bot()
    bot.command("scale 12", OPERATOR, response_url=_url(stack, "ask"))
    (prompt,) = _posts(stack, "ask")
    # When the operator presses Confirm on the (ephemeral) prompt
    bot.click("scale_confirm", _buttons(prompt)["scale_confirm"], OPERATOR, response_url=_url(stack, "yes"))
    # Then only they saw the prompt; the change is posted to the channel as a new message and the prompt is removed
    assert prompt["response_type"] == "ephemeral"
    result, removal = _posts(stack, "yes")
    assert (result["response_type"], result["replace_original"]) == ("in_channel", False)
    assert "Scaled: min 8 / max 14 → min 12 / max 14" in message_text(result)
    assert removal == {"text": "", "delete_original": True}
    assert stack.capacity() == (12, 14)


def test_a_cancel_replaces_the_private_prompt_and_a_dry_run_stays_private(stack: LocalStack) -> None:
    _raise_minimum_to(stack, 8, 14)
    bot = stack.bot()
    bot.command("scale 12", OPERATOR, response_url=_url(stack, "ask"))
    bot.command("scale 4 for 2h --dry-run", OPERATOR, response_url=_url(stack, "dry"))
    (prompt,) = _posts(stack, "ask")
    bot.click("scale_cancel", _buttons(prompt)["scale_cancel"], OPERATOR, response_url=_url(stack, "no"))
    (cancelled,) = _posts(stack, "no")
    assert (cancelled["response_type"], cancelled["replace_original"]) == ("ephemeral", True)
    assert "Cancelled" in message_text(cancelled)
    assert _posts(stack, "dry")[0]["response_type"] == "ephemeral"
    assert stack.capacity() == (8, 14)


def test_results_ops_posts_a_change_made_elsewhere_to_the_ops_channel_and_tells_the_requester(
    stack: LocalStack,
) -> None:
    # Given OPSBOT_RESULTS=ops
    bot = _bot(stack, "ops")
    # When an operator scales from the war room
    bot.command("scale 4", OPERATOR, WAR_ROOM, response_url=_url(stack, "war"))
    # Then the report goes to the ops channel with its Undo button, and the requester gets a private copy
    (posted,) = stack.recorder.api_calls("chat.postMessage")
    assert posted.body["channel"] == stack.settings.slack_channel
    assert "Scaled: min 2 / max 10 → min 4 / max 10" in message_text(posted.body)
    assert "by <@U0OPERATOR>" in message_text(posted.body)
    assert "scale_undo" in _buttons(posted.body)
    (copy,) = _posts(stack, "war")
    assert copy["response_type"] == "ephemeral"
    assert "posted to the ops channel" in message_text(copy)


def test_results_ops_answers_in_the_ops_channel_itself_without_a_second_post(stack: LocalStack) -> None:
    bot = _bot(stack, "ops")
    bot.command("scale 4", OPERATOR, stack.settings.slack_channel, response_url=_url(stack, "ops"))
    assert stack.recorder.api_calls("chat.postMessage") == []
    assert _posts(stack, "ops")[0]["response_type"] == "in_channel"


def test_results_private_keeps_a_change_with_the_requester(stack: LocalStack) -> None:
    bot = _bot(stack, "private")
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "mine"))
    (post,) = _posts(stack, "mine")
    assert post["response_type"] == "ephemeral"
    assert stack.recorder.api_calls("chat.postMessage") == []
    assert stack.capacity() == (4, 10)
