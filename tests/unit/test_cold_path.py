"""What a cold start does, checked in fresh interpreters: the ack path builds no AWS client (the lazy
self-invocation is one signed request with the function's credentials) and imports nothing only later paths need;
the alarm function's cold wiring reads no Slack credentials. Each case runs in its own subprocess, because this
test session has long imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.slack_recorder import SlackRecorder
from devtools.slack_requests import api_gateway_event, slash_command_body

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cold-path-signing-secret"

# Imported by later paths only (the lazy run, a scale change, the alarm function), never to acknowledge a command.
NOT_ON_THE_ACK_PATH = (
    "boto3",  # ~40 ms of CPU: the self-invocation is signed with botocore's signer, without a session or client
    "aws_lambda_powertools.utilities.parameters",  # pulls in AppConfig, DynamoDB and SSM providers
    "aws_lambda_powertools.utilities.idempotency",  # the lazy run's exactly-once
    "aws_lambda_powertools.utilities.data_classes",
    "yaml",  # runbooks
    "opsbot.alarms",
    "opsbot.aws.audit",
    "opsbot.aws.store",
    "opsbot.capacity.core",
)
NOT_IN_THE_ALARM_FUNCTION = (
    "aws_lambda_powertools.utilities.data_classes",  # ~40 event modules; parsing walks plain dicts
    "aws_lambda_powertools.utilities.parameters",  # no SSM override, no Slack post yet
    "slack_bolt",
    "opsbot.commands.dispatch",  # the Slack verbs
    "opsbot.commands.help",
    "opsbot.commands.scale",
    "opsbot.commands.status",
    "opsbot.alarms.watch",  # a watch event builds it
)

# Runs first in each fresh interpreter: counts every botocore client built.
_COUNT_CLIENTS = """
import json, sys
import botocore.session
built = []
_create = botocore.session.Session.create_client
def create_client(self, service_name, *args, **kwargs):
    built.append(service_name)
    return _create(self, service_name, *args, **kwargs)
botocore.session.Session.create_client = create_client
"""

# Then: answers one request, reports.
_ANSWER = (
    _COUNT_CLIENTS
    + """
import app
from devtools.lambda_context import FakeLambdaContext
response = app.lambda_handler(json.loads(sys.stdin.read()), FakeLambdaContext())
print(json.dumps({"status": response["statusCode"], "clients": built, "modules": sorted(sys.modules)}))
"""
)

_WIRE_ALARM_FUNCTION = (
    _COUNT_CLIENTS
    + """
from opsbot.slack import credentials
reads = []
_get = credentials.CredentialsSource.get
def get(self):
    reads.append(1)
    return _get(self)
credentials.CredentialsSource.get = get
import app
imported = sorted(sys.modules)
from opsbot.alarms import entry
entry._runtime("arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-alarms")
print(json.dumps({"clients": built, "credential_reads": len(reads), "modules": imported}))
"""
)


def _fresh(function: str, code: str, stdin: str = "", **extra: str | None) -> dict[str, Any]:
    """Run ``code`` in a new interpreter with the function's path; ``extra`` sets (or, with None, unsets) env."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPSBOT_", "AWS_", "SLACK_")) and key != "PYTHONPATH"
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "opsbot"), str(ROOT)]),
        OPSBOT_ENV="dev",
        OPSBOT_SLACK_SIGNING_SECRET=SECRET,
        OPSBOT_SLACK_BOT_TOKEN="xoxb-cold-path",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
        BOTO_DISABLE_CRT="true",
    )
    env.update({key: value for key, value in extra.items() if value is not None})
    for key in [key for key, value in extra.items() if value is None]:
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "-c", code], input=stdin, text=True, env=env, cwd=ROOT, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [name for name in modules if any(name == p or name.startswith(p + ".") for p in prefixes)]


# `status` is the command the cold-start target is set for: its ack parses without the adapters' data types.
STATUS_ACK_ALSO_SKIPS = ("opsbot.ports", "opsbot.capacity")


