"""What each Lambda-like run invokes, against the offline stack (moto and the Slack recorder containers).

* ``baseline`` — a function that only imports boto3, slack_bolt and aws_lambda_powertools from the dependencies layer
  (the floor every function of this stack pays);
* ``help`` / ``status`` — SlackCommandsFunction answering a signed slash command (``status`` acks through Bolt's lazy
  self-invocation, which lands in the recorder), then a second one warm;
* ``alarm`` — AlarmRemediationFunction remediating one CPU alarm (scale out), then a 5xx alarm warm (replace tasks),
  on a freshly reset and seeded moto, so both act every run;
* ``hook`` — CutoverHooksFunction answering ECS at POST_TEST_TRAFFIC_SHIFT (nothing listens on its test listener:
  the smoke test fails fast, FAILED, and the verdict is audited), then a rollback's PRODUCTION_TRAFFIC_SHIFT warm;
* ``sdk`` — only the pinned boto3 with one DynamoDB client built (the cost of shipping our own SDK).

The functions are configured as the stages deploy them: the Slack secret is read through the Parameters and Secrets
extension (the recorder's stand-in answers for it), not through an SDK client. Each run's answer is checked: a
benchmark that timed an error path would be worthless.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from devtools.containers import Container
from devtools.events import load_event
from devtools.local_stack import (
    ACCOUNT,
    BOT_TOKEN,
    OPS_CHANNEL,
    REGION,
    SIGNING_SECRET,
    create_bot_resources,
    local_env,
    reset_moto,
)
from devtools.replica import seed_replica
from devtools.slack_recorder import LAMBDA_INVOKE, clear_calls, fetch_calls, put_secret
from devtools.slack_requests import api_gateway_event, slash_command_body
from opsbot.config import Settings

SETTINGS = Settings(slack_secret_id="mycandidate-opsbot/dev/slack")
SLACK_SECRET = json.dumps({"signing_secret": SIGNING_SECRET, "bot_token": BOT_TOKEN})
COLD_ALARM, WARM_ALARM = "alarm_eventbridge_cpu_high.json", "alarm_eventbridge_math_5xx_rate.json"
FUNCTIONS = {"slack": "SlackCommandsFunction", "alarm": "AlarmRemediationFunction", "hook": "CutoverHooksFunction"}


@dataclass(frozen=True)
class Stack:
    moto: Container
    recorder: Container

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)

    def reset_and_seed(self) -> None:
        """A fresh moto with the replica, the bot's tables and secret, and the service at its baseline; the Slack
        secret in the recorder's stand-in for the Parameters and Secrets extension too (how the stages deploy)."""
        reset_moto(self.moto.host_url)
        put_secret(self.recorder.host_url, SETTINGS.slack_secret_id, SLACK_SECRET)
        session = self.session()
        seed_replica(session, endpoint_url=self.moto.host_url)
        create_bot_resources(session, self.moto.host_url, SETTINGS)
        session.client("application-autoscaling", endpoint_url=self.moto.host_url).register_scalable_target(  # type: ignore[call-overload]
            ServiceNamespace="ecs",
            ResourceId="service/mycandidate/web",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=2,
            MaxCapacity=10,
        )

    def function_env(self, function: str, memory_mb: int) -> dict[str, str]:
        """What template.yaml and the Lambda service set, pointed at the offline stack."""
        env = local_env(self.moto.network_url, self.recorder.network_url + "/api/")
        return {
            **env,
            "OPSBOT_AWS_ENDPOINT_URL_LAMBDA": self.recorder.network_url,
            "OPSBOT_OPERATIONS_TABLE": SETTINGS.operations_table,
            "OPSBOT_AUDIT_TABLE": SETTINGS.audit_table,
            "OPSBOT_IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
            "OPSBOT_SECRETS_EXTENSION_URL": self.recorder.network_url,
            "AWS_SESSION_TOKEN": "bench-session-token",  # Lambda's; the extension requires it
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "AWS_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "LAMBDA_TASK_ROOT": "/var/task",
            "TZ": ":UTC",
            # The cutover hook's test listener: nothing listens there inside the container (a fast, real failure).
            **({"OPSBOT_TEST_LISTENER_URL": "http://127.0.0.1:9"} if function == FUNCTIONS["hook"] else {}),
        }

    def lambda_invocations(self) -> int:
        return sum(1 for call in fetch_calls(self.recorder.host_url) if call.kind == LAMBDA_INVOKE)


