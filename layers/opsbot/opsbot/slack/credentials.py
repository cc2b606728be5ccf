"""Slack signing secret and bot token.

Deployed stages read one Secrets Manager secret (JSON ``{"signing_secret": …, "bot_token": …}``) through the AWS
Parameters and Secrets Lambda Extension when the function has it (``OPSBOT_SECRETS_EXTENSION_URL``; no SDK client is
built for it, see ``opsbot.aws.secrets_extension``), else through Powertools Parameters: one provider per container
(``CredentialsSource``), asked with ``get()`` every time the credentials are needed; the provider's own cache keeps
the value for ``max_age`` (5 minutes), so a rotated secret is picked up within that time without a cold start.
Only local runs (``OPSBOT_ENV=dev`` without a secret id) may use the ``OPSBOT_SLACK_SIGNING_SECRET`` /
``OPSBOT_SLACK_BOT_TOKEN`` environment variables (not Bolt's own ``SLACK_*`` names, which Bolt would silently pick up
as well).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from opsbot.config import PARAMETER_MAX_AGE_SECONDS, Settings
from opsbot.errors import ConfigError


@dataclass(frozen=True)
class SlackCredentials:
    signing_secret: str
    bot_token: str

    def __repr__(self) -> str:  # never let a secret reach a log line
        return "SlackCredentials(<redacted>)"


class SecretReader(Protocol):
    """What ``CredentialsSource`` needs of a Powertools provider (``SecretsProvider`` in production)."""

    def get(self, name: str, max_age: int | None = None, transform: Any = None, force_fetch: bool = False) -> Any: ...


class CredentialsSource:
    """One per container; ``get()`` each time the credentials are needed. Nothing is read until then: a function
    that never needs Slack never touches the secret, and an unreadable secret fails only the call that needed it."""

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str] | None = None,
        provider: SecretReader | None = None,
        max_age: int = PARAMETER_MAX_AGE_SECONDS,
    ) -> None:
        self._settings = settings
        self._env = env
        self._provider = provider
        self._max_age = max_age

    def get(self, *, force: bool = False) -> SlackCredentials:
        """``force``: past the provider's cache to Secrets Manager (a signature failed: the secret may have been
        rotated); the value read is cached again for ``max_age``."""
        settings = self._settings
        if not settings.slack_secret_id:
            return _from_environment(os.environ if self._env is None else self._env)
        if self._provider is None:  # built on first use, then kept: its cache is what honours max_age
            self._provider = _provider(settings)
        forced = {"force_fetch": True} if force else {}  # only when asked: readers in tests may not take it
        value = self._provider.get(settings.slack_secret_id, max_age=self._max_age, transform="json", **forced)
        if not isinstance(value, dict) or not value.get("signing_secret") or not value.get("bot_token"):
            raise ConfigError(f"secret {settings.slack_secret_id} must be JSON with signing_secret and bot_token")
        return SlackCredentials(signing_secret=str(value["signing_secret"]), bot_token=str(value["bot_token"]))


def _provider(settings: Settings) -> SecretReader:
    if settings.secrets_extension_url:  # deployed with the extension's layer: no SDK client on the ack path
        from opsbot.aws.secrets_extension import ExtensionSecrets

        return _ExtensionReader(ExtensionSecrets(settings.secrets_extension_url))
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from opsbot.aws.clients import client

    return SecretsProvider(boto3_client=client("secretsmanager", settings.region))


class _ExtensionReader:
    """``ExtensionSecrets`` with Powertools' ``force_fetch``: a read with ``max_age=0`` skips its cache (and
    refreshes it). The extension keeps a cache of its own (``SECRETS_MANAGER_TTL``), which this cannot skip."""

    def __init__(self, secrets: Any) -> None:
        self._secrets = secrets

    def get(self, name: str, max_age: int | None = None, transform: Any = None, force_fetch: bool = False) -> Any:
        return self._secrets.get(name, max_age=0 if force_fetch else max_age, transform=transform)


def load_credentials(settings: Settings, env: Mapping[str, str] | None = None) -> SlackCredentials:
    """One read, for callers that need the credentials once (tools, tests); functions keep a ``CredentialsSource``."""
    return CredentialsSource(settings, env).get()


def _from_environment(env: Mapping[str, str]) -> SlackCredentials:
    signing_secret = env.get("OPSBOT_SLACK_SIGNING_SECRET", "")
    bot_token = env.get("OPSBOT_SLACK_BOT_TOKEN", "")
    if not signing_secret or not bot_token:
        raise ConfigError(
            "set OPSBOT_SLACK_SECRET_ID, or for local runs OPSBOT_SLACK_SIGNING_SECRET and OPSBOT_SLACK_BOT_TOKEN"
        )
    return SlackCredentials(signing_secret=signing_secret, bot_token=bot_token)
