"""What a runbook action is: its parameters, how it is validated, described, carried out and undone.

Adding an action is one module in this package (plus its IAM statement in ``template.yaml``): declare an
``ACTION`` and list it in ``opsbot.alarms.actions.REGISTRY``. The remediator runs ``act`` through the operation
runner, so authorisation, the pending record, the change lock and the outcome record are not the action's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opsbot.alarms.model import AlarmTransition
from opsbot.config import Settings

if TYPE_CHECKING:
    from opsbot.alarms.remediation import RemediationPorts


class FallThrough(Exception):
    """The action has nothing to act on (e.g. no deployment to roll back): try the next matching runbook."""


@dataclass(frozen=True)
class ActionContext:
    settings: Settings
    transition: AlarmTransition
    runbook: str
    params: Mapping[str, Any]
    ports: RemediationPorts
    now: datetime
    operation: str  # the operation id (audit key): an intent or an Undo button points at it


@dataclass(frozen=True)
class ActionResult:
    acted: bool
    reason: str  # what happened, in words for the incident
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    undo_key: str = ""  # set when the incident's Undo button can reverse it


def no_problems(params: Mapping[str, Any], where: str) -> None:
    """Validation for actions that take no parameters beyond their schema."""


def nothing_to_prepare(_ctx: ActionContext) -> Any:
    return None


@dataclass(frozen=True)
class RunbookAction:
    name: str
    params: Mapping[str, type]  # the schema: allowed parameter names and their types
    changes_aws: bool
    describe: Callable[[Mapping[str, Any]], str]  # "raise the minimum by 2 for 2h", for dry runs
    act: Callable[[ActionContext, Any], ActionResult]
    # Raise ``ConfigError`` naming the runbook (``where``) when a value is wrong; types are checked already.
    validate: Callable[[Mapping[str, Any], str], None] = no_problems
    # Read what the action needs before any claim is made; raise ``FallThrough`` when it does not apply.
    prepare: Callable[[ActionContext], Any] = nothing_to_prepare
    undo: str = "not reversible by the bot"  # how a person undoes it, said in the README and the docs