@pytest.mark.parametrize(
    ("text", "self_invocations", "also_skipped"),
    [("status", 1, STATUS_ACK_ALSO_SKIPS), ("help", 0, ()), ("scale 4", 1, ())],
)
def test_a_cold_ack_builds_no_aws_client_and_imports_no_later_path(
    text: str, self_invocations: int, also_skipped: tuple[str, ...]
) -> None:
    with SlackRecorder() as recorder:
        # Given a fresh interpreter whose self-invocation lands in the recorder
        body = slash_command_body(text, user_id="U0VIEWER", channel_id="C0OPS", response_url=recorder.url + "/r")
        event = json.dumps(api_gateway_event(body, SECRET))
        # When it answers one signed command
        answered = _fresh("slack_commands", _ANSWER, event, OPSBOT_AWS_ENDPOINT_URL_LAMBDA=recorder.url)
        invocations = len(recorder.lambda_invocations())
    # Then the command was acknowledged, and handed to the lazy run unless `help` answered it right away
    assert answered["status"] == 200
    assert invocations == self_invocations
    # And no AWS client was built, not even Lambda's for that self-invocation
    assert answered["clients"] == []
    # And nothing only a later path needs was imported, nor the module of any other verb
    assert _loaded(answered["modules"], NOT_ON_THE_ACK_PATH + also_skipped) == []
    verb = text.split()[0]
    others = tuple(f"opsbot.commands.{m}" for m in ("audit", "remediation", "scale", "status") if m != verb)
    assert _loaded(answered["modules"], others if verb != "help" else ()) == []


def _cold_status(recorder: SlackRecorder, **env: str | None) -> dict[str, Any]:
    """A fresh function answering a signed `status`, its self-invocation landing in ``recorder``."""
    body = slash_command_body("status", user_id="U0VIEWER", channel_id="C0OPS", response_url=recorder.url + "/r")
    event = json.dumps(api_gateway_event(body, SECRET))
    return _fresh("slack_commands", _ANSWER, event, OPSBOT_AWS_ENDPOINT_URL_LAMBDA=recorder.url, **env)


def test_deployed_with_the_secrets_extension_a_cold_status_builds_no_aws_client() -> None:
    # Deployed, the signing secret lives in Secrets Manager: read through the extension, it costs no SDK client
    with SlackRecorder() as recorder:
        recorder.put_secret("opsbot/slack", json.dumps({"signing_secret": SECRET, "bot_token": "xoxb-cold-path"}))
        answered = _cold_status(
            recorder,
            OPSBOT_SLACK_SECRET_ID="opsbot/slack",
            OPSBOT_SECRETS_EXTENSION_URL=recorder.url,
            AWS_SESSION_TOKEN="session-token",
        )
        reads = len(recorder.secret_reads())
    assert answered["status"] == 200
    assert reads == 1
    assert answered["clients"] == []
    assert _loaded(answered["modules"], NOT_ON_THE_ACK_PATH) == []


def test_without_credentials_in_the_environment_the_self_invocation_uses_the_sdk_client(tmp_path: Path) -> None:
    # A developer's machine: credentials from a profile, not from the environment as Lambda sets them
    profile = tmp_path / "credentials"
    profile.write_text("[default]\naws_access_key_id = profile-key\naws_secret_access_key = profile-secret\n")
    with SlackRecorder() as recorder:
        answered = _cold_status(
            recorder,
            AWS_ACCESS_KEY_ID=None,
            AWS_SECRET_ACCESS_KEY=None,
            AWS_SHARED_CREDENTIALS_FILE=str(profile),
            AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        )
        invocations = len(recorder.lambda_invocations())
    # Then the command is still handed to the lazy run, through the SDK's Lambda client
    assert answered["status"] == 200
    assert invocations == 1
    assert answered["clients"] == ["lambda"]


def test_an_unsigned_request_is_still_refused_cold() -> None:
    # The signature check stays on the cold path: a request signed with another secret is refused, without a client
    body = slash_command_body("status", user_id="U0VIEWER", channel_id="C0OPS", response_url="http://127.0.0.1:9/r")
    answered = _fresh("slack_commands", _ANSWER, json.dumps(api_gateway_event(body, "not-the-secret")))
    assert answered["status"] == 401
    assert answered["clients"] == []


def test_the_alarm_functions_cold_wiring_reads_no_slack_credentials_and_imports_no_slack_verb() -> None:
    # When a fresh alarm function is imported and its runtime wired (what the first alarm does before parsing)
    wired = _fresh("alarm_remediation", _WIRE_ALARM_FUNCTION)
    # Then the Slack secret is not read (only a post asks for the token), and only the idempotency table's client
    # exists
    assert wired["credential_reads"] == 0
    assert wired["clients"] == ["dynamodb"]
    # And the import loaded neither the Slack verbs nor Powertools' event data classes
    assert _loaded(wired["modules"], NOT_IN_THE_ALARM_FUNCTION) == []
