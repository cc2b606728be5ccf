"""The calendar's paths of the fault and crash campaigns: the gated scale-down's buttons after an election window
(Scale down now, Keep for 6 h), `schedule add`, `schedule remove` and its Confirm.

Each setup runs outside the injection, after the stack is reset. The buttons' setup enters an election from Slack
whose window closed half an hour ago (its closing phase moved to then), and lets the election function's hourly
run hold the window's last capacity and post the "window ended — scale back to baseline?" question, whose button
value the path clicks. Times in the states are relative to that close (each run's election closes at another
instant), so the state before, the clean run's and a faulted run's compare.

There is no freeze command: the change freeze is not a verb with a record of its own but a guard computed from the
calendar (``opsbot.commands.freeze``: the windows open now), so setting or lifting one is adding or removing an
election — the `schedule` paths here.

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from devtools.security_paths import _button, _click, _url, election_environment, hourly_run

if TYPE_CHECKING:
    from devtools.security import Path

SLUG = "ward-52"
SINCE_CLOSE = timedelta(minutes=30)  # the window closed this long before the setup


def _table_items(stack: Any, pk: str) -> list[dict[str, Any]]:
    found = stack.client("dynamodb").query(
        TableName=stack.settings.operations_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    items: list[dict[str, Any]] = found["Items"]
    return items


def _since_close(stack: Any, at: datetime) -> str:
    """``at`` as a time after the window's close, to the half hour (``+6.0h``: the default fallback)."""
    hours = (at - stack.election_closes).total_seconds() / 3600
    return f"{round(hours * 2) / 2:+.1f}h"


def _parse_schedule(schedule: str) -> datetime:
    from datetime import UTC

    return datetime.fromisoformat(schedule.removeprefix("at(").removesuffix(")")).replace(tzinfo=UTC)


# the gated scale-down ----------------------------------------------------------------------------------------------


def _window_just_ended(action_id: str) -> Any:
    """A by-election entered from Slack whose window closed ``SINCE_CLOSE`` ago; the hourly run holds the results
    phase's capacity (3-10) until the fallback six hours after the close and posts the question with the
    ``action_id`` button."""

    def setup(stack: Any) -> None:
        from devtools.local_stack import ADMIN
        from opsbot.aws.elections import ElectionEntries

        election_environment(stack)
        now = stack.clock()
        closes = (now - SINCE_CLOSE).astimezone(ZoneInfo("Africa/Johannesburg")).replace(second=0, microsecond=0)
        stack.election_closes = closes
        entry = {
            "slug": SLUG, "name": "Ward 52 by-election", "kind": "by-election",
            "polling_date": (closes.date() - timedelta(days=1)).isoformat(),
            "phases": {"end": {"at": f"{closes:%H:%M}"}},  # day 1 after polling day, as the profile's
        }  # fmt: skip
        ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(entry, by=ADMIN, now=now)
        hourly_run()(stack)
        stack.settle()
        stack.fault_button = _posted_button(stack, action_id)
        stack.recorder.clear()

    return setup


def _posted_button(stack: Any, action_id: str) -> str:
    """The value of the ``action_id`` button on the last message the bot posted to the channel."""
    for call in reversed(stack.recorder.api_calls("chat.postMessage")):
        for block in call.body.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button in the bot's posts")


def _capacity_hold_and_intents(stack: Any) -> tuple[Any, ...]:
    """Capacity; the bot's scheduled actions (their time after the close, bounds); the team's answer on record
    (how long after it was given the hold ends); the election's intents (bounds, end after the close)."""
    actions = sorted(
        (_since_close(stack, _parse_schedule(a["Schedule"])), a["ScalableTargetAction"].get("MinCapacity"),
         a["ScalableTargetAction"].get("MaxCapacity"))
        for a in stack.scheduled_actions()
    )  # fmt: skip
    holds = []
    for item in _table_items(stack, "ELECTION"):
        if item["sk"]["S"].startswith("HOLD#"):
            until, at = datetime.fromisoformat(item["until"]["S"]), datetime.fromisoformat(item["at"]["S"])
            holds.append((item["sk"]["S"], f"{round((until - at).total_seconds() / 3600, 1)}h"))
    intents = []
    for item in _table_items(stack, f"INTENT#{stack.settings.service_key}"):
        intent = json.loads(item["intent"]["S"])
        ends = _since_close(stack, datetime.fromisoformat(intent["expires"])) if intent.get("expires") else "never"
        intents.append((intent["owner"], intent["kind"], intent["min"], intent["max"], ends))
    return (*stack.capacity(), tuple(actions), tuple(sorted(holds)), tuple(sorted(intents)))


