"""Slack's documented limits over every view, with the worst data each can meet.

A message over any limit is rejected by Slack and the user sees nothing at all, so each view must split or
shorten, and say so ("…and N more"), never silently. The limits are restated here from docs.slack.dev rather
than imported, so this test checks the builders against Slack, not against themselves.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest

from devtools.transcript import message_text
from opsbot.alarms.model import AlarmKind, AlarmTransition, Decision, Source
from opsbot.commands.audit import MAX_COUNT, AuditView
from opsbot.commands.base import Outcome
from opsbot.commands.dispatch import ErrorView
from opsbot.commands.help import HelpView, build_help
from opsbot.commands.remediation import RemediationView
from opsbot.commands.scale import ScaleView
from opsbot.commands.status import Section, StatusView
from opsbot.logic.scaling import Capacity
from opsbot.ports import AlarmSummary, AuditEntry, Deployment, Incident, ScheduledAction, ServiceState
from opsbot.slack import blocks, views
from opsbot.slack.incidents import render_incident, render_recovery, render_recovery_reply
from tests.fakes import NOW

# docs.slack.dev/reference/block-kit: blocks (50 per message), section-block, header-block, context-block,
# actions-block, block-elements/button-element; chat.postMessage truncates ``text`` past 40,000.
LIMITS = {
    "text": 40_000,
    "blocks": 50,
    "section text": 3000,
    "fields": 10,
    "field text": 2000,
    "header text": 150,
    "context elements": 10,
    "text object": 3000,
    "actions elements": 25,
    "button text": 75,
    "button value": 2000,
    "action_id": 255,
    "block_id": 255,
}
LONG = "<!here> & `x` ünïcødé 🚨 " * 400  # ~10k characters, every character class that escapes or counts double


def slack_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Slack counts UTF-16 code units


def broken_limits(message: dict[str, Any]) -> list[str]:
    problems = []

    def check(what: str, text: str, limit: str) -> None:
        if not 0 < slack_length(text) <= LIMITS[limit]:
            problems.append(f"{what}: {slack_length(text)} characters")

    check("text", message["text"], "text")
    all_blocks = message.get("blocks", [])
    if len(all_blocks) > LIMITS["blocks"]:
        problems.append(f"{len(all_blocks)} blocks")
    for n, block in enumerate(all_blocks):
        if len(block.get("block_id", "")) > LIMITS["block_id"]:
            problems.append(f"block {n}: block_id")
        if block["type"] == "section":
            check(f"block {n} section", block["text"]["text"], "section text")
            assert len(block.get("fields", [])) <= LIMITS["fields"]
            for field in block.get("fields", []):
                check(f"block {n} field", field["text"], "field text")
        elif block["type"] == "header":
            check(f"block {n} header", block["text"]["text"], "header text")
        elif block["type"] == "context":
            if len(block["elements"]) > LIMITS["context elements"]:
                problems.append(f"block {n}: context elements")
            for element in block["elements"]:
                check(f"block {n} context", element["text"], "text object")
        elif block["type"] == "actions":
            if len(block["elements"]) > LIMITS["actions elements"]:
                problems.append(f"block {n}: actions elements")
            for element in block["elements"]:
                check(f"block {n} button text", element["text"]["text"], "button text")
                check(f"block {n} button value", element["value"], "button value")
                check(f"block {n} action_id", element["action_id"], "action_id")
        else:
            problems.append(f"block {n}: unexpected type {block['type']}")
    return problems


def _entry(n: int, worst: bool) -> AuditEntry:
    if not worst:  # what fifty `scale 4 --dry-run` leave behind
        return AuditEntry(
            f"k{n}", NOW, "U0OPS", "C0OPS", "scale", "4 --dry-run", "dry-run", "noop", {"min": 2, "max": 10}
        )
    return AuditEntry(
        key=f"k{n}",
        at=NOW - timedelta(minutes=n),
        actor="alarm:" + "mycandidate-<!here>" * 14,
        channel="C0OPS",
        verb="remediate",
        arguments=LONG[:4000],
        decision="awaiting-confirmation",
        result="failed",
        before={f"key{i}": LONG[:200] for i in range(10)},
        after={f"key{i}": LONG[:200] for i in range(10)},
        error=LONG[:500],
    )


def _transition(state: str = "ALARM") -> AlarmTransition:
    return AlarmTransition(
        source=Source.SNS,
        alarm_name=("mycandidate-<!here>&" * 13)[:255],
        alarm_arn="arn:aws:cloudwatch:af-south-1:123456789012:alarm:x",
        account="123456789012",
        region="af-south-1",
        kind=AlarmKind.METRIC,
        new_state=state,
        old_state="OK",
        reason=LONG,
        changed_at=NOW,
        namespace=LONG[:255],
        metric=LONG[:255],
        dimensions={f"d{i}": LONG[:255] for i in range(30)},
        threshold=80.0,
        comparison=LONG[:100],
        value=91.0,
    )


def worst_case_messages() -> dict[str, dict[str, Any]]:
    """Every view the bot has, each filled with the largest data it can be handed."""
    name = LONG[:255]
    state = ServiceState(
        9999, 9999, 9999, name, name, tuple(Deployment(name, "PRIMARY", "IN_PROGRESS", name) for _ in range(5))
    )
    status = StatusView(
        service_name=name,
        service=Section(value=state),
        capacity=Section(value=Capacity(9999, 9999)),
        scheduled=Section(value=[ScheduledAction(name, LONG[:256], None if i % 2 else NOW, 1, 2) for i in range(50)]),
        alarms=Section(value=[AlarmSummary(f"{i}-{name}", name, NOW) for i in range(100)]),
        snapshot_age=Section(value=timedelta(days=400)),
        checked_at=NOW,
    )
    unreadable = status._replace(
        **{part: Section(error=LONG) for part in ("service", "capacity", "scheduled", "alarms", "snapshot_age")}
    )
    capacity = Capacity(9999, 9999)
    long_id = "2026-05-29T05:00:00.000000Z#" + "f" * 200
    outcomes: dict[str, Any] = {
        "help": build_help(),
        **{f"help {topic}": build_help(topic) for topic in ("scale", "status", "audit", "mute", "autoremediation")},
        "help huge": HelpView(entries=tuple((LONG[:300], LONG[:300], LONG) for _ in range(60))),
        "usage error": ErrorView(kind="usage", message=LONG * 5, usage=LONG),
        "aws error": ErrorView(kind="failed", message=LONG * 5),
        "status": status,
        "status unreadable": unreadable,
        "audit 50 worst": AuditView(entries=tuple(_entry(n, worst=True) for n in range(MAX_COUNT)), requested=50),
        "audit 50 ordinary": AuditView(entries=tuple(_entry(n, worst=False) for n in range(MAX_COUNT)), requested=50),
        "muted": RemediationView(kind="muted", alarm=LONG, until=NOW, by=LONG),
        "acknowledged": RemediationView(kind="acknowledged", alarm=LONG, by=LONG),
        "unmuted": RemediationView(kind="unmuted", alarm=LONG),
    }
    for kind in ("applied", "dry-run", "confirm", "noop", "cancelled", "undone"):
        outcomes[f"scale {kind}"] = ScaleView(
            kind=kind,  # type: ignore[arg-type]
            before=capacity,
            after=capacity,
            revert_at=NOW,
            confirmation_id="c" * 64,
            undo_key=long_id,
            note=LONG,
        )
    messages = {label: views.render(Outcome(view=view, warning=LONG)) for label, view in outcomes.items()}
    messages["working"] = views.working(LONG)
    messages["internal error"] = views.internal_error(LONG)
    decision = Decision(
        transition=_transition(),
        runbook=LONG[:500],
        action="scale_out",
        reason=LONG,
        before={f"k{i}": LONG[:300] for i in range(20)},
        after={f"k{i}": LONG[:300] for i in range(20)},
        undo_key=long_id,
        error=LONG,
    )
    messages["incident"] = render_incident(decision)
    incident = Incident(_transition().alarm_name, "C0OPS", "1.2", NOW - timedelta(days=3), LONG)
    messages["recovery"] = render_recovery(incident, _transition("OK"))
    messages["recovery reply"] = render_recovery_reply(incident, _transition("OK"))
    return messages


def test_every_view_with_worst_case_data_stays_within_every_slack_limit() -> None:
    # Given every view, each with the longest names, reasons, errors and the most entries it can get
    messages = worst_case_messages()
    # When each is rendered / Then Slack would accept every one of them
    problems = {label: broken_limits(message) for label, message in messages.items()}
    assert {label: found for label, found in problems.items() if found} == {}


def test_audit_50_of_ordinary_entries_shows_all_fifty_split_over_several_sections() -> None:
    # Given fifty dry runs (3,971 characters in one section made Slack refuse the reply)
    message = worst_case_messages()["audit 50 ordinary"]
    # When `audit 50` is rendered / Then every entry is there, in sections Slack accepts, nothing elided
    text = message_text(message)
    assert text.count("scale 4 --dry-run") == 50
    assert "more entries not shown" not in text
    assert sum(block["type"] == "section" for block in message["blocks"]) >= 2


def test_audit_50_of_maximal_entries_shows_what_fits_and_says_how_many_more() -> None:
    # Given fifty entries with the longest actors, arguments, states and errors
    message = worst_case_messages()["audit 50 worst"]
    # When `audit 50` is rendered
    text = message_text(message)
    shown = text.count("`remediate ")
    # Then the rest is announced, never silently dropped, and the counts add up to fifty
    more = re.search(r"…and (\d+) more entries not shown", text)
    assert more is not None
    assert shown >= 10
    assert shown + int(more.group(1)) == 50


def test_status_with_a_hundred_firing_alarms_names_the_first_ones_and_counts_the_rest() -> None:
    # Given a hundred alarms in ALARM with 255-character names
    text = message_text(worst_case_messages()["status"])
    # When status is rendered / Then it says how many more there are
    more = re.search(r"…and (\d+) more alarms", text)
    assert more is not None
    assert text.count("-<!here> & ") >= 1
    assert 0 < int(more.group(1)) < 100


@pytest.mark.parametrize("label", ["aws error", "incident", "usage error", "scale applied"])
def test_long_outside_text_is_cut_with_a_visible_ellipsis(label: str) -> None:
    # Given a message whose reason or error is ten thousand characters
    message = worst_case_messages()[label]
    # When it is rendered / Then the cut is visible to the reader
    assert "…" in message_text(message)


def test_truncation_never_leaves_half_an_entity_or_an_open_code_span() -> None:
    # Given escaped text cut at every possible length
    text = blocks.code("a" * 5 + "<&>" * 40)
    for limit in range(3, len(text)):
        cut = blocks.truncate(text, limit)
        # When it is shortened / Then it fits, ends in "…", shows only whole entities and closes its code span
        assert slack_length(cut) <= limit
        assert cut.endswith("…")
        assert not re.search(r"&[a-z]*…$", cut)
        assert cut.count("`") % 2 == 0
        assert html.unescape(cut.rstrip("…`")).replace("`", "") in html.unescape(text)


def test_an_emoji_counts_twice_so_a_section_of_emoji_still_fits() -> None:
    # Given a section of 2,000 emoji (4,000 UTF-16 code units)
    section = blocks.section("🚨" * 2000)
    # When it is built / Then it was cut to what Slack counts as 3,000
    assert slack_length(section["text"]["text"]) <= 3000


def test_a_button_value_too_long_for_slack_is_refused_not_silently_cut() -> None:
    # Given a button whose value (an id the bot acts on) is longer than Slack allows
    # When it is built / Then the bot refuses clearly: a cut id would act on something else
    with pytest.raises(blocks.MessageLimitError, match="value is longer than Slack allows"):
        blocks.button("Undo", "scale_undo", "k" * 2001)


def test_more_than_fifty_blocks_keep_the_buttons_and_say_how_many_parts_were_dropped() -> None:
    # Given a builder that produced 80 sections and a button
    many = [blocks.section(f"part {n}") for n in range(80)]
    undo = blocks.actions([blocks.button("Undo", "scale_undo", "k")])
    # When the message is finished
    message = blocks.message("long", [*many, undo])
    # Then it has at most 50 blocks, the Undo button survived and the reader is told what is missing
    assert len(message["blocks"]) <= 50
    assert message["blocks"][-1] == undo
    more = re.search(r"…and (\d+) more parts not shown", message_text(message))
    assert more is not None
    assert len(re.findall(r"^part \d+$", message_text(message), re.MULTILINE)) + int(more.group(1)) == 80
