"""Alarm deliveries, fuzzed: the sample events ``events/alarm_*.json`` (EventBridge, SNS, Lambda alarm action) with
fields replaced, removed or retyped, and the SNS ``Message`` JSON mutated inside its string.

Contract (``opsbot.alarms.parsing.parse_delivery``): total — always a ``ParsedDelivery``, never an exception; what
cannot be used is a ``Rejection`` with a reason. Its catch-all for shapes no check anticipated is documented for
``OverflowError`` (absurd dates) and ``RecursionError`` (absurd nesting) only: any other exception type reaching it
is a parser defect. Every transition it returns renders into an incident Slack accepts, its name escaped."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from devtools.events import EVENTS_DIR, load_event
from opsbot.alarms.model import AlarmTransition, Decision, ParsedDelivery
from opsbot.alarms.parsing import ALARM_STATES, parse_delivery
from opsbot.ports import Incident
from opsbot.slack.incidents import render_incident, render_recovery, render_recovery_reply
from tests.fuzz._support import MARKUP, assert_message_ok, json_values

SAMPLES = sorted(path.name for path in Path(EVENTS_DIR).glob("alarm_*.json"))
_MALFORMED = re.compile(r"malformed \S+ delivery \((\w+):")
_DOCUMENTED = {"OverflowError", "RecursionError"}

_leaf = st.one_of(
    json_values,
    st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA", "alarm", "", "2026-05-29T05:00:00.000+0000",
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1e400", "NaN", "-0", "aws:sns",
                     "aws.cloudwatch", "arn:aws:cloudwatch:af-south-1:123456789012:alarm:x", "{}", "[]", "{"]),
    st.text(max_size=30).map(lambda s: f"<!channel> {s} &amp; <@U1>"),
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


def _mutate(node: Any, path: tuple[Any, ...], action: str, leaf: Any) -> Any:
    if not path:
        return leaf
    parent = node
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "wrap":
        parent[last] = [parent[last]] if not isinstance(parent[last], list) else {"x": parent[last]}
    else:
        parent[last] = leaf
    return node


@st.composite
def deliveries(draw: st.DrawFn) -> object:
    """A sample delivery with one to four mutations; an SNS message is mutated as JSON, then encoded again."""
    event = copy.deepcopy(load_event(draw(st.sampled_from(SAMPLES))))
    inner = None
    records = event.get("Records")
    if records and isinstance(records[0].get("Sns", {}).get("Message"), str):
        try:
            inner = json.loads(records[0]["Sns"]["Message"])
        except ValueError:
            inner = None
    for _ in range(draw(st.integers(1, 4))):
        target = inner if inner is not None and draw(st.booleans()) else event
        path = draw(st.sampled_from(_paths(target)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap"]))
        if action != "replace" and not path:
            continue
        result = _mutate(target, path, action, draw(_leaf))
        if target is event:
            event = result
        else:
            inner = result
    if inner is not None and isinstance(event, dict) and isinstance(event.get("Records"), list) and event["Records"]:
        record = event["Records"][0]
        if isinstance(record, dict) and isinstance(record.get("Sns"), dict):
            record["Sns"]["Message"] = json.dumps(inner) if draw(st.booleans()) else str(inner)[:200]
    return event


def _parse(event: object) -> ParsedDelivery:
    parsed = parse_delivery(event)
    assert isinstance(parsed, ParsedDelivery)
    for rejection in parsed.rejections:
        assert rejection.reason
        found = _MALFORMED.match(rejection.reason)
        assert found is None or found.group(1) in _DOCUMENTED, f"an unanticipated shape: {rejection.reason}"
    for transition in parsed.transitions:
        assert transition.alarm_name
        assert transition.new_state in ALARM_STATES
        assert transition.changed_at.utcoffset() == timedelta(0)
        json.dumps(transition.dedupe_key)
    return parsed


@given(deliveries())
def test_a_mutated_delivery_parses_to_transitions_and_rejections(event: object) -> None:
    """Mutated sample deliveries never raise, and never reach the catch-all with an undocumented exception."""
    _parse(event)


@given(json_values)
def test_any_json_is_a_rejection_or_a_transition(event: object) -> None:
    """Arbitrary JSON (not only mutated samples) is handled the same way."""
    _parse(event)


_name = st.one_of(st.text(min_size=1, max_size=300), st.sampled_from(MARKUP), st.just("x" * 255 + "<!channel>&"))


def _transition(event: object, name: str, reason: str) -> AlarmTransition | None:
    parsed = _parse(event)
    if not parsed.transitions:
        return None
    from dataclasses import replace

    return replace(parsed.transitions[0], alarm_name=name, reason=reason)


@given(
    st.sampled_from(SAMPLES), _name, st.text(max_size=2000), st.text(max_size=2000), st.booleans(),
    st.dictionaries(st.sampled_from(["min", "max", "tasks", "revert_at", "<x>"]), json_values, max_size=3),
)  # fmt: skip
def test_an_incident_with_a_hostile_name_and_reason_renders_safely(
    sample: str, name: str, reason: str, error: str, acted: bool, before: dict[str, Any]
) -> None:
    """The incident, its in-place recovery and the thread reply: within Slack's limits, and the alarm name, the
    CloudWatch reason, the decision's reason and error and the state shown all escaped (CloudWatch allows ``<``,
    ``>`` and ``&`` in names)."""
    transition = _transition(load_event(sample), name, reason)
    if transition is None:
        return
    decision = Decision(
        transition=transition, runbook="scale_out", acted=acted, reason=reason, error=error, before=before,
        after={"min": 4, "max": 10}, undo_key="2026-12-03T08:00:00.000000Z#alarm-0000beef" if acted else "",
    )  # fmt: skip
    inputs = [name, reason, error, *map(str, before.values())]
    assert_message_ok(render_incident(decision), inputs=inputs)
    incident = Incident(name, "C0OPS", "1.2", transition.changed_at - timedelta(minutes=7), reason)
    assert_message_ok(render_recovery(incident, transition), inputs=inputs)
    assert_message_ok(render_recovery_reply(incident, transition), inputs=inputs)


@given(deliveries())
def test_every_parsed_transition_renders_as_an_incident(event: object) -> None:
    """Whatever the parser lets through (mutated regions, metric names, thresholds, comparisons) renders."""
    for transition in _parse(event).transitions:
        decision = Decision(transition=transition, reason=transition.reason)
        strings = [transition.alarm_name, transition.reason, transition.comparison or "", transition.metric or ""]
        assert_message_ok(render_incident(decision), inputs=strings)


_LINK_DEFECT = (
    "incidents.alarm_link: a region outside [a-z0-9.-] (e.g. 'A') makes a console URL that blocks.defuse does not"
    " allow, so the link shows as broken '&lt;https://…|…>' text"
)


@given(st.text(min_size=1, max_size=30))
def test_the_console_link_stays_a_link_whatever_the_region(region: str) -> None:
    """The incident's "alarm in CloudWatch" link is a working link (or absent), never defused into visible markup,
    whatever region the delivery named."""
    from dataclasses import replace

    transition = _parse(load_event("alarm_eventbridge_cpu_high.json")).transitions[0]
    message = render_incident(Decision(transition=replace(transition, region=region)))
    context = message["blocks"][-1]["elements"][0]["text"]
    assert "&lt;https://" not in context, context
