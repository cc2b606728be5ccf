"""The reliability and security campaign (issue 12), `make security`: faults injected on every AWS call of the
mutating paths, Lambda stopped after each of their writes (``devtools.crashes``), the forged-request corpus, races,
fuzzing, and the infrastructure and supply-chain checks; prints the figures recorded in docs/security.md.

Fault injection (``devtools.faults``): each path runs once clean on a fresh offline stack (its AWS calls counted,
the state it leaves recorded), then once per (call N, fault) on a fresh stack, and each run is classified:

- ``retried`` — the state is the clean run's, and the outcome too: botocore's standard retries absorbed it;
- ``reported`` — nothing changed (the state before), the person was told in words with the AWS error code, the
  attempt is audited as failed, the change lock is free;
- ``compensated`` — as ``reported``, after a change that was put back (the state before);
- ``stopped part-way, reported`` — a path that acts on several things one by one (``Path.partway``: a prune's
  deletes, which cannot be put back) stopped at the failed one: the state is a step between before and the clean
  run's, the report and the failed audit record name the error code and each change that was made;
- ``absorbed, audited`` — the clean run's state after a permanent fault the path works around by design (the
  cutover hook measures again after a failed metric read), with the AWS error code in the path's audit record;
- ``LOST`` — anything else: a third state, an answer that says nothing, a held lock, no audit of the failure.

``python -m devtools.security [--quick] [--parts faults,crashes,others] [--paths WORDS]``: ``--quick`` runs one
path (what `make test` runs in tests/security); ``--paths`` only the paths whose name contains one of the
comma-separated words (``--paths confirm,prune``); ``--jobs N`` shares the paths and parts among N worker processes,
each on its own offline stack (the campaign mostly waits out botocore's retry back-off: `make security` runs three);
``--shard I/N`` every N-th path from the I-th, to split the campaign between machines.
Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

from devtools import security_paths, security_paths_alarms, security_paths_calendar, security_paths_deploys
from devtools.faults import FAULTS, PERSISTENT_THROTTLING, Fault, Injection, injecting

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")


@dataclass(frozen=True)
class Path:
    name: str
    verb: str  # the audit trail's verb for it
    run: Callable[[Any], None]  # performs the path on the stack
    state: Callable[[Any], Any]  # the AWS state the path may change, comparable
    fresh: bool = False  # each run on a new stack (what it changes, e.g. a deployment, cannot be reset)
    calls: Callable[[str], bool] | None = None  # which calls to fault (default: every one)
    setup: Callable[[Any], None] | None = None  # before each run, outside the injection (e.g. a fresh snapshot)
    asynchronous: bool = False  # an async entry point: raising means Lambda retries it, then the DLQ keeps it
    # A path that acts on several things one by one (a prune's deletes) and stops at the first failure: given the
    # state before, the state found and the clean run's, the changes made if the state is a step on the way there
    # (each must be named in the report and in the failed audit record), else None.
    partway: Callable[[Any, Any, Any], list[str] | None] | None = None
    # What the caller makes of an invocation that stops (devtools.crashes), when it has a rule of its own.
    stop_means: str = ""
    # A state besides before and done that a stop may leave (a one-time confirmation taken, nothing changed):
    # given the state before and the state found, the words the ops channel must then hear, else "".
    stop_spends: Callable[[Any, Any], str] | None = None
    # An asynchronous path's run in a Lambda context of the given timeout (devtools.crashes: the redelivery comes
    # once a stopped run's exactly-once record has expired with it).
    timed: Callable[[float], Callable[[Any], None]] | None = None


@dataclass
class Outcome:
    path: str
    call: str
    fault: str
    verdict: str
    detail: str = ""


@dataclass
class Campaign:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def lost(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "LOST"]


def _capacity(stack: Any) -> tuple[int, int]:
    return tuple(stack.capacity())  # type: ignore[return-value]


def _capacity_and_actions(stack: Any) -> tuple[Any, ...]:
    autoscaling = stack.client("application-autoscaling")
    actions = autoscaling.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId="service/mycandidate/web")
    names = sorted(a["ScheduledActionName"] for a in actions["ScheduledActions"])
    return (*_capacity(stack), len(names))


def _slash(text: str, user: str = "U0OPERATOR") -> Callable[[Any], None]:
    def run(stack: Any) -> None:
        stack.bot().command(text, user, response_url=f"{stack.recorder.url}/response/fault")

    return run


def alarm_delivery(timeout_seconds: float = 30.0) -> Callable[[Any], None]:
    """The CPU alarm's EventBridge event, delivered to the alarm function's handling with a Lambda context of
    ``timeout_seconds`` (Powertools' in-progress record expires with it)."""

    def run(stack: Any) -> None:
        from devtools.events import load_event
        from devtools.lambda_context import FakeLambdaContext
        from opsbot import dependencies
        from opsbot.alarms.entry import process
        from opsbot.idempotency import current_lambda_context, exactly_once

        remediator = dependencies.build_remediator(stack.settings)
        context = FakeLambdaContext("mycandidate-opsbot-alarm-remediation", timeout_seconds=timeout_seconds)
        token = current_lambda_context.set(context)
        try:
            event = load_event("alarm_eventbridge_cpu_high.json")
            process(event, remediator, exactly_once(stack.settings, local_cache=True))
        finally:
            current_lambda_context.reset(token)

    return run


def _snapshots(stack: Any) -> int:
    found = stack.client("rds").describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]
    return len([s for s in found if s["DBSnapshotIdentifier"].startswith("opsbot-")])


