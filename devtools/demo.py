"""`make demo`: the bot's main job, end to end, on an embedded AWS emulator — with a readable transcript.

Starts moto on 127.0.0.1, seeds the MyCandidate replica, then drives the real Slack handler with signed
requests exactly as Slack would: status, scale 4, a refused scale 50, a dry run, an unauthorised user and Undo;
then the alarm loop on top of a person's temporary raise: the CPU alarm fires (a scale-out of its own, which does
not cut the person's raise short, and an incident), the duplicate delivery is ignored, the alarm recovers (the
incident is updated in place), the scale-out is undone from the incident's button (the person's raise stays),
and Undo on the person's raise asks first, because capacity changed since it was made; then the election
calendar (``devtools/demo_elections.py``): a by-election added from Slack, synced, polling day on the replica's
clock, the change freeze, and the gated scale-down at the window's end.
"""

from __future__ import annotations

import json
import sys
import time
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlencode

from devtools.events import load_event
from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import (
    OPERATOR,
    OPS_CHANNEL,
    SIGNING_SECRET,
    STRANGER,
    VIEWER,
    LocalBot,
    LocalStack,
    running_stack,
)
from devtools.slack_requests import api_gateway_event, block_action_body
from devtools.transcript import ack_text, indent, message_text

_RULE = "─" * 78


class Demo:
    def __init__(self, stack: LocalStack, bot: LocalBot) -> None:
        self.printed_upto = 0  # Slack API calls already shown in the transcript
        self.stack = stack
        self.bot = bot
        self._ids = count(1)
        self.failures: list[str] = []

    def state(self, label: str) -> str:
        service = self.stack.client("ecs").describe_services(cluster="mycandidate", services=["web"])["services"][0]
        low, high = self.stack.capacity()
        actions = [
            f"{a['Schedule'].removeprefix('at(').rstrip(')')} → min {a['ScalableTargetAction']['MinCapacity']}"
            for a in sorted(self.stack.scheduled_actions(), key=lambda a: str(a["Schedule"]))
        ]
        line = f"AWS {label}: scalable target min {low} / max {high}; service desired {service['desiredCount']}"
        return line + (f"; scheduled (UTC): {', '.join(actions)}" if actions else "")

    def scheduled_minimums(self) -> list[int]:
        return [
            int(a["ScalableTargetAction"]["MinCapacity"])
            for a in sorted(self.stack.scheduled_actions(), key=lambda a: str(a["Schedule"]))
        ]

    def step(self, title: str, user: str, text: str) -> list[dict[str, Any]]:
        print(f"\n{_RULE}\n{title}\n{_RULE}")
        print(f"{user}> /mycandidate {text}")
        response_url = f"{self.stack.recorder.url}/response/{next(self._ids)}"
        started = time.perf_counter()
        ack = self.bot.command(text, user, response_url=response_url, run_lazy=False)
        elapsed_ms = (time.perf_counter() - started) * 1000
        shown = ack_text(ack)
        print(
            f"bot (HTTP {ack['statusCode']} ack in {elapsed_ms:.0f} ms)> "
            + (shown.splitlines()[0] if shown else "(empty)")
        )
        if shown and len(shown.splitlines()) > 1:
            print(indent("\n".join(shown.splitlines()[1:]), " " * 6))
        self.bot.run_lazy()
        return self._posts(response_url)

    def click(self, title: str, user: str, action_id: str, value: str, *, ephemeral: bool) -> list[dict[str, Any]]:
        """``ephemeral``: whether the message carrying the button was shown only to the clicker (Slack says so in
        the payload's ``container``; a message in the channel is kept and answered below)."""
        print(f"\n{_RULE}\n{title}\n{_RULE}")
        print(f"{user}> clicks [{action_id.split('_')[-1].title()}]")
        response_url = f"{self.stack.recorder.url}/response/{next(self._ids)}"
        payload = json.loads(
            parse_qs(
                block_action_body(action_id, value, user_id=user, channel_id=OPS_CHANNEL, response_url=response_url)
            )["payload"][0]
        )
        payload["container"]["is_ephemeral"] = ephemeral
        self.bot.send(api_gateway_event(urlencode({"payload": json.dumps(payload)}), SIGNING_SECRET))
        return self._posts(response_url)

    def _posts(self, response_url: str) -> list[dict[str, Any]]:
        path = response_url.removeprefix(self.stack.recorder.url)
        posts = [call.body for call in self.stack.recorder.response_url_posts() if call.path == path]
        for body in posts:
            if body.get("delete_original"):
                print("bot> (removes the message whose button was pressed; the result above replaces it)")
                continue
            visibility = "to the channel" if body.get("response_type") == "in_channel" else "only to you"
            text = message_text(body)
            print(f"bot ({visibility})> {text.splitlines()[0]}")
            if len(text.splitlines()) > 1:
                print(indent("\n".join(text.splitlines()[1:]), " " * 6))
        return posts

    def expect(self, condition: bool, what: str) -> None:
        if not condition:
            self.failures.append(what)
            print(f"!! expected: {what}")