@dataclass(frozen=True)
class Scenario:
    name: str
    function: str | None  # key of FUNCTIONS, or None for an import-only run
    job: Callable[[int], dict[str, Any]]  # memory_mb -> the driver's job
    prepare: Callable[[Stack], None]
    check: Callable[[Stack, list[Any]], str | None]  # what went wrong, or None
    timeout_s: float = 30.0


def _context(function: str, memory_mb: int, timeout_s: float) -> dict[str, Any]:
    name = f"mycandidate-opsbot-bench-{function}"
    return {
        "function_name": name,
        "function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "memory_mb": memory_mb,
        "timeout_s": timeout_s,
    }


def _slash(text: str) -> Callable[[int], dict[str, Any]]:
    def job(memory_mb: int) -> dict[str, Any]:
        events = [
            api_gateway_event(
                slash_command_body(
                    text, user_id="U0VIEWER", channel_id=OPS_CHANNEL, response_url="http://127.0.0.1:9/r"
                ),
                SIGNING_SECRET,
            )
            for _ in range(2)
        ]
        return {"mode": "function", "events": events, "context": _context("slack-commands", memory_mb, 60)}

    return job


def _slack_check(self_invocations: int) -> Callable[[Stack, list[Any]], str | None]:
    def check(stack: Stack, responses: list[Any]) -> str | None:
        codes = [r.get("statusCode") if isinstance(r, dict) else r for r in responses]
        if codes != [200, 200]:
            return f"expected two 200 answers, got {codes}"
        invoked = stack.lambda_invocations()
        if invoked != self_invocations:
            return f"expected {self_invocations} lazy self-invocations, the recorder saw {invoked}"
        return None

    return check


def _clear_recorder(stack: Stack) -> None:
    clear_calls(stack.recorder.host_url)


def _alarm_job(memory_mb: int) -> dict[str, Any]:
    events = [copy.deepcopy(load_event(name)) for name in (COLD_ALARM, WARM_ALARM)]
    return {"mode": "function", "events": events, "context": _context("alarm-remediation", memory_mb, 120)}


def _alarm_check(_stack: Stack, responses: list[Any]) -> str | None:
    acted = [r.get("acted") if isinstance(r, dict) else r for r in responses]
    return None if acted == [1, 1] else f"expected both alarms to act once, got {json.dumps(responses)[:500]}"


def _hook_job(memory_mb: int) -> dict[str, Any]:
    events = [load_event("cutover_hook_post_test_traffic.json"), load_event("cutover_hook_rollback.json")]
    return {"mode": "function", "events": events, "context": _context("cutover-hooks", memory_mb, 60)}


def _hook_check(_stack: Stack, responses: list[Any]) -> str | None:
    statuses = [r.get("hookStatus") if isinstance(r, dict) else r for r in responses]
    return None if statuses == ["FAILED", "SUCCEEDED"] else f"expected FAILED then SUCCEEDED, got {statuses}"


def _import_job(modules: list[str], clients: list[str]) -> Callable[[int], dict[str, Any]]:
    return lambda _memory_mb: {"mode": "import", "modules": modules, "clients": clients, "region": REGION}


def _nothing(_stack: Stack) -> None:
    return None


def _no_check(_stack: Stack, _responses: list[Any]) -> str | None:
    return None


BASELINE = Scenario(
    "baseline", None, _import_job(["boto3", "slack_bolt", "aws_lambda_powertools"], []), _nothing, _no_check
)
HELP = Scenario("help", "slack", _slash("help"), _clear_recorder, _slack_check(0))
STATUS = Scenario("status", "slack", _slash("status"), _clear_recorder, _slack_check(2))
ALARM = Scenario("alarm", "alarm", _alarm_job, Stack.reset_and_seed, _alarm_check, timeout_s=120)
HOOK = Scenario("hook", "hook", _hook_job, _nothing, _hook_check, timeout_s=60)
SDK = Scenario("sdk", None, _import_job(["boto3"], ["dynamodb"]), _nothing, _no_check)