def _deployment(stack: Any) -> tuple[str, int]:
    ecs = stack.client("ecs")
    service = ecs.describe_services(cluster="mycandidate", services=["web"])["services"][0]
    deployments = ecs.list_service_deployments(cluster="mycandidate", service="web")["serviceDeployments"]
    return str(service["taskDefinition"]).rsplit("/", 1)[-1], len(deployments)


def _snapshot_taken(stack: Any) -> None:
    """A database snapshot younger than the deploy's limit (the snapshot's own path is faulted on its own)."""
    from datetime import timedelta

    _slash("snapshot")(stack)
    stack.advance(timedelta(minutes=5))


# The deploy's own calls: its reads of ECS, ECR and RDS (the snapshot it finds fresh), and its writes.
DEPLOY_FAULTED = frozenset({
    "ecs.RegisterTaskDefinition", "ecs.UpdateService", "ecs.ListServiceDeployments", "ecr.DescribeImages",
    "rds.DescribeDBSnapshots",
})  # fmt: skip
PATHS: tuple[Path, ...] = (
    Path("scale 4", "scale", _slash("scale 4"), _capacity),
    Path("scale 4 for 1h", "scale", _slash("scale 4 for 1h"), _capacity_and_actions),
    Path(
        "alarm: CPU high → scale out",
        "remediate",
        alarm_delivery(),
        _capacity_and_actions,
        asynchronous=True,
        timed=alarm_delivery,
    ),
    Path("snapshot", "snapshot", _slash("snapshot before the debate"), _snapshots),
    Path(
        "deploy v1.4.3",
        "deploy",
        _slash("deploy v1.4.3"),
        _deployment,
        fresh=True,
        calls=lambda name: name in DEPLOY_FAULTED,
        setup=_snapshot_taken,
    ),
)
PATHS += security_paths.paths()  # the buttons, prune, rollback, the cutover hook, schedule sync, the election run
PATHS += security_paths_deploys.paths()  # the gate's Promote and Roll back, a prod deploy's Approve and Reject
PATHS += security_paths_calendar.paths()  # the election's Scale down now and Keep, `schedule add` and `remove`
PATHS += security_paths_alarms.paths()  # other remediation actions, the incident's buttons, the snapshots function


def _reset(stack: Any) -> None:
    """The stack as a fresh one leaves it, for what the paths read and change (a fresh stack per run costs 2 s)."""
    dynamodb = stack.client("dynamodb")
    for table, key in ((stack.settings.operations_table, ("pk", "sk")), (stack.settings.idempotency_table, ("id",))):
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={name: item[name] for name in key})
    autoscaling = stack.client("application-autoscaling")
    for action in autoscaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]:
        autoscaling.delete_scheduled_action(
            ServiceNamespace="ecs", ScheduledActionName=action["ScheduledActionName"], ResourceId=action["ResourceId"],
            ScalableDimension=action["ScalableDimension"],
        )  # fmt: skip
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/mycandidate/web", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2, MaxCapacity=10,
    )  # fmt: skip
    rds = stack.client("rds")
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier="mycandidate-db")["DBSnapshots"]:
        if snapshot["DBSnapshotIdentifier"].startswith("opsbot-"):
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])
    stack.recorder.clear()


