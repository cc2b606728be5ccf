"""The defects of the design before the operations core (b81966d), each reproduced as a user would meet it.

Each test failed on that design and passes on the operations core: a remediation was a `scale` run as a made-up
admin, sharing the person's single revert slot; Undo compared capacity values; remediation acted before writing
anything to the audit trail.
"""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path

import pytest

from opsbot.alarms.model import Decision
from opsbot.commands.dispatch import execute_action, execute_command
from opsbot.config import Role
from opsbot.errors import NotAuthorised
from opsbot.logic.scaling import Capacity
from opsbot.operations.model import Actor, AuditOutcome, ErrorView, Operation, Outcome, RunOptions
from opsbot.operations.runner import OperationRunner
from opsbot.ports import AuditEntry
from tests.fakes import NOW, World
from tests.unit.test_remediation import Bench, transition

ALARMS_PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "opsbot" / "opsbot" / "alarms"
CPU_ALARM = "mycandidate-ecs-cpu-high"


def at(hours: float) -> timedelta:
    return timedelta(hours=hours)


def timeline(world: World) -> list[tuple[object, int | None, int | None]]:
    """The scheduled actions on the scalable target, in time order, as (when, min, max)."""
    return sorted(((a.at, a.min, a.max) for a in world.capacity.actions.values()), key=lambda x: str(x[0]))


def run_due_actions(world: World, until: timedelta) -> None:
    """What Application Auto Scaling does by itself: apply every one-time action due by NOW + ``until``."""
    for action in sorted(world.capacity.actions.values(), key=lambda a: str(a.at)):
        if action.at is not None and action.at <= NOW + until:
            assert action.min is not None
            assert action.max is not None
            world.capacity.capacity = Capacity(action.min, action.max)


@pytest.fixture
def bench() -> Bench:
    return Bench()


# a. ---------------------------------------------------------------------------------------------------------------


def test_remediation_does_not_cut_a_persons_raise_short(bench: Bench) -> None:
    world = bench.world
    # Given at 05:00 an operator's `scale 8 for 6h` (min 8 until 11:00)
    raised = execute_command("scale 8 for 6h", world.context())
    assert raised.view.kind == "applied"
    # When at 06:00 the CPU alarm fires and its runbook scales out by 2 for 2h (min 10 until 08:00)
    bench.now = NOW + at(1)
    decision = bench.handle(transition(at=NOW + at(1)))
    assert isinstance(decision, Decision)
    assert decision.acted
    assert world.capacity.capacity == Capacity(10, 10)
    # Then the schedule keeps the person's raise: min 8 from 08:00 until 11:00, and the baseline only from 11:00
    assert timeline(world) == [(NOW + at(3), 8, 10), (NOW + at(6), 2, 10)]
    # And at 08:00 the service runs at least 8 (not 2) …
    run_due_actions(world, until=at(3))
    assert world.capacity.capacity == Capacity(8, 10)
    # … still at 10:59, and back to the baseline at 11:00
    run_due_actions(world, until=at(5.99))
    assert world.capacity.capacity == Capacity(8, 10)
    run_due_actions(world, until=at(6))
    assert world.capacity.capacity == Capacity(2, 10)
    # And the incident says what follows the alarm's raise, not just when it ends
    assert decision.reason.startswith("raised the minimum 8 → 10 until 08:00 UTC; then ")
    then = decision.reason.split("; then ", 1)[1]
    for part in ("min 8", "08:00", "min 2", "11:00"):
        assert part in then
    assert then.index("08:00") < then.index("11:00")
    assert then.index("min 8") < then.index("min 2")
    (incident,) = bench.notifier.posts
    assert then in json.dumps(incident, ensure_ascii=False)


# b. ---------------------------------------------------------------------------------------------------------------


def test_undo_checks_versions_not_values_and_never_reverts_a_later_equal_change() -> None:
    # Given A = `scale 6 for 2h`, B = `scale reset`, C = `scale 6` (capacity is min 6 / max 10 again, as after A)
    world = World()
    a = execute_command("scale 6 for 2h", world.context())
    execute_command("scale reset", world.context())
    c = execute_command("scale 6", world.context(user="U0ADMIN"))
    assert world.capacity.capacity == Capacity(6, 10)
    setting_before = world.intents.intents()
    mutating_before = list(world.capacity.mutating_calls)
    # When Undo is pressed on A
    undo = execute_action("scale_undo", a.view.undo_key, world.context())
    # Then it does not revert C: either there is nothing to undo, or it asks first — it never changes capacity
    assert undo.view.kind in {"refused", "confirm-undo"}
    if undo.view.kind == "refused":
        assert "nothing to undo" in undo.view.message
    assert world.capacity.capacity == Capacity(6, 10)
    assert world.intents.intents() == setting_before
    assert [(i.id, i.kind, i.min) for i in setting_before] == [(c.view.undo_key, "setting", 6)]
    assert world.capacity.mutating_calls == mutating_before
    assert world.capacity.actions == {}