def _button(message: dict[str, Any], action_id: str) -> str:
    return next(
        (
            e["value"]
            for b in message.get("blocks", [])
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        ),
        "",
    )


def run_alarm_scenario(demo: Demo) -> None:
    """The alarm loop on top of a person's raise: CPU alarm -> its own scale-out; the duplicate is ignored;
    OK -> recovery; Undo on the incident (the person's raise stays); Undo on the raise asks first."""
    from opsbot import dependencies
    from opsbot.alarms.entry import process
    from opsbot.idempotency import current_lambda_context, exactly_once

    stack = demo.stack
    remediator = dependencies.build_remediator(stack.settings)
    once = exactly_once(stack.settings, local_cache=True)

    def deliver(title: str, event_file: str) -> None:
        print(f"\n{_RULE}\n{title}\n{_RULE}")
        before = len(stack.recorder.api_calls())
        token = current_lambda_context.set(FakeLambdaContext(function_name="mycandidate-opsbot-alarm-remediation"))
        try:
            summary = process(load_event(event_file), remediator, once)
        finally:
            current_lambda_context.reset(token)
        print(f"alarm function ({event_file})> {summary}")
        for call in stack.recorder.api_calls()[before:]:
            where = "thread reply" if (call.body or {}).get("thread_ts") else call.api_method
            print(f"bot ({where} in #{call.body.get('channel')})> " + indent(message_text(call.body), " " * 6).lstrip())
        print(demo.state("now"))

    posts = demo.step("7. An operator raises the service for the evening", OPERATOR, "scale 4 for 6h")
    print(demo.state("now"))
    demo.expect(stack.capacity() == (4, 10) and demo.scheduled_minimums() == [2], "a raise to 4 that ends in 6 h")
    raise_undo = _button(posts[-1], "scale_undo") if posts else ""

    cloudwatch = stack.client("cloudwatch")
    cloudwatch.set_alarm_state(
        AlarmName="mycandidate-ecs-cpu-high", StateValue="ALARM", StateReason="Threshold Crossed: 93.5 > 80.0"
    )
    deliver("8. The CPU alarm fires (EventBridge delivers the state change)", "alarm_eventbridge_cpu_high.json")
    demo.expect(stack.capacity() == (6, 10), "the CPU alarm raises the minimum by 2, to 6")
    demo.expect(
        demo.scheduled_minimums() == [4, 2], "the alarm's raise ends in 2 h back to the person's 4, not to the baseline"
    )
    incident = stack.recorder.api_calls("chat.postMessage")[-1].body
    incident_undo = _button(incident, "scale_undo")

    deliver("9. The same state change arrives again, through SNS", "alarm_sns_cpu_high.json")
    demo.expect(stack.capacity() == (6, 10), "duplicate delivery changes nothing")
    demo.expect(len(stack.recorder.api_calls("chat.postMessage")) == 1, "one incident message")

    cloudwatch.set_alarm_state(AlarmName="mycandidate-ecs-cpu-high", StateValue="OK", StateReason="back to 61.2")
    deliver("10. CPU recovers: the alarm returns to OK", "alarm_eventbridge_cpu_ok.json")
    demo.expect(len(stack.recorder.api_calls("chat.update")) == 1, "the incident is updated in place")

    demo.click("11. The operator presses Undo on the incident", OPERATOR, "scale_undo", incident_undo, ephemeral=False)
    print(demo.state("after"))
    demo.expect(stack.capacity() == (4, 10), "Undo removes the alarm's raise; the person's raise to 4 stays")

    posts = demo.click(
        "12. The operator presses Undo on the raise of step 7", OPERATOR, "scale_undo", raise_undo, ephemeral=False
    )
    demo.expect(bool(posts) and "changed since" in message_text(posts[-1]), "Undo asks, because capacity changed since")
    demo.expect(stack.capacity() == (4, 10), "nothing changes until the operator confirms")
    confirm = _button(posts[-1], "scale_undo_confirm") if posts else ""
    demo.click("13. The operator confirms: Undo anyway", OPERATOR, "scale_undo_confirm", confirm, ephemeral=False)
    print(demo.state("after"))
    demo.expect(stack.capacity() == (2, 10) and not stack.scheduled_actions(), "back to the baseline, nothing pending")