def _said(stack: Any) -> str:
    posts = [json.dumps(c.body) for c in stack.recorder.response_url_posts()]
    posts += [json.dumps(c.body) for c in stack.recorder.api_calls("chat.postMessage")]
    return "\n".join(posts)


def _locks(stack: Any) -> list[str]:
    items = stack.client("dynamodb").scan(TableName=stack.settings.operations_table)["Items"]
    return [i["pk"]["S"] for i in items if i["pk"]["S"].startswith("LOCK#")]


def _audited(stack: Any, since: set[str]) -> list[dict[str, str]]:
    """The audit records written after ``since`` (the sort keys there were)."""
    return [
        {k: v.get("S", "") for k, v in item.items() if isinstance(v, dict)}
        for item in stack.audit_items()
        if item["sk"]["S"] not in since
    ]


def _sort_keys(stack: Any) -> set[str]:
    return {item["sk"]["S"] for item in stack.audit_items()}


@contextmanager
def _fresh() -> Iterator[Any]:
    from devtools.local_stack import running_stack

    with running_stack() as stack:
        yield stack


def classify(path: Path, fault: Fault, stack: Any, before: Any, clean: Any, injection: Injection,
             audit_before: set[str]) -> Outcome:  # fmt: skip
    state, said, locks = path.state(stack), _said(stack), _locks(stack)
    failed = [a for a in _audited(stack, audit_before) if a.get("result") == "failed"]
    outcome = Outcome(path.name, injection.hit, fault.name, "LOST")
    if injection.injected == 0:  # this run made fewer calls (a cache, an earlier refusal): the fault never fired
        outcome.verdict = "not reached"
        return outcome
    code = fault.code or "timed out"
    told = code.lower() in said.lower()
    audited = any(code.lower() in (a.get("error", "") + a.get("after", "")).lower() for a in failed)
    partway = path.partway(before, state, clean) if path.partway is not None else None
    if locks and (state == clean or partway is not None) and injection.hit == "dynamodb.DeleteItem":
        # The release itself failed: the change is done and reported, the lock expires by its TTL (logged); a
        # path of several operations may have had its next one refused meanwhile (the next run does it).
        outcome.verdict = "lock expires"
    elif locks:
        outcome.detail = f"lock held: {locks}"
    elif state == clean and not failed:
        outcome.verdict = "retried" if fault.transient else "absorbed"
        recorded = " ".join(a.get("after", "") + a.get("error", "") for a in _audited(stack, audit_before))
        if not fault.transient and code.lower() in recorded.lower():
            outcome.verdict = "absorbed, audited"
    elif state == clean and audited:
        # The change is done; what failed after it (the Slack report without a token) is in the audit trail.
        outcome.verdict = "done, report audited"
    elif state == before and told and (audited or "audit trail is unavailable" in said):
        # An audit write that fails cannot audit itself: the person is told nothing changed instead.
        outcome.verdict = "reported"
    elif told and (audited or "audit trail is unavailable" in said) and _named(partway, said, failed):
        outcome.verdict = "stopped part-way, reported"
    else:
        outcome.detail = (
            f"state {state} (before {before}, clean {clean}); failed audits {len(failed)}; said {said[-300:]!r}"
        )
    return outcome


def _named(changes: list[str] | None, said: str, failed: list[dict[str, str]]) -> bool:
    """Each change made before a path stopped is in what the person was told and in a failed audit record."""
    recorded = " ".join(a.get("after", "") for a in failed)
    return changes is not None and all(c in said and c in recorded for c in changes)


def run_path(path: Path, faults: tuple[Fault, ...] = (*FAULTS, PERSISTENT_THROTTLING),
             calls: Callable[[str], bool] | None = None, campaign: Campaign | None = None,
             numbers: set[int] | None = None) -> Campaign:  # fmt: skip
    """The path clean, then with each fault at each of its calls (``calls``: which ``service.Operation`` names to
    fault, default the path's own choice, else every one; ``numbers``: only these calls, counted from 1)."""
    campaign = campaign or Campaign()
    chosen = calls or path.calls
    with _fresh() as stack:
        before, clean, made = clean_run(path, stack)
        faulted = [
            n for n, name in enumerate(made, start=1)
            if (chosen is None or chosen(name)) and (numbers is None or n in numbers)
        ]  # fmt: skip
        for number in faulted:
            for fault in faults:
                if path.fresh:
                    with _fresh() as other:
                        _reset(other)
                        _one(path, fault, number, other, before, clean, campaign)
                else:
                    _reset(stack)
                    _one(path, fault, number, stack, before, clean, campaign)
    return campaign