# c. ---------------------------------------------------------------------------------------------------------------


def test_remediation_writes_its_pending_audit_record_before_it_touches_aws(bench: Bench) -> None:
    # Given every audit record and every AWS call of the remediation go into one list, in order
    world = bench.world
    events: list[str] = []
    record, maybe_fail = world.store.record, world.capacity._maybe_fail

    def recording(entry: AuditEntry) -> None:
        events.append(f"audit {entry.phase} {entry.key}")
        record(entry)

    def calling(operation: str) -> None:
        events.append(f"aws {operation}")
        maybe_fail(operation)

    world.store.record = recording  # type: ignore[method-assign]
    world.capacity._maybe_fail = calling  # type: ignore[method-assign]
    # When the CPU alarm fires and its runbook scales out
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert decision.acted
    # Then the pending record under the decision's operation id comes before the first change to AWS
    key = decision.audit_key
    first_change = next(i for i, e in enumerate(events) if e.startswith("aws ") and not e.startswith("aws Describe"))
    assert events.index(f"audit pending {key}") < first_change
    # And the pending record names the alarm as the actor; an outcome record under the same key follows the action
    pending = world.store.trail[f"{key}#pending"]
    assert (pending.phase, pending.result, pending.actor, pending.verb) == (
        "pending",
        "pending",
        f"alarm:{CPU_ALARM}",
        "remediate",
    )
    outcome = world.store.trail[key]
    assert (outcome.phase, outcome.result, outcome.actor) == ("outcome", "ok", f"alarm:{CPU_ALARM}")
    last_change = max(i for i, e in enumerate(events) if e.startswith("aws ") and not e.startswith("aws Describe"))
    assert events.index(f"audit outcome {key}") > last_change
    # And the incident's Undo points at that operation
    assert decision.undo_key == key


def test_a_remediation_whose_pending_record_cannot_be_written_changes_nothing(bench: Bench) -> None:
    # Given the audit trail refuses every write
    bench.world.store.records_before_failure = 0
    # When the CPU alarm fires
    decision = bench.handle(transition())
    # Then AWS was not changed: no trace, no action
    assert isinstance(decision, Decision)
    assert not decision.acted
    assert bench.world.capacity.mutating_calls == []
    assert bench.world.capacity.capacity == Capacity(2, 10)
    # And nothing is spent: the cooldown and the budget are given back, and the watch run will try again
    assert bench.world.remediation.cooldowns == {}
    assert bench.world.remediation.budget_used == 0
    assert [w.reason for w in bench.world.remediation.waiting()] == ["audit trail"]


