"""Slack commands: one module per verb, each exporting ``SPEC``; ``REGISTRY`` maps verb -> spec."""

from __future__ import annotations

from opsbot.commands import audit, help, remediation, scale, status
from opsbot.commands.base import CommandSpec

REGISTRY: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        help.SPEC,
        status.SPEC,
        scale.SPEC,
        audit.SPEC,
        remediation.AUTOREMEDIATION_SPEC,
        remediation.MUTE_SPEC,
    )
}
