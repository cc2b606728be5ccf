"""help, status, audit and the dispatcher's handling of unknown verbs."""

from __future__ import annotations

from datetime import timedelta

from opsbot.commands.dispatch import REGISTRY, execute_command
from opsbot.ports import AlarmSummary, Deployment, ServiceState
from opsbot.slack.views import esc, render
from tests.fakes import NOW, World, throttled


def _text(message: dict) -> str:
    return "\n".join(str(block) for block in message.get("blocks", [])) + message["text"]


def test_help_lists_every_command_from_its_docstring_and_is_not_audited() -> None:
    world = World()
    message = render(execute_command("help", world.context(user="U0NOBODY")))
    for spec in REGISTRY.values():
        assert esc(spec.usage) in _text(message)
        assert esc(spec.summary) in _text(message)
    assert world.audit() == []


def test_unknown_verb_suggests_the_closest_command_and_is_audited_as_invalid() -> None:
    world = World()
    outcome = execute_command("stauts", world.context())
    assert "did you mean `status`" in outcome.view.message
    assert world.audit()[-1].decision == "invalid"


def test_status_shows_counts_capacity_alarms_and_snapshot_age() -> None:
    world = World()
    world.service.state = ServiceState(
        4,
        3,
        1,
        "mycandidate-web:8",
        "v1.5.0",
        (Deployment("ecs-svc/123", "PRIMARY", "IN_PROGRESS", "mycandidate-web:8"),),
    )
    world.alarms.alarms = [AlarmSummary("mycandidate-ecs-cpu-high", "CPUUtilization", NOW)]
    message = render(execute_command("status", world.context(user="U0VIEW")))
    text = _text(message)
    assert "desired 4 · running 3 · pending 1" in text
    assert "`mycandidate-web:8` · image `v1.5.0`" in text
    assert "min 2 / max 10" in text
    assert "`mycandidate-ecs-cpu-high`" in text
    assert "3h ago" in text
    assert "deployment `ecs-svc/123` in progress" in text
    assert message["response_type"] == "ephemeral"


def test_status_public_posts_in_channel() -> None:
    world = World()
    assert render(execute_command("status public", world.context(user="U0VIEW")))["response_type"] == "in_channel"


def test_status_shows_what_it_could_read_when_one_part_fails() -> None:
    world = World()
    world.service.error = throttled("DescribeServices")
    text = _text(render(execute_command("status", world.context(user="U0VIEW"))))
    assert "unavailable — AWS DescribeServices failed" in text
    assert "min 2 / max 10" in text


def test_status_lists_the_scheduled_return_and_every_intent_with_what_it_holds() -> None:
    # Given a person's raise until 11:00 and a permanent setting of 3..12 by someone else
    world = World()
    execute_command("scale 4 for 6h", world.context())
    execute_command("scale min=3 max=12", world.context(user="U0ADMIN"))
    text = _text(render(execute_command("status", world.context(user="U0VIEW"))))
    # Then the timeline's next action and both intents are shown, each with what it contributes
    assert "`opsbot-capacity-20260529T110000Z` 2026-05-29 11:00 UTC → min 3 / max 12" in text
    assert "`U0OPS` raise min 4 / max 4 until 05-29 11:00 UTC — holds the min" in text
    assert "`U0ADMIN` setting min 3 / max 12 — holds the max" in text


def test_audit_shows_the_latest_entries_newest_first() -> None:
    world = World()
    execute_command("scale 4", world.context())
    execute_command("scale 50", world.context(now=NOW + timedelta(minutes=1)))
    text = _text(render(execute_command("audit 2", world.context(user="U0VIEW", now=NOW + timedelta(minutes=2)))))
    assert text.index("scale 50") < text.index("scale 4")
    assert "allowed/ok · 2..10 → 4..10" in text
    assert "refused/refused" in text


def test_audit_rejects_a_bad_count() -> None:
    world = World()
    outcome = execute_command("audit lots", world.context(user="U0VIEW"))
    assert "`lots` is not a count" in outcome.view.message


def test_every_verb_is_registered_under_its_own_name_and_every_view_has_a_renderer() -> None:
    # The registry imports a verb's module on first use and views are rendered by class name: a renamed verb or
    # view would otherwise fail only when someone types it
    import inspect

    from opsbot.commands import (
        audit,
        cutover,
        deploy,
        help,
        readiness,
        remediation,
        residency,
        rollback,
        scale,
        scale_down,
        schedule,
        schedule_add,
        schedule_remove,
        snapshot,
        snapshot_keep,
        snapshot_prune,
        snapshots,
        status,
    )
    from opsbot.elections import reconcile
    from opsbot.slack import views

    assert {verb: spec.name for verb, spec in REGISTRY.items()} == {verb: verb for verb in REGISTRY}
    view_classes = {
        name
        for module in (
            audit,
            cutover,
            deploy,
            help,
            readiness,
            remediation,
            residency,
            rollback,
            scale,
            scale_down,
            schedule,
            schedule_add,
            schedule_remove,
            snapshot,
            snapshot_keep,
            snapshot_prune,
            snapshots,
            status,
            reconcile,
        )
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if name.endswith("View") and cls.__module__ == module.__name__
    }
    assert view_classes | {"ErrorView"} == set(views._RENDERERS)
