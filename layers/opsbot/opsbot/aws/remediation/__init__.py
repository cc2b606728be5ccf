"""Remediation state in the operations table: kill switch, mutes, cooldowns, the budget of automatic actions over a
sliding hour, ordering and flap history, and open incidents. Every claim is a conditional write, so concurrent
deliveries cannot both act.

Keys (``pk`` / ``sk``), each documented in the module that owns it: ``CONFIG``/``AUTOREMEDIATION`` and
``MUTE#<alarm>``/``MUTE`` (``switches``); ``COOLDOWN#<scope>``/``COOLDOWN`` and ``BUDGET#<service>``/``SLOT#<i>``
(``guardrails``); ``LATEST#<alarm>``/``LATEST`` and ``FLAP#<alarm>``/``<time>`` (``ordering``);
``INCIDENT#<alarm>``/``OPEN`` (``incidents``: one item per alarm episode: written when the episode opens, rewritten
by each new ALARM of it, deleted at OK); ``WAITING``/``<alarm>`` (``waiting``: an alarm left in ALARM with "no
action because …", for the watch run). Items carry ``expires_at`` (epoch seconds) for the table's TTL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from opsbot.aws.remediation.guardrails import Guardrails
from opsbot.aws.remediation.incidents import Incidents
from opsbot.aws.remediation.ordering import Ordering
from opsbot.aws.remediation.switches import Switches
from opsbot.aws.remediation.waiting import WaitingAlarms
from opsbot.ports import Incident, Waiting

__all__ = ["RemediationStore"]


class RemediationStore:
    """The ``RemediationStatePort`` adapter: one object over the four parts, which share the client and table."""

    def __init__(self, client: Any, table: str, flap_window: timedelta) -> None:
        self._switches = Switches(client, table)
        self._guardrails = Guardrails(client, table)
        self._ordering = Ordering(client, table, flap_window)
        self._incidents = Incidents(client, table)
        self._waiting = WaitingAlarms(client, table)

    # kill switch and mutes --------------------------------------------------------------------------------------
    def autoremediation_enabled(self) -> bool:
        return self._switches.autoremediation_enabled()

    def set_autoremediation(self, enabled: bool, by: str, now: datetime) -> None:
        self._switches.set_autoremediation(enabled, by, now)

    def muted_until(self, alarm: str, now: datetime) -> datetime | None:
        return self._switches.muted_until(alarm, now)

    def mutes(self, alarms: Sequence[str], now: datetime) -> dict[str, datetime]:
        return self._switches.mutes(alarms, now)

    def mute(self, alarm: str, until: datetime, by: str) -> None:
        self._switches.mute(alarm, until, by)

    def unmute(self, alarm: str) -> None:
        self._switches.unmute(alarm)

    # cooldowns and budget ---------------------------------------------------------------------------------------
    def claim_cooldown(self, scope: str, until: datetime, now: datetime) -> datetime | None:
        """Claim the scope until ``until``. Returns ``None`` when claimed, else when the current cooldown ends."""
        return self._guardrails.claim_cooldown(scope, until, now)

    def release_cooldown(self, scope: str) -> None:
        """Give a cooldown back when the action it was claimed for did not happen."""
        self._guardrails.release_cooldown(scope)

    def count_action(self, service: str, limit: int, now: datetime) -> bool:
        """Count one automatic action against ``limit`` per rolling hour; ``False`` (and no count) when spent."""
        return self._guardrails.count_action(service, limit, now)

    def refund_action(self, service: str, now: datetime) -> None:
        """Give back the action counted at ``now`` (it did not happen after all)."""
        self._guardrails.refund_action(service, now)

    # ordering and flap detection --------------------------------------------------------------------------------
    def mark_latest(self, alarm: str, at: datetime) -> bool:
        """Record ``at`` as the alarm's latest state change; ``False`` if a later one was already handled."""
        return self._ordering.mark_latest(alarm, at)

    def record_transition(self, alarm: str, at: datetime, state: str) -> int:
        """Remember this state change; return how many changes the alarm made within the flap window."""
        return self._ordering.record_transition(alarm, at, state)

    # incidents --------------------------------------------------------------------------------------------------
    def open_incident(self, incident: Incident) -> None:
        """Store the episode's incident (a later ALARM of the same episode rewrites it with its summary)."""
        self._incidents.open_incident(incident)

    def get_incident(self, alarm: str) -> Incident | None:
        return self._incidents.get_incident(alarm)

    def close_incident(self, alarm: str) -> Incident | None:
        """Remove and return the open incident, exactly once (a second close gets ``None``)."""
        return self._incidents.close_incident(alarm)

    # alarms waiting for their reason to go ------------------------------------------------------------------------
    def note_waiting(self, waiting: Waiting) -> None:
        self._waiting.note_waiting(waiting)

    def clear_waiting(self, alarm: str) -> None:
        self._waiting.clear_waiting(alarm)

    def waiting(self) -> list[Waiting]:
        return self._waiting.waiting()