def clean_run(path: Path, stack: Any) -> tuple[Any, Any, list[str]]:
    """The path once without faults on ``stack`` (reset first): the state before, the state it leaves, and the AWS
    calls it made, as ``service.Operation``."""
    _reset(stack)
    if path.setup is not None:
        path.setup(stack)
    before = path.state(stack)
    with injecting(Injection()) as counted:
        path.run(stack)
    return before, path.state(stack), counted.calls


def _one(path: Path, fault: Fault, number: int, stack: Any, before: Any, clean: Any, campaign: Campaign) -> None:
    if path.setup is not None:
        path.setup(stack)
    audit_before = _sort_keys(stack)
    with injecting(Injection(fault, number)) as injection:
        try:
            path.run(stack)
        except Exception as exc:  # out of a synchronous entry point: LOST; out of an async one: redelivered
            verdict = "LOST"
            if path.asynchronous and path.state(stack) == before and not _locks(stack):
                verdict = "redelivered"
            detail = "" if verdict != "LOST" else f"raised {type(exc).__name__}: {exc}"
            campaign.outcomes.append(Outcome(path.name, injection.hit, fault.name, verdict, detail))
            return
    campaign.outcomes.append(classify(path, fault, stack, before, clean, injection, audit_before))


def table(campaign: Campaign) -> list[str]:
    lines = [f"    {'path':<30} {'call':<46} {'fault':<22} outcome"]
    for o in campaign.outcomes:
        lines.append(f"    {o.path:<30} {o.call:<46} {o.fault:<22} {o.verdict}{'  ' + o.detail if o.detail else ''}")
    return lines


# The checking tools live in a virtualenv of their own: checkov pins an old boto3, which installed beside the bot's
# would downgrade the SDK the tests and the layer are built against.
TOOLS = FilePath(__file__).resolve().parents[1] / ".venv-tools"


def _tool(executable: str, package: str) -> str | None:
    """The tool's path in ``.venv-tools``, installed there on first use (`make security` installs what it needs);
    None when it cannot be installed."""
    found = TOOLS / "bin" / executable
    if found.exists():
        return str(found)
    python = TOOLS / "bin" / "python"
    if not python.exists() and subprocess.run([sys.executable, "-m", "venv", str(TOOLS)]).returncode != 0:
        return None
    done = subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet", package],
                          capture_output=True, text=True)  # fmt: skip
    return str(found) if done.returncode == 0 and found.exists() else None


def iac_checks() -> list[str]:
    """cfn-lint (through `sam validate --lint`) and checkov over template.yaml."""
    lines = []
    sam = os.path.join(os.path.dirname(sys.executable), "sam")
    done = subprocess.run([sam, "validate", "--lint", "--region", "af-south-1"], capture_output=True, text=True)
    verdict = "0 failures" if done.returncode == 0 else "FAILED: " + (done.stdout + done.stderr)[-500:]
    lines.append(f"    cfn-lint (sam validate --lint): {verdict}")
    checkov = _tool("checkov", "checkov")
    if checkov is None:
        lines.append("    checkov: not run — it could not be installed from the package registry")
        return lines
    done = subprocess.run([checkov, "-f", "template.yaml", "--framework", "cloudformation", "-o", "json", "--quiet"],
                          capture_output=True, text=True)  # fmt: skip
    try:
        report = json.loads(done.stdout or "{}")
        summary = (report[0] if isinstance(report, list) else report).get("summary", {})
        lines.append(f"    checkov: {summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed,"
                     f" {summary.get('skipped', 0)} skipped (with the reason in template.yaml)")  # fmt: skip
        failed = (report[0] if isinstance(report, list) else report).get("results", {}).get("failed_checks", [])
        lines += [f"      failed {c.get('check_id')} {c.get('resource')}: {c.get('check_name')}" for c in failed[:40]]
    except (ValueError, AttributeError, IndexError):
        lines.append(f"    checkov: no report ({(done.stderr or done.stdout)[-300:]!r})")
    return lines


