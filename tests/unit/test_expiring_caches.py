"""Slack credentials and runbooks are read through Powertools Parameters, whose cache expires: a rotated secret or
a changed runbooks override is used without a cold start, and remediation never waits on the Slack secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters.base import BaseProvider

from devtools.slack_requests import api_gateway_event, slash_command_body
from opsbot.alarms.model import Decision
from opsbot.alarms.remediation import Remediator
from opsbot.alarms.runbooks import RunbookSource, load_default_text
from opsbot.config import Settings
from opsbot.errors import ConfigError
from opsbot.slack.credentials import CredentialsSource, SlackCredentials
from opsbot.slack.entry import Endpoints, SlackEndpoint
from opsbot.slack.incidents import (
    SlackDeliveryError,
    SlackIncidentNotifier,
    render_incident,
    render_recovery,
    render_recovery_reply,
)
from tests.fakes import NOW
from tests.unit.test_remediation import PLACEHOLDERS, Bench, transition

SECRET_ID = "mycandidate-opsbot/prod/slack"
NOTIFY_ONLY = "version: 1\nrunbooks:\n  - {name: tell, match: {alarm: 'mycandidate-.*'}, action: notify}"


class SecretsStore(BaseProvider):
    """A Powertools provider over an in-memory secret: Powertools' own caching and ``max_age`` apply."""

    def __init__(self, value: dict[str, str] | None) -> None:
        super().__init__()
        self.value = value
        self.reads = 0

    def _get(self, name: str, **sdk_options: Any) -> str:
        self.reads += 1
        if self.value is None:
            raise RuntimeError("AccessDeniedException")  # what an unreadable secret looks like
        return json.dumps(self.value)

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
        raise NotImplementedError


class DeniedSecretsStore(SecretsStore):
    """Secrets Manager refusing the read, as botocore raises it (Powertools wraps it in GetParameterError)."""

    def _get(self, name: str, **sdk_options: Any) -> str:
        from botocore.exceptions import ClientError

        self.reads += 1
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "GetSecretValue")


def _secret(token: str, signing: str = "signing-1") -> dict[str, str]:
    return {"signing_secret": signing, "bot_token": token}


def _source(store: SecretsStore, max_age: int = 300) -> CredentialsSource:
    return CredentialsSource(Settings(slack_secret_id=SECRET_ID), provider=store, max_age=max_age)


class TokenClient:
    """A WebClient stand-in that records the token each call was made with."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.sent_with: list[str | None] = []

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.sent_with.append(self.token)
        return {"channel": "C0OPS", "ts": "1.2"}


def test_credentials_are_read_through_the_providers_cache_within_max_age() -> None:
    # Given the secret behind a Powertools provider
    store = SecretsStore(_secret("xoxb-1"))
    source = _source(store)
    # When the credentials are needed three times within five minutes
    tokens = [source.get().bot_token for _ in range(3)]
    # Then Secrets Manager was read once
    assert tokens == ["xoxb-1"] * 3
    assert store.reads == 1


def test_a_rotated_bot_token_is_used_once_the_cache_expires_without_a_cold_start() -> None:
    # Given an incident notifier that gets its token from the secret (max_age 0 stands for "five minutes later")
    store = SecretsStore(_secret("xoxb-old"))
    source = _source(store, max_age=0)
    client = TokenClient()
    notifier = SlackIncidentNotifier(client, "C0OPS", token=lambda: source.get().bot_token)  # type: ignore[arg-type]
    notifier.post({"text": "first"})
    # When the secret is rotated
    store.value = _secret("xoxb-new")
    notifier.post({"text": "second"})
    # Then the next message goes out with the new token
    assert client.sent_with == ["xoxb-old", "xoxb-new"]


def test_an_unreadable_secret_fails_the_message_with_a_code_not_the_caller() -> None:
    # Given a secret the function cannot read
    notifier = SlackIncidentNotifier(
        TokenClient(),  # type: ignore[arg-type]
        "C0OPS",
        token=lambda: _source(SecretsStore(None)).get().bot_token,
    )
    # When an incident is posted
    with pytest.raises(SlackDeliveryError) as raised:
        notifier.post({"text": "cpu high"})
    # Then the failure names what happened, without the secret's id or the message
    assert raised.value.code == "credentials_unavailable"
    assert SECRET_ID not in str(raised.value)
    assert "cpu high" not in str(raised.value)


@pytest.mark.parametrize(
    ("store", "why"),
    [
        (lambda: SecretsStore(None), "credentials_unavailable"),
        # IAM refusing the read: the audit trail names AWS's code too
        (lambda: DeniedSecretsStore(None), "credentials_unavailable (AccessDeniedException)"),
    ],
    ids=["unreadable", "access-denied"],
)
def test_remediation_acts_and_audits_the_lost_report_when_the_slack_secret_is_unreadable(
    store: Callable[[], SecretsStore], why: str
) -> None:
    # Given the real notifier whose bot token cannot be read, in front of the remediator
    source = _source(store())
    notifier = SlackIncidentNotifier(TokenClient(), "C0OPS", token=lambda: source.get().bot_token)  # type: ignore[arg-type]
    bench = Bench(notifier=notifier)  # type: ignore[arg-type]
    # When the CPU alarm fires
    decision = bench.handle(transition())
    # Then the minimum was raised, and the audit trail says the incident could not be posted, and why
    assert isinstance(decision, Decision)
    assert decision.acted
    (lost,) = [e for e in bench.world.audit() if e.verb == "notify"]
    assert lost.error.endswith(f"could not be posted in Slack: {why}")


def _signed(secret: str) -> dict[str, Any]:
    body = slash_command_body("status", user_id="U0ADMIN", channel_id="C0OPS", response_url="http://127.0.0.1/r")
    return api_gateway_event(body, secret)


class _Bolt:
    def __init__(self) -> None:
        self.handled = 0

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        self.handled += 1
        return {"statusCode": 200, "body": ""}


def test_the_slack_endpoint_follows_a_rotated_signing_secret_and_refuses_the_old_one() -> None:
    # Given the Slack function's endpoint, built from the secret behind the provider
    store = SecretsStore(_secret("xoxb-1", signing="old-secret"))
    built: list[SlackCredentials] = []
    bolt = _Bolt()

    def build(credentials: SlackCredentials) -> SlackEndpoint:
        built.append(credentials)
        return SlackEndpoint(bolt, credentials.signing_secret)  # type: ignore[arg-type]

    endpoints = Endpoints(_source(store, max_age=0), build)
    assert endpoints.current()(_signed("old-secret"), None)["statusCode"] == 200
    assert endpoints.current()(_signed("old-secret"), None)["statusCode"] == 200
    # When the signing secret is rotated (and the provider's cache has expired)
    store.value = _secret("xoxb-1", signing="new-secret")
    # Then requests signed with the new secret are accepted, the old one is refused, and Bolt was rebuilt once
    assert endpoints.current()(_signed("new-secret"), None)["statusCode"] == 200
    assert endpoints.current()(_signed("old-secret"), None)["statusCode"] == 401
    assert [c.signing_secret for c in built] == ["old-secret", "new-secret"]
    assert bolt.handled == 3


def _remediator(bench: Bench, runbooks: RunbookSource) -> Remediator:
    """The bench's remediator, but asking ``runbooks`` on every alarm as the alarm function does."""
    built = bench.remediator()
    return Remediator(
        bench.settings,
        runbooks,
        built._ports,
        lambda: bench.now,
        render_incident,
        render_recovery,
        lock_wait=0.2,
        render_reply=render_recovery_reply,
    )


