"""Concurrency (issue 12, part 5): real threads against the moto server of the offline stack. Two people's `scale`
and an alarm's scale-out on the same service at the same instant, and a double click on the same confirmation:
exactly one change wins each time (one RegisterScalableTarget per winner), and every other attempt is told why."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from devtools.faults import Injection, injecting
from devtools.local_stack import ADMIN, OPERATOR, LocalStack

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
    stack.bot().command(f"scale {big}", OPERATOR, response_url=f"{stack.recorder.url}/r/ask")
    (asked,) = [c.body for c in stack.recorder.response_url_posts() if c.path == "/r/ask"]
    value = next(
        e["value"] for b in asked.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "scale_confirm"
    )  # fmt: skip
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
