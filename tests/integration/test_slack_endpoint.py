"""The Slack endpoint in-process: real Bolt handler, signed requests, moto server with the replica, and the
lazy self-invocation delivered back to the handler as Lambda would."""

from __future__ import annotations

import json
import logging
import time
from functools import cache, partial
from urllib.parse import parse_qs, urlencode

import pytest

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import OPERATOR, SIGNING_SECRET, STRANGER, VIEWER, LocalStack
from devtools.slack_requests import api_gateway_event, block_action_body, slash_command_body
from devtools.transcript import ack_text, message_text
from opsbot import dependencies
from opsbot.slack.credentials import CredentialsSource
from opsbot.slack.entry import Endpoints, build_endpoint


def _audit_items(stack: LocalStack) -> list[dict]:
    return stack.audit_items()


def _posts(stack: LocalStack, path: str = "") -> list[str]:
    return [message_text(c.body) for c in stack.recorder.response_url_posts() if c.path.startswith(path or "/")]


def _url(stack: LocalStack, name: str) -> str:
    return f"{stack.recorder.url}/response/{name}"


def test_status_is_acknowledged_at_once_and_answered_through_response_url(stack: LocalStack) -> None:
    bot = stack.bot()
    ack = bot.command("status", VIEWER, response_url=_url(stack, "status"), run_lazy=False)
    assert ack["statusCode"] == 200
    assert "working on `status`" in ack_text(ack)
    assert bot.run_lazy() == 1
    (post,) = _posts(stack, "/response/status")
    assert "desired 2 · running" in post
    assert "mycandidate-web:1" in post
    assert "min 2 / max 10" in post


def test_scale_changes_the_scalable_target_in_moto_and_undo_restores_it(stack: LocalStack) -> None:
    bot = stack.bot()
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "scale"))
    assert stack.capacity() == (4, 10)
    (post,) = stack.recorder.response_url_posts()
    assert "Scaled: min 2 / max 10 → min 4 / max 10" in message_text(post.body)
    undo = next(e for b in post.body["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert undo["action_id"] == "scale_undo"
    bot.click("scale_undo", undo["value"], OPERATOR, response_url=_url(stack, "undo"))
    assert stack.capacity() == (2, 10)
    assert "Undone" in _posts(stack, "/response/undo")[0]
    verbs = [(i["verb"]["S"], i["result"]["S"]) for i in _audit_items(stack)]
    assert verbs == [("scale", "ok"), ("undo", "ok")]


def test_a_slack_retry_of_the_same_command_does_not_repeat_the_action(stack: LocalStack) -> None:
    # Given one slash command body (same trigger_id), delivered, then retried by Slack with X-Slack-Retry-Num
    bot = stack.bot()
    body = slash_command_body("scale 4", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(stack, "retry"))
    bot.send(api_gateway_event(body, SIGNING_SECRET))
    retry = bot.send(api_gateway_event(body, SIGNING_SECRET, retry_num=1))
    # Then the retry is acknowledged, but the action, its audit entry and its reply happen once
    assert retry["statusCode"] == 200
    assert stack.capacity() == (4, 10)
    assert len(_audit_items(stack)) == 1
    assert len(_posts(stack, "/response/retry")) == 1


def test_a_repeated_lazy_invocation_does_not_repeat_the_action(stack: LocalStack) -> None:
    # Given a command whose self-invocation Lambda delivers twice (async retry)
    bot = stack.bot()
    bot.command("scale 5", OPERATOR, response_url=_url(stack, "twice"), run_lazy=False)
    (payload,) = bot.lambda_client.payloads
    bot.lambda_client.payloads.append(json.loads(json.dumps(payload)))
    # When both deliveries run
    assert bot.run_lazy() == 2
    # Then there is one action and one reply
    assert stack.capacity() == (5, 10)
    assert len(_posts(stack, "/response/twice")) == 1
    assert len(_audit_items(stack)) == 1


def test_a_double_click_on_undo_undoes_once_and_says_so(stack: LocalStack) -> None:
    bot = stack.bot()
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "s"))
    undo_key = _audit_items(stack)[0]["sk"]["S"]
    bot.click("scale_undo", undo_key, OPERATOR, response_url=_url(stack, "u1"))
    bot.click("scale_undo", undo_key, OPERATOR, response_url=_url(stack, "u2"))
    assert stack.capacity() == (2, 10)
    assert "already undone" in _posts(stack, "/response/u2")[0]
    results = [(i["verb"]["S"], i["result"]["S"]) for i in _audit_items(stack)]
    assert results == [("scale", "ok"), ("undo", "ok"), ("undo", "refused")]


