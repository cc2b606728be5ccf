"""A rotated Slack signing secret is picked up at once: a signature that does not match makes the container read the
secret again past Powertools' five-minute cache, at most once per window, and nothing secret is logged."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from functools import cache, partial
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from devtools.lambda_context import FakeLambdaContext
from devtools.local_stack import BOT_TOKEN, SIGNING_SECRET, VIEWER, LocalStack
from devtools.slack_requests import api_gateway_event, slash_command_body
from opsbot import dependencies
from opsbot.observability import logger
from opsbot.slack import entry
from opsbot.slack.credentials import CredentialsSource
from opsbot.slack.entry import REREAD_INTERVAL_SECONDS, Endpoints, build_endpoint

NEW_SECRET = "rotated-signing-secret-FORGEDMARKER"
NEW_TOKEN = "xoxb-rotated-token"
REREAD_LOG = "Slack signature did not match; signing secret re-read"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _help(stack: LocalStack, secret: str, timestamp: int | None = None) -> dict[str, Any]:
    body = slash_command_body("help", user_id=VIEWER, channel_id="C0OPS", response_url=f"{stack.recorder.url}/r/h")
    return api_gateway_event(body, secret, timestamp=timestamp)


def _rotate(stack: LocalStack) -> None:
    value = json.dumps({"signing_secret": NEW_SECRET, "bot_token": NEW_TOKEN})
    stack.client("secretsmanager").put_secret_value(SecretId=stack.settings.slack_secret_id, SecretString=value)


@pytest.fixture
def real_entry(stack: LocalStack) -> Iterator[LocalStack]:
    entry._endpoints.cache_clear()  # the container's endpoints, built for this stack's settings
    yield stack
    entry._endpoints.cache_clear()


def test_the_function_serves_the_new_secret_right_after_a_rotation_and_refuses_the_old_one(
    real_entry: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = real_entry
    _capture_logs(caplog)
    # Given the function's real entry point, warm, reading the secret from Secrets Manager (cached five minutes)
    assert entry.handle(_help(stack, SIGNING_SECRET), FakeLambdaContext())["statusCode"] == 200
    # When the signing secret is rotated in Secrets Manager, well within the cache's five minutes
    _rotate(stack)
    # Then Slack's next request, signed with the new secret, is served at once (one re-read), and fast
    started = time.monotonic()
    assert entry.handle(_help(stack, NEW_SECRET), FakeLambdaContext())["statusCode"] == 200
    assert time.monotonic() - started < 3
    # and a request signed with the old secret is refused
    assert entry.handle(_help(stack, SIGNING_SECRET), FakeLambdaContext())["statusCode"] == 401
    rereads = [r for r in caplog.records if r.getMessage() == REREAD_LOG]
    assert len(rereads) == 1
    assert getattr(rereads[0], "secret_changed", None) is True
    _assert_no_secret_logged(caplog)


def test_bad_signatures_cause_at_most_one_reread_per_window_and_only_a_mismatch_causes_one(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    _capture_logs(caplog)
    # Given the function's endpoints on a clock the test moves, counting the reads that reach Secrets Manager
    settings = stack.settings
    secrets = stack.client("secretsmanager")
    reads: list[str] = []
    secrets.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_kw: reads.append("read"))
    clock = _Clock()
    ports = cache(partial(dependencies.build_ports, settings))
    endpoints = Endpoints(
        CredentialsSource(settings, provider=SecretsProvider(boto3_client=secrets)),
        lambda credentials: build_endpoint(settings, credentials, ports, lambda _key, work: work()),
        clock=clock,
    )

    def send(secret: str, **kw: Any) -> int:
        return int(endpoints.handle(_help(stack, secret, **kw), FakeLambdaContext())["statusCode"])

    # A warm container verifies good requests from its cache: one read in all
    assert [send(SIGNING_SECRET) for _ in range(5)] == [200] * 5
    assert len(reads) == 1
    # When the secret is rotated, the first request with the new secret is served after exactly one re-read
    _rotate(stack)
    assert send(NEW_SECRET) == 200
    assert len(reads) == 2
    # Then the old secret is refused, and a burst of bad signatures within the window reads nothing more
    assert send(SIGNING_SECRET) == 401
    assert [send("an-attackers-guess") for _ in range(30)] == [401] * 30
    assert len(reads) == 2
    # Once the window has passed, the next burst causes one re-read, however long it is
    clock.now += REREAD_INTERVAL_SECONDS + 1
    assert [send("an-attackers-guess") for _ in range(30)] == [401] * 30
    assert len(reads) == 3
    # A stale timestamp or a malformed signature is no sign of a rotation: no re-read, the window stays open
    clock.now += REREAD_INTERVAL_SECONDS + 1
    assert send(NEW_SECRET, timestamp=int(time.time()) - 10 * 60) == 401
    stale_malformed = _help(stack, NEW_SECRET)
    stale_malformed["headers"]["x-slack-signature"] = "v1=" + "0" * 64
    assert endpoints.handle(stale_malformed, FakeLambdaContext())["statusCode"] == 401
    assert len(reads) == 3
    assert send("an-attackers-guess") == 401
    assert len(reads) == 4
    # and good requests are still served without reading the secret
    assert send(NEW_SECRET) == 200
    assert len(reads) == 4
    rereads = [r for r in caplog.records if r.getMessage() == REREAD_LOG]
    assert [getattr(r, "secret_changed", None) for r in rereads] == [True, False, False]
    _assert_no_secret_logged(caplog)


def test_a_failed_reread_keeps_the_current_secret_and_waits_for_the_window(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a warm endpoint whose Secrets Manager then fails every call
    settings = stack.settings
    secrets = stack.client("secretsmanager")
    clock = _Clock()
    endpoints = Endpoints(
        CredentialsSource(settings, provider=SecretsProvider(boto3_client=secrets)),
        lambda credentials: build_endpoint(settings, credentials, lambda: None, lambda _key, work: work()),  # type: ignore[arg-type,return-value]
        clock=clock,
    )
    assert endpoints.handle(_help(stack, SIGNING_SECRET), FakeLambdaContext())["statusCode"] == 200
    attempts: list[str] = []

    def unavailable(**_kw: Any) -> None:
        attempts.append("call")
        raise ConnectionError("Secrets Manager unreachable")

    secrets.meta.events.register("before-call.secrets-manager.GetSecretValue", unavailable)
    _capture_logs(caplog)
    # When bad signatures arrive, the re-read fails once and is not retried within the window
    for _ in range(10):
        assert endpoints.handle(_help(stack, "an-attackers-guess"), FakeLambdaContext())["statusCode"] == 401
    assert len(attempts) == 1
    # Then Slack's requests signed with the current secret are still served
    assert endpoints.handle(_help(stack, SIGNING_SECRET), FakeLambdaContext())["statusCode"] == 200
    assert any(r.getMessage() == "Slack credentials not refreshed; using the current ones" for r in caplog.records)
    _assert_no_secret_logged(caplog)


def _capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    # The bot's logger at DEBUG; the rest at INFO as in Lambda (botocore's DEBUG dumps every response, secrets too)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger=logger.name)


def _assert_no_secret_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        logged = record.getMessage() + repr(vars(record))
        for secret in (SIGNING_SECRET, BOT_TOKEN, NEW_SECRET, NEW_TOKEN):
            assert secret not in logged, "a secret reached the log"
