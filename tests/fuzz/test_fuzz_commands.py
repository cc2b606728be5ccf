"""Slash-command text, fuzzed: every verb of the registry followed by hostile tokens (unicode, Slack markup,
entities, very long words, quotes for ``--override "…"``).

Contract (``opsbot.commands.dispatch``): ``parse_command`` returns the parsed command or raises ``UsageError``;
``execute_command`` turns every refusal and failure into an ``Outcome`` (the operation runner's "never
exceptions"), and ``opsbot.slack.views.render`` makes a message Slack accepts with every outside string escaped."""

from __future__ import annotations

from hypothesis import assume, event, given
from hypothesis import strategies as st

from opsbot.commands.dispatch import REGISTRY, ErrorView, execute_command, parse_command
from opsbot.errors import UsageError
from opsbot.slack.views import render
from tests.fuzz._support import ACTORS, MARKUP, NOW, assert_message_ok, names, quoted, token, tokens, world

VERBS = sorted(REGISTRY)
_reason = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"“”'), max_size=220)
_override = st.builds(lambda flag, reason: f"{flag} {reason}", st.sampled_from(["--override", "—override"]),
                      quoted(_reason) | _reason)  # fmt: skip


@st.composite
def command_text(draw: st.DrawFn) -> str:
    """A real verb (in any case), fuzzed words after it, sometimes an override with a quoted reason."""
    verb = draw(st.sampled_from(VERBS))
    verb = draw(st.sampled_from([verb, verb.upper(), verb.title()]))
    words = draw(tokens)
    if draw(st.booleans()):
        words.insert(draw(st.integers(0, len(words))), draw(_override))
    return " ".join([verb, *words])


_free = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from(MARKUP)
_name = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"“”'), min_size=1, max_size=80)
_alarm = st.text("abcXYZ019._/#:()+=@-", min_size=1, max_size=40).map(lambda s: f"mycandidate-{s}")


@st.composite
def well_formed(draw: st.DrawFn) -> str:
    """A command that parses, carrying fuzzed free text where the verb takes some (notes, reasons, names), so the
    outcome's renderer gets the hostile text rather than the parser."""
    n, flag = draw(st.integers(0, 30)), draw(st.sampled_from(["", " --dry-run", " —dry-run"]))
    override = draw(st.sampled_from(["", ' --override "{}"'])).format(" ".join(draw(_name).split()) or "x")
    return draw(st.sampled_from([
        f"scale {n}{flag}{override}", f"scale {n} for {draw(st.sampled_from(['6h', '90m', '2d']))}{flag}",
        f"scale min={n} max={draw(st.integers(0, 40))}{flag}", f"scale reset{flag}{override}",
        f"snapshot {draw(_free)}", f"rollback {draw(_free)}", f"status{draw(st.sampled_from(['', ' public']))}",
        f'schedule add "{draw(_name)}" 2027-02-17{flag}', f'schedule add "{draw(_name)}" 2026-12-20 min={n}{flag}',
        f"mute {draw(_alarm)} {draw(st.sampled_from(['2h', '30m', 'off', '9d']))}",
        f"autoremediation {draw(st.sampled_from(['on', 'off', 'status']))}", f"audit {max(n, 1)}",
        f"deploy {draw(st.sampled_from(['v1.5.0', 'v9', 'sha256:' + 'b' * 64]))}{flag}{override}",
        f"snapshot {draw(st.sampled_from(['keep', 'unkeep']))} opsbot-mycandidate-db-nightly-1",
        "readiness", f"schedule sync{flag}", f"snapshots {max(n, 1)}", "snapshot prune --dry-run", "cutover",
        "residency", "schedule", f"readiness {draw(st.sampled_from(['ward-52-2027-02-17', 'x']))}",
    ]))  # fmt: skip


def _parse(text: str) -> object:
    try:
        return parse_command(text)
    except UsageError as exc:
        refused = exc
    assert str(refused), "a usage error says what is wrong"
    return refused


@given(command_text() | st.text(max_size=300))
def test_parse_command_returns_a_command_or_raises_usage_error(text: str) -> None:
    """Any text parses or raises ``UsageError``; nothing else escapes the parser (the ack answers in Slack's 3 s
    from this, so a crash would be a blank reply)."""
    _parse(text)


def _named(word: str, message: str) -> bool:
    """The word is named as the parser read it: as typed, lower-cased (durations, keywords), or for a
    ``key=value`` option its value (`min=`, `strategy=`, `bake=`)."""
    forms = [word, word.lower()]
    if "=" in word:
        forms.append(word.partition("=")[2])
    return any(names(form, message) for form in forms if form)


# Verbs whose one fuzzed word is itself the thing refused, with how the parser writes it back.
_SINGLE = {
    "audit": str, "status": str, "autoremediation": str, "schedule": str, "schedule remove": str,
    "schedule sync": str, "snapshot prune": str, "snapshots": str, "residency": str, "cutover": str,
    "readiness": str, "scale": str,
}  # fmt: skip
# Words that make the parser complain about something else (a flag or keyword it recognises).
_KEYWORDS = {
    "--dry-run",
    "—dry-run",
    "–dry-run",
    "--dryrun",
    "for",
    "reset",
    "--override",
    "—override",
    "–override",
    "add",
    "remove",
    "sync",
    "prune",
    "keep",
    "unkeep",
}