def test_temporary_raise_creates_a_one_time_scheduled_action_back_to_the_old_bounds(stack: LocalStack) -> None:
    stack.bot().command("scale 6 for 6h", OPERATOR, response_url=_url(stack, "t"))
    (action,) = stack.scheduled_actions()
    assert action["ScheduledActionName"].startswith("opsbot-capacity-")
    assert action["Schedule"].startswith("at(")
    assert action["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 10}
    assert stack.capacity() == (6, 10)


def test_usage_errors_are_answered_in_the_ack_and_audited(stack: LocalStack) -> None:
    bot = stack.bot()
    ack = bot.command("scale abc", OPERATOR, response_url=_url(stack, "bad"))
    assert "`abc` is not a valid task count" in ack_text(ack)
    assert "Usage: `/mycandidate scale" in ack_text(ack)
    assert _posts(stack, "/response/bad") == []
    (entry,) = _audit_items(stack)
    assert (entry["decision"]["S"], entry["arguments"]["S"]) == ("invalid", "scale abc")


def test_help_is_answered_in_the_ack_without_any_aws_work(stack: LocalStack) -> None:
    bot = stack.bot()
    ack = bot.command("help", STRANGER, response_url=_url(stack, "help"), run_lazy=False)
    assert "/mycandidate scale" in ack_text(ack)
    assert bot.lambda_client.payloads == [], "help needs no self-invocation"
    assert _posts(stack, "/response/help") == []
    assert _audit_items(stack) == []


def test_unauthorised_user_is_refused_ephemerally_and_audited(stack: LocalStack) -> None:
    stack.bot().command("scale 4", STRANGER, response_url=_url(stack, "who"))
    (post,) = stack.recorder.response_url_posts()
    assert post.body["response_type"] == "ephemeral"
    assert "`scale` needs the operator role; you have no role" in message_text(post.body)
    assert stack.capacity() == (2, 10)
    assert _audit_items(stack)[0]["decision"]["S"] == "refused"


def test_requests_that_are_unsigned_wrongly_signed_or_stale_get_401_and_no_action(stack: LocalStack) -> None:
    bot = stack.bot()
    body = slash_command_body("scale 4", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(stack, "x"))
    unsigned = api_gateway_event(body, SIGNING_SECRET)
    del unsigned["headers"]["x-slack-signature"]
    wrong = api_gateway_event(body, "not-the-secret")
    stale = api_gateway_event(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    for event in (unsigned, wrong, stale):
        assert bot.send(event)["statusCode"] == 401
    assert bot.lambda_client.payloads == []
    assert stack.capacity() == (2, 10)
    assert _audit_items(stack) == []


def test_aws_failure_is_reported_audited_as_failed_and_releases_the_lock(stack: LocalStack) -> None:
    # Given the scalable target has disappeared (deregistered behind the bot's back)
    stack.client("application-autoscaling").deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/mycandidate/web", ScalableDimension="ecs:service:DesiredCount"
    )
    bot = stack.bot()
    # When an operator scales
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "fail"))
    # Then they are told clearly, the attempt is audited as failed, and the lock is not left behind
    (post,) = _posts(stack, "/response/fail")
    assert "the service has no scalable target" in post
    assert _audit_items(stack)[-1]["result"]["S"] == "failed"
    locks = [
        i
        for i in stack.client("dynamodb").scan(TableName="opsbot-operations")["Items"]
        if i["pk"]["S"].startswith("LOCK")
    ]
    assert locks == []


