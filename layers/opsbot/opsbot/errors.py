"""Domain exceptions. Each carries a message fit to show an operator in Slack."""

from __future__ import annotations


class OpsbotError(Exception):
    """Base class: ``str(exc)`` is safe to show to a Slack user (IDs, counts, states only)."""


class ConfigError(OpsbotError):
    """The bot's configuration is invalid; raised once at cold start."""


class UsageError(OpsbotError):
    """The user's command text could not be understood."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class NotAuthorised(OpsbotError):
    """RBAC refused the request."""


class GuardrailViolation(OpsbotError):
    """The requested change is outside the configured guardrails."""


class ChangeInProgress(OpsbotError):
    """Another change holds the per-service change lock."""


class ConfirmationExpired(OpsbotError):
    """A confirmation button was pressed after it expired or was already used."""


class AwsOperationError(OpsbotError):
    """An AWS call failed; the message names the operation and a human reason, never a payload."""

    def __init__(self, operation: str, code: str, reason: str) -> None:
        super().__init__(f"AWS {operation} failed: {reason} ({code})")
        self.operation = operation
        self.code = code
        self.reason = reason


class ActionFailed(OpsbotError):
    """A change failed part-way; the message says exactly what state AWS was left in."""

    def __init__(self, message: str, before: dict[str, object] | None = None, now: dict[str, object] | None = None):
        super().__init__(message)
        self.before = before or {}
        self.now = now or {}


class ChangePutBack(ActionFailed):
    """AWS refused part of a change and the bot put back what it had done: AWS is as it was before."""


class AuditRecordExists(OpsbotError):
    """A record with this key is already in the audit trail; it is never overwritten."""


def aws_error_code(exc: BaseException) -> str | None:
    """The AWS error code somewhere behind ``exc`` (botocore's ClientError, wrapped by Powertools or by us), if any."""
    seen: BaseException | None = exc
    for _ in range(5):  # wrappers are shallow; a cycle must not loop
        if seen is None:
            return None
        if isinstance(seen, AwsOperationError):
            return seen.code
        for candidate in (seen, *getattr(seen, "args", ())):  # Powertools passes the ClientError as an argument
            code = _client_error_code(candidate)
            if code:
                return code
        seen = seen.__cause__ or seen.__context__
    return None


def _client_error_code(candidate: object) -> str | None:
    response = getattr(candidate, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code else None