# schedule add / remove ---------------------------------------------------------------------------------------------


def _entries_and_schedule(stack: Any) -> tuple[Any, ...]:
    """The elections entered from Slack (slug, polling day, the polling phase's override), capacity and the bot's
    scheduled actions (`schedule add` and `remove` take effect with the next sync: these must not move)."""
    entries = []
    for item in _table_items(stack, "ELECTION"):
        if item["sk"]["S"].startswith("ENTRY#"):
            entry = json.loads(item["entry"]["S"])
            entries.append((entry["slug"], entry["polling_date"], json.dumps(entry.get("phases", {}), sort_keys=True)))
    actions = sorted(
        (a["ScheduledActionName"], a["ScalableTargetAction"].get("MinCapacity"),
         a["ScalableTargetAction"].get("MaxCapacity"))
        for a in stack.scheduled_actions()
    )  # fmt: skip
    return (*stack.capacity(), tuple(actions), tuple(sorted(entries)))


def _add_command(stack: Any) -> str:
    polling = (stack.clock() + timedelta(days=10)).date().isoformat()
    return f'schedule add "Ward 52 by-election" {polling} kind=by-election min=5 max=14'


def _schedule_add(stack: Any) -> None:
    from devtools.local_stack import ADMIN

    stack.bot().command(_add_command(stack), ADMIN, response_url=_url(stack, "fault"))


def _election_entered(stack: Any) -> None:
    """A by-election ten days ahead, entered from Slack earlier."""
    from devtools.local_stack import ADMIN
    from opsbot.aws.elections import ElectionEntries

    now = stack.clock()
    entry = {"slug": SLUG, "name": "Ward 52 by-election", "kind": "by-election",
             "polling_date": (now + timedelta(days=10)).date().isoformat()}  # fmt: skip
    ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(entry, by=ADMIN, now=now)


def _removal_confirmations(stack: Any) -> int:
    """The removals waiting for their Confirm."""
    items = stack.client("dynamodb").scan(TableName=stack.settings.operations_table)["Items"]
    return sum(1 for i in items if i["pk"]["S"].startswith("CONFIRM#") and '"remove"' in i["payload"]["S"])


def _entries_and_confirmations(stack: Any) -> tuple[Any, ...]:
    return (*_entries_and_schedule(stack), _removal_confirmations(stack))


def _removal_awaiting_confirm(stack: Any) -> None:
    """`schedule remove ward-52` answered with its Confirm button."""
    from devtools.local_stack import ADMIN

    _election_entered(stack)
    stack.bot().command(f"schedule remove {SLUG}", ADMIN, response_url=_url(stack, "ask"))
    stack.fault_button = _button(stack, "schedule_remove_confirm")
    stack.recorder.clear()


def _entries_and_confirmation(stack: Any) -> tuple[Any, ...]:
    """The entries, capacity and schedule, and whether the Confirm button still works (its confirmation is
    one-time: taken before the entry is removed)."""
    key = {"pk": {"S": f"CONFIRM#{stack.fault_button}"}, "sk": {"S": "CONFIRM"}}
    found = stack.client("dynamodb").get_item(TableName=stack.settings.operations_table, Key=key)
    return (*_entries_and_schedule(stack), "Item" in found)


def _admin_click(action_id: str) -> Any:
    from devtools.local_stack import ADMIN

    def run(stack: Any) -> None:
        stack.bot().click(action_id, stack.fault_button, ADMIN, response_url=_url(stack, "fault"))

    return run


def paths() -> tuple[Path, ...]:
    from devtools.local_stack import ADMIN
    from devtools.security import Path, _slash
    from devtools.security_paths import _confirmation_spent

    return (
        Path(
            "election: Scale down now",
            "scale-down",
            _click("election_scale_down"),
            _capacity_hold_and_intents,
            setup=_window_just_ended("election_scale_down"),
        ),
        Path(
            "election: Keep",
            "scale-down",
            _click("election_keep"),
            _capacity_hold_and_intents,
            setup=_window_just_ended("election_keep"),
        ),
        Path("schedule add", "schedule add", _schedule_add, _entries_and_schedule),
        Path(
            "schedule remove",
            "schedule remove",
            _slash(f"schedule remove {SLUG}", ADMIN),
            _entries_and_confirmations,
            setup=_election_entered,
        ),
        Path(
            "schedule remove: Confirm",
            "schedule remove",
            _admin_click("schedule_remove_confirm"),
            _entries_and_confirmation,
            setup=_removal_awaiting_confirm,
            stop_spends=_confirmation_spent,
        ),
    )