def test_a_large_raise_waits_for_confirm_and_the_confirm_applies_it_once(stack: LocalStack) -> None:
    # Given the service already at min 8
    stack.given_capacity(8, 14)
    bot = stack.bot()
    # When an operator asks for 12 (above the confirmation threshold)
    bot.command("scale 12", OPERATOR, response_url=_url(stack, "ask"))
    (ask,) = stack.recorder.response_url_posts()
    buttons = {e["action_id"]: e["value"] for b in ask.body["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(buttons) == {"scale_confirm", "scale_cancel"}
    assert stack.capacity() == (8, 14)
    # Then Confirm applies it, and a second Confirm does nothing more
    bot.click("scale_confirm", buttons["scale_confirm"], OPERATOR, response_url=_url(stack, "yes"))
    bot.click("scale_confirm", buttons["scale_confirm"], OPERATOR, response_url=_url(stack, "yes-again"))
    assert stack.capacity() == (12, 14)
    assert "Scaled: min 8 / max 14 → min 12 / max 14" in _posts(stack, "/response/yes")[0]
    decisions = [(i["decision"]["S"], i["result"]["S"]) for i in _audit_items(stack)]
    assert decisions == [("awaiting-confirmation", "pending"), ("allowed", "ok"), ("refused", "refused")]
    assert "expired or was already used" in _posts(stack, "/response/yes-again")[0]


def test_status_lists_only_the_alarms_that_are_in_alarm(stack: LocalStack) -> None:
    stack.client("cloudwatch").set_alarm_state(
        AlarmName="mycandidate-ecs-cpu-high", StateValue="ALARM", StateReason="CPU 91% > 80% for 3 periods"
    )
    stack.bot().command("status", VIEWER, response_url=_url(stack, "alarms"))
    (post,) = _posts(stack, "/response/alarms")
    assert "`mycandidate-ecs-cpu-high`" in post
    assert "mycandidate-ecs-memory-high" not in post


def test_a_button_refused_once_works_when_pressed_again(stack: LocalStack) -> None:
    # Given an applied change and another change holding the service lock
    bot = stack.bot()
    bot.command("scale 4", OPERATOR, response_url=_url(stack, "s"))
    undo_key = _audit_items(stack)[0]["sk"]["S"]
    lock = {"pk": {"S": "LOCK#mycandidate/web"}, "sk": {"S": "LOCK"}, "owner": {"S": "other"}}
    lock["expires_at"] = {"N": str(int(time.time()) + 300)}
    stack.client("dynamodb").put_item(TableName="opsbot-operations", Item=lock)
    # When Undo is pressed, refused, the lock goes away, and Undo is pressed again
    bot.click("scale_undo", undo_key, OPERATOR, response_url=_url(stack, "u1"))
    assert "in progress" in _posts(stack, "/response/u1")[0]
    stack.client("dynamodb").delete_item(TableName="opsbot-operations", Key={"pk": lock["pk"], "sk": lock["sk"]})
    bot.click("scale_undo", undo_key, OPERATOR, response_url=_url(stack, "u2"))
    # Then the second press is answered and applied
    assert "Undone" in _posts(stack, "/response/u2")[0]
    assert stack.capacity() == (2, 10)


def test_a_badly_signed_request_leaves_no_slack_payload_in_the_logs(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = slash_command_body(
        "scale 4 ward-19100003", user_id=OPERATOR, channel_id="C0OPS", response_url=_url(stack, "x")
    )
    assert stack.bot().send(api_gateway_event(body, "wrong-secret"))["statusCode"] == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ward-19100003" not in logged
    assert "response_url" not in logged


def test_incident_buttons_answer_below_the_incident_without_replacing_it(stack: LocalStack) -> None:
    # Given an incident message in the channel (not ephemeral)
    body = json.loads(
        parse_qs(
            block_action_body(
                "incident_ack",
                "mycandidate-ecs-cpu-high",
                user_id=OPERATOR,
                channel_id="C0OPS",
                response_url=_url(stack, "ack"),
            )
        )["payload"][0]
    )
    body["container"]["is_ephemeral"] = False
    event = api_gateway_event(urlencode({"payload": json.dumps(body)}), SIGNING_SECRET)
    # When an operator presses Acknowledge
    stack.bot().send(event)
    # Then the acknowledgement is posted to the channel and the incident message is kept
    (post,) = stack.recorder.response_url_posts()
    assert post.body["replace_original"] is False
    assert post.body["response_type"] == "in_channel"
    assert "acknowledged by <@U0OPERATOR>" in post.body["text"]


def test_a_rotated_signing_secret_is_followed_by_the_real_slack_endpoint(stack: LocalStack) -> None:
    # Given the Slack function's endpoint reading the secret in Secrets Manager (max_age 0: "five minutes later")
    settings = stack.settings
    ports = cache(partial(dependencies.build_ports, settings))
    endpoints = Endpoints(
        CredentialsSource(settings, max_age=0),
        lambda credentials: build_endpoint(settings, credentials, ports, lambda _key, work: work()),
    )

    def send(secret: str) -> int:
        body = slash_command_body("help", user_id=VIEWER, channel_id="C0OPS", response_url=_url(stack, "help"))
        return int(endpoints.current()(api_gateway_event(body, secret), FakeLambdaContext())["statusCode"])

    assert send(SIGNING_SECRET) == 200
    # When the signing secret is rotated in Secrets Manager
    rotated = json.dumps({"signing_secret": "rotated-signing-secret", "bot_token": "xoxb-rotated"})
    stack.client("secretsmanager").put_secret_value(SecretId=settings.slack_secret_id, SecretString=rotated)
    # Then Slack's requests signed with the new secret are served, and the old secret is refused
    assert send("rotated-signing-secret") == 200
    assert send(SIGNING_SECRET) == 401
