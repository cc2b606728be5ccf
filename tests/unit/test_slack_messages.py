"""Escaping at the message boundary: text from outside the bot never becomes a Slack mention, broadcast or link.

Every message builder (command views, incidents, recovery, thread reply, working/internal error) is rendered
with the same hostile string in every external field, and every field Slack renders is inspected.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from opsbot.alarms.model import AlarmKind, AlarmTransition, Decision, Source
from opsbot.commands.audit import AuditView
from opsbot.commands.base import Outcome
from opsbot.commands.dispatch import ErrorView
from opsbot.commands.help import HelpView
from opsbot.commands.remediation import RemediationView
from opsbot.commands.scale import ScaleView
from opsbot.commands.status import Section, StatusView
from opsbot.logic.scaling import Capacity
from opsbot.ports import AlarmSummary, AuditEntry, Deployment, Incident, ScheduledAction, ServiceState
from opsbot.slack import views
from opsbot.slack.incidents import (
    SlackIncidentNotifier,
    alarm_link,
    render_incident,
    render_recovery,
    render_recovery_reply,
)
from tests.fakes import NOW

HOSTILE = ["<!here>", "<!channel>", "<@U123>", "<https://evil.example|click>", "R&D <b>", "Zürich 🚨 名前 <!everyone>"]
# The only markup a message may carry: the console link this bot builds (its URL is percent-encoded).
_CONSOLE_LINK = re.compile(r"<https://[a-z0-9-]+\.console\.aws\.amazon\.com/[^\s|<>]*\|alarm in CloudWatch>")


def rendered_strings(message: dict[str, Any]) -> Iterator[str]:
    """Every string Slack renders: the notification ``text`` and the text of every text object."""
    yield str(message.get("text", ""))

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"}:
                yield str(node["text"])
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(message.get("blocks", []))
    yield from walk(message.get("attachments", []))


def transition(hostile: str, state: str = "ALARM") -> AlarmTransition:
    return AlarmTransition(
        source=Source.EVENTBRIDGE,
        alarm_name=f"mycandidate-{hostile}-redis",
        alarm_arn="arn:aws:cloudwatch:af-south-1:123456789012:alarm:x",
        account="123456789012",
        region="af-south-1",
        kind=AlarmKind.METRIC,
        new_state=state,
        old_state="OK",
        reason=f"Threshold Crossed: {hostile}",
        changed_at=NOW,
        namespace=f"AWS/{hostile}",
        metric=f"CPU{hostile}",
        dimensions={"ServiceName": hostile},
        threshold=80.0,
        comparison=f"Weird{hostile}",
        value=91.0,
    )


def every_message(hostile: str) -> dict[str, dict[str, Any]]:
    """Each builder once, with ``hostile`` in every field that comes from outside the bot."""
    entry = AuditEntry(
        key="k",
        at=NOW,
        actor=hostile,
        channel="C0OPS",
        verb=hostile,
        arguments=hostile,
        decision=hostile,
        result=hostile,
        before={"note": hostile},
        after={hostile: hostile},
        error=hostile,
    )
    state = ServiceState(1, 1, 0, hostile, hostile, (Deployment(hostile, "PRIMARY", "IN_PROGRESS", hostile),))
    status = StatusView(
        service_name=hostile,
        service=Section(value=state),
        capacity=Section(value=Capacity(2, 10)),
        scheduled=Section(
            value=[ScheduledAction(hostile, hostile, None, 1, 2), ScheduledAction(hostile, "", NOW, 3, 4)]
        ),
        alarms=Section(value=[AlarmSummary(hostile, hostile, NOW)]),
        snapshot_age=Section(error=hostile),
        checked_at=NOW,
    )
    unreadable = status._replace(service=Section(error=hostile), alarms=Section(error=hostile))
    capacity = Capacity(2, 4)
    t = transition(hostile)
    decision = Decision(
        transition=t,
        runbook=hostile,
        action="scale_out",
        acted=False,
        reason=hostile,
        before={"min": hostile, "max": 10},
        after={hostile: hostile},
        undo_key="2026-05-29T05:00:00Z#abc",
        error=hostile,
    )
    incident = Incident(t.alarm_name, "C0OPS", "1.2", NOW - timedelta(minutes=12), hostile)
    recovered = transition(hostile, state="OK")
    outcomes = {
        "help": HelpView(entries=((hostile, hostile, hostile),)),
        "usage error": ErrorView(kind="usage", message=hostile, usage=hostile),
        "failed": ErrorView(kind="failed", message=f"AWS said: {hostile}"),
        "status": status,
        "status unreadable": unreadable,
        "scale applied": ScaleView(kind="applied", before=capacity, after=capacity, undo_key="k", note=hostile),
        "scale undone": ScaleView(kind="undone", before=capacity, after=capacity, note=hostile),
        "audit": AuditView(entries=(entry,), requested=1),
        "muted": RemediationView(kind="muted", alarm=hostile, until=NOW, by=hostile),
        "unmuted": RemediationView(kind="unmuted", alarm=hostile),
        "acknowledged": RemediationView(kind="acknowledged", alarm=hostile, by=hostile),
    }
    messages = {name: views.render(Outcome(view=view, warning=hostile)) for name, view in outcomes.items()}
    messages["working"] = views.working(hostile)
    messages["internal error"] = views.internal_error(hostile)
    messages["incident"] = render_incident(decision)
    messages["recovery"] = render_recovery(incident, recovered)
    messages["recovery reply"] = render_recovery_reply(incident, recovered)
    return messages


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_outside_text_becomes_a_mention_broadcast_or_link_in_any_message(hostile: str) -> None:
    # Given every message the bot builds, with a hostile string in every external field
    for name, message in every_message(hostile).items():
        # When Slack renders its text and blocks
        for text in rendered_strings(message):
            # Then the only markup left is the bot's own console link: no <!here>, <@U…>, <!channel>, <url|…>
            assert "<" not in _CONSOLE_LINK.sub("", text), f"{name}: unescaped markup in {text!r}"
            # and every & is an entity, so nothing can forge one
            assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"{name}: bare & in {text!r}"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_hostile_text_is_still_shown_to_the_reader_not_dropped(hostile: str) -> None:
    # Given every message built with a short hostile string
    for name, message in every_message(hostile).items():
        # When a person reads it (entities decoded)
        readable = [html.unescape(text) for text in rendered_strings(message)]
        # Then they see the text literally, e.g. the alarm was really named "mycandidate-<!here>-redis"
        assert any(hostile in text for text in readable), f"{name} does not show {hostile!r}"


def test_the_fallback_text_of_an_incident_and_its_recovery_is_escaped_too() -> None:
    # Given an alarm named like the one in issue 6
    hostile = "<!here>"
    messages = every_message(hostile)
    # When its incident, recovery and thread reply are built
    # Then the notification text (what a phone shows, what the thread reply carries) is escaped
    assert messages["incident"]["text"].startswith("mycandidate-&lt;!here&gt;-redis is in ALARM")
    assert messages["recovery"]["text"] == "mycandidate-&lt;!here&gt;-redis recovered after 12m"
    assert messages["recovery reply"] == {
        "text": ":white_check_mark: mycandidate-&lt;!here&gt;-redis recovered after 12m"
    }


def test_an_alarm_name_the_mute_command_refuses_gets_no_buttons_that_would_always_be_refused() -> None:
    # Given an alarm whose name holds Slack's control characters (CloudWatch allows them; `mute` does not)
    message = every_message("<!here>")["incident"]
    # Then its incident offers no Acknowledge / Mute buttons: pressing them could only be refused
    action_ids = {e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert not action_ids & {"incident_ack", "alarm_mute"}


def test_buttons_carry_the_real_alarm_name_so_acknowledge_and_mute_act_on_that_alarm() -> None:
    # Given an ordinary alarm name
    message = render_incident(Decision(transition=transition("ecs-cpu-high"), reason="no action"))
    # When its buttons are read back as Slack would send them on a click
    values = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    # Then the value is the name itself (data, never rendered)
    assert values["incident_ack"] == values["alarm_mute"] == "mycandidate-ecs-cpu-high-redis"


def test_backticks_in_outside_text_cannot_close_the_code_span_it_is_shown_in() -> None:
    # Given a mute of an alarm whose name tries to end the code span and start a broadcast
    message = views.render(Outcome(view=RemediationView(kind="unmuted", alarm="x` <!here> `y")))
    # When it is rendered / Then the whole name stays inside one code span, its backticks shown as quotes
    assert message["text"] == ":loud_sound: `x' &lt;!here&gt; 'y` is no longer muted"


def test_a_real_user_id_is_a_mention_and_anything_else_is_plain_text() -> None:
    # Given an acknowledgement by a Slack user and an audit entry written by an alarm
    acked = views.render(Outcome(view=RemediationView(kind="acknowledged", alarm="a", by="U0OPS")))
    forged = views.render(Outcome(view=RemediationView(kind="acknowledged", alarm="a", by="U0OPS> <!here")))
    # When they are rendered / Then the user is mentioned, and a forged id is shown, not obeyed
    assert acked["text"].endswith("acknowledged by <@U0OPS>")
    assert forged["text"].endswith("acknowledged by U0OPS&gt; &lt;!here")


def test_the_console_link_cannot_be_broken_out_of_by_the_alarm_name_or_region() -> None:
    # Given an alarm whose name and region hold link syntax
    t = transition("x|<https://evil.example|click>")
    t = AlarmTransition(**{**t.__dict__, "region": "af-south-1|<!here>"})
    # When its console URL is built / Then nothing in it can end the URL or open markup
    url = alarm_link(t)
    assert not set("|<> &") & set(url)
    assert url.endswith("alarm/mycandidate-x%7C%3Chttps%3A%2F%2Fevil.example%7Cclick%3E-redis")


class _RecordingClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("chat.postMessage", kwargs))
        return {"channel": "C0OPS", "ts": "1.2"}

    def chat_update(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("chat.update", kwargs))
        return {"ok": True}


def test_the_notifier_defuses_raw_text_a_caller_passes_on_to_a_thread_reply() -> None:
    # Given a caller that passes on raw alarm text (as the recovery reply once did)
    client = _RecordingClient()
    notifier = SlackIncidentNotifier(client, "C0OPS")  # type: ignore[arg-type]
    # When it posts, updates and replies with it
    raw = {"text": "mycandidate-<!here>-redis recovered <https://evil.example|click>"}
    notifier.post(raw)
    notifier.update("C0OPS", "1.2", raw)
    notifier.reply("C0OPS", "1.2", raw)
    # Then Slack receives no broadcast and no foreign link in any of the three calls
    for api, sent in client.calls:
        assert sent["text"] == "mycandidate-&lt;!here>-redis recovered &lt;https://evil.example|click>", api
