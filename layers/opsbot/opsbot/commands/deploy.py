"""Deploy a new MyCandidate image by an ECS-native blue/green (or canary, or linear) deployment.

`deploy <image-tag or sha256:digest> [strategy=blue_green|canary|linear] [bake=<minutes>] [--dry-run]
[--override "<reason>"]` — registers a task-definition revision that differs from the running one only in the web
container's image, then `UpdateService` with the strategy, the bake time (default 10 min), the rollback alarms
(5xx, unhealthy hosts, response time) and the lifecycle hooks: the smoke tests and analysis at
POST_TEST_TRAFFIC_SHIFT, and a pause before production traffic that rolls back when nobody continues it in time.
The pre-flight runs first and shows every check: no deployment in progress; the image exists in the service's
ECR repository with no CRITICAL finding; no rollback alarm already in ALARM; room for both revisions (Fargate vCPU
quota); not inside an election change freeze (an admin may override); a database snapshot younger than 6 h
(taken and awaited if needed). The dry run shows the plan — the task definition's one change, the strategy, the
hooks, the alarms — and changes nothing. In prod a second person's approval is required.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome, put_back
from opsbot.commands.freeze import take_override
from opsbot.config import Role
from opsbot.errors import AwsOperationError, GuardrailViolation, UsageError
from opsbot.logic.text import echo

USAGE = "/mycandidate deploy <tag|sha256:digest> [strategy=blue_green|canary|linear] [bake=<minutes>] [--dry-run]"
_DRY_RUN = {"--dry-run", "—dry-run", "–dry-run", "--dryrun"}
DEFAULT_BAKE = 10
# The hook tests at POST_TEST_TRAFFIC_SHIFT; at the recurring stages it is invoked again on a rollback, and lets it
# through at once (opsbot.cutover.hook).
HOOK_STAGES = ("TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
MIGRATION_STAGE = "PRE_SCALE_UP"  # with MigrationCommand: the migration task runs before green starts
SNAPSHOT_WAIT_S = 40  # within the Slack function's minute; a longer snapshot is reported, not waited for


@dataclass(frozen=True)
class DeployRequest:
    image: str
    strategy: str = "blue_green"
    bake: int = DEFAULT_BAKE
    dry_run: bool = False
    override: str = ""


@dataclass(frozen=True)
class DeployView:
    image: str
    strategy: str
    bake: int
    dry_run: bool
    checks: tuple[Any, ...]  # opsbot.cutover.preflight.Check
    diff: tuple[str, ...]
    hooks: tuple[str, ...]
    alarms: tuple[str, ...]
    deployment: str = ""  # the service deployment's ARN, once started
    task_definition: str = ""
    snapshot: str = ""
    refused: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    approval: str = ""  # prod: the confirmation the Approve / Reject buttons carry, while waiting
    approval_expires: datetime | None = None
    requester: str = ""
    approved_by: str = ""


@dataclass(frozen=True)
class ApprovalAnswerView:
    """Reject pressed, or an approval that could not be used."""

    image: str
    requester: str
    by: str


def parse(args: list[str]) -> DeployRequest:
    from opsbot.cutover.plan import MAX_BAKE_MINUTES, STRATEGIES, parse_image

    words, override = take_override(args, USAGE)
    dry_run = any(w.lower() in _DRY_RUN for w in words)
    words = [w for w in words if w.lower() not in _DRY_RUN]
    if not words:
        raise UsageError("`deploy` needs an image tag or digest", USAGE)
    image, options = words[0], words[1:]
    parse_image(image)
    strategy, bake = "blue_green", DEFAULT_BAKE
    for option in options:
        key, _, value = option.partition("=")
        if key.lower() == "strategy" and value.lower() in STRATEGIES:
            strategy = value.lower()
        elif key.lower() == "bake" and value.isdigit() and int(value) <= MAX_BAKE_MINUTES:
            bake = int(value)
        elif key.lower() == "strategy":
            raise UsageError(f"`{echo(value)}` is not a strategy (blue_green, canary or linear)", USAGE)
        elif key.lower() == "bake":
            raise UsageError(f"the bake time must be 0 to {MAX_BAKE_MINUTES} minutes, got `{echo(value)}`", USAGE)
        else:
            raise UsageError(f"`deploy` does not understand `{echo(option)}`", USAGE)
    return DeployRequest(image, strategy, bake, dry_run, override)


def hooks(ctx: CommandContext) -> list[dict[str, Any]]:
    settings = ctx.settings
    if not (settings.cutover_hook_arn and settings.cutover_hook_role_arn):
        raise GuardrailViolation("the cutover hook is not configured here (OPSBOT_CUTOVER_HOOK_ARN and _ROLE_ARN)")
    stages = ([MIGRATION_STAGE] if settings.migration_command else []) + list(HOOK_STAGES)
    return [
        {"targetType": "AWS_LAMBDA", "hookTargetArn": settings.cutover_hook_arn,
         "roleArn": settings.cutover_hook_role_arn, "lifecycleStages": stages},
        {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
         "timeoutConfiguration": {"timeoutInMinutes": int(settings.approval_timeout.total_seconds() // 60),
                                  "action": "ROLLBACK"}},
    ]  # fmt: skip


def run(request: DeployRequest, ctx: CommandContext, approved_by: str = "", requester: str = "") -> Outcome:
    """The pre-flight, then the deploy; in prod, without ``approved_by``, the question to a second person instead.
    An approval runs it all again (30 minutes may have changed the facts) as ``requester``'s deploy."""
    from opsbot.commands.freeze import check as check_freeze
    from opsbot.cutover import plan, preflight

    ports, settings = ctx.ports, ctx.settings
    if ports.deployments is None or ports.readiness is None:
        raise GuardrailViolation("deployments are not configured here")
    ref = plan.parse_image(request.image)
    service = ports.deployments.service()
    current = ports.deployments.task_definition(str(service["taskDefinition"]))
    revision = plan.new_revision(current, settings.web_container, ref)
    alarms = tuple(f"{settings.alarm_prefix}{suffix}" for suffix in settings.rollback_alarm_suffixes)
    planned_hooks = hooks(ctx)
    configuration = plan.deployment_configuration(
        request.strategy, request.bake, alarms, planned_hooks, service.get("deploymentConfiguration", {})
    )
    states = dict(ports.readiness.service_alarms())
    capacity = ports.capacity.get_capacity()
    facts = preflight.DeployFacts(
        in_progress=ports.deployments.in_progress(),
        image=ports.deployments.image(revision.image_before, ref),
        alarms=[(a, states.get(a, "missing")) for a in alarms],
        desired=int(service.get("desiredCount", 0)),
        task_vcpu=int(current.get("cpu", "0") or 0) / 1024,
        fargate_vcpu_quota=ports.readiness.fargate_vcpu_quota(),
        max_capacity=capacity.max,
    )
    checks = preflight.checks(facts, request.image)
    hook_lines = tuple(f"{h['targetType']} at {', '.join(h['lifecycleStages'])}" for h in planned_hooks)
    view = DeployView(
        request.image, request.strategy, request.bake, request.dry_run, tuple(checks), tuple(revision.diff),
        hook_lines, alarms,
    )  # fmt: skip
    refused = preflight.failed(checks)
    if refused:
        reason = "; ".join(f"{c.name}: {c.figure}" for c in refused)
        return Outcome(view=_replace(view, refused=reason), audit=AuditOutcome("refused", "refused", error=reason))
    if not (approved_by and request.override):  # an admin's override was checked when the deploy was asked for
        check_freeze(ctx, what=f"`deploy {echo(request.image)}`", override=request.override)
    if request.dry_run:
        note = f"a database snapshot younger than {settings.deploy_snapshot_max_age} would be ensured first"
        return Outcome(view=_replace(view, notes=(note,)), audit=AuditOutcome(decision="dry-run"))
    if settings.environment == "prod" and not approved_by:
        return _ask_approval(request, view, ctx)
    snapshot = _fresh_snapshot(request, ctx)
    arn = ports.deployments.register(revision.register)
    try:
        deployment = ports.deployments.start(arn, configuration)
    except AwsOperationError as exc:  # say what exists now: a revision nothing runs, and the service unchanged
        running = str(service["taskDefinition"]).rsplit("/", 1)[-1]
        raise AwsOperationError(
            exc.operation,
            exc.code,
            f"{exc.reason}. Revision {arn.rsplit('/', 1)[-1]} was"
            f" registered but nothing was deployed: the service still runs {running}",
        ) from exc
    done = _replace(view, deployment=deployment, task_definition=arn, snapshot=snapshot, requester=requester,
                    approved_by=approved_by)  # fmt: skip
    after = {"task_definition": arn, "deployment": deployment, "image": revision.image_after, "snapshot": snapshot}
    if approved_by:
        after.update(requested_by=requester, approved_by=approved_by)
    before = {"task_definition": str(service["taskDefinition"]), "image": revision.image_before}
    return Outcome(view=done, audit=AuditOutcome(before=before, after=after))