@given(st.sampled_from(sorted(_SINGLE)), token)
def test_a_refused_word_is_named_in_the_usage_error(verb: str, word: str) -> None:
    """A single bad word after a verb is echoed in the error (``echo``: at most 40 characters, backticks made
    quotes), so the user sees which word was wrong."""
    assume(word.lower() not in _KEYWORDS)
    result = _parse(f"{verb} {word}")
    if isinstance(result, UsageError):
        assert _named(word, str(result)), (word, str(result))


@given(token)
def test_an_unknown_verb_is_named(word: str) -> None:
    """An unknown verb is echoed (lower-cased, as it was looked up)."""
    assume(word.lower() not in REGISTRY)
    result = _parse(word)
    assert isinstance(result, UsageError)
    assert names(word.lower(), str(result)), (word, str(result))


@given(
    st.sampled_from(["scale 3 for {}", "scale min={}", "scale 3 {}", "mute mycandidate-ecs-cpu-high {}", "mute {} 2h",
                     "deploy v1.5.0 strategy={}", "deploy v1.5.0 bake={}", "deploy v1.5.0 {}",
                     'schedule add "Ward 52" {}', 'schedule add "Ward 52" 2027-02-17 {}',
                     'schedule add "Ward 52" 2027-02-17 min={}']),
    token,
)  # fmt: skip
def test_a_refused_argument_in_context_is_named(template: str, word: str) -> None:
    """The same for a word in a position: a duration, a bound, an option's value, an alarm name, a date."""
    assume(word.lower() not in _KEYWORDS and not word.lower().startswith(("--", "—", "–")))
    assume(not word.lower().startswith(("min=", "max=", "kind=")))
    result = _parse(template.format(word))
    if isinstance(result, UsageError):
        assert _named(word, str(result)), (template, word, str(result))


@given(st.builds(lambda a, b: f"{a}`{b}", st.text("abc*_", max_size=5), st.text("abc*_", max_size=5)))
def test_a_refused_image_is_echoed_like_every_other_word(word: str) -> None:
    """`deploy <image>` names a bad image like every other parser does: through ``echo``."""
    result = _parse(f"deploy {word}")
    assert isinstance(result, UsageError)
    assert names(word, str(result)), str(result)


@given(token)
def test_a_refused_snapshot_identifier_is_named(word: str) -> None:
    """`snapshot keep <id>` names a refused identifier, as the other parsers do."""
    result = _parse(f"snapshot keep {word}")
    assume(isinstance(result, UsageError))
    assert names(word, str(result)), str(result)


def _check_outcome(text: str, user: str) -> None:
    scene = world()
    outcome = execute_command(text, scene.context(user=user, now=NOW))
    view = outcome.view
    event(f"{type(view).__name__} {getattr(view, 'kind', '')}")
    if isinstance(view, ErrorView):
        assert "inside the bot" not in view.message, f"an unexpected exception was caught by the runner: {view}"
    assert_message_ok(render(outcome), inputs=[text])
    for entry in scene.audit():  # the audit trail keeps the attempt, shortened
        assert len(entry.arguments) <= 200
        assert len(entry.error) <= 500


@given(command_text() | well_formed(), st.sampled_from(ACTORS))
def test_execute_command_always_answers_with_a_renderable_outcome(text: str, user: str) -> None:
    """Whatever the text, the command answers with an outcome (never an exception, never the runner's catch-all
    for unexpected errors) and its message passes Slack's limits with the input escaped."""
    assume(text.split()[0].lower() != "help")  # help is answered in the ack (see the test below)
    _check_outcome(text, user)


@given(st.sampled_from(["help", "HELP"]), st.sampled_from(["", *VERBS]))
def test_help_answers_with_an_outcome(verb: str, topic: str) -> None:
    """`help` and `help <command>` answer with the help, in a message Slack accepts."""
    _check_outcome(f"{verb} {topic}", "U0VIEW")


@given(token)
def test_help_for_an_unknown_command_answers_with_an_outcome(word: str) -> None:
    """`help <unknown>` is a usage error outcome, not an exception out of ``execute_command``."""
    assume(word.lower() not in REGISTRY)
    _check_outcome(f"help {word}", "U0VIEW")


@given(st.lists(well_formed() | command_text(), min_size=1, max_size=5))
def test_the_audit_trail_of_fuzzed_commands_renders(texts: list[str]) -> None:
    """Fuzzed commands, then `audit 50`: the audit view shows their arguments and errors, escaped, within
    Slack's limits."""
    scene = world()
    for text in texts:
        if text.split()[0].lower() != "help":
            execute_command(text, scene.context(user="U0ADMIN", now=NOW))
    outcome = execute_command("audit 50", scene.context(user="U0VIEW", now=NOW))
    assert_message_ok(render(outcome), inputs=texts)