def test_a_changed_runbooks_override_is_used_on_the_next_alarm() -> None:
    # Given the alarm function's runbooks read from the override, which says "notify only"
    override = {"text": NOTIFY_ONLY}
    source = RunbookSource(lambda: override["text"], PLACEHOLDERS, "SSM parameter /opsbot/runbooks")
    remediator = _remediator(Bench(), source)
    first = remediator.handle(transition())
    # When the override is changed back to the repository's runbooks (and the provider's cache has expired)
    override["text"] = load_default_text()
    second = remediator.handle(transition(at=NOW + timedelta(hours=1)))
    # Then the same remediator (no cold start) scales out on the next alarm
    assert isinstance(first, Decision)
    assert not first.acted
    assert isinstance(second, Decision)
    assert second.acted


def test_runbooks_are_parsed_again_only_when_the_text_changed() -> None:
    reads: list[int] = []

    def read() -> str:
        reads.append(1)
        return NOTIFY_ONLY

    source = RunbookSource(read, PLACEHOLDERS, "SSM parameter /opsbot/runbooks")
    # When the runbooks are asked for twice with the same text
    first, second = source(), source()
    # Then the text was read each time (through the provider's cache) and parsed once: the same runbooks object
    assert len(reads) == 2
    assert first is second


def test_a_bad_new_override_keeps_the_last_good_runbooks_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    # Given runbooks that loaded, then an override edited into something invalid
    override = {"text": NOTIFY_ONLY}
    source = RunbookSource(lambda: override["text"], PLACEHOLDERS, "SSM parameter /opsbot/runbooks")
    good = source()
    override["text"] = "version: 1\nrunbooks:\n  - {name: oops, action: reboot_the_world}"
    # When the alarm function asks for the runbooks
    kept = source()
    # Then it keeps acting on the last good runbooks, and the log says the override was rejected and why
    assert kept == good
    (logged,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.getMessage() == "runbooks override rejected; still using the last good runbooks"
    assert logged.origin == "SSM parameter /opsbot/runbooks"  # type: ignore[attr-defined]
    assert "unknown action 'reboot_the_world'" in logged.problem  # type: ignore[attr-defined]


def test_a_bad_override_with_no_good_runbooks_yet_fails_loudly() -> None:
    source = RunbookSource(lambda: "version: 2", PLACEHOLDERS, "SSM parameter /opsbot/runbooks")
    with pytest.raises(ConfigError):
        source()


def test_a_failed_refresh_of_the_secret_keeps_the_slack_endpoint_serving() -> None:
    # Given the Slack function's endpoint serving with the current secret
    store = SecretsStore(_secret("xoxb-1", signing="current-secret"))
    bolt = _Bolt()
    endpoints = Endpoints(_source(store, max_age=0), lambda c: SlackEndpoint(bolt, c.signing_secret))  # type: ignore[arg-type]
    assert endpoints.current()(_signed("current-secret"), None)["statusCode"] == 200
    # When Secrets Manager cannot be read at the next refresh
    store.value = None
    # Then Slack's requests are still served with the secret in use
    assert endpoints.current()(_signed("current-secret"), None)["statusCode"] == 200
    assert bolt.handled == 2