def main() -> int:
    print("Starting the offline stack: moto on 127.0.0.1, MyCandidate replica in af-south-1 …")
    with running_stack() as stack:
        demo = Demo(stack, stack.bot())
        print(demo.state("before"))

        posts = demo.step("1. A viewer asks for the status", VIEWER, "status")
        demo.expect(bool(posts) and "desired 2" in message_text(posts[-1]), "status shows desired 2")

        posts = demo.step("2. An operator raises the service to at least 4 tasks", OPERATOR, "scale 4")
        print(demo.state("now"))
        demo.expect(stack.capacity() == (4, 10), "scale 4 sets min 4 / max 10")
        demo.expect(
            bool(posts) and posts[-1].get("response_type") == "in_channel", "the change is posted to the channel"
        )
        undo_value = next(
            (e["value"] for p in posts for b in p.get("blocks", []) if b["type"] == "actions" for e in b["elements"]),
            "",
        )

        demo.step("3. Someone asks for 50 tasks: refused by the guardrails", OPERATOR, "scale 50")
        demo.expect(stack.capacity() == (4, 10), "scale 50 changes nothing")

        demo.step("4. A dry run of a temporary raise", OPERATOR, "scale 8 for 6h --dry-run")
        demo.expect(stack.capacity() == (4, 10) and not stack.scheduled_actions(), "dry run changes nothing")

        demo.step("5. A user with no role tries to scale", STRANGER, "scale 6")
        demo.expect(stack.capacity() == (4, 10), "unauthorised scale changes nothing")

        # Step 2's result was posted to the channel (OPSBOT_RESULTS=channel), so its Undo is pressed there
        demo.click("6. The operator presses Undo on step 2", OPERATOR, "scale_undo", undo_value, ephemeral=False)
        print(demo.state("after"))
        demo.expect(stack.capacity() == (2, 10), "Undo restores min 2 / max 10")

        run_alarm_scenario(demo)

        from devtools.demo_elections import run_election_scenario
        from devtools.demo_snapshots import connect_snapshots_function, run_snapshot_scenario

        connect_snapshots_function(demo)
        after_elections = run_election_scenario(demo, first_step=14)

        after_snapshots = run_snapshot_scenario(demo, first_step=after_elections)
        from devtools.demo_cutover import run_cutover_scenario

        last = run_cutover_scenario(demo, first_step=after_snapshots)
        demo.step(f"{last}. The audit trail", VIEWER, "audit 12")
    if demo.failures:
        print(f"\nDEMO FAILED: {len(demo.failures)} expectation(s) not met", file=sys.stderr)
        return 1
    print("\nDemo complete: every step behaved as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
