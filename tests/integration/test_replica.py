"""The MyCandidate replica looks, to an operator, like the system described in ``docs/architecture.md``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from devtools.replica import Replica, ReplicaSpec, seed_replica

REGION = "af-south-1"
GIB = 1024**3


# ------------------------------------------------------------------------------------------------ helpers


FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # a second per backend that nothing here needs
}


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway credentials, and nothing that could send a call anywhere but moto."""
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """A boto3 session on an empty in-process moto backend."""
    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture(scope="class")
def seeded() -> Iterator[tuple[boto3.session.Session, Replica]]:
    """One replica seeded with the default (reference) spec, shared by the read-only checks of a class."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        fake_aws_environment(monkeypatch)
        session = boto3.session.Session(region_name=REGION)
        yield session, seed_replica(session)


def client(session: boto3.session.Session, service: str) -> Any:
    return session.client(service, region_name=REGION)  # type: ignore[call-overload]


def the_service(session: boto3.session.Session, cluster: str = "mycandidate", name: str = "web") -> Any:
    return client(session, "ecs").describe_services(cluster=cluster, services=[name])["services"][0]


def listener_on(session: boto3.session.Session, replica: Replica, port: int) -> Any:
    listeners = client(session, "elbv2").describe_listeners(LoadBalancerArn=replica.load_balancer_arn)["Listeners"]
    return next(item for item in listeners if item["Port"] == port)


def inventory(session: boto3.session.Session) -> dict[str, int]:
    """How many of each thing exist: what a second seeding must not change."""
    elbv2, ecs, ec2 = client(session, "elbv2"), client(session, "ecs"), client(session, "ec2")
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    return {
        "vpcs": len(ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["mycandidate-vpc"]}])["Vpcs"]),
        "subnets": len(ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.*"]}])["Subnets"]),
        "security_groups": len(ec2.describe_security_groups()["SecurityGroups"]),
        "load_balancers": len(balancers),
        "listeners": sum(
            len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) for lb in balancers
        ),
        "target_groups": len(elbv2.describe_target_groups()["TargetGroups"]),
        "services": len(ecs.list_services(cluster="mycandidate")["serviceArns"]),
        "task_definitions": len(ecs.list_task_definitions(familyPrefix="mycandidate-web")["taskDefinitionArns"]),
        "scaling_policies": len(
            client(session, "application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")[
                "ScalingPolicies"
            ]
        ),
        "db_instances": len(client(session, "rds").describe_db_instances()["DBInstances"]),
        "manual_snapshots": len(client(session, "rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]),
        "cache_clusters": len(client(session, "elasticache").describe_cache_clusters()["CacheClusters"]),
        "alarms": len(client(session, "cloudwatch").describe_alarms()["MetricAlarms"]),
        "topics": len(client(session, "sns").list_topics()["Topics"]),
    }


GT, LT = "GreaterThanThreshold", "LessThanThreshold"
ECS, ALB, RDS, REDIS = "AWS/ECS", "AWS/ApplicationELB", "AWS/RDS", "AWS/ElastiCache"
SERVICE, LB, DB = {"ClusterName", "ServiceName"}, {"LoadBalancer"}, {"DBInstanceIdentifier"}
EXPECTED_ALARMS = [
    # name, namespace, metric, comparison, threshold, dimension names
    ("mycandidate-ecs-cpu-high", ECS, "CPUUtilization", GT, 80.0, SERVICE),
    ("mycandidate-ecs-memory-high", ECS, "MemoryUtilization", GT, 80.0, SERVICE),
    ("mycandidate-alb-5xx", ALB, "HTTPCode_Target_5XX_Count", GT, 10.0, LB),
    ("mycandidate-alb-unhealthy-hosts", ALB, "UnHealthyHostCount", GT, 0.0, {"TargetGroup", "LoadBalancer"}),
    ("mycandidate-alb-response-time", ALB, "TargetResponseTime", GT, 1.0, LB),
    ("mycandidate-rds-cpu-high", RDS, "CPUUtilization", GT, 80.0, DB),
    ("mycandidate-rds-connections-high", RDS, "DatabaseConnections", GT, 300.0, DB),
    ("mycandidate-rds-free-storage-low", RDS, "FreeStorageSpace", LT, float(10 * GIB), DB),
    ("mycandidate-redis-evictions", REDIS, "Evictions", GT, 0.0, {"CacheClusterId"}),
]


class TestWhatAnOperatorSees:
    """Read-only checks, all against one replica seeded with the reference spec."""

    @pytest.fixture
    def session(self, seeded: tuple[boto3.session.Session, Replica]) -> boto3.session.Session:
        return seeded[0]

    @pytest.fixture
    def replica(self, seeded: tuple[boto3.session.Session, Replica]) -> Replica:
        return seeded[1]

    # ------------------------------------------------------------------------------------------------ ECS

    def test_web_service_runs_two_fargate_tasks_behind_the_blue_target_group(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator looks at the web service
        service = the_service(session)

        # Then it wants two Fargate tasks, deployed by ECS itself, behind blue with green as the alternate
        assert service["serviceArn"] == replica.service_arn
        assert service["desiredCount"] == 2
        assert service["launchType"] == "FARGATE"
        assert service["deploymentController"] == {"type": "ECS"}
        [balancer] = service["loadBalancers"]
        assert balancer["targetGroupArn"] == replica.blue_target_group_arn
        assert (balancer["containerName"], balancer["containerPort"]) == ("web", 5000)
        assert balancer["advancedConfiguration"]["alternateTargetGroupArn"] == replica.green_target_group_arn
        assert balancer["advancedConfiguration"]["productionListenerRule"] == replica.production_rule_arn
        assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == list(replica.private_subnet_ids)
        assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"

    def test_task_definition_is_half_a_vcpu_one_gb_on_port_5000_with_a_health_check(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator opens the service's task definition
        task_definition_arn = the_service(session)["taskDefinition"]
        definition = client(session, "ecs").describe_task_definition(taskDefinition=task_definition_arn)[
            "taskDefinition"
        ]

        # Then it is the mycandidate-web family at 512 CPU units / 1024 MiB, one container on port 5000
        assert task_definition_arn == replica.task_definition_arn
        assert definition["family"] == "mycandidate-web"
        assert (definition["cpu"], definition["memory"]) == ("512", "1024")
        assert definition["requiresCompatibilities"] == ["FARGATE"]
        assert definition["networkMode"] == "awsvpc"
        [container] = definition["containerDefinitions"]
        assert container["name"] == "web"
        assert container["image"] == "123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate:v1.4.2"
        assert [mapping["containerPort"] for mapping in container["portMappings"]] == [5000]
        # And the container checks its own health on the API's health endpoint
        assert "http://localhost:5000/api/v1/health" in " ".join(container["healthCheck"]["command"])

    def test_the_running_image_and_the_next_one_are_in_ecr(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator lists the images in the repository
        details = client(session, "ecr").describe_images(repositoryName="mycandidate")["imageDetails"]

        # Then the running tag and a newer one to deploy are both there
        tags = {tag for detail in details for tag in detail.get("imageTags", [])}
        assert {"v1.4.2", "v1.4.3"} <= tags
        assert replica.ecr_repository_uri == "123456789012.dkr.ecr.af-south-1.amazonaws.com/mycandidate"

    # ------------------------------------------------------------------------------------------------ scaling

    def test_capacity_is_two_to_ten_tasks_tracking_70_percent_cpu(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        autoscaling = client(session, "application-autoscaling")

        # When the operator looks at the scalable target and its policies
        [target] = autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=["service/mycandidate/web"]
        )["ScalableTargets"]
        [policy] = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/mycandidate/web")[
            "ScalingPolicies"
        ]

        # Then the service scales between 2 and 10 tasks, tracking 70 % average CPU with 5-minute cooldowns
        assert target["ScalableDimension"] == "ecs:service:DesiredCount"
        assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
        assert policy["PolicyName"] == "mycandidate-web-cpu70"
        assert policy["PolicyARN"] == replica.scaling_policy_arn
        assert policy["PolicyType"] == "TargetTrackingScaling"
        configuration = policy["TargetTrackingScalingPolicyConfiguration"]
        assert configuration["TargetValue"] == 70.0
        assert (
            configuration["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
        )
        assert (configuration["ScaleInCooldown"], configuration["ScaleOutCooldown"]) == (300, 300)

    # ------------------------------------------------------------------------------------------------ load balancer

    def test_production_listener_serves_blue_and_test_listener_serves_green(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator looks at the ALB's listeners
        production = listener_on(session, replica, 443)
        test = listener_on(session, replica, 8443)

        # Then production (HTTPS 443) forwards to blue and the test listener (8443) to green
        assert production["ListenerArn"] == replica.production_listener_arn
        assert production["Protocol"] == "HTTPS"
        assert production["DefaultActions"][0]["TargetGroupArn"] == replica.blue_target_group_arn
        assert test["ListenerArn"] == replica.test_listener_arn
        assert test["DefaultActions"][0]["TargetGroupArn"] == replica.green_target_group_arn
        # And plain HTTP is redirected to HTTPS
        redirect = listener_on(session, replica, 80)
        assert redirect["DefaultActions"][0]["Type"] == "redirect"
        assert redirect["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"

    def test_blue_and_green_target_groups_health_check_the_api(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        elbv2 = client(session, "elbv2")

        # When the operator looks at both target groups
        groups = elbv2.describe_target_groups(Names=["mycandidate-blue", "mycandidate-green"])["TargetGroups"]

        # Then both send IP targets traffic on port 5000 and health check /api/v1/health
        assert {group["TargetGroupArn"] for group in groups} == set(replica.target_group_arns)
        for group in groups:
            assert (group["TargetType"], group["Protocol"], group["Port"]) == ("ip", "HTTP", 5000)
            assert group["HealthCheckPath"] == "/api/v1/health"
            assert group["VpcId"] == replica.vpc_id
        # And blue, the live colour, has healthy targets
        health = elbv2.describe_target_health(TargetGroupArn=replica.blue_target_group_arn)["TargetHealthDescriptions"]
        assert [item["TargetHealth"]["State"] for item in health] == ["healthy", "healthy"]

    def test_alb_is_internet_facing_in_the_public_subnets(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator looks at the load balancer and the subnets
        [balancer] = client(session, "elbv2").describe_load_balancers(Names=["mycandidate-alb"])["LoadBalancers"]
        subnets = client(session, "ec2").describe_subnets(
            SubnetIds=[*replica.public_subnet_ids, *replica.private_subnet_ids]
        )

        # Then the ALB sits in the two public subnets, one per AZ, and the layout matches the design
        assert balancer["LoadBalancerArn"] == replica.load_balancer_arn
        assert balancer["Scheme"] == "internet-facing"
        assert {zone["SubnetId"] for zone in balancer["AvailabilityZones"]} == set(replica.public_subnet_ids)
        layout = {subnet["CidrBlock"]: subnet["AvailabilityZone"] for subnet in subnets["Subnets"]}
        assert layout == {
            "10.0.1.0/24": "af-south-1a",
            "10.0.2.0/24": "af-south-1b",
            "10.0.10.0/24": "af-south-1a",
            "10.0.20.0/24": "af-south-1b",
        }

    # ------------------------------------------------------------------------------------------------ data stores

    def test_database_is_multi_az_encrypted_with_seven_days_of_backups(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        rds = client(session, "rds")

        # When the operator describes the database
        [instance] = rds.describe_db_instances(DBInstanceIdentifier="mycandidate-db")["DBInstances"]

        # Then it is a Multi-AZ, encrypted PostgreSQL db.t3.medium keeping a week of backups on 100 GB gp3
        assert instance["DBInstanceArn"] == replica.db_instance_arn
        assert instance["Engine"] == "postgres"
        assert instance["DBInstanceClass"] == "db.t3.medium"
        assert instance["MultiAZ"] is True
        assert instance["StorageEncrypted"] is True
        assert instance["BackupRetentionPeriod"] == 7
        assert (instance["AllocatedStorage"], instance["StorageType"]) == (100, "gp3")
        assert instance["PubliclyAccessible"] is False
        # And there is a manual snapshot, so "age of the latest snapshot" has something to show
        [snapshot] = rds.describe_db_snapshots(DBInstanceIdentifier="mycandidate-db", SnapshotType="manual")[
            "DBSnapshots"
        ]
        assert snapshot["DBSnapshotArn"] == replica.db_snapshot_arn
        assert snapshot["Status"] == "available"
        assert snapshot["SnapshotCreateTime"] is not None

    def test_redis_cluster_is_a_small_t3_node(self, session: boto3.session.Session, replica: Replica) -> None:
        # Given the seeded replica
        # When the operator describes the cache
        [cluster] = client(session, "elasticache").describe_cache_clusters(CacheClusterId="mycandidate-redis")[
            "CacheClusters"
        ]

        # Then it is Redis on cache.t3.small
        assert cluster["ARN"] == replica.cache_cluster_arn
        assert (cluster["Engine"], cluster["CacheNodeType"]) == ("redis", "cache.t3.small")

    # ------------------------------------------------------------------------------------------------ alarms

    @pytest.mark.parametrize(
        ("name", "namespace", "metric", "comparison", "threshold", "dimensions"),
        EXPECTED_ALARMS,
        ids=[row[0] for row in EXPECTED_ALARMS],
    )
    def test_alarm_watches_the_right_metric_and_notifies_the_topic(
        self,
        session: boto3.session.Session,
        replica: Replica,
        name: str,
        namespace: str,
        metric: str,
        comparison: str,
        threshold: float,
        dimensions: set[str],
    ) -> None:
        # Given the seeded replica
        # When the operator looks the alarm up by name
        [alarm] = client(session, "cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]

        # Then it watches the metric it is named after, with the threshold the design sets
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (comparison, threshold)
        assert {dimension["Name"] for dimension in alarm["Dimensions"]} == dimensions
        assert alarm["Period"] >= 60
        assert 1 <= alarm["EvaluationPeriods"] <= 5
        # And it notifies the alarm topic when it fires
        assert alarm["AlarmActions"] == [replica.alarm_topic_arn]

    def test_exactly_the_nine_alarms_are_recorded_and_their_dimensions_point_at_real_resources(
        self, session: boto3.session.Session, replica: Replica
    ) -> None:
        # Given the seeded replica
        # When the operator lists the mycandidate- alarms
        alarms = client(session, "cloudwatch").describe_alarms(AlarmNamePrefix="mycandidate-")["MetricAlarms"]

        # Then there are the nine the design asks for, and the replica recorded them all
        assert sorted(alarm["AlarmName"] for alarm in alarms) == sorted(row[0] for row in EXPECTED_ALARMS)
        assert set(replica.alarm_names) == {row[0] for row in EXPECTED_ALARMS}
        assert replica.alarm_topic_arn.endswith(":mycandidate-alarms")
        # And each dimension value names a resource that exists
        values = {dimension["Name"]: dimension["Value"] for alarm in alarms for dimension in alarm["Dimensions"]}
        assert values["ClusterName"] == "mycandidate"
        assert values["ServiceName"] == "web"
        assert replica.load_balancer_arn.endswith(values["LoadBalancer"])
        assert replica.blue_target_group_arn.endswith(values["TargetGroup"])
        assert values["DBInstanceIdentifier"] == "mycandidate-db"
        assert values["CacheClusterId"] == "mycandidate-redis"


# ------------------------------------------------------------------------------------------------ seeding


def test_seeding_twice_changes_nothing(session: boto3.session.Session) -> None:
    # Given a seeded replica
    replica = seed_replica(session)
    before = inventory(session)

    # When it is seeded again on the same backend
    again = seed_replica(session)

    # Then nothing fails, nothing new is created, and the identifiers are the same
    assert inventory(session) == before
    assert again == replica
    assert before["load_balancers"] == 1
    assert before["listeners"] == 3
    assert before["target_groups"] == 2


def test_names_are_configuration(session: boto3.session.Session) -> None:
    # Given a spec for a staging copy with its own names
    spec = dataclasses.replace(
        ReplicaSpec(),
        cluster="mycandidate-staging",
        db_instance="mycandidate-staging-db",
        desired_count=1,
        min_capacity=1,
        max_capacity=3,
        test_port=9443,
    )

    # When it is seeded
    replica = seed_replica(session, spec)

    # Then the service, scalable target, listener and alarm dimensions all follow the new names
    service = the_service(session, cluster="mycandidate-staging")
    assert service["desiredCount"] == 1
    assert replica.scalable_resource_id == "service/mycandidate-staging/web"
    [target] = client(session, "application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[replica.scalable_resource_id]
    )["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    assert listener_on(session, replica, 9443)["ListenerArn"] == replica.test_listener_arn
    [alarm] = client(session, "cloudwatch").describe_alarms(AlarmNames=["mycandidate-rds-cpu-high"])["MetricAlarms"]
    assert alarm["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "mycandidate-staging-db"}]


def test_a_moto_server_is_seeded_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a moto server on loopback and a session pointed at it only through endpoint_url
    fake_aws_environment(monkeypatch)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = boto3.session.Session(region_name=REGION)

        # When the replica is seeded through the server, twice
        first = seed_replica(session, endpoint_url=endpoint)
        second = seed_replica(session, endpoint_url=endpoint)

        # Then the server holds the service and the identifiers are stable
        ecs = session.client("ecs", region_name=REGION, endpoint_url=endpoint)
        [service] = ecs.describe_services(cluster="mycandidate", services=["web"])["services"]
        assert service["desiredCount"] == 2
        assert second == first
    finally:
        server.stop()
