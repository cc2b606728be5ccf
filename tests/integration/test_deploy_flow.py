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


def _deliver(event: dict[str, Any]) -> dict[str, Any]:
    """ECS's event through the alarm function's real entry point, as EventBridge delivers it."""
    from devtools.lambda_context import FakeLambdaContext
    from opsbot.alarms import entry

    context = FakeLambdaContext(
        function_name="opsbot-alarms",
        invoked_function_arn="arn:aws:lambda:af-south-1:123456789012:function:opsbot-alarms",
    )
    entry._runtime.cache_clear()
    try:
        return entry.handle(event, context)
    finally:
        entry._runtime.cache_clear()


def test_the_deployment_gets_one_thread_started_by_ecs_events(deploying: LocalStack) -> None:
    from devtools.events import load_event

    stack = deploying
    _say(stack, OPERATOR, "deploy v1.4.3", "go")
    ecs = stack.client("ecs")
    arn = max(ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"],
              key=lambda d: d["createdAt"])["serviceDeploymentArn"]  # fmt: skip
    before = len(stack.recorder.api_calls("chat.postMessage"))
    # The older deployment event names no deployment: the service's latest is followed
    assert _deliver(load_event("ecs_deployment_in_progress.json"))["refused"] == 0
    hook_event = load_event("ecs_hook_awaiting_action.json")
    hook_event["detail"]["serviceDeploymentArn"] = hook_event["resources"][0] = arn
    _deliver(hook_event)
    _deliver(hook_event)  # EventBridge delivers at least once: nothing is posted twice
    posts = stack.recorder.api_calls("chat.postMessage")[before:]
    top = [p for p in posts if "thread_ts" not in p.body]
    assert len(top) == 1, [message_text(p.body) for p in posts]
    assert "started by" in message_text(top[0].body)
    replies = [p for p in posts if p.body.get("thread_ts")]
    texts = [message_text(p.body) for p in replies]
    assert sum("Waiting before production traffic" in t for t in texts) == 1, texts
    assert len(texts) == len(set(texts)), texts
    # And an event about another service changes nothing
    assert _deliver(load_event("ecs_deployment_other_service.json"))["refused"] == 1
