"""Run one command or button press: parse, authorise, execute, audit — in that order, every time.

Every attempt except `help` leaves exactly one audit entry, whatever happens. Mutating commands write a
``pending`` entry first, so an action can never happen without a trace even if the final write fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from opsbot.commands import REGISTRY, remediation, scale
from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import (
    ActionFailed,
    AwsOperationError,
    ChangeInProgress,
    ConfirmationExpired,
    GuardrailViolation,
    NotAuthorised,
    OpsbotError,
    UsageError,
)
from opsbot.logic.rbac import authorise
from opsbot.logic.text import echo
from opsbot.observability import logger
from opsbot.ports import AuditEntry


class ErrorView(NamedTuple):
    kind: str  # usage | refused | failed
    message: str
    usage: str = ""


class ParsedCommand(NamedTuple):
    spec: CommandSpec
    args: list[str]
    parsed: Any


def parse_command(text: str) -> ParsedCommand:
    """Split the slash-command text into a verb and its parsed arguments, or raise ``UsageError``."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    spec = REGISTRY.get(verb)
    if spec is None:
        import difflib  # only needed for a typo; keeps it off the cold-start path

        suggestions = difflib.get_close_matches(verb, REGISTRY, n=2, cutoff=0.5)
        hint = f"; did you mean {' or '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
        raise UsageError(f"I don't know `{echo(verb)}`{hint}", "/mycandidate help")
    return ParsedCommand(spec=spec, args=words[1:], parsed=spec.parse(words[1:]))


def usage_error_view(exc: UsageError) -> ErrorView:
    return ErrorView(kind="usage", message=str(exc), usage=exc.usage)


def execute_command(text: str, ctx: CommandContext) -> Outcome:
    """Run slash-command text for an actor whose role is already resolved."""
    verb = (text.split() or ["help"])[0].lower()
    try:
        command = parse_command(text)
    except UsageError as exc:
        return _finish(
            ctx,
            verb,
            text,
            Outcome(view=usage_error_view(exc), audit=AuditOutcome("invalid", "refused", error=str(exc))),
        )
    spec = command.spec
    return _guarded(
        ctx, spec.name, " ".join(command.args), spec.required_role, spec.mutating, lambda: spec.run(command.parsed, ctx)
    )


class ButtonSpec(NamedTuple):
    """A button the bot renders. Its value is user input (a click can be forged): ``parse`` validates it the way
    the matching command validates its argument, before anything else runs."""

    verb: str  # for the audit trail
    role: Role
    parse: Callable[[str], str]
    run: Callable[[str, CommandContext], Outcome]


ACTIONS: dict[str, ButtonSpec] = {
    "scale_confirm": ButtonSpec("scale", Role.OPERATOR, scale.parse_confirmation_id, scale.confirm),
    "scale_cancel": ButtonSpec("scale", Role.OPERATOR, scale.parse_confirmation_id, scale.cancel),
    "scale_undo": ButtonSpec("undo", Role.OPERATOR, scale.parse_undo_key, scale.undo),
    "incident_ack": ButtonSpec("acknowledge", Role.OPERATOR, remediation.parse_alarm_name, remediation.acknowledge),
    "alarm_mute": ButtonSpec("mute", Role.OPERATOR, remediation.parse_alarm_name, remediation.mute_for_an_hour),
}


def execute_action(action_id: str, value: str, ctx: CommandContext) -> Outcome:
    spec = ACTIONS[action_id]
    arguments = f"{action_id} {echo(value, 120)}"
    try:
        parsed = spec.parse(value)
    except UsageError as exc:
        refusal = Outcome(view=usage_error_view(exc), audit=AuditOutcome("invalid", "refused", error=str(exc)))
        return _finish(ctx, spec.verb, arguments, refusal)
    return _guarded(ctx, spec.verb, arguments, spec.role, True, lambda: spec.run(parsed, ctx))


