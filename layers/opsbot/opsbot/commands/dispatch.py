"""Run one command or button press: parse it, then hand it to the operation runner.

The runner (``opsbot.operations.runner``) authorises, records, locks and reports; this module only turns Slack
text and button values into operations. Every attempt except `help` leaves an outcome record, whatever happens;
a change also leaves a ``pending`` record before it acts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from opsbot.commands.base import (
    AuditOutcome,
    CommandContext,
    CommandSpec,
    ErrorView,
    Outcome,
    RunOptions,
    lock_resource,
)
from opsbot.config import Role
from opsbot.errors import AwsOperationError, UsageError
from opsbot.logic.text import echo

if TYPE_CHECKING:
    from opsbot.operations.model import Operation
    from opsbot.operations.runner import OperationRunner

__all__ = ["REGISTRY", "ErrorView", "execute_action", "execute_command", "parse_command"]

# verb -> (module of opsbot.commands, its spec). A verb's module is imported when that verb is first used: a cold
# `status` does not pay for importing `scale` and the rest.
_VERBS: dict[str, tuple[str, str]] = {
    "help": ("help", "SPEC"),
    "status": ("status", "SPEC"),
    "scale": ("scale", "SPEC"),
    "audit": ("audit", "SPEC"),
    "autoremediation": ("remediation", "AUTOREMEDIATION_SPEC"),
    "mute": ("remediation", "MUTE_SPEC"),
    # Two-word verbs are looked up before their first word: each has its own role, and says whether it changes.
    "schedule": ("schedule", "SPEC"),
    "schedule add": ("schedule_add", "SPEC"),
    "schedule remove": ("schedule_remove", "SPEC"),
    "schedule sync": ("schedule_sync", "SPEC"),
    "readiness": ("readiness", "SPEC"),
    "snapshot": ("snapshot", "SPEC"),
    "snapshot prune": ("snapshot_prune", "SPEC"),
    "snapshot keep": ("snapshot_keep", "KEEP_SPEC"),
    "snapshot unkeep": ("snapshot_keep", "UNKEEP_SPEC"),
    "snapshots": ("snapshots", "SPEC"),
    "residency": ("residency", "SPEC"),
    "deploy": ("deploy", "SPEC"),
    "rollback": ("rollback", "SPEC"),
    "cutover": ("cutover", "SPEC"),
}


def _verb_module(module: str) -> Any:
    return importlib.import_module(f"opsbot.commands.{module}")


class _Registry(Mapping[str, CommandSpec]):
    """verb -> ``CommandSpec``, importing the verb's module on first lookup."""

    def __getitem__(self, verb: str) -> CommandSpec:
        module, attribute = _VERBS[verb]
        spec: CommandSpec = getattr(_verb_module(module), attribute)
        return spec

    def __iter__(self) -> Iterator[str]:
        return iter(_VERBS)

    def __len__(self) -> int:
        return len(_VERBS)


REGISTRY: Mapping[str, CommandSpec] = _Registry()


class ParsedCommand(NamedTuple):
    spec: CommandSpec
    args: list[str]
    parsed: Any


