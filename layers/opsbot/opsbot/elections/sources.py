"""The calendar in force: the repository's calendar (or the SSM parameter replacing it) merged with the entries
added from Slack, the Slack entry winning on a slug clash.

Stored entries were validated when added and are validated again here, one by one: an entry that no longer
validates (say, the ceiling was lowered since) is left out and named in ``problems`` and the logs, instead of
taking every other election's capacity down with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from opsbot.elections.calendar import load_calendar, merge, window_span
from opsbot.elections.model import Election
from opsbot.elections.ports import ElectionEntriesPort, HoldsPort
from opsbot.errors import ConfigError
from opsbot.observability import logger


class Calendar:
    """``holds`` and ``grace``: the gated scale-down. Each election's last capacity is held for ``grace`` after
    its window closes (the fallback), or until the team's answer says otherwise; without them, nothing is held."""

    def __init__(
        self,
        repository: Callable[[], tuple[Election, ...]],
        entries: ElectionEntriesPort,
        *,
        ceiling: int,
        holds: HoldsPort | None = None,
        grace: timedelta | None = None,
    ) -> None:
        self._repository = repository
        self._entries = entries
        self._ceiling = ceiling
        self._holds = holds
        self._grace = grace
        self.problems: tuple[str, ...] = ()

    def elections(self) -> tuple[Election, ...]:
        """Every election of the calendar in force, ordered by polling date (raises ``ConfigError`` only when the
        repository's calendar has never been readable, ``AwsOperationError`` when the entries cannot be read)."""
        merged = merge(self._repository(), self.from_slack())
        if self._grace is None:
            return merged
        decided = self._holds.holds() if self._holds is not None else {}
        return tuple(replace(e, hold_until=decided.get(e.slug, window_span(e)[1] + self._grace)) for e in merged)

    def from_slack(self) -> tuple[Election, ...]:
        found: list[Election] = []
        problems: list[str] = []
        for entry in self._entries.entries():
            try:
                found.extend(load_calendar({"elections": [entry]}, ceiling=self._ceiling, source="slack"))
            except ConfigError as exc:
                problems.append(f"from Slack: {exc}")  # the message names the slug and the key
        if problems:
            logger.error("election entries left out of the calendar", extra={"problems": problems[:10]})
        self.problems = tuple(problems)
        return tuple(found)
