"""Concurrency (issue 12, part 5): real threads against the moto server of the offline stack, on the same service
at the same instant: two people's `scale`; an alarm's scale-out beside a person's `scale`; the election reconciler
beside a person's `scale`; a `deploy` beside a `scale`; a double click on one confirmation; the same prod approval
pressed by two people. Exactly one change wins each time (one AWS write per winner), every other attempt is told
why, and nothing is lost: AWS ends where the recorded intents say."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from devtools.faults import Injection, injecting
from devtools.local_stack import ADMIN, LOCAL_RBAC, OPERATOR, LocalStack
from opsbot.config import RbacConfig

RACES = 3  # rounds of each race (each raises the minimum by two: within the maximum of 10)


def _together(*runs: Callable[[], None]) -> None:
    start = threading.Barrier(len(runs))
    errors: list[BaseException] = []

    def go(run: Callable[[], None]) -> None:
        start.wait()
        try:
            run()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def _button_asked_for(stack: LocalStack, command: str, action_id: str) -> str:
    """The value of the ``action_id`` button in the answer to the operator's ``command``."""
    stack.bot().command(command, OPERATOR, response_url=f"{stack.recorder.url}/r/ask")
    (asked,) = [c.body for c in stack.recorder.response_url_posts() if c.path == "/r/ask"]
    return str(next(
        e["value"] for b in asked.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == action_id
    ))  # fmt: skip


def _answers(stack: LocalStack, prefix: str) -> list[str]:
    return [json.dumps(c.body) for c in stack.recorder.response_url_posts() if c.path.startswith(prefix)]


def _writes(injection: Injection) -> int:
    return sum(call == "application-autoscaling.RegisterScalableTarget" for call in injection.calls)


def test_two_people_scaling_at_once_one_change_wins_and_the_other_is_told(stack: LocalStack) -> None:
    for round_number in range(RACES):
        stack.recorder.clear()
        low = 3 + 2 * round_number  # above where the last round left it: both asks are a change

        def scale(user: str, count: int, tag: str) -> Callable[[], None]:
            return lambda: stack.bot().command(f"scale {count}", user, response_url=f"{stack.recorder.url}/r/{tag}")

        with injecting(Injection()) as counted:
            _together(scale(OPERATOR, low, "a"), scale(ADMIN, low + 1, "b"))
        answers = _answers(stack, "/r/")
        changed = [a for a in answers if "Scaled" in a]
        refused = [a for a in answers if "another change" in a and "in progress" in a]
        assert _writes(counted) == len(changed), answers
        assert len(changed) >= 1, answers  # the lock holds only while a change runs: both may land in turn
        assert len(changed) + len(refused) == 2, answers
        minimum, _ = stack.capacity()
        assert minimum in {low, low + 1}


def test_a_double_click_on_one_confirmation_changes_capacity_once(stack: LocalStack) -> None:
    big = stack.settings.guardrails.confirm_above + 1  # a raise above this asks for a confirmation
    stack.given_capacity(big - 2, 20)  # within one step of it
    value = _button_asked_for(stack, f"scale {big}", "scale_confirm")
    with injecting(Injection()) as counted:
        clicks = [f"{stack.recorder.url}/c/{n}" for n in range(3)]
        _together(*[(lambda url=url: stack.bot().click("scale_confirm", value, OPERATOR, response_url=url))
                    for url in clicks])  # fmt: skip
    answers = _answers(stack, "/c/")
    assert _writes(counted) == 1, answers
    assert stack.capacity()[0] == big
    assert sum("expired or was already used" in a or "in progress" in a for a in answers) == 2, answers


def test_an_alarm_and_a_person_at_once_never_both_change_within_one_lock(stack: LocalStack) -> None:
    from devtools.events import load_event
    from devtools.lambda_context import FakeLambdaContext
    from opsbot import dependencies
    from opsbot.alarms.entry import process
    from opsbot.idempotency import current_lambda_context, exactly_once

    remediator = dependencies.build_remediator(stack.settings)
    summaries: list[Any] = []

    def alarm() -> None:
        token = current_lambda_context.set(FakeLambdaContext(function_name="mycandidate-opsbot-alarm-remediation"))
        try:
            summaries.append(process(load_event("alarm_eventbridge_cpu_high.json"), remediator,
                                     exactly_once(stack.settings, local_cache=True)))  # fmt: skip
        finally:
            current_lambda_context.reset(token)

    with injecting(Injection()) as counted:
        _together(alarm, lambda: stack.bot().command("scale 5", OPERATOR, response_url=f"{stack.recorder.url}/r/p"))
    person = _answers(stack, "/r/p")
    acted = summaries[0]["acted"] if summaries else 0
    scaled = sum("Scaled" in a for a in person)
    assert _writes(counted) == acted + scaled, (summaries, person)
    assert scaled or any("in progress" in a for a in person), person