def parse_command(text: str) -> ParsedCommand:
    """Split the slash-command text into a verb and its parsed arguments, or raise ``UsageError``."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    if len(words) > 1 and f"{verb} {words[1].lower()}" in _VERBS:
        verb, words = f"{verb} {words[1].lower()}", [verb, *words[2:]]
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
        try:
            return spec.run(command.parsed, ctx)
        except UsageError as exc:  # `help <unknown>`: a usage error like any other verb's
            return Outcome(view=usage_error_view(exc))
    options = RunOptions(
        mutating=spec.mutating,
        dry_run=bool(getattr(command.parsed, "dry_run", False)),
        lock=lock_resource(spec, ctx.settings),
        report=spec.report,
    )
    guard = spec.guard
    return _runner(ctx).run(
        operation,
        lambda: spec.run(command.parsed, ctx),
        role=spec.required_role,
        options=options,
        guard=(lambda: guard(command.parsed, ctx)) if guard is not None else None,
    )


def _later(module: str, function: str) -> Callable[..., Any]:
    """``opsbot.commands.<module>.<function>``, imported when a button is pressed rather than at cold start."""

    def call(*args: Any) -> Any:
        return getattr(_verb_module(module), function)(*args)

    call.__name__ = function
    return call


class ButtonSpec(NamedTuple):
    """A button the bot renders. Its value is user input (a click can be forged): ``parse`` validates it the way
    the matching command validates its argument, before anything else runs."""

    verb: str  # for the audit trail
    role: Role
    parse: Callable[[str], str]
    run: Callable[[str, CommandContext], Outcome]
    locks: bool = False  # runs under the per-service change lock


_confirmation_id = _later("scale", "parse_confirmation_id")
_alarm_name = _later("remediation", "parse_alarm_name")
_election_slug = _later("scale_down", "parse_slug")
ACTIONS: dict[str, ButtonSpec] = {
    "scale_confirm": ButtonSpec("scale", Role.OPERATOR, _confirmation_id, _later("scale", "confirm"), locks=True),
    "scale_cancel": ButtonSpec("scale", Role.OPERATOR, _confirmation_id, _later("scale", "cancel")),
    "scale_undo": ButtonSpec(
        "undo", Role.OPERATOR, _later("scale", "parse_undo_key"), _later("scale", "undo"), locks=True
    ),
    "scale_undo_confirm": ButtonSpec(
        "undo", Role.OPERATOR, _confirmation_id, _later("scale", "confirm_undo"), locks=True
    ),
    "incident_ack": ButtonSpec("acknowledge", Role.OPERATOR, _alarm_name, _later("remediation", "acknowledge")),
    "alarm_mute": ButtonSpec("mute", Role.OPERATOR, _alarm_name, _later("remediation", "mute_for_an_hour")),
    # The gated scale-down after an election window (opsbot.elections.scaler posts the question).
    "election_scale_down": ButtonSpec(
        "scale-down", Role.OPERATOR, _election_slug, _later("scale_down", "scale_down_now"), locks=True
    ),
    "schedule_remove_confirm": ButtonSpec(
        "schedule remove", Role.ADMIN, _confirmation_id, _later("schedule_remove", "confirm")
    ),
    "schedule_remove_cancel": ButtonSpec(
        "schedule remove", Role.ADMIN, _confirmation_id, _later("schedule_remove", "cancel")
    ),
    "election_keep": ButtonSpec("scale-down", Role.OPERATOR, _election_slug, _later("scale_down", "keep"), locks=True),
    # Prod: a second operator's approval of a deploy before anything changes (opsbot.commands.deploy).
    "deploy_approve": ButtonSpec("deploy", Role.OPERATOR, _confirmation_id, _later("deploy", "approve"), locks=True),
    "deploy_reject": ButtonSpec("deploy", Role.OPERATOR, _confirmation_id, _later("deploy", "reject")),
    # The pause before production traffic of a deployment (opsbot.commands.cutover renders the gate).
    "cutover_promote": ButtonSpec("cutover", Role.OPERATOR, _confirmation_id, _later("cutover", "promote"), locks=True),
    "cutover_rollback": ButtonSpec(
        "cutover", Role.OPERATOR, _confirmation_id, _later("cutover", "roll_back"), locks=True
    ),
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


def record_not_run(ctx: CommandContext, command_text: str | None, action: tuple[str, str] | None,
                   error: AwsOperationError) -> Outcome:  # fmt: skip
    """The exactly-once record could not be written, so nothing ran: the attempt still gets its outcome record, as
    failed with the AWS code, and the person is told that nothing was run or changed."""
    if action is not None:
        action_id, value = action
        spec = ACTIONS.get(action_id)
        verb, arguments = (spec.verb if spec else "button"), f"{action_id} {echo(value, 120)}"
    else:
        words = (command_text or "").split()
        verb, arguments = (words or ["help"])[0].lower()[:40], " ".join(words[1:])[:500]
    view = ErrorView(kind="failed", message=str(error))
    audit = AuditOutcome("not-run", "failed", error=f"{error.code}: {error.reason}")
    return _runner(ctx).record(_operation(ctx, verb, arguments), Outcome(view=view, audit=audit))


def _operation(ctx: CommandContext, verb: str, arguments: str) -> Operation:
    from opsbot.operations.model import Operation  # the lazy run's, not the ack's

    return Operation(key=ctx.audit_key, verb=verb, arguments=arguments, actor=ctx.actor, lock_owner=ctx.request_id)


def _runner(ctx: CommandContext) -> OperationRunner:
    from opsbot.operations.runner import OperationRunner

    return OperationRunner(ctx.settings, ctx.ports.audit, ctx.ports.locks, clock=lambda: ctx.now)