def supply_chain() -> list[str]:
    """pip-audit over the layers' pinned requirements, when the vulnerability data can be reached."""
    pip_audit = _tool("pip-audit", "pip-audit")
    if pip_audit is None:
        return ["    pip-audit: not run — it could not be installed from the package registry"]
    lines = []
    for requirements in ("layers/dependencies/requirements.txt",):
        done = subprocess.run([pip_audit, "-r", requirements, "--progress-spinner", "off"],
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        text = (done.stdout + done.stderr).strip().splitlines()
        # pip-audit exits 0 when it could look nothing up (PyPI's JSON API unreachable): each package "could not be
        # audited". That is not a clean result.
        skipped = [t for t in text if "could not be audited" in t or "not found on PyPI" in t]
        if skipped:
            lines.append(f"    pip-audit {requirements}: NOT CHECKED — {len(skipped)} packages could not be looked up"
                         " (the vulnerability data is unreachable from here)")  # fmt: skip
        elif done.returncode == 0:
            lines.append(f"    pip-audit {requirements}: no known vulnerabilities")
        elif any("Connection" in t or "HTTPError" in t or "Max retries" in t for t in text):
            lines.append(f"    pip-audit {requirements}: NOT CHECKED — the vulnerability data could not be reached")
        else:
            lines.append(f"    pip-audit {requirements}: findings:")
            lines += [f"      {t}" for t in text[-20:]]
    return lines


def _pytest(*args: str, profile: str = "") -> tuple[int, str]:
    env = {**os.environ, **({"HYPOTHESIS_PROFILE": profile} if profile else {})}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, env=env)  # fmt: skip
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines[-1] if lines else done.stderr[-300:]


PARTS = ("faults", "crashes", "others")  # others: the corpus, races, fuzzing, IaC, supply chain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one path only (the CI subset)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)")  # fmt: skip
    parser.add_argument("--paths", default="", metavar="WORDS",
                        help="comma-separated words: only the paths whose name contains one of them")  # fmt: skip
    parser.add_argument("--shard", default="1/1", metavar="I/N",
                        help="every N-th path from the I-th: N processes side by side share the paths")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="N worker processes share the paths and parts, each on its own offline stack"
                             " (default 1: all in this process)")  # fmt: skip
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if not parts <= set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(parts - set(PARTS)))} (known: {', '.join(PARTS)})")
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: give at least 1")
    paths = PATHS[:1] if args.quick else PATHS
    if args.paths:
        words = [w.strip().lower() for w in args.paths.split(",") if w.strip()]
        paths = tuple(p for p in paths if any(w in p.name.lower() for w in words))
        if not paths:
            parser.error(f"no path's name contains {args.paths!r}; the paths: {'; '.join(p.name for p in PATHS)}")
    shard, _, shards = args.shard.partition("/")
    if not (shard.isdigit() and shards.isdigit() and 1 <= int(shard) <= int(shards)):
        parser.error(f"--shard {args.shard!r}: give I/N with 1 <= I <= N, e.g. 2/3")
    paths = paths[int(shard) - 1 :: int(shards)]
    started = time.monotonic()
    units = [("others", -1)] if "others" in parts else []
    units += [(part, PATHS.index(p)) for part in ("faults", "crashes") if part in parts for p in paths]
    results = _run_units(units, args.jobs)
    failures = list(results.failures)
    if "faults" in parts:
        failures += _report_faults(results.faults, results.seconds["faults"])
    if "crashes" in parts:
        failures += _report_crashes(results.crashes, results.seconds["crashes"])
    if "others" in parts:
        print(results.others, end="")
        failures += results.others_failed
    workers = f" in {args.jobs} processes" if args.jobs > 1 else ""
    print(f"\n{'MISSED: ' + ', '.join(failures) if failures else 'every figure at its goal'}"
          f" ({time.monotonic() - started:.0f} s{workers})")  # fmt: skip
    return 1 if failures else 0


@dataclass
class Results:
    faults: Campaign = field(default_factory=Campaign)
    crashes: Campaign = field(default_factory=Campaign)
    others: str = ""  # the printed figures (4), (5), (3), (6), (8)
    others_failed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # units that could not run to the end
    seconds: dict[str, float] = field(default_factory=lambda: {"faults": 0.0, "crashes": 0.0, "others": 0.0})


def run_unit(part: str, index: int) -> tuple[list[Outcome], str, list[str], float]:
    """One part for one path (``PATHS[index]``), or the others: its outcomes, its printed figures, the figures that
    missed their goal, and its seconds. A module-level function: the worker processes run it by name."""
    started = time.monotonic()
    if part == "others":
        printed = io.StringIO()
        with redirect_stdout(printed):
            failed = _others()
        return [], printed.getvalue(), failed, time.monotonic() - started
    campaign = Campaign()
    if part == "faults":
        run_path(PATHS[index], campaign=campaign)
    elif part == "crashes":
        from devtools import crashes

        crashes.run_path(PATHS[index], campaign)
    else:
        raise ValueError(f"no part {part!r} (known: {', '.join(PARTS)})")
    return campaign.outcomes, "", [], time.monotonic() - started


