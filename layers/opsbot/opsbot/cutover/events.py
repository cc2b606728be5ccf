"""ECS's EventBridge events about the web service's deployments (pure): which deployment to follow, or why the
event is not ours. ``ECS Hook State Change`` carries ``serviceDeploymentArn``; the older ``ECS Deployment State
Change`` carries only an ``ecs-svc/…`` id (and reports FAILED only with the circuit breaker on), so it means
"follow the service's latest deployment". Both are best effort: the watch run polls as well.

Shapes: "Amazon ECS service deployment hook state change events" and "Amazon ECS service deployment state change
events" (ECS developer guide); ``events/ecs_*.json`` are what arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

HOOK_EVENT = "ECS Hook State Change"
DEPLOYMENT_EVENT = "ECS Deployment State Change"
KINDS = frozenset({HOOK_EVENT, DEPLOYMENT_EVENT})


@dataclass(frozen=True)
class Follow:
    deployment: str  # "" = the service's latest deployment
    why: str  # the event's name, for the log


def is_ecs_event(event: object) -> bool:
    if not isinstance(event, dict) or event.get("source") != "aws.ecs":
        return False
    kind = event.get("detail-type")
    return isinstance(kind, str) and kind in KINDS


def follow(event: dict[str, object], account: str, region: str, cluster: str, service: str) -> Follow | str:
    """What to follow, or (a string) why the event is refused."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return "the ECS event has no detail object"
    if str(event.get("account", "")) != account or str(event.get("region", "")) != region:
        return f"the ECS event is from {str(event.get('account'))[:20]}/{str(event.get('region'))[:20]}, not this bot's"
    name = str(detail.get("eventName", ""))[:60]
    service_arn = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"
    if event.get("detail-type") == HOOK_EVENT:
        if detail.get("serviceArn") != service_arn:
            return f"the hook event is for {str(detail.get('serviceArn'))[:200]}, not {service_arn}"
        arn = str(detail.get("serviceDeploymentArn", ""))
        if not arn.startswith(f"arn:aws:ecs:{region}:{account}:service-deployment/{cluster}/{service}/"):
            return "the hook event's serviceDeploymentArn is not a deployment of this service"
        return Follow(arn[:300], name)
    resources = event.get("resources")
    if not isinstance(resources, list) or service_arn not in resources:
        return f"the deployment event is not about {service_arn}"
    return Follow("", name)
