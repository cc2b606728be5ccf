"""`deploy`, `cutover` and the pause gate against the moto server (issue 11): a deploy of an image of the
replica's ECR repository registers the new revision and starts an ECS-native blue/green deployment with the hooks;
`cutover` shows it waiting at the pause with Promote / Roll back; Promote continues it; `rollback` stops one."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.local_stack import OPERATOR, VIEWER, LocalStack
from devtools.transcript import message_text


@pytest.fixture
def deploying(stack: LocalStack) -> LocalStack:
    return stack  # the local stack's environment points `deploy` at the cutover hook and its role


def _say(stack: LocalStack, user: str, text: str, tag: str) -> dict[str, Any]:
    stack.bot().command(text, user, response_url=f"{stack.recorder.url}/response/{tag}")
    posts = [c for c in stack.recorder.response_url_posts() if c.path == f"/response/{tag}"]
    return posts[-1].body if posts else {}


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
    }


def test_deploy_then_promote_at_the_pause(deploying: LocalStack) -> None:
    stack = deploying
    dry = message_text(_say(stack, OPERATOR, "deploy v1.4.3 --dry-run", "dry"))
    assert "dry run" in dry
    assert "mycandidate:v1.4.2 → " in dry
    started = message_text(_say(stack, OPERATOR, "deploy v1.4.3", "go"))
    assert "the service deployment has started" in started, started
    ecs = stack.client("ecs")
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith("mycandidate-web:2")
    hooks = service["deploymentConfiguration"]["lifecycleHooks"]
    assert [h["targetType"] for h in hooks] == ["AWS_LAMBDA", "PAUSE"]
    gate = _say(stack, VIEWER, "cutover", "gate")
    assert "Waiting before production traffic" in message_text(gate), message_text(gate)
    value = _buttons(gate)["cutover_promote"]
    stack.bot().click("cutover_promote", value, OPERATOR, response_url=f"{stack.recorder.url}/response/promote")
    # A change is a report for the team: posted in the channel (the click's own message makes way for it)
    promoted = [message_text(c.body) for c in stack.recorder.response_url_posts() if c.path == "/response/promote"]
    promoted += [message_text(c.body) for c in stack.recorder.api_calls("chat.postMessage")]
    assert any("promoted" in text for text in promoted), promoted
    after = message_text(_say(stack, VIEWER, "cutover", "after"))
    assert "Waiting before production traffic" not in after


def test_rollback_stops_the_deployment_in_progress(deploying: LocalStack) -> None:
    stack = deploying
    _say(stack, OPERATOR, "deploy v1.4.3", "go")
    answer = message_text(_say(stack, OPERATOR, "rollback smoke looked wrong", "rb"))
    assert "Rolling back deployment" in answer, answer


def test_an_image_that_is_not_in_the_repository_is_refused(deploying: LocalStack) -> None:
    answer = message_text(_say(deploying, OPERATOR, "deploy v9.9.9", "missing"))
    assert "refused by the pre-flight" in answer
    assert "v9.9.9 is not in the service's ECR repository" in answer
