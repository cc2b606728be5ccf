"""Button values are user input: a forged or tampered value is refused by the same rules as the matching command,
changes nothing, and is audited; no value reaches AWS unvalidated."""

from __future__ import annotations

import pytest

from opsbot.commands.dispatch import ACTIONS, execute_action, execute_command
from opsbot.logic.scaling import Capacity
from opsbot.slack.views import render
from tests.fakes import World

HOSTILE_VALUES = [
    "",
    " ",
    "mycandidate-<!channel>",
    "<!here>",
    "<@U0ADMIN>",
    "mycandidate-" + "x" * 300,
    "mycandidate-ecs-cpu-high\nextra",
    "mycandidate-ecs-cpu-high mycandidate-other",
    "../../etc/passwd",
    "2026-05-29T05:00:00.000000Z#deadbeef'; DROP",
    "ünïcødé-ålarm",
    "x" * 2001,
]


@pytest.mark.parametrize("action_id", sorted(ACTIONS))
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v[:30]))
def test_every_button_refuses_a_tampered_value_and_changes_nothing(action_id: str, value: str) -> None:
    # Given an operator and a forged click carrying a value the bot never rendered
    world = World()
    # When the button is pressed
    outcome = execute_action(action_id, value, world.context())
    # Then it is refused (as a usage error, or by the command's own rule), nothing changed, and it is audited
    assert outcome.view.kind in {"usage", "refused"}
    assert world.capacity.capacity == Capacity(2, 10)
    assert world.capacity.calls == []
    assert world.remediation.muted == {}
    (entry,) = world.audit()
    assert entry.decision in {"invalid", "refused"}
    assert entry.result == "refused"
    assert len(entry.arguments) <= 200
    message = render(outcome)
    assert "<!" not in message["text"]
    assert "<@" not in message["text"]


@pytest.mark.parametrize("value", ["mycandidate-<!channel>", "a" * 300, "mycandidate-ecs cpu"])
def test_the_mute_button_accepts_exactly_what_the_mute_command_accepts(value: str) -> None:
    # Given a value the mute command refuses
    world = World()
    command = execute_command(f"mute {value} 1h", world.context())
    # Then the Mute button refuses it too
    button = execute_action("alarm_mute", value, world.context())
    assert command.view.kind in {"usage", "refused"}
    assert button.view.kind in {"usage", "refused"}
    assert world.remediation.muted == {}


def test_the_mute_button_still_mutes_a_real_alarm_for_an_hour() -> None:
    world = World()
    outcome = execute_action("alarm_mute", "mycandidate-ecs-cpu-high", world.context())
    assert outcome.view.kind == "muted"
    assert "mycandidate-ecs-cpu-high" in world.remediation.muted


def test_acknowledge_refuses_an_alarm_that_is_not_ours() -> None:
    outcome = execute_action("incident_ack", "billing-alarm", World().context())
    assert outcome.view.kind == "refused"


def test_undo_with_a_well_formed_key_nobody_recorded_is_refused_plainly() -> None:
    # Given an Undo value shaped like an audit key but naming no change
    world = World()
    outcome = execute_action("scale_undo", "2026-05-29T05:00:00.000000Z#0badf00d", world.context())
    # Then the user is told there is nothing to undo, and nothing moved
    assert outcome.view.kind == "refused"
    assert "no applied scale change to undo" in outcome.view.message
    assert world.capacity.capacity == Capacity(2, 10)


class _SdkWithoutTheOperation:
    """A capacity adapter on a runtime SDK that lacks an operation: boto3 raises AttributeError, not ClientError."""

    def __getattr__(self, name: str) -> object:
        raise AttributeError(f"'ApplicationAutoScaling' object has no attribute {name!r}")


def test_an_unexpected_exception_in_a_command_is_reported_and_audited_as_failed() -> None:
    # Given a scale whose adapter fails in a way no AWS error handler anticipates
    world = World()
    world.capacity = _SdkWithoutTheOperation()  # type: ignore[assignment]
    # When an operator scales
    outcome = execute_command("scale 4", world.context())
    # Then they are told it failed, and the audit trail holds a failed entry (not a silent pending one)
    assert outcome.view.kind == "failed"
    assert "unexpected AttributeError" in outcome.view.message
    (entry,) = world.audit()
    assert entry.result == "failed"
