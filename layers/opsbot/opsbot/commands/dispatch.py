"""Run one command or button press: parse it, then hand it to the operation runner.

The runner (``opsbot.operations.runner``) authorises, records, locks and reports; this module only turns Slack
text and button values into operations. Every attempt except `help` leaves an outcome record, whatever happens;
a change also leaves a ``pending`` record before it acts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from opsbot.commands import audit, help, remediation, scale, status
from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, ErrorView, Outcome, RunOptions
from opsbot.config import Role
from opsbot.errors import UsageError
from opsbot.logic.text import echo
from opsbot.operations.model import Operation
from opsbot.operations.runner import OperationRunner

__all__ = ["REGISTRY", "ErrorView", "execute_action", "execute_command", "parse_command"]

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
        refusal = Outcome(view=usage_error_view(exc), audit=AuditOutcome("invalid", "refused", error=str(exc)))
        return _runner(ctx).record(_operation(ctx, verb, text), refusal)
    spec = command.spec
    operation = _operation(ctx, spec.name, " ".join(command.args))
    if spec.name == "help":  # nothing to authorise or record
        return spec.run(command.parsed, ctx)
    options = RunOptions(
        mutating=spec.mutating,
        dry_run=bool(getattr(command.parsed, "dry_run", False)),
        lock=ctx.settings.service_key if spec.locks else None,
    )
    guard = spec.guard
    return _runner(ctx).run(
        operation,
        lambda: spec.run(command.parsed, ctx),
        role=spec.required_role,
        options=options,
        guard=(lambda: guard(command.parsed, ctx)) if guard is not None else None,
    )


class ButtonSpec(NamedTuple):
    """A button the bot renders. Its value is user input (a click can be forged): ``parse`` validates it the way
    the matching command validates its argument, before anything else runs."""

    verb: str  # for the audit trail
    role: Role
    parse: Callable[[str], str]
    run: Callable[[str, CommandContext], Outcome]
    locks: bool = False  # runs under the per-service change lock


ACTIONS: dict[str, ButtonSpec] = {
    "scale_confirm": ButtonSpec("scale", Role.OPERATOR, scale.parse_confirmation_id, scale.confirm, locks=True),
    "scale_cancel": ButtonSpec("scale", Role.OPERATOR, scale.parse_confirmation_id, scale.cancel),
    "scale_undo": ButtonSpec("undo", Role.OPERATOR, scale.parse_undo_key, scale.undo, locks=True),
    "scale_undo_confirm": ButtonSpec(
        "undo", Role.OPERATOR, scale.parse_confirmation_id, scale.confirm_undo, locks=True
    ),
    "incident_ack": ButtonSpec("acknowledge", Role.OPERATOR, remediation.parse_alarm_name, remediation.acknowledge),
    "alarm_mute": ButtonSpec("mute", Role.OPERATOR, remediation.parse_alarm_name, remediation.mute_for_an_hour),
}


def execute_action(action_id: str, value: str, ctx: CommandContext) -> Outcome:
    spec = ACTIONS[action_id]
    operation = _operation(ctx, spec.verb, f"{action_id} {echo(value, 120)}")
    try:
        parsed = spec.parse(value)
    except UsageError as exc:
        refusal = Outcome(view=usage_error_view(exc), audit=AuditOutcome("invalid", "refused", error=str(exc)))
        return _runner(ctx).record(operation, refusal)
    options = RunOptions(lock=ctx.settings.service_key if spec.locks else None)
    return _runner(ctx).run(operation, lambda: spec.run(parsed, ctx), role=spec.role, options=options)


def _operation(ctx: CommandContext, verb: str, arguments: str) -> Operation:
    return Operation(key=ctx.audit_key, verb=verb, arguments=arguments, actor=ctx.actor, lock_owner=ctx.request_id)


def _runner(ctx: CommandContext) -> OperationRunner:
    return OperationRunner(ctx.settings, ctx.ports.audit, ctx.ports.locks, clock=lambda: ctx.now)
