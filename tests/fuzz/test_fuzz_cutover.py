"""The cutover's inputs, fuzzed: the ECS lifecycle hook payload (``opsbot.cutover.hook.decide``) with mutated
``executionDetails`` and ``hookDetails``, the ECS EventBridge events (``opsbot.cutover.events.follow``), and the
deployment thread's messages (``opsbot.slack.cutover_views.thread_top`` / ``thread_line``) with text from ECS.

Contracts: ``decide`` always answers ECS with a JSON response (``SUCCEEDED``/``FAILED``/``IN_PROGRESS``) and a
reason — its catch-all ("the hook could not decide") is a safety net, and reaching it from a payload is a defect;
``follow`` returns what to follow or a string; the thread's messages pass Slack's limits with the text escaped."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from devtools.events import load_event
from opsbot.cutover import analysis, events, hook
from opsbot.cutover.thread import Line
from opsbot.cutover.tracker import ThreadTop
from opsbot.slack.cutover_views import thread_line, thread_top
from tests.fuzz._support import MARKUP, assert_message_ok, json_values

HOOK_SAMPLES = (
    "cutover_hook_post_test_traffic.json", "cutover_hook_pre_scale_up.json", "cutover_hook_production_traffic.json",
    "cutover_hook_rollback.json", "cutover_hook_test_traffic.json", "cutover_hook_test_traffic_rollback.json",
    "cutover_hook_unknown_details.json", "cutover_hook_other_service.json",
)  # fmt: skip
ECS_SAMPLES = ("ecs_deployment_in_progress.json", "ecs_deployment_other_service.json", "ecs_hook_awaiting_action.json",
               "ecs_hook_failed.json")  # fmt: skip
CONFIG = hook.HookConfig("mycandidate", "web", "http://127.0.0.1:8443", wards=("52",))
HEALTHY = {"/api/v1/health": {"status": "ok"}, "/api/v1/wards/52/candidates": [{"name": "A", "party": "B"}]}
DEPLOYMENTS = "arn:aws:ecs:af-south-1:123456789012:service-deployment/mycandidate/web/"


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    path = url.split("8443", 1)[1]
    return (200, json.dumps(HEALTHY[path]).encode()) if path in HEALTHY else (404, b"")


PORTS = hook.HookPorts(_get, lambda: analysis.Sample(500, 1, 0.2))

_measurement = st.fixed_dictionaries(
    {"phase": st.sampled_from([*analysis.PHASES, "x"]) | json_values, "summary": st.text(max_size=20) | json_values}
)
_opsbot_state = st.dictionaries(
    st.sampled_from(["smoke", "measurements", "migration", "other"]),
    st.one_of(json_values, st.lists(_measurement, max_size=4), st.text(max_size=20)),
    max_size=3,
)
_weights = st.dictionaries(st.sampled_from(["target", "blue", "x"]), json_values, max_size=3)


@st.composite
def hook_payloads(draw: st.DrawFn) -> object:
    """A sample hook payload with its stage, execution details, weights and carried state replaced."""
    payload: Any = copy.deepcopy(load_event(draw(st.sampled_from(HOOK_SAMPLES))))
    details = payload.get("executionDetails")
    if draw(st.booleans()):
        payload["hookDetails"] = draw(st.one_of(json_values, st.fixed_dictionaries({"opsbot": _opsbot_state})))
    if draw(st.booleans()):
        payload["lifecycleStage"] = draw(
            st.sampled_from([*hook.RECURRING_STAGES, hook.TESTED_STAGE, "x"]) | json_values
        )
    if isinstance(details, dict) and draw(st.booleans()):
        target = details.get("targetServiceRevisionArn", "target")
        weights = {target if k == "target" else k: v for k, v in draw(_weights).items()}
        details[draw(st.sampled_from(["testTrafficWeights", "productionTrafficWeights"]))] = weights
    if isinstance(details, dict) and draw(st.booleans()):
        details[draw(st.sampled_from([*details, "serviceArn"]))] = draw(json_values)
    if draw(st.integers(0, 5)) == 0:
        return draw(json_values)
    return payload


@given(hook_payloads())
def test_the_hook_always_answers_ecs(payload: object) -> None:
    """Any payload gets a JSON answer ECS accepts, with a reason, without the catch-all: the payload's shape was
    checked, not crashed on."""
    decision = hook.decide(payload, CONFIG, PORTS)
    assert decision.status in {"SUCCEEDED", "FAILED", "IN_PROGRESS"}
    assert decision.reason
    assert decision.final == (decision.status != "IN_PROGRESS")
    assert "could not decide" not in decision.reason, decision.reason
    json.dumps(decision.response)
    if decision.status == "IN_PROGRESS":
        assert isinstance(decision.response["callBackDelay"], int)
        assert set(decision.response["hookDetails"]["opsbot"]) <= {"smoke", "measurements", "migration"}


@st.composite
def ecs_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_event(draw(st.sampled_from(ECS_SAMPLES))))
    for _ in range(draw(st.integers(0, 3))):
        node = event["detail"] if isinstance(event.get("detail"), dict) and draw(st.booleans()) else event
        key = draw(st.sampled_from([*node, "serviceDeploymentArn", "resources"]))
        value = draw(st.one_of(json_values, st.text(max_size=20).map(lambda s: DEPLOYMENTS + s)))
        node[key] = value
    return event


@given(ecs_events())
def test_an_ecs_event_is_followed_or_refused(event: dict[str, Any]) -> None:
    """A followed deployment is this service's (or "" for its latest); a refusal is a bounded string."""
    found = events.follow(event, "123456789012", "af-south-1", "mycandidate", "web")
    if isinstance(found, str):
        assert found
        assert len(found) < 600
        return
    assert found.deployment == "" or found.deployment.startswith(DEPLOYMENTS)
    assert len(found.why) <= 60


_ECS_EVENT_DEFECT = (
    "cutover.events.is_ecs_event: `detail-type in KINDS` (a frozenset) raises TypeError for a list/dict detail-type;"
    " the alarm function routes every delivery through it"
)


@given(ecs_events(), json_values)
def test_telling_an_ecs_event_apart_never_raises(event: dict[str, Any], detail_type: object) -> None:
    """``is_ecs_event`` runs on every delivery of the alarm function before the (total) alarm parser: it answers
    True or False for any JSON, never raises."""
    event["detail-type"] = detail_type
    assert events.is_ecs_event(event) in {True, False}


_text = st.one_of(st.text(max_size=3000), st.sampled_from(MARKUP), st.builds(lambda c, n: c * n, st.sampled_from("&<>"),
                  st.integers(1, 3000)))  # fmt: skip


@given(st.text(max_size=40), _text)
def test_a_thread_line_renders_escaped(key: str, text: str) -> None:
    """Any line of ECS or hook text posts within Slack's limits, escaped."""
    assert_message_ok(thread_line(Line(key, text)), inputs=[text])


_requester = st.text(max_size=40) | st.sampled_from(["U0OPS", "UFUZZ1", "<@U1>"])


@given(st.text(max_size=300), _requester, st.text(max_size=300), _text)
def test_the_thread_top_renders_escaped(deployment: str, requester: str, image: str, ended: str) -> None:
    """The thread's top message (a deployment, who asked, the image, the end line) posts within Slack's limits;
    only the requester can be mentioned, and only when it is a user ID."""
    message = thread_top(ThreadTop(deployment, requester, image, ended))
    assert_message_ok(message, inputs=[deployment, image, ended, requester], mentions=[requester])
