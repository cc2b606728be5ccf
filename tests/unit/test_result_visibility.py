"""Who sees a result: applied changes are reported to the team (OPSBOT_RESULTS), everything else stays private."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, cast

import pytest
from slack_sdk.errors import SlackClientError

from opsbot.commands.base import Outcome
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.config import Settings
from opsbot.errors import ConfigError
from opsbot.logic.scaling import Capacity
from opsbot.slack.app import _Listeners
from opsbot.slack.views import render, requester_copy
from tests.fakes import NOW, World


def _shown(outcome: Outcome) -> str:
    return json.dumps(render(outcome))


def _confirmation(world: World) -> str:
    """A pending confirmation for a raise above the threshold (8..14 -> 12)."""
    world.given_capacity(Capacity(8, 14))
    prompt = execute_command("scale 12", world.context())
    assert prompt.view.kind == "confirm"
    return str(prompt.view.confirmation_id)


def test_an_applied_scale_is_posted_to_the_channel_and_names_who_did_it() -> None:
    # Given the default settings
    world = World()
    # When an operator scales
    message = render(execute_command("scale 4", world.context(user="U0OPS")))
    # Then everyone in the channel sees the change, who made it, and the Undo button
    assert message["response_type"] == "in_channel"
    assert "by <@U0OPS>" in json.dumps(message["blocks"])
    assert "scale_undo" in json.dumps(message["blocks"])


def test_a_confirmed_raise_and_an_undo_are_posted_to_the_channel() -> None:
    # Given an applied change and a pending confirmation
    world = World()
    confirmation = _confirmation(world)
    # When the operator confirms, and then presses Undo on the result
    confirmed = execute_action("scale_confirm", confirmation, world.context(user="U0OPS"))
    undone = execute_action("scale_undo", confirmed.view.undo_key, world.context(user="U0ADMIN"))
    # Then both results are for the channel, each naming the person who pressed the button
    assert (confirmed.view.kind, undone.view.kind) == ("applied", "undone")
    assert render(confirmed)["response_type"] == "in_channel"
    assert render(undone)["response_type"] == "in_channel"
    assert "by <@U0OPS>" in _shown(confirmed)
    assert "by <@U0ADMIN>" in _shown(undone)


def test_switching_remediation_is_posted_and_names_the_admin_once() -> None:
    world = World()
    switched = execute_command("autoremediation off", world.context(user="U0ADMIN"))
    muted = execute_command("mute mycandidate-ecs-cpu-high 1h", world.context(user="U0OPS"))
    assert render(switched)["response_type"] == "in_channel"
    assert "by <@U0ADMIN>" in _shown(switched)
    # The mute message already says who muted it; the report does not say it twice
    assert json.dumps(render(muted)["blocks"]).count("<@U0OPS>") == 1


@pytest.mark.parametrize(
    ("user", "text", "kind"),
    [
        ("U0OPS", "scale 50", "refused"),  # guardrail
        ("U0VIEW", "scale 4", "refused"),  # role
        ("U0OPS", "scale 4 for 6h --dry-run", "dry-run"),
        ("U0OPS", "scale 2", "noop"),
        ("U0OPS", "scale abc", "usage"),
        ("U0VIEW", "status", None),
        ("U0VIEW", "autoremediation status", "status"),
        ("U0VIEW", "audit 5", None),
    ],
)
def test_refusals_usage_errors_dry_runs_no_ops_and_reads_stay_private(user: str, text: str, kind: str | None) -> None:
    # Given the default settings / When a command changes nothing
    world = World()
    outcome = execute_command(text, world.context(user=user))
    # Then only the person who typed it sees the answer
    assert kind is None or getattr(outcome.view, "kind", None) == kind
    assert render(outcome)["response_type"] == "ephemeral"
    assert not outcome.report


def test_the_confirmation_prompt_and_a_cancel_stay_with_the_requester() -> None:
    # Given a raise that needs confirmation
    world = World()
    world.given_capacity(Capacity(8, 14))
    prompt = execute_command("scale 12", world.context())
    # When the requester cancels it
    cancelled = execute_action("scale_cancel", prompt.view.confirmation_id, world.context())
    # Then neither the Confirm button nor the cancellation was shown to the channel
    assert render(prompt)["response_type"] == "ephemeral"
    assert (cancelled.view.kind, render(cancelled)["response_type"]) == ("cancelled", "ephemeral")


def test_status_public_is_still_posted_on_request() -> None:
    world = World()
    assert render(execute_command("status public", world.context(user="U0VIEW")))["response_type"] == "in_channel"


def test_a_change_that_failed_part_way_is_reported_to_the_channel() -> None:
    # Given AWS refuses the revert of a temporary raise (capacity is put back)
    world = World()
    world.capacity.fail_on.add("PutScheduledAction")
    # When an operator makes the temporary raise
    outcome = execute_command("scale 6 for 2h", world.context())
    # Then the team hears of the failed attempt, not only the operator
    assert outcome.view.kind == "failed"
    assert "capacity was put back" in outcome.view.message
    assert render(outcome)["response_type"] == "in_channel"


def test_results_private_keeps_a_change_with_the_requester_as_before() -> None:
    # Given OPSBOT_RESULTS=private
    world = World()
    world.settings = replace(world.settings, results="private")
    # When an operator scales and undoes it
    applied = execute_command("scale 4", world.context())
    undone = execute_action("scale_undo", applied.view.undo_key, world.context())
    # Then both answers are ephemeral
    assert render(applied)["response_type"] == "ephemeral"
    assert render(undone)["response_type"] == "ephemeral"


def test_the_requester_copy_of_a_report_sent_to_the_ops_channel_is_private_and_says_where_it_went() -> None:
    # Given reports go to the ops channel, and an operator scales from another allowed channel
    world = World()
    rbac = replace(world.settings.rbac, allowed_channels=frozenset({"C0OPS", "C0WARROOM"}))
    world.settings = replace(world.settings, results="ops", slack_channel="C0OPS", rbac=rbac)
    outcome = execute_command("scale 4", world.context(channel="C0WARROOM"))
    # When the requester's copy is rendered
    copy = requester_copy(outcome)
    # Then it is private, says where the report went and still carries the Undo button
    assert copy["response_type"] == "ephemeral"
    assert "posted to the ops channel" in json.dumps(copy["blocks"])
    assert "scale_undo" in json.dumps(copy["blocks"])


def test_results_setting_defaults_to_the_channel_and_is_validated() -> None:
    # Given no OPSBOT_RESULTS / a valid one / a typo / ops without an ops channel
    assert Settings.from_env({}).results == "channel"
    assert Settings.from_env({"OPSBOT_RESULTS": "Ops", "OPSBOT_SLACK_CHANNEL": "C0OPS"}).results == "ops"
    with pytest.raises(ConfigError, match="OPSBOT_RESULTS must be one of channel, ops, private, got 'public'"):
        Settings.from_env({"OPSBOT_RESULTS": "public"})
    with pytest.raises(ConfigError, match="OPSBOT_RESULTS=ops needs OPSBOT_SLACK_CHANNEL"):
        Settings.from_env({"OPSBOT_RESULTS": "ops"})


class _Respond:
    """What the lazy listener sends to the response_url."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, **message: Any) -> None:
        self.sent.append(message)