def _ask_approval(request: DeployRequest, view: DeployView, ctx: CommandContext) -> Outcome:
    """Prod: nothing changes until a second operator approves (Approve / Reject, expiring after the approval
    timeout); the pre-flight shown is the one the approval will run again."""
    confirmation = uuid.uuid4().hex
    expires = ctx.now + ctx.settings.approval_timeout
    payload = {"deploy_approval": {**asdict(request), "requester": ctx.actor.user_id, "expires": expires.isoformat()}}
    ctx.ports.confirmations.put(confirmation, payload, ctx.now, ttl=ctx.settings.approval_timeout)
    waiting = _replace(view, approval=confirmation, approval_expires=expires, requester=ctx.actor.user_id)
    return Outcome(view=waiting, audit=AuditOutcome(decision="awaiting-confirmation", result="pending"))


def _approval(confirmation_id: str, ctx: CommandContext) -> dict[str, Any]:
    """The deploy waiting for this approval, taken once; refused (and put back for someone else) when the presser
    is the requester."""
    pending = ctx.ports.confirmations.take(confirmation_id, ctx.now)
    if pending is not None and "deploy_approval" not in pending:
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now)  # another kind of confirmation: not ours
        pending = None
    asked = pending["deploy_approval"] if pending else None
    if pending is None or asked is None or datetime.fromisoformat(asked["expires"]) < ctx.now:
        raise GuardrailViolation("this deploy approval was already answered or has expired; ask with `deploy` again")
    if asked["requester"] == ctx.actor.user_id:
        left = datetime.fromisoformat(asked["expires"]) - ctx.now
        ctx.ports.confirmations.put(confirmation_id, pending, ctx.now, ttl=max(left, timedelta(seconds=1)))
        raise GuardrailViolation("in prod the person who asked for the deploy cannot approve it: a second person must")
    return dict(asked)


