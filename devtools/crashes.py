"""Crash safety (issue 12, part 2), part of `make security`: Lambda stopped right after each mutating AWS call of a
path (a timeout, out of memory), before its record is complete — then what the platform does next.

Each path runs once clean (its calls counted), then once per mutating call N on a fresh state, stopped once call N
has returned (``devtools.faults.LambdaStopped``: the bot's ``except Exception`` handlers do not run, and no later
call is made). Then, as in AWS:

- an asynchronous entry point (the alarm) is delivered again once the stopped invocation's exactly-once record
  has expired — Powertools ties its in-progress expiry to the Lambda context's remaining time;
- the watch schedule's sweeper runs after ``Settings.sweep_after``, on the replica's clock.

Each run is classified:

- ``completed by the sweeper (ok|failed|unknown)`` — it found the pending record, worked out from AWS what
  happened, wrote the outcome and told the ops channel; the state is the clean run's for ``ok``, the one before for
  ``failed``, either one for ``unknown`` (whose message asks a person to check);
- ``redelivered`` — the asynchronous retry finished the work (and the sweeper, if it had to, the record);
- a stop that used up a one-time button (``Path.stop_spends``: the confirmation taken, nothing changed) counts as
  the state before when the sweeper's message says so (run the command again);
- ``nothing cut short`` — the stop came before the pending record or after the outcome: nothing to complete, and
  the state is the one before or the clean run's;
- ``caller decides: …`` — a path whose caller treats a stopped invocation by its own rule (ECS fails a lifecycle
  hook whose invocation errors and rolls the deployment back), with nothing of the bot's left open;
- ``LOST`` — a pending record left open, a lock still held past its expiry, a third state, or a sweep nobody was
  told about.

Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import timedelta
from typing import Any

from devtools.faults import Injection, LambdaStopped, injecting
from devtools.security import PATHS, Campaign, Outcome, Path, _fresh, _reset, clean_run

# Calls that change nothing: the stop after one of them is the stop before the next change.
_READS = ("Describe", "List", "Get", "Query", "Scan", "BatchGet")


def mutating(call: str) -> bool:
    return not call.split(".", 1)[1].startswith(_READS)


# One stop is an ``Outcome`` whose fault is ``STOPPED``; a campaign of them is a ``Campaign``, as for the faults.
STOPPED = "stopped"


def _records(stack: Any) -> tuple[set[str], dict[str, dict[str, str]]]:
    """The keys of the pending records, and the outcome records by key."""
    pending, outcomes = set(), {}
    for item in stack.audit_items(pending=True):
        fields = {k: v.get("S", "") for k, v in item.items() if isinstance(v, dict)}
        if fields.get("phase") == "pending":
            pending.add(fields["operation"])
        else:
            outcomes[fields.get("operation", "")] = fields
    return pending, outcomes


def _held_locks(stack: Any) -> list[str]:
    """Change locks that are still in force on the replica's clock (an expired one is free)."""
    now = stack.clock().timestamp()
    items = stack.client("dynamodb").scan(TableName=stack.settings.operations_table)["Items"]
    return [i["pk"]["S"] for i in items if i["pk"]["S"].startswith("LOCK#") and float(i["expires_at"]["N"]) >= now]


def _sweep(stack: Any) -> list[Any]:
    from opsbot import dependencies

    stack.advance(stack.settings.sweep_after + timedelta(minutes=1))
    remediator = dependencies.build_remediator(stack.settings)
    return dependencies.build_sweeper(stack.settings, remediator, stack.clock).sweep()


def _posted(stack: Any) -> str:
    return "\n".join(json.dumps(c.body) for c in stack.recorder.api_calls("chat.postMessage"))


