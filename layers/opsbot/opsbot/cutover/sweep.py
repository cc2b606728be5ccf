"""What ECS (and the bot's confirmations) say about a `deploy` or a gate's answer that was cut short
(``opsbot.operations.sweeper``).

- A `deploy`: a service deployment created during the operation's run is the one it started (the change lock kept
  any other out); none means ``UpdateService`` never happened, and the service runs what it ran. A prod approval's
  Approve cut short that way either left its approval unused (press it again) or had taken it (deploy again).
- A prod approval's Reject changes nothing in AWS: it is done when its approval has been taken.
- A gate's Promote or Roll back (verb ``cutover``): a deployment still waiting at its pause was not answered; once
  it no longer waits, ECS does not say who moved it on (the pause may also have timed out), so a person checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from opsbot.config import MAX_LAMBDA_RUN
from opsbot.cutover.ports import DeploymentsPort
from opsbot.ports import AuditEntry, ConfirmationPort

_CLOCK_SKEW = timedelta(minutes=2)


def _button(entry: AuditEntry) -> tuple[str, str]:
    """A button's action id and value (its audit arguments), or ``("", "")`` for a slash command."""
    action, _, value = entry.arguments.partition(" ")
    return (action, value.strip()) if action in {"deploy_approve", "deploy_reject"} else ("", "")


def deploy_evidence(
    deployments: DeploymentsPort, entry: AuditEntry, confirmations: ConfirmationPort | None = None
) -> tuple[str, str]:
    """``(result, summary)`` for the outcome record."""
    action, confirmation = _button(entry)
    if action == "deploy_reject":
        return _rejection(confirmations, confirmation)
    latest = deployments.latest()
    created = latest.get("createdAt") if latest else None
    if isinstance(created, datetime) and entry.at - _CLOCK_SKEW <= created <= entry.at + MAX_LAMBDA_RUN:
        arn = str(latest.get("serviceDeploymentArn", "")) if latest else ""
        status = str(latest.get("status", "")) if latest else ""
        return "ok", f"the deployment {arn.rsplit('/', 1)[-1]} was started ({status}); see `status`"
    running = str(deployments.service().get("taskDefinition", "")).rsplit("/", 1)[-1]
    again = " — deploy again"
    if action == "deploy_approve" and confirmations is not None and confirmations.waiting(confirmation):
        again = "; the approval was not used, so its Approve button works again"
    return "failed", (
        f"cut short before the deployment started; the service still runs {running}"
        f" (a new task definition revision may have been registered, unused){again}"
    )


def _rejection(confirmations: ConfirmationPort | None, confirmation: str) -> tuple[str, str]:
    if confirmations is None:
        return "unknown", "a Reject cut short: whether it took the approval is not known; nothing was deployed"
    if confirmations.waiting(confirmation):
        return "failed", "cut short before the deploy was rejected: the approval was not used and is still open"
    return "ok", "the deploy was rejected: its approval is used up and nothing was deployed"


def gate_evidence(deployments: DeploymentsPort, entry: AuditEntry) -> tuple[str, str]:
    """``(result, summary)`` for a Promote or Roll back at a deployment's pause."""
    from opsbot.cutover.gate import standing

    pressed = "Roll back" if entry.arguments.startswith("cutover_rollback") else "Promote"
    latest = deployments.latest()
    found = standing(latest) if latest is not None else None
    if found is not None and found.gate is not None:
        return "failed", (
            f"{pressed} was cut short before it answered the pause: the deployment still waits at it;"
            " run `cutover` again for the gate's buttons"
        )
    where = f"{found.status} at {found.stage or 'no stage'}" if found is not None else "no deployment"
    return "unknown", f"{pressed} was cut short; the deployment no longer waits at its pause ({where}): check `cutover`"
