"""`autoremediation` and `mute` from Slack, and the incident buttons."""

from __future__ import annotations

from datetime import timedelta

from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.slack.views import render
from tests.fakes import NOW, World


def test_anyone_with_a_role_can_see_whether_remediation_is_on() -> None:
    world = World()
    message = render(execute_command("autoremediation status", world.context(user="U0VIEW")))
    assert "Automatic remediation is ON" in message["text"]


def test_only_an_admin_can_switch_remediation_off_and_it_is_announced_and_audited() -> None:
    world = World()
    refused = execute_command("autoremediation off", world.context(user="U0OPS"))
    assert refused.view.message == "switching automatic remediation needs the admin role"
    assert world.remediation.enabled
    switched = execute_command("autoremediation off", world.context(user="U0ADMIN"))
    assert not world.remediation.enabled
    assert render(switched)["response_type"] == "in_channel"
    entry = world.audit()[-1]
    assert (entry.verb, entry.before, entry.after) == ("autoremediation", {"enabled": True}, {"enabled": False})


def test_mute_an_alarm_for_a_while_and_lift_it() -> None:
    world = World()
    execute_command("mute mycandidate-ecs-cpu-high 2h", world.context())
    assert world.remediation.muted["mycandidate-ecs-cpu-high"] == NOW + timedelta(hours=2)
    execute_command("mute mycandidate-ecs-cpu-high off", world.context())
    assert world.remediation.muted == {}


def test_mute_refuses_other_alarms_long_mutes_and_bad_text() -> None:
    world = World()
    assert "is not a MyCandidate alarm" in execute_command("mute billing-alarm 1h", world.context()).view.message
    assert "at most 1d" in execute_command("mute mycandidate-ecs-cpu-high 3d", world.context()).view.message
    assert "is not a duration" in execute_command("mute mycandidate-ecs-cpu-high soon", world.context()).view.message
    assert "takes an alarm name and a duration" in execute_command("mute", world.context()).view.message
    assert world.remediation.muted == {}


def test_incident_buttons_acknowledge_and_mute_for_an_hour() -> None:
    world = World()
    acked = execute_action("incident_ack", "mycandidate-ecs-cpu-high", world.context())
    assert "acknowledged by <@U0OPS>" in render(acked)["text"]
    execute_action("alarm_mute", "mycandidate-ecs-cpu-high", world.context())
    assert world.remediation.muted["mycandidate-ecs-cpu-high"] == NOW + timedelta(hours=1)
    assert [e.verb for e in world.audit()] == ["acknowledge", "mute"]


def test_viewers_cannot_press_incident_buttons() -> None:
    world = World()
    refused = execute_action("alarm_mute", "mycandidate-ecs-cpu-high", world.context(user="U0VIEW"))
    assert refused.view.kind == "refused"
    assert world.remediation.muted == {}