def classify(path: Path, stack: Any, before: Any, clean: Any, swept: list[Any], redelivered: bool) -> Outcome:
    state = path.state(stack)
    pending, outcomes = _records(stack)
    crash = Outcome(path.name, "", STOPPED, "LOST")
    open_records = sorted(pending - outcomes.keys())
    # A path acting on several things one by one (a prune's deletes) may stop between before and done.
    partway = path.partway(before, state, clean) if path.partway is not None else None
    between = state not in (before, clean) and partway is not None
    # A stop that used up a one-time button and changed nothing else: as before, if the channel hears it.
    spent = path.stop_spends(before, state) if path.stop_spends is not None else ""
    if spent and spent in _posted(stack):
        state = before
    if open_records:
        crash.detail = f"pending records left open: {open_records}"
    elif locks := _held_locks(stack):
        crash.detail = f"lock held past its expiry: {locks}"
    elif path.stop_means and not swept:
        # Nothing of the bot's is left half-done; what a stopped invocation means is the caller's (ECS's) rule.
        crash.verdict = f"caller decides: {path.stop_means}"
    elif state not in (before, clean) and not between:
        crash.detail = f"a third state {state} (before {before}, clean {clean})"
    elif between and not swept:
        crash.detail = f"stopped part-way ({state}) with nothing recorded to complete"
    elif swept:
        results = {s.result for s in swept}
        told = all(s.entry.key in _posted(stack) or s.summary[:40] in _posted(stack) for s in swept)
        # Part-way (``Path.partway`` allows the state): each part is as before or as done, and what the sweeper
        # recorded is for its own operation; otherwise "ok" must be the clean state and "failed" the one before.
        consistent = between or (
            ("ok" not in results or state == clean) and ("failed" not in results or state == before)
        )
        if not told:
            crash.detail = "swept, but the ops channel was not told"
        elif not consistent:
            crash.detail = f"swept as {sorted(results)} but the state is {state} (before {before}, clean {clean})"
        else:
            crash.verdict = f"completed by the sweeper ({'/'.join(sorted(results))})"
            crash.verdict += ", after the redelivery" if redelivered else ""
    else:
        crash.verdict = "redelivered" if redelivered and state == clean else "nothing cut short"
    return crash


def run_path(path: Path, campaign: Campaign | None = None, numbers: set[int] | None = None) -> Campaign:
    """``path`` stopped after each of its mutating calls (``numbers``: only these, counted from 1)."""
    campaign = campaign or Campaign()
    with _fresh() as stack:
        before, clean, made = clean_run(path, stack)
        calls = [
            (n, name) for n, name in enumerate(made, start=1)
            if mutating(name) and (path.calls is None or path.calls(name)) and (numbers is None or n in numbers)
        ]  # fmt: skip
    for number, name in calls:
        with _fresh() as stack:
            _reset(stack)
            if path.setup is not None:
                path.setup(stack)
            run = path.timed(_IN_PROGRESS_SECONDS) if path.timed is not None else path.run
            # The invocation is over when it stops; what it left behind is what counts.
            with injecting(Injection(stop_after=number)) as injection, contextlib.suppress(LambdaStopped):
                run(stack)
            redelivered = False
            if path.asynchronous and injection.stopped:
                # Lambda retries an async event that failed; by then the stopped one's in-progress record expired.
                time.sleep(_IN_PROGRESS_SECONDS)
                run(stack)
                redelivered = True
            swept = _sweep(stack)
            crash = classify(path, stack, before, clean, swept, redelivered)
            crash.call = f"{number}: {name}" + ("" if injection.stopped else " (not reached)")
            campaign.outcomes.append(crash)
    return campaign


# The FakeLambdaContext of the crashing paths has this long to run; its in-progress record then expires.
_IN_PROGRESS_SECONDS = 1.5


def table(campaign: Campaign) -> list[str]:
    lines = [f"    {'path':<30} {'stopped after':<52} outcome"]
    for c in campaign.outcomes:
        lines.append(f"    {c.path:<30} {c.call:<52} {c.verdict}{'  ' + c.detail if c.detail else ''}")
    return lines


def summary(campaign: Campaign, seconds: float) -> str:
    recovered = len(campaign.outcomes) - len(campaign.lost)
    stopped = len(campaign.outcomes)
    return f"    stops simulated {stopped} / recovered with nothing lost {recovered} ({seconds:.0f} s of work)"


def main() -> int:
    started = time.monotonic()
    campaign = Campaign()
    for path in PATHS:
        run_path(path, campaign)
    print("\n".join(table(campaign)))
    print(summary(campaign, time.monotonic() - started))
    return 1 if campaign.lost else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