# d. ---------------------------------------------------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, relative imports resolved, ``from x import y`` also as ``x.y``."""
    package = ".".join(path.relative_to(ALARMS_PACKAGE.parent.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _alarm_sources() -> list[Path]:
    sources = sorted(ALARMS_PACKAGE.rglob("*.py"))
    assert len(sources) > 5  # the package and its actions are really there
    return sources


@pytest.mark.parametrize("path", _alarm_sources(), ids=lambda p: p.name)
def test_no_alarm_module_borrows_the_scale_command(path: Path) -> None:
    # Remediation changes capacity through the capacity core as its own system actor, never by running `scale`
    imported = _imported_modules(path)
    assert "opsbot.commands.scale" not in imported
    assert not any(name.startswith("opsbot.commands.scale.") for name in imported)


@pytest.mark.parametrize("path", _alarm_sources(), ids=lambda p: p.name)
def test_no_alarm_module_makes_up_an_admin(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        # no `Role.ADMIN` anywhere …
        assert not (isinstance(node, ast.Attribute) and node.attr == "ADMIN"), f"{path.name}:{node.lineno}"
        # … and an Actor is only ever the system actor (`Actor.system(...)`), never built by hand
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert name != "Actor", f"{path.name}:{node.lineno} builds an Actor by hand"
            if name == "_replace" or name == "replace":
                assert not any(k.arg == "role" for k in node.keywords), f"{path.name}:{node.lineno} sets a role"


def _runner(world: World) -> OperationRunner:
    return OperationRunner(world.settings, world.store, world.store, clock=lambda: NOW)


def test_the_runner_refuses_an_alarm_running_scale() -> None:
    # Given an alarm's system actor asking the runner for `scale`
    world = World()
    runner = _runner(world)
    actor = Actor.system("alarm", "x")
    operation = Operation("2026-05-29T05:00:00.000000Z#alarm-0000abcd", "scale", "10", actor, "delivery-1")
    ran: list[bool] = []

    def body() -> Outcome:
        ran.append(True)
        return Outcome(view=None, audit=AuditOutcome())

    # Then authorisation refuses it, whatever role a person would need …
    with pytest.raises(NotAuthorised, match="`scale` is not something"):
        runner.authorise(operation, Role.OPERATOR)
    # … and running it records a refusal without running the body, taking the lock or leaving a pending record
    outcome = runner.run(operation, body, options=RunOptions(lock=world.settings.service_key))
    assert ran == []
    assert isinstance(outcome.view, ErrorView)
    assert outcome.view.kind == "refused"
    assert (outcome.audit.decision if outcome.audit else "") == "refused"
    assert list(world.store.trail) == [operation.key]
    assert world.store.trail[operation.key].actor == "alarm:x"
    assert world.store.locks == {}


def test_a_system_actor_gets_nothing_from_a_role_it_claims() -> None:
    # Even an actor named like an alarm but carrying the admin role may not run `scale`
    forged = Actor(user_id="alarm:x", channel_id="C0OPS", role=Role.ADMIN)
    operation = Operation("2026-05-29T05:00:00.000000Z#alarm-0000abcd", "scale", "10", forged, "delivery-1")
    with pytest.raises(NotAuthorised):
        _runner(World()).authorise(operation, Role.OPERATOR)


def test_the_runner_lets_an_alarm_remediate() -> None:
    operation = Operation(
        "2026-05-29T05:00:00.000000Z#alarm-0000abcd", "remediate", "-", Actor.system("alarm", "x"), "delivery-1"
    )
    _runner(World()).authorise(operation, Role.OPERATOR)  # does not raise


# e. ---------------------------------------------------------------------------------------------------------------


def test_undo_of_an_alarm_raise_asks_after_a_later_change_and_removes_only_the_alarms_intent(bench: Bench) -> None:
    world = bench.world
    # Given the CPU alarm's scale-out at 05:00 (min 4 until 07:00)
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    assert world.capacity.capacity == Capacity(4, 10)
    # And then a person's `scale 9 for 1h`
    later = execute_command("scale 9 for 1h", world.context(user="U0ADMIN"))
    assert later.view.kind == "applied"
    assert world.capacity.capacity == Capacity(9, 10)
    # When Undo is pressed on the incident
    asked = execute_action("scale_undo", decision.undo_key, world.context())
    # Then it says what changed since and asks, changing nothing yet
    assert asked.view.kind == "confirm-undo"
    assert "scale 9 for 60m" in asked.view.note
    assert "U0ADMIN" in asked.view.note
    assert world.capacity.capacity == Capacity(9, 10)
    assert len(world.intents.intents()) == 2
    # And when confirmed, only the alarm's intent goes: the person's raise stays until 06:00
    confirming = world.context()
    undone = execute_action("scale_undo_confirm", asked.view.confirmation_id, confirming)
    assert undone.view.kind == "undone"
    assert [(i.owner, i.min) for i in world.intents.intents()] == [("U0ADMIN", 9)]
    assert world.capacity.capacity == Capacity(9, 10)
    assert timeline(world) == [(NOW + at(1), 2, 10)]
    entry = world.store.get(confirming.audit_key)
    assert entry is not None
    assert entry.after["undoes"] == decision.undo_key


def test_undo_of_an_alarm_raise_with_nothing_changed_since_applies_at_once(bench: Bench) -> None:
    decision = bench.handle(transition())
    assert isinstance(decision, Decision)
    undone = execute_action("scale_undo", decision.undo_key, bench.world.context())
    assert undone.view.kind == "undone"
    assert bench.world.intents.intents() == []
    assert bench.world.capacity.capacity == Capacity(2, 10)
    assert bench.world.capacity.actions == {}
