"""A validated document that can be replaced while the bot runs (runbooks, the election calendar), read on every
use and kept at its last good version when a replacement is broken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from opsbot.errors import ConfigError
from opsbot.observability import logger

T = TypeVar("T")


class LastGood(Generic[T]):
    """``read`` is called on every use (it reads through the parameter provider's cache, so an SSM override changes
    within its ``max_age``); the text is parsed again only when it changed. A new text that does not validate, or a
    read that fails, keeps the last good document and says so in the logs on every use until fixed; with no good
    document yet, the ``ConfigError`` is raised."""

    def __init__(self, read: Callable[[], str], parse: Callable[[str], T], what: str, origin: str) -> None:
        self._read = read
        self._parse = parse
        self._what = what  # "runbooks", "election calendar": named in errors and logs
        self._origin = origin
        self._text: str | None = None
        self._parsed: T | None = None

    def __call__(self) -> T:
        try:
            text = self._read()
            if text == self._text and self._parsed is not None:
                return self._parsed
            parsed = self._parse(text)
        except Exception as exc:
            if self._parsed is None:
                if isinstance(exc, ConfigError):
                    raise
                raise ConfigError(f"{self._what} from {self._origin} could not be read ({type(exc).__name__})") from exc
            # Validation messages name entries and keys, never values that could be secrets.
            problem = str(exc) if isinstance(exc, ConfigError) else f"could not be read ({type(exc).__name__})"
            logger.error(
                f"{self._what} override rejected; still using the last good {self._what}",
                extra={"origin": self._origin, "problem": problem[:500]},
            )
            return self._parsed
        self._text, self._parsed = text, parsed
        return parsed
