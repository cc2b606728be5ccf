"""Roll the web service back.

`rollback [reason]` — a deployment in progress is stopped with a rollback (`StopServiceDeployment`,
`stopType=ROLLBACK`): ECS returns traffic to the previous revision. Otherwise, when the bot's last `deploy`
completed within the last 24 hours, its previous task-definition revision is deployed again, announced as a
rollback (the same deployment configuration, the same pre-flight minus the snapshot wait).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from opsbot.commands.base import AuditOutcome, CommandContext, CommandSpec, Outcome
from opsbot.config import Role
from opsbot.errors import GuardrailViolation

USAGE = "/mycandidate rollback [reason]"
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RollbackView:
    kind: str  # stopped | redeployed
    deployment: str
    task_definition: str = ""
    reason: str = ""


def parse(args: list[str]) -> str:
    return " ".join(" ".join(args).split())[:200]


def run(reason: str, ctx: CommandContext) -> Outcome:
    from opsbot.cutover.gate import standing

    deployments = ctx.ports.deployments
    if deployments is None:
        raise GuardrailViolation("deployments are not configured here")
    latest = deployments.latest()
    if latest is not None and not standing(latest).finished:
        arn = str(latest["serviceDeploymentArn"])
        deployments.stop(arn)
        view = RollbackView("stopped", arn, reason=reason)
        return Outcome(view=view, audit=AuditOutcome(after={"deployment": arn, "stopped": True, "reason": reason}))
    last = next((e for e in ctx.ports.audit.latest(50) if e.verb == "deploy" and e.result == "ok"
                 and e.phase == "outcome" and "task_definition" in e.before), None)  # fmt: skip
    if last is None or ctx.now - last.at > WINDOW:
        raise GuardrailViolation("nothing to roll back: no deployment in progress and no `deploy` of the bot's in 24 h")
    previous = str(last.before["task_definition"])
    service = deployments.service()
    if str(service.get("taskDefinition")) == previous:
        raise GuardrailViolation(f"the service already runs {previous.rsplit('/', 1)[-1]}")
    arn = deployments.start(previous, dict(service.get("deploymentConfiguration", {})))
    view = RollbackView("redeployed", arn, previous, reason)
    before = {"task_definition": str(service.get("taskDefinition"))}
    return Outcome(view=view, audit=AuditOutcome(before=before, after={"task_definition": previous, "deployment": arn}))


SPEC = CommandSpec(
    name="rollback", usage=USAGE, required_role=Role.OPERATOR, parse=parse, run=run, mutating=True,
    doc=__doc__ or "", locks=True,
)  # fmt: skip
