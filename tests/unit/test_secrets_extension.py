"""The Slack secret through the AWS Parameters and Secrets Lambda Extension: what the function asks it, what it
caches, how it fails, and that it never sends the session token off the machine outside dev."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devtools.slack_recorder import SlackRecorder
from opsbot.aws.secrets_extension import ExtensionSecrets, SecretsExtensionError
from opsbot.config import Settings
from opsbot.errors import ConfigError
from opsbot.slack.credentials import CredentialsSource

SECRET_ID = "mycandidate-opsbot/prod/slack"
VALUE = {"signing_secret": "s3cret", "bot_token": "xoxb-1"}
TOKEN_ENV = {"AWS_SESSION_TOKEN": "session-token"}


@pytest.fixture
def extension() -> Iterator[SlackRecorder]:
    with SlackRecorder() as recorder:
        recorder.put_secret(SECRET_ID, json.dumps(VALUE))
        yield recorder


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_secret_is_read_with_the_session_token_and_kept_for_max_age(extension: SlackRecorder) -> None:
    clock = _Clock()
    secrets = ExtensionSecrets(extension.url, env=TOKEN_ENV, clock=clock)

    # Two reads within max_age: one request to the extension
    assert secrets.get(SECRET_ID, max_age=300, transform="json") == VALUE
    clock.now += 299
    assert secrets.get(SECRET_ID, max_age=300, transform="json") == VALUE
    assert len(extension.secret_reads()) == 1

    # The secret rotates; after max_age the new value is read
    extension.put_secret(SECRET_ID, json.dumps({**VALUE, "signing_secret": "rotated"}))
    clock.now += 2
    assert secrets.get(SECRET_ID, max_age=300, transform="json")["signing_secret"] == "rotated"
    assert len(extension.secret_reads()) == 2
    assert "secretId=mycandidate-opsbot%2Fprod%2Fslack" in extension.secret_reads()[0].path


def test_without_a_session_token_nothing_is_asked_and_the_error_says_why(extension: SlackRecorder) -> None:
    with pytest.raises(SecretsExtensionError, match="AWS_SESSION_TOKEN"):
        ExtensionSecrets(extension.url, env={}).get(SECRET_ID, transform="json")
    assert extension.secret_reads() == []


def test_an_unknown_secret_names_the_secret_and_status_but_not_the_extensions_message(
    extension: SlackRecorder,
) -> None:
    with pytest.raises(SecretsExtensionError) as raised:
        ExtensionSecrets(extension.url, env=TOKEN_ENV).get("mycandidate-opsbot/nope", transform="json")
    assert "mycandidate-opsbot/nope" in str(raised.value)
    assert "HTTP 400" in str(raised.value)
    assert "can't find" not in str(raised.value)  # the answer's body is untrusted text


def test_an_unreachable_extension_is_a_clear_error() -> None:
    with pytest.raises(SecretsExtensionError, match="unreachable"):
        ExtensionSecrets("http://127.0.0.1:9", env=TOKEN_ENV).get(SECRET_ID, transform="json")


def test_a_secret_that_is_not_json_is_refused_without_showing_it(extension: SlackRecorder) -> None:
    extension.put_secret(SECRET_ID, "not json s3cret")
    with pytest.raises(SecretsExtensionError) as raised:
        ExtensionSecrets(extension.url, env=TOKEN_ENV).get(SECRET_ID, transform="json")
    assert "s3cret" not in str(raised.value)


def test_credentials_come_from_the_extension_and_no_sdk_client_is_built(
    extension: SlackRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_client(*_args: object) -> None:
        raise AssertionError("an SDK client was built")

    monkeypatch.setattr("opsbot.aws.clients.client", no_client)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    settings = Settings(slack_secret_id=SECRET_ID, secrets_extension_url=extension.url)

    credentials = CredentialsSource(settings).get()

    assert (credentials.signing_secret, credentials.bot_token) == ("s3cret", "xoxb-1")
    assert len(extension.secret_reads()) == 1


@pytest.mark.parametrize(
    ("environment", "url", "problem"),
    [
        ("prod", "http://localhost:2773", None),
        ("staging", "http://127.0.0.1:2773", None),
        ("dev", "http://slack-recorder:5000", None),  # the offline stand-in in a container
        ("prod", "http://169.254.1.1:2773", "must be on localhost outside dev"),
        ("staging", "http://evil.example:2773", "must be on localhost outside dev"),
        ("dev", "https://localhost:2773", "must be http://host:port"),
        ("dev", "http://localhost:2773/secretsmanager/get", "must be http://host:port"),
    ],
)
def test_the_extension_url_may_only_be_localhost_outside_dev(environment: str, url: str, problem: str | None) -> None:
    # The request carries the function's session token: it must not leave the execution environment.
    settings = Settings(environment=environment, secrets_extension_url=url)
    found = [p for p in settings.problems() if "OPSBOT_SECRETS_EXTENSION_URL" in p]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1
        assert problem in found[0]


def test_settings_read_the_extension_url_from_the_environment() -> None:
    settings = Settings.from_env({"OPSBOT_SECRETS_EXTENSION_URL": "http://localhost:2773"})
    assert settings.secrets_extension_url == "http://localhost:2773"
    with pytest.raises(ConfigError, match="OPSBOT_SECRETS_EXTENSION_URL"):
        Settings.from_env({"OPSBOT_SECRETS_EXTENSION_URL": "ftp://localhost:2773"})