def _in_line_with_the_intents(stack: LocalStack) -> bool:
    """A fresh materialisation makes no AWS change: nothing either side wrote was lost."""
    from opsbot import dependencies
    from opsbot.capacity.core import CapacityCore

    ports = dependencies.build_ports(stack.settings)
    return not CapacityCore(stack.settings, ports.capacity, ports.intents).materialise(stack.clock()).calls


def test_the_election_reconciler_and_a_person_at_once_lose_neither_change(stack: LocalStack) -> None:
    from devtools.lambda_context import FakeLambdaContext
    from opsbot.aws.elections import ElectionEntries
    from opsbot.elections import entry

    now = stack.clock()
    ElectionEntries(stack.client("dynamodb"), stack.settings.operations_table).add(
        {"slug": "ward-52", "name": "Ward 52 by-election", "kind": "by-election",
         "polling_date": str((now + timedelta(days=2)).date())},
        by=ADMIN, now=now,
    )  # fmt: skip
    summaries: list[Any] = []

    def reconcile() -> None:
        at = stack.clock()  # the instant it runs: the race is on the same service at the same time
        event = {"opsbot": "election-sync", "scheduled_at": at.isoformat(), "reason": "hourly"}
        summaries.append(entry.handle(event, FakeLambdaContext(function_name="election-scaler"), now=at))

    _together(reconcile, lambda: stack.bot().command("scale 5", OPERATOR, response_url=f"{stack.recorder.url}/r/p"))
    person = _answers(stack, "/r/p")
    assert any("Scaled" in a or "in progress" in a for a in person), person
    assert summaries
    assert "error" not in json.dumps(summaries[0]).lower(), summaries
    assert _in_line_with_the_intents(stack)


def test_a_deploy_and_a_scale_at_once_never_hold_the_service_together(stack: LocalStack) -> None:
    from devtools.security import _snapshot_taken

    _snapshot_taken(stack)  # the deploy's pre-flight wants a fresh snapshot
    stack.recorder.clear()
    with injecting(Injection()) as counted:
        _together(
            lambda: stack.bot().command("deploy v1.4.3", OPERATOR, response_url=f"{stack.recorder.url}/r/d"),
            lambda: stack.bot().command("scale 5", ADMIN, response_url=f"{stack.recorder.url}/r/s"),
        )
    deployed, scaled = _answers(stack, "/r/d"), _answers(stack, "/r/s")
    started = sum(call == "ecs.UpdateService" for call in counted.calls)
    assert started == sum("started" in a.lower() for a in deployed), deployed
    assert _writes(counted) == sum("Scaled" in a for a in scaled), scaled
    told = [a for a in deployed + scaled if "another change" in a and "in progress" in a]
    assert started + _writes(counted) + len(told) == 2, (deployed, scaled)
    assert _in_line_with_the_intents(stack)


def test_the_same_prod_approval_pressed_by_two_people_deploys_once(stack: LocalStack) -> None:
    from devtools.security import _snapshot_taken

    second = "U0SECOND"
    rbac = {**LOCAL_RBAC, "operator": [OPERATOR, second]}
    stack.settings = replace(stack.settings, environment="prod", rbac=RbacConfig.from_json(json.dumps(rbac)))
    _snapshot_taken(stack)
    stack.recorder.clear()
    value = _button_asked_for(stack, "deploy v1.4.3", "deploy_approve")
    with injecting(Injection()) as counted:
        _together(*[(lambda user=user: stack.bot().click("deploy_approve", value, user,
                                                         response_url=f"{stack.recorder.url}/a/{user}"))
                    for user in (ADMIN, second)])  # fmt: skip
    answers = _answers(stack, "/a/")
    assert sum(call == "ecs.UpdateService" for call in counted.calls) == 1, answers
    assert sum(call == "ecs.RegisterTaskDefinition" for call in counted.calls) == 1, answers
    refused = [a for a in answers if "already answered" in a or ("another change" in a and "in progress" in a)]
    assert len(refused) == 1, answers