class _SlackClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.posted: list[dict[str, Any]] = []
        self._error = error

    def chat_postMessage(self, **message: Any) -> None:
        if self._error:
            raise self._error
        self.posted.append(message)


def _deliver_from_war_room(client: _SlackClient, *, clicked_ephemeral: bool | None) -> _Respond:
    world = World()
    rbac = replace(world.settings.rbac, allowed_channels=frozenset({"C0OPS", "C0WARROOM"}))
    world.settings = replace(world.settings, results="ops", slack_channel="C0OPS", rbac=rbac)
    outcome = execute_command("scale 4", world.context(channel="C0WARROOM"))
    respond = _Respond()
    listeners = _Listeners(world.settings, world.ports, once=lambda key, work: work(), clock=lambda: NOW)
    listeners._deliver(
        outcome, "C0WARROOM", cast(Any, respond), cast(Any, client), clicked_ephemeral=clicked_ephemeral, succeeded=True
    )
    return respond


def test_results_ops_falls_back_to_the_requesters_channel_when_the_ops_channel_refuses_the_post() -> None:
    # Given OPSBOT_RESULTS=ops and a bot that is not in the ops channel
    client = _SlackClient(error=SlackClientError("not_in_channel"))
    # When a change made in the war room is reported
    respond = _deliver_from_war_room(client, clicked_ephemeral=None)
    # Then the war room sees it, with a warning that the ops channel did not get it
    (message,) = respond.sent
    assert message["response_type"] == "in_channel"
    assert "could not post this to the ops channel" in json.dumps(message["blocks"])
    assert message.get("replace_original") is None  # a new message, not an edit


def test_results_ops_replaces_a_used_confirmation_prompt_with_the_private_copy() -> None:
    # Given OPSBOT_RESULTS=ops / When a change confirmed from an ephemeral prompt in the war room is reported
    client = _SlackClient()
    respond = _deliver_from_war_room(client, clicked_ephemeral=True)
    # Then the ops channel gets the report and the prompt becomes the requester's copy
    (posted,) = client.posted
    assert posted["channel"] == "C0OPS"
    (copy,) = respond.sent
    assert (copy["response_type"], copy["replace_original"]) == ("ephemeral", True)
