"""Which target group is green, asked of AWS at each measurement: ECS blue/green swaps the roles of the two target
groups from one deployment to the next, so a configured name would be right every other deployment.

The service's ``loadBalancers[].advancedConfiguration.testListenerRule`` is the rule ECS points at the revision
under test; at ``POST_TEST_TRAFFIC_SHIFT`` its forward action sends the test traffic (weight 100) to green.
``DescribeRules`` gives that target group; the CloudWatch dimensions are the ARNs' resource parts
(``targetgroup/<name>/<id>``, and ``app/<name>/<id>`` from the rule's ARN).
"""

from __future__ import annotations

from typing import Any

from opsbot.aws.errors import aws_call
from opsbot.errors import AwsOperationError


class GreenTarget:
    def __init__(self, ecs: Any, elbv2: Any, cluster: str, service: str) -> None:
        self._ecs = ecs
        self._elbv2 = elbv2
        self._cluster = cluster
        self._service = service

    def dimensions(self) -> tuple[str, str]:
        """(LoadBalancer, TargetGroup) dimension values of the target group the test listener sends traffic to."""
        with aws_call("DescribeServices"):
            services = self._ecs.describe_services(cluster=self._cluster, services=[self._service])["services"]
        rules = [
            str((lb.get("advancedConfiguration") or {}).get("testListenerRule", ""))
            for service in services for lb in service.get("loadBalancers", [])
        ]  # fmt: skip
        rule = next((r for r in rules if r), "")
        if not rule:
            raise AwsOperationError("DescribeServices", "NoTestListenerRule", "the service has no test listener rule")
        with aws_call("DescribeRules"):
            found = self._elbv2.describe_rules(RuleArns=[rule])["Rules"]
        groups: list[tuple[float, str]] = []
        for action in (found[0].get("Actions") or []) if found else []:
            if action.get("Type") != "forward":
                continue
            weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            groups += [(float(g.get("Weight", 1)), str(g["TargetGroupArn"])) for g in weighted if "TargetGroupArn" in g]
            if action.get("TargetGroupArn"):
                groups.append((1.0, str(action["TargetGroupArn"])))
        if not groups:
            raise AwsOperationError("DescribeRules", "NoForwardAction", "the test listener rule forwards nowhere")
        target_group = max(groups)[1]
        return _load_balancer_dimension(rule), target_group.rsplit(":", 1)[-1]


def _load_balancer_dimension(rule_arn: str) -> str:
    # arn:…:listener-rule/app/<name>/<lb id>/<listener id>/<rule id> -> app/<name>/<lb id>
    parts = rule_arn.rsplit(":", 1)[-1].split("/")
    return "/".join(parts[1:4]) if len(parts) >= 4 else ""
