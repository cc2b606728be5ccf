"""Show the current or last deployment of the web service: its status and stage, its hooks and their results.

`cutover` — when a deployment waits at its pause before production traffic, the answer carries **Promote** and
**Roll back** buttons (operators; in prod not the person who asked for the deploy) and says when the pause times
out and what it then does. A pause the bot did not start (a pipeline's deployment) gets the same gate, marked so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome, put_back
from opsbot.config import Role
from opsbot.errors import AwsOperationError, GuardrailViolation, UsageError
from opsbot.logic.text import echo

if TYPE_CHECKING:
    from opsbot.ports import AuditPort, ConfirmationPort

USAGE = "/mycandidate cutover"
ACTIONS = {"promote": "CONTINUE", "rollback": "ROLLBACK"}


@dataclass(frozen=True)
class CutoverView:
    standing: Any  # opsbot.cutover.gate.Standing, or None: no deployment yet
    confirmation: str = ""  # the gate's buttons carry it
    requester: str = ""  # who asked for the deploy ("" when the bot did not start it)


@dataclass(frozen=True)
class GateAnswerView:
    action: str  # CONTINUE | ROLLBACK
    deployment: str
    by: str


def parse(args: list[str]) -> None:
    if args:
        raise UsageError(f"`cutover` takes no arguments, got `{echo(' '.join(args))}`", USAGE)


def requester_of(deployment: str, audit: AuditPort) -> str:
    """Who started ``deployment`` with `deploy` (from the audit trail); "" when it was not the bot."""
    for entry in audit.latest(50):
        if entry.verb == "deploy" and entry.after.get("deployment") == deployment:
            return str(entry.after.get("requested_by") or entry.actor)  # in prod the approver ran it for them
    return ""


def run(_: None, ctx: CommandContext) -> Outcome:
    from opsbot.cutover.gate import standing

    if ctx.ports.deployments is None:
        raise GuardrailViolation("deployments are not configured here")
    latest = ctx.ports.deployments.latest()
    if latest is None:
        return Outcome(view=CutoverView(None))
    found = standing(latest)
    if found.gate is None:
        return Outcome(view=CutoverView(found))
    return Outcome(view=gate_view(found, ctx.ports.audit, ctx.ports.confirmations, ctx.now))


def gate_view(found: Any, audit: AuditPort, confirmations: ConfirmationPort, now: datetime) -> CutoverView:
    """The deployment with its gate's buttons: a confirmation the Promote / Roll back presses take."""
    requester = requester_of(found.deployment, audit)
    confirmation = uuid.uuid4().hex
    gate = {"deployment": found.deployment, "hook": found.gate.hook_id, "requester": requester}
    # Pressable until the pause times out (not only the default confirmation TTL).
    left = found.gate.expires_at - now if found.gate.expires_at is not None else None
    ttl = left if left is not None and left.total_seconds() > 0 else None
    confirmations.put(confirmation, {"cutover_gate": gate}, now, ttl=ttl)
    return CutoverView(found, confirmation, requester)


def answer(confirmation_id: str, ctx: CommandContext, action: str) -> Outcome:
    """A press of Promote (CONTINUE) or Roll back (ROLLBACK) on the gate."""
    from opsbot.cutover.gate import standing

    if ctx.ports.deployments is None:
        raise GuardrailViolation("deployments are not configured here")
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is None or "cutover_gate" not in pending:
        if pending is not None:  # another kind of confirmation: not ours to consume
            ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)
        raise GuardrailViolation("this gate was already answered or has expired; `/mycandidate cutover` shows it again")
    gate = pending["cutover_gate"]
    if ctx.settings.environment == "prod" and gate.get("requester") == ctx.actor.user_id:
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)  # someone else may still answer
        raise GuardrailViolation("in prod the person who asked for the deploy cannot promote or roll it back here")
    left = None  # until the pause times out, once ECS has said when
    try:
        latest = ctx.ports.deployments.latest()
        now_gate = standing(latest).gate if latest is not None else None
        if now_gate is None or (now_gate.deployment, now_gate.hook_id) != (gate["deployment"], gate["hook"]):
            raise GuardrailViolation("the deployment is no longer waiting at this pause (answered, timed out or over)")
        left = now_gate.expires_at - ctx.now if now_gate.expires_at is not None else None
        ctx.ports.deployments.answer_pause(gate["deployment"], gate["hook"], action)
    except AwsOperationError:  # ECS was not read, or refused the answer: the gate still waits, and so does its button
        put_back(ctx, confirmation_id, pending, ttl=left if left is not None and left.total_seconds() > 0 else None)
        raise
    view = GateAnswerView(action, gate["deployment"], ctx.actor.user_id)
    return Outcome(view=view, audit=AuditOutcome(after={"deployment": gate["deployment"], "action": action}))


def promote(confirmation_id: str, ctx: CommandContext) -> Outcome:
    return answer(confirmation_id, ctx, "CONTINUE")


def roll_back(confirmation_id: str, ctx: CommandContext) -> Outcome:
    return answer(confirmation_id, ctx, "ROLLBACK")


SPEC = CommandSpec(name="cutover", usage=USAGE, required_role=Role.VIEWER, parse=parse, run=run, doc=__doc__ or "")
