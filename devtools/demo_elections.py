"""The election part of `make demo` (issue 9): a by-election added from Slack three days ahead, the sync's dry
run, the sync, the readiness report failing on an alarm left in ALARM and passing once it is fixed, the replica's
clock advanced into polling day (the scheduled actions raise capacity and the wake-up suspends scale-in, both
visible in `status`; the T-24 h readiness report posted on the way), a `scale 2` refused by the change freeze, the
window's end with its scale-down question, and Scale down now pressed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from devtools.local_stack import ADMIN, OPERATOR, VIEWER
from devtools.transcript import indent, message_text

if TYPE_CHECKING:
    from devtools.demo import Demo

ARN = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-election-scaler"
GROUP = "mycandidate-opsbot-elections"
ROLE = "arn:aws:iam::123456789012:role/mycandidate-opsbot-ElectionScheduleRole"
SAST = ZoneInfo("Africa/Johannesburg")
_RULE = "─" * 78
LEFT_IN_ALARM = "mycandidate-rds-connections-high"


def run_election_scenario(demo: Demo, first_step: int) -> int:
    """The election steps, numbered from ``first_step``; returns the next step's number."""
    from opsbot import dependencies

    stack = demo.stack
    stack.client("scheduler").create_schedule_group(Name=GROUP)
    settings = replace(stack.settings, election_schedule_group=GROUP, election_schedule_role_arn=ROLE)
    scaler = dependencies.build_election_scaler(settings, ARN, clock=stack.clock)
    runs = iter(range(1, 1000))
    number = iter(range(first_step, first_step + 100))

    def run(reason: str) -> dict[str, Any]:
        now = stack.clock()
        key = f"{now:%Y-%m-%dT%H:%M:%S.%f}Z#e1ec{next(runs):04x}"
        before = len(stack.recorder.api_calls())
        summary = scaler.run(now, key, key).as_dict()
        shown = {k: v for k, v in summary.items() if v not in (0, "", [], None)}
        print(f"election function ({reason}, {now.astimezone(SAST):%a %d %b %H:%M %Z})> {shown}")
        calls = stack.recorder.api_calls()
        start = max(before, demo.printed_upto)  # what the snapshots function posted meanwhile is printed already
        demo.printed_upto = len(calls)
        for call in calls[start:]:
            print(
                f"bot ({call.api_method} in #{call.body.get('channel')})> "
                + indent(message_text(call.body), " " * 6).lstrip()
            )
        return summary

    # The wake-ups the function schedules for itself come back to it, as Scheduler would invoke it.
    def wake_up(name: str, _payload: Any) -> None:
        run(f"wake-up {name}")

    stack.on_schedule = wake_up

    polling = (stack.clock().astimezone(SAST) + timedelta(days=3)).date()
    demo.step(
        f"{next(number)}. An admin adds a by-election for three days ahead",
        ADMIN,
        f'schedule add "Ward 52 by-election" {polling:%Y-%m-%d}',
    )
    slug = f"ward-52-by-election-{polling:%Y-%m-%d}"
    demo.step(f"{next(number)}. An operator looks at what a sync would do", OPERATOR, "schedule sync --dry-run")
    demo.expect(stack.capacity() == (2, 10), "the dry run changes nothing")
    demo.step(f"{next(number)}. The operator applies the calendar", OPERATOR, "schedule sync")
    print(demo.state("now"))
    own = [a for a in stack.scheduled_actions() if a["ScheduledActionName"].startswith("opsbot-capacity-")]
    demo.expect(len(own) >= 4, "the by-election's phases are scheduled actions")
    print(f"\n{_RULE}\n{next(number)}. The hourly run of the election function: nothing left to change\n{_RULE}")
    hourly = run("hourly")
    demo.expect(hourly["calls"] == 0 and hourly["wake_ups_created"] == 3, "no capacity call; three wake-ups scheduled")
    demo.step(f"{next(number)}. A viewer checks the schedule", VIEWER, "schedule")

    # The readiness report: an alarm somebody left in ALARM fails it, naming the alarm; fixed, it passes.
    stack.advance(timedelta(minutes=2))  # the tasks the earlier steps started are RUNNING by now
    cloudwatch = stack.client("cloudwatch")
    cloudwatch.set_alarm_state(
        AlarmName=LEFT_IN_ALARM, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint (352.0) > 328.0"
    )
    posts = demo.step(f"{next(number)}. A viewer asks whether the service is ready", VIEWER, f"readiness {slug}")
    shown = message_text(posts[-1]) if posts else ""
    demo.expect("NOT ready" in shown and LEFT_IN_ALARM in shown, "readiness fails the alarm check, naming the alarm")
    demo.expect(shown.count(":x:") == 1, "exactly one check fails")
    cloudwatch.set_alarm_state(AlarmName=LEFT_IN_ALARM, StateValue="OK", StateReason="connections back to 140")
    posts = demo.step(f"{next(number)}. The alarm is dealt with; the viewer asks again", VIEWER, "readiness")
    shown = message_text(posts[-1]) if posts else ""
    demo.expect(":x:" not in shown and "NOT ready" not in shown, "after the fix no check fails")

    noon = datetime.combine(polling, time(12, 0), tzinfo=SAST)
    print(f"\n{_RULE}\n{next(number)}. The replica's clock moves to polling day, 12:00 SAST\n{_RULE}")
    stack.advance_to(noon)
    print(demo.state("now"))
    demo.expect(stack.capacity() == (4, 12), "the scheduled action raised capacity to the polling phase's 4-12")
    reports = [c.body for c in stack.recorder.api_calls("chat.postMessage") if "T-24 h report" in str(c.body)]
    demo.expect(len(reports) == 1, "the T-24 h readiness report is posted once on the way to polling day")
    posts = demo.step(f"{next(number)}. A viewer asks for the status on polling day", VIEWER, "status")
    shown = message_text(posts[-1]) if posts else ""
    demo.expect("change freeze on" in shown and "scale-in suspended" in shown, "status shows the freeze and suspension")
    demo.expect("desired 4" in shown, "the desired count follows the raised minimum")

    demo.step(f"{next(number)}. Someone tries to scale down during the freeze", OPERATOR, "scale 2")
    demo.expect(stack.capacity() == (4, 12), "the freeze refuses scale 2")

    closes = datetime.combine(polling + timedelta(days=1), time(9, 0), tzinfo=SAST)
    print(f"\n{_RULE}\n{next(number)}. The window ends (polling day + 1, 09:00 SAST)\n{_RULE}")
    stack.advance_to(closes + timedelta(minutes=1))
    print(demo.state("now"))
    questions = [
        c.body for c in stack.recorder.api_calls("chat.postMessage") if "scale back to baseline" in str(c.body)
    ]
    demo.expect(len(questions) == 1, "the scale-down question is posted once")
    demo.expect(stack.capacity() == (3, 10), "capacity is held at the window's last level until someone answers")
    value = _value(questions[-1], "election_scale_down") if questions else ""
    demo.click(
        f"{next(number)}. The operator presses Scale down now", OPERATOR, "election_scale_down", value, ephemeral=False
    )
    print(demo.state("after"))
    demo.expect(stack.capacity() == (2, 10), "Scale down now returns capacity to the baseline")
    demo.expect(slug == value, "the question names the by-election")
    stack.on_schedule = None
    return next(number)


def _value(message: dict[str, Any], action_id: str) -> str:
    return next(
        (e["value"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
         if e["action_id"] == action_id),
        "",
    )  # fmt: skip