def approve(confirmation_id: str, ctx: CommandContext) -> Outcome:
    """Run the approved deploy; if AWS fails it before the service is updated, the approval is put back, so that
    the same button tries again instead of answering "already answered" for a deploy that never started."""
    asked = _approval(confirmation_id, ctx)
    request = DeployRequest(asked["image"], asked["strategy"], int(asked["bake"]), False, asked.get("override", ""))
    try:
        return run(request, ctx, approved_by=ctx.actor.user_id, requester=str(asked["requester"]))
    except AwsOperationError:  # raised only before UpdateService took effect: the service runs what it ran
        left = datetime.fromisoformat(asked["expires"]) - ctx.now
        put_back(ctx, confirmation_id, {"deploy_approval": asked}, ttl=max(left, timedelta(seconds=1)))
        raise


def reject(confirmation_id: str, ctx: CommandContext) -> Outcome:
    asked = _approval(confirmation_id, ctx)
    view = ApprovalAnswerView(str(asked["image"]), str(asked["requester"]), ctx.actor.user_id)
    return Outcome(view=view, audit=AuditOutcome(decision="cancelled", result="noop", after={"image": asked["image"]}))


def _fresh_snapshot(request: DeployRequest, ctx: CommandContext) -> str:
    from opsbot.commands.snapshot import windows_close
    from opsbot.cutover.plan import TAG
    from opsbot.snapshots.service import ensure_recent

    if ctx.ports.rds is None:
        raise GuardrailViolation("snapshots are not configured here; a deploy needs a fresh one")
    tag = request.image if TAG.fullmatch(request.image) else request.image.removeprefix("sha256:")[:12]
    snapshot = ensure_recent(
        ctx.ports.rds, max_age=ctx.settings.deploy_snapshot_max_age, reason=f"pre-cutover:{tag}",
        requested_by=ctx.actor.user_id, now=ctx.now, wait_s=SNAPSHOT_WAIT_S, windows_close=windows_close(ctx),
    )  # fmt: skip
    return snapshot.identifier


def _replace(view: DeployView, **changes: Any) -> DeployView:
    from dataclasses import replace

    return replace(view, **changes)


SPEC = CommandSpec(
    name="deploy", usage=USAGE, required_role=Role.OPERATOR, parse=parse, run=run, mutating=True,
    doc=__doc__ or "", locks=True,
)  # fmt: skip