def _run_units(units: list[tuple[str, int]], jobs: int, work: Callable[..., Any] = run_unit) -> Results:
    """Every unit, here or in ``jobs`` worker processes, merged in the order of ``units`` (the table's order);
    ``work`` is ``run_unit`` or a module-level stand-in with its signature."""
    results = Results()
    done: dict[tuple[str, int], tuple[list[Outcome], str, list[str], float]] = {}
    if jobs == 1:
        for unit in units:
            done[unit] = work(*unit)
    else:
        # spawn, not fork: each worker starts its own moto server threads instead of inheriting a copy of ours.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(work, *unit): unit for unit in units}
            for count, future in enumerate(as_completed(futures), start=1):
                part, index = unit = futures[future]
                name = "others" if part == "others" else f"{part} · {PATHS[index].name}"
                progress = f"  [{count}/{len(units)}] {name}"
                try:
                    done[unit] = future.result()
                except Exception as error:  # a worker that died or raised: that unit's figures are missing
                    results.failures.append(f"{name} did not finish ({type(error).__name__}: {error})")
                    # The worker's own traceback rides along as the cause (concurrent.futures' _RemoteTraceback).
                    print(f"{progress} did not finish:", file=sys.stderr)
                    traceback.print_exception(error, file=sys.stderr)
                    continue
                print(f"{progress}: {done[unit][3]:.0f} s", file=sys.stderr, flush=True)
    for unit in units:
        if unit not in done:
            continue
        outcomes, printed, failed, seconds = done[unit]
        part = unit[0]
        results.seconds[part] += seconds
        if part == "faults":
            results.faults.outcomes += outcomes
        elif part == "crashes":
            results.crashes.outcomes += outcomes
        else:
            results.others, results.others_failed = printed, failed
    return results


def _report_faults(campaign: Campaign, seconds: float) -> list[str]:
    print("(1) faults injected on every AWS call of the mutating paths")
    print("\n".join(table(campaign)))
    fired = [o for o in campaign.outcomes if o.verdict != "not reached"]
    verdicts = sorted({o.verdict for o in fired})
    print("    " + ", ".join(f"{v} {sum(o.verdict == v for o in fired)}" for v in verdicts))
    survived = len(fired) - len(campaign.lost)
    print(f"    faults injected {len(fired)} / survived with nothing lost {survived} ({seconds:.0f} s of work)")
    return ["faults"] if campaign.lost else []


def _report_crashes(campaign: Campaign, seconds: float) -> list[str]:
    from devtools import crashes

    print("\n(2) crash safety: Lambda stopped after each mutating call, then the redelivery and the sweeper")
    print("\n".join(crashes.table(campaign)))
    print(crashes.summary(campaign, seconds))
    return ["crash safety"] if campaign.lost else []


def _others() -> list[str]:
    failures: list[str] = []
    from devtools.local_stack import running_stack
    from tests.security.forged_corpus import run_corpus

    with running_stack() as stack:
        sent, accepted = run_corpus(stack)
    print(f"\n(4) forged requests {sent} sent / {accepted} accepted (goal 0)")
    failures += ["forged requests"] if accepted else []

    code, summary = _pytest("tests/security/test_races.py")
    effects = "0" if code == 0 else "see the failures"
    print(f"\n(5) concurrent races (tests/security/test_races.py): {summary}; double effects: {effects}")
    failures += ["races"] if code else []

    # The full 10,000 examples per target is `make fuzz` (long); here the `ci` profile's 300 per target.
    code, summary = _pytest("tests/fuzz", profile="ci")
    print(f"\n(3) property-based fuzzing (tests/fuzz, 300 examples per target; `make fuzz`: 10,000): {summary}")
    failures += ["fuzz"] if code else []

    print("\n(6) infrastructure checks")
    print("\n".join(iac_checks()))
    print("\n(8) supply chain")
    print("\n".join(supply_chain()))
    return failures


if __name__ == "__main__":
    # Run the importable module, not this __main__ copy: the paths and the crash campaign import devtools.security,
    # and two copies of it would not share their classes (or, edited during a run, their code).
    from devtools import security

    sys.exit(security.main())