def _guarded(
    ctx: CommandContext, verb: str, arguments: str, role: Role, mutating: bool, body: Callable[[], Outcome]
) -> Outcome:
    try:
        authorise(ctx.actor.role, ctx.actor.channel_id, role, ctx.settings.rbac, verb)
    except NotAuthorised as exc:
        return _finish(ctx, verb, arguments, _refusal(exc))
    if mutating:
        try:
            _record(ctx, verb, arguments, AuditOutcome(result="pending"))
        except OpsbotError as exc:  # no trace, no action
            message = f"the audit trail is unavailable, so nothing was changed: {exc}"
            return Outcome(view=ErrorView(kind="failed", message=message), audit=None)
    try:
        outcome = body()
    except (UsageError, GuardrailViolation, ChangeInProgress, ConfirmationExpired, NotAuthorised) as exc:
        outcome = _refusal(exc)
    except ActionFailed as exc:
        logger.warning("action failed part-way", extra={"verb": verb})
        audit = AuditOutcome(result="failed", before=dict(exc.before), after=dict(exc.now), error=str(exc))
        outcome = Outcome(view=ErrorView(kind="failed", message=str(exc)), audit=audit)
    except OpsbotError as exc:  # AWS failures and anything else the bot could not do
        if isinstance(exc, AwsOperationError):
            logger.warning("command failed", extra={"verb": verb, "operation": exc.operation, "code": exc.code})
        outcome = Outcome(
            view=ErrorView(kind="failed", message=str(exc)), audit=AuditOutcome(result="failed", error=str(exc))
        )
    except Exception as exc:  # a bug or an SDK without the operation: the user and the audit trail still hear of it
        logger.exception("command failed unexpectedly", extra={"verb": verb})
        message = f"unexpected {type(exc).__name__} inside the bot; something may have changed — check `status`"
        outcome = Outcome(
            view=ErrorView(kind="failed", message=message), audit=AuditOutcome(result="failed", error=message)
        )
    return _finish(ctx, verb, arguments, _as_report(ctx, outcome) if mutating else outcome)


def _as_report(ctx: CommandContext, outcome: Outcome) -> Outcome:
    """An allowed action that recorded a state change (applied, undone, or failed part-way with capacity moved) is a
    report the team should see; ``Settings.results`` says whether it is posted. Refusals, usage errors, dry runs,
    confirmation prompts, cancellations, no-ops and reads record no change and stay with the requester."""
    audit = outcome.audit
    changed = (
        audit is not None
        and audit.decision == "allowed"
        and audit.result in {"ok", "failed"}
        and bool(audit.before or audit.after)
    )
    if not changed:
        return outcome
    public = outcome.public or ctx.settings.results != "private"
    return replace(outcome, report=True, public=public, by=ctx.actor.user_id)


def _refusal(exc: OpsbotError) -> Outcome:
    return Outcome(
        view=ErrorView(kind="refused", message=str(exc), usage=getattr(exc, "usage", "")),
        audit=AuditOutcome(decision="refused", result="refused", error=str(exc)),
    )


def _finish(ctx: CommandContext, verb: str, arguments: str, outcome: Outcome) -> Outcome:
    """Record the outcome. If that write fails the outcome still reaches the user, with a warning: what was
    done was done, and saying "nothing changed" would be a lie."""
    if outcome.audit is None or verb == "help":
        return outcome
    try:
        _record(ctx, verb, arguments, outcome.audit)
    except OpsbotError as exc:
        logger.error("audit entry not written", extra={"verb": verb, "audit_key": ctx.audit_key})
        return replace(outcome, warning=f"this was not recorded in the audit trail ({exc})")
    return outcome


def _record(ctx: CommandContext, verb: str, arguments: str, audit: AuditOutcome) -> None:
    ctx.ports.audit.record(
        AuditEntry(
            key=ctx.audit_key,
            at=ctx.now,
            actor=ctx.actor.user_id,
            channel=ctx.actor.channel_id,
            verb=echo(verb),
            arguments=arguments[:200],
            decision=audit.decision,
            result=audit.result,
            before=audit.before,
            after=audit.after,
            error=audit.error[:500],
        )
    )
