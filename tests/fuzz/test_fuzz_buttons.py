"""Button values, fuzzed: a click's ``value`` is user input (it can be forged), so every ``ButtonSpec.parse`` of
``opsbot.commands.dispatch.ACTIONS`` and ``execute_action`` get hostile values.

Contract: ``parse`` returns the value unchanged when it has the shape the bot issues, else raises ``UsageError``
naming it (``echo``, or "nothing" for an empty value); ``execute_action`` answers with an ``Outcome`` whose
message Slack accepts, with the value escaped."""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st

from opsbot.commands.base import AUDIT_KEY
from opsbot.commands.dispatch import ACTIONS, ErrorView, execute_action
from opsbot.errors import UsageError
from opsbot.slack.views import render
from tests.fuzz._support import ACTORS, MARKUP, NOW, assert_message_ok, names, token, world

ACTION_IDS = sorted(ACTIONS)
_hex = st.text("0123456789abcdef", min_size=30, max_size=34)
value = st.one_of(
    st.just(""),
    token,
    st.text(max_size=300),
    _hex,
    _hex.map(lambda h: h.upper()),
    st.builds(lambda h, tail: h + tail, _hex, st.sampled_from(MARKUP)),
    st.builds(lambda tag: f"2026-12-03T08:00:00.000000Z#{tag}", st.sampled_from(["0000beef", "alarm-0000beef", "x"])),
    st.sampled_from(["mycandidate-ecs-cpu-high", "ward-52-by-election-2027-02-17", "a--b", "a-", "A"]),
)


@given(st.sampled_from(ACTION_IDS), value)
def test_a_button_value_is_accepted_unchanged_or_refused_by_name(action_id: str, value_: str) -> None:
    """A value either passes as it is (the bot acts on exactly what it issued) or is refused with a usage error
    that shows it, so a forged or stale click is explained rather than crashing the lazy run."""
    spec = ACTIONS[action_id]
    try:
        parsed = spec.parse(value_)
    except UsageError as exc:
        error = str(exc)
    else:
        error = ""
    if error:
        assert names(value_, error) if value_ else "`nothing`" in error, (action_id, value_, error)
        return
    assert parsed == value_
    if action_id == "scale_undo":
        assert AUDIT_KEY.fullmatch(parsed)
    assert len(parsed) <= 255
    assert parsed.strip() == parsed
    assert "<" not in parsed
    assert "&" not in parsed


@given(st.sampled_from(ACTION_IDS), value, st.sampled_from(ACTORS))
def test_execute_action_always_answers_with_a_renderable_outcome(action_id: str, value_: str, user: str) -> None:
    """Any click answers with an outcome (never an exception, never the runner's catch-all) whose message passes
    Slack's limits with the value escaped; the audit trail keeps the value shortened."""
    scene = world()
    outcome = execute_action(action_id, value_, scene.context(user=user, now=NOW))
    view = outcome.view
    event(f"{type(view).__name__} {getattr(view, 'kind', '')}")
    if isinstance(view, ErrorView):
        assert "inside the bot" not in view.message, view
    assert_message_ok(render(outcome), inputs=[value_])
    assert all(len(entry.arguments) <= 200 for entry in scene.audit())
