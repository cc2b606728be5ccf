"""Slack signing secret and bot token.

Deployed stages read one Secrets Manager secret (JSON ``{"signing_secret": …, "bot_token": …}``) through
Powertools Parameters with caching; only local runs (``OPSBOT_ENV=dev`` without a secret id) may use the
``OPSBOT_SLACK_SIGNING_SECRET`` / ``OPSBOT_SLACK_BOT_TOKEN`` environment variables (not Bolt's own ``SLACK_*`` names,
which Bolt would silently pick up as well).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from opsbot.config import Settings
from opsbot.errors import ConfigError

_CACHE_SECONDS = 300


@dataclass(frozen=True)
class SlackCredentials:
    signing_secret: str
    bot_token: str

    def __repr__(self) -> str:  # never let a secret reach a log line
        return "SlackCredentials(<redacted>)"


def load_credentials(settings: Settings, env: Mapping[str, str] | None = None) -> SlackCredentials:
    env = os.environ if env is None else env
    if settings.slack_secret_id:
        return _from_secrets_manager(settings)
    signing_secret = env.get("OPSBOT_SLACK_SIGNING_SECRET", "")
    bot_token = env.get("OPSBOT_SLACK_BOT_TOKEN", "")
    if not signing_secret or not bot_token:
        raise ConfigError(
            "set OPSBOT_SLACK_SECRET_ID, or for local runs OPSBOT_SLACK_SIGNING_SECRET and OPSBOT_SLACK_BOT_TOKEN"
        )
    return SlackCredentials(signing_secret=signing_secret, bot_token=bot_token)


def _from_secrets_manager(settings: Settings) -> SlackCredentials:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from opsbot.aws.clients import client

    provider = SecretsProvider(boto3_client=client("secretsmanager", settings.region))
    value = provider.get(settings.slack_secret_id, transform="json", max_age=_CACHE_SECONDS)
    if not isinstance(value, dict) or not value.get("signing_secret") or not value.get("bot_token"):
        raise ConfigError(f"secret {settings.slack_secret_id} must be JSON with signing_secret and bot_token")
    return SlackCredentials(signing_secret=str(value["signing_secret"]), bot_token=str(value["bot_token"]))
