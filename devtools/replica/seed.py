"""A replica of the MyCandidate production system, seeded into a moto backend.

``seed_replica`` builds, in one region (af-south-1 by default), what ``docs/architecture.md`` describes and
what the bot operates: the VPC and subnets, the ECS Fargate service behind an ALB wired for ECS-native
blue/green, its Application Auto Scaling target and CPU target-tracking policy, the RDS PostgreSQL instance
(with one manual snapshot), the ElastiCache Redis cluster, the
CloudWatch alarms and the SNS topic they notify.

It only needs boto3 clients, so it works the same against an in-process ``moto.mock_aws`` and against
a moto server (pass ``endpoint_url``). It is idempotent: every resource is looked up before it is
created, so seeding the same backend twice returns the same identifiers and creates nothing new.

Where moto differs from AWS the difference is noted at the call site (see ``_seed_service`` and
``_seed_load_balancer``). This module is test support: it is never shipped in the Lambda layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elasticache import ElastiCacheClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_rds import RDSClient
    from mypy_boto3_sns import SNSClient

ClientFactory = Callable[[str], Any]
"""Anything that turns a service name (``"ecs"``) into a boto3 client pinned to the replica's region."""

GIB = 1024**3


@dataclass(frozen=True)
class SubnetSpec:
    """One subnet of the replica VPC."""

    cidr: str
    availability_zone: str
    name: str


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch metric alarm.

    ``dimensions`` names the dimensions only; their values come from the seeded resources
    (``ClusterName``, ``ServiceName``, ``LoadBalancer``, ``TargetGroup``, ``DBInstanceIdentifier``,
    ``CacheClusterId``), so renaming a resource in the spec renames it in its alarms too.
    """

    name: str
    namespace: str
    metric: str
    dimensions: tuple[str, ...]
    statistic: str
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    description: str
    treat_missing_data: str = "missing"


DEFAULT_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        name="mycandidate-ecs-cpu-high",
        namespace="AWS/ECS",
        metric="CPUUtilization",
        dimensions=("ClusterName", "ServiceName"),
        statistic="Average",
        comparison="GreaterThanThreshold",
        threshold=80.0,
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        description="Web service average CPU above 80 % for 3 minutes.",
    ),
    AlarmSpec(
        name="mycandidate-ecs-memory-high",
        namespace="AWS/ECS",
        metric="MemoryUtilization",
        dimensions=("ClusterName", "ServiceName"),
        statistic="Average",
        comparison="GreaterThanThreshold",
        threshold=80.0,
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        description="Web service memory above 80 % (less than 20 % available) for 3 minutes.",
    ),
    AlarmSpec(
        name="mycandidate-alb-5xx",
        namespace="AWS/ApplicationELB",
        metric="HTTPCode_Target_5XX_Count",
        dimensions=("LoadBalancer",),
        statistic="Sum",
        comparison="GreaterThanThreshold",
        threshold=10.0,
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        description="More than 10 target 5xx responses a minute in 2 of the last 3 minutes.",
        treat_missing_data="notBreaching",
    ),
    AlarmSpec(
        name="mycandidate-alb-unhealthy-hosts",
        namespace="AWS/ApplicationELB",
        metric="UnHealthyHostCount",
        dimensions=("TargetGroup", "LoadBalancer"),
        statistic="Maximum",
        comparison="GreaterThanThreshold",
        threshold=0.0,
        period=60,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        description="At least one unhealthy target in the production target group for 2 minutes.",
    ),
    AlarmSpec(
        name="mycandidate-alb-response-time",
        namespace="AWS/ApplicationELB",
        metric="TargetResponseTime",
        dimensions=("LoadBalancer",),
        statistic="Average",
        comparison="GreaterThanThreshold",
        threshold=1.0,
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        description="Average target response time above 1 s in 3 of the last 5 minutes.",
        treat_missing_data="notBreaching",
    ),
    AlarmSpec(
        name="mycandidate-rds-cpu-high",
        namespace="AWS/RDS",
        metric="CPUUtilization",
        dimensions=("DBInstanceIdentifier",),
        statistic="Average",
        comparison="GreaterThanThreshold",
        threshold=80.0,
        period=300,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        description="Database CPU above 80 % for 10 minutes.",
    ),
    AlarmSpec(
        name="mycandidate-rds-connections-high",
        namespace="AWS/RDS",
        metric="DatabaseConnections",
        dimensions=("DBInstanceIdentifier",),
        statistic="Maximum",
        comparison="GreaterThanThreshold",
        threshold=300.0,  # db.t3.medium allows ~400 connections (DBInstanceClassMemory / 9531392)
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        description="More than 300 database connections (about 75 % of the db.t3.medium limit).",
    ),
    AlarmSpec(
        name="mycandidate-rds-free-storage-low",
        namespace="AWS/RDS",
        metric="FreeStorageSpace",
        dimensions=("DBInstanceIdentifier",),
        statistic="Minimum",
        comparison="LessThanThreshold",
        threshold=float(10 * GIB),
        period=300,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        description="Less than 10 GiB of free database storage.",
    ),
    AlarmSpec(
        name="mycandidate-redis-evictions",
        namespace="AWS/ElastiCache",
        metric="Evictions",
        dimensions=("CacheClusterId",),
        statistic="Sum",
        comparison="GreaterThanThreshold",
        threshold=0.0,
        period=300,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        description="Redis is evicting keys: the cache is out of memory.",
        treat_missing_data="notBreaching",
    ),
)


@dataclass(frozen=True)
class ReplicaSpec:
    """What to build. Defaults follow ``docs/architecture.md``; every name is configuration."""

    region: str = "af-south-1"
    account_id: str = "123456789012"  # moto's default account; only used to build the ECR image URI
    tags: tuple[tuple[str, str], ...] = (("Project", "mycandidate"), ("Environment", "replica"))

    # Network
    vpc_name: str = "mycandidate-vpc"
    vpc_cidr: str = "10.0.0.0/16"
    public_subnets: tuple[SubnetSpec, ...] = (
        SubnetSpec("10.0.1.0/24", "af-south-1a", "mycandidate-public-a"),
        SubnetSpec("10.0.2.0/24", "af-south-1b", "mycandidate-public-b"),
    )
    private_subnets: tuple[SubnetSpec, ...] = (
        SubnetSpec("10.0.10.0/24", "af-south-1a", "mycandidate-private-a"),
        SubnetSpec("10.0.20.0/24", "af-south-1b", "mycandidate-private-b"),
    )

    # Container image
    ecr_repository: str = "mycandidate"
    image_tag: str = "v1.4.2"
    available_image_tags: tuple[str, ...] = ("v1.4.1", "v1.4.2", "v1.4.3")  # pushed to ECR; includes image_tag

    # ECS
    cluster: str = "mycandidate"
    service: str = "web"
    task_family: str = "mycandidate-web"
    container_name: str = "web"
    task_cpu: str = "512"
    task_memory: str = "1024"
    container_port: int = 5000
    health_check_path: str = "/api/v1/health"
    desired_count: int = 2
    deployment_strategy: str = "BLUE_GREEN"
    bake_time_minutes: int = 10
    log_group: str = "/ecs/mycandidate-web"
    log_retention_days: int = 30
    task_execution_role: str = "mycandidate-ecs-task-execution"
    ecs_infrastructure_role: str = "mycandidate-ecs-infrastructure"

    # Application Auto Scaling
    min_capacity: int = 2
    max_capacity: int = 10
    scaling_policy: str = "mycandidate-web-cpu70"
    cpu_target: float = 70.0
    scale_in_cooldown: int = 300
    scale_out_cooldown: int = 300

    # Load balancer
    alb_name: str = "mycandidate-alb"
    blue_target_group: str = "mycandidate-blue"
    green_target_group: str = "mycandidate-green"
    certificate_domain: str = "mycandidate.example.org"
    production_protocol: str = "HTTPS"
    production_port: int = 443
    test_protocol: str = "HTTPS"
    test_port: int = 8443
    http_redirect_port: int | None = 80  # HTTP -> HTTPS redirect listener; None for none
    target_ips: tuple[str, ...] = ("10.0.10.10", "10.0.20.10")  # registered in blue, one per private subnet

    # RDS
    db_instance: str = "mycandidate-db"
    db_instance_class: str = "db.t3.medium"
    db_engine: str = "postgres"
    db_engine_version: str = "15.4"
    db_name: str = "mycandidate"
    db_username: str = "mycandidate"
    db_password: str = "replica-only-not-a-secret"
    db_storage_gb: int = 100
    db_max_storage_gb: int = 1000
    db_storage_type: str = "gp3"
    db_multi_az: bool = True
    db_storage_encrypted: bool = True
    db_backup_retention_days: int = 7
    db_deletion_protection: bool = True
    db_subnet_group: str = "mycandidate-db-subnets"
    db_snapshot: str | None = "mycandidate-db-manual-baseline"

    # ElastiCache
    cache_cluster: str = "mycandidate-redis"
    cache_node_type: str = "cache.t3.small"
    cache_engine_version: str = "7.1"
    cache_subnet_group: str = "mycandidate-redis-subnets"
    cache_snapshot_retention_days: int = 7
    # The reference architecture's Multi-AZ replication group (what the readiness report checks), beside the
    # single-node cluster the alarms address by CacheClusterId.
    cache_replication_group: str = "mycandidate-redis"
    # What the replica's metrics show (the readiness report reads them): a healthy database and cache.
    metric_free_storage_gib: float = 82.0
    metric_peak_connections: float = 120.0

    # Monitoring
    alarm_topic: str = "mycandidate-alarms"
    alarms: tuple[AlarmSpec, ...] = DEFAULT_ALARMS

    @property
    def repository_uri(self) -> str:
        """The ECR repository URI (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>``)."""
        return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{self.ecr_repository}"

    @property
    def image(self) -> str:
        """The image the web container runs."""
        return f"{self.repository_uri}:{self.image_tag}"

    @property
    def scalable_resource_id(self) -> str:
        """Application Auto Scaling resource id of the web service."""
        return f"service/{self.cluster}/{self.service}"

    @property
    def alarm_names(self) -> tuple[str, ...]:
        """Names of the seeded alarms, in spec order."""
        return tuple(alarm.name for alarm in self.alarms)


@dataclass(frozen=True)
class Replica:
    """Identifiers of everything ``seed_replica`` created (or found already there)."""

    spec: ReplicaSpec
    region: str
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    security_group_ids: Mapping[str, str]  # "alb", "ecs", "rds", "redis"
    ecr_repository_uri: str
    log_group: str
    cluster_arn: str
    task_definition_arn: str
    service_arn: str
    scalable_resource_id: str
    scaling_policy_arn: str
    load_balancer_arn: str
    load_balancer_dns: str
    certificate_arn: str | None
    blue_target_group_arn: str
    green_target_group_arn: str
    production_listener_arn: str
    test_listener_arn: str
    production_rule_arn: str
    test_rule_arn: str
    redirect_listener_arn: str | None
    db_instance_arn: str
    db_snapshot_arn: str | None
    cache_cluster_arn: str
    alarm_topic_arn: str
    alarm_names: tuple[str, ...]
    alarm_arns: tuple[str, ...] = field(default=())

    @property
    def target_group_arns(self) -> tuple[str, str]:
        """``(blue, green)``."""
        return (self.blue_target_group_arn, self.green_target_group_arn)

    @property
    def listener_arns(self) -> tuple[str, str]:
        """``(production, test)``."""
        return (self.production_listener_arn, self.test_listener_arn)


@dataclass(frozen=True)
class _Clients:
    ec2: EC2Client
    ecr: ECRClient
    ecs: ECSClient
    logs: Any  # no mypy-boto3-logs in the dev extras
    iam: IAMClient
    autoscaling: ApplicationAutoScalingClient
    elbv2: ElasticLoadBalancingv2Client
    acm: Any  # no mypy-boto3-acm in the dev extras
    rds: RDSClient
    elasticache: ElastiCacheClient
    cloudwatch: CloudWatchClient
    sns: SNSClient

    @classmethod
    def build(cls, factory: ClientFactory) -> _Clients:
        return cls(
            ec2=factory("ec2"),
            ecr=factory("ecr"),
            ecs=factory("ecs"),
            logs=factory("logs"),
            iam=factory("iam"),
            autoscaling=factory("application-autoscaling"),
            elbv2=factory("elbv2"),
            acm=factory("acm"),
            rds=factory("rds"),
            elasticache=factory("elasticache"),
            cloudwatch=factory("cloudwatch"),
            sns=factory("sns"),
        )


def seed_replica(
    session_or_client_factory: boto3.session.Session | ClientFactory,
    spec: ReplicaSpec = ReplicaSpec(),
    *,
    endpoint_url: str | None = None,
) -> Replica:
    """Create the MyCandidate replica in a moto backend and return its identifiers.

    Args:
        session_or_client_factory: a boto3 session (clients are made with ``region_name=spec.region``
            and ``endpoint_url``), or a callable ``service_name -> client`` for callers that build
            their own clients (then ``endpoint_url`` is ignored).
        spec: what to build; the defaults are the reference architecture.
        endpoint_url: a moto server's URL, or ``None`` for in-process ``mock_aws`` (or real AWS).

    Returns:
        The identifiers of every resource, whether created now or found from an earlier call.
    """
    if isinstance(session_or_client_factory, boto3.session.Session):
        session = session_or_client_factory

        def from_session(service: str) -> Any:
            return session.client(service, region_name=spec.region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

        factory: ClientFactory = from_session
    else:
        factory = session_or_client_factory
    clients = _Clients.build(factory)

    network = _seed_network(clients.ec2, spec)
    repository_uri = _seed_images(clients.ecr, spec)
    _seed_log_group(clients.logs, spec)
    execution_role_arn = _ensure_role(clients.iam, spec.task_execution_role, "ecs-tasks.amazonaws.com", spec)
    infrastructure_role_arn = _ensure_role(clients.iam, spec.ecs_infrastructure_role, "ecs.amazonaws.com", spec)
    balancer = _seed_load_balancer(clients.elbv2, clients.acm, spec, network)
    cluster_arn = clients.ecs.create_cluster(  # CreateCluster is idempotent in AWS and in moto
        clusterName=spec.cluster,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        tags=_ecs_tags(spec),
    )["cluster"]["clusterArn"]
    task_definition_arn = _seed_task_definition(clients.ecs, spec, execution_role_arn)
    service_arn = _seed_service(clients.ecs, spec, network, balancer, task_definition_arn, infrastructure_role_arn)
    scaling_policy_arn = _seed_scaling(clients.autoscaling, spec)
    db_instance_arn, snapshot_arn = _seed_database(clients.rds, spec, network)
    cache_cluster_arn = _seed_cache(clients.elasticache, spec, network)
    members = _seed_replication_group(clients.elasticache, spec, network)
    seed_metrics(clients.cloudwatch, spec, members, datetime.now(UTC))
    topic_arn = clients.sns.create_topic(Name=spec.alarm_topic, Tags=_tags(spec))["TopicArn"]  # idempotent
    dimension_values = {
        "ClusterName": spec.cluster,
        "ServiceName": spec.service,
        "LoadBalancer": _metric_id(balancer.load_balancer_arn),
        "TargetGroup": _metric_id(balancer.blue_target_group_arn),
        "DBInstanceIdentifier": spec.db_instance,
        "CacheClusterId": spec.cache_cluster,
    }
    alarm_arns = _seed_alarms(clients.cloudwatch, spec, topic_arn, dimension_values)

    return Replica(
        spec=spec,
        region=spec.region,
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        security_group_ids=dict(network.security_group_ids),
        ecr_repository_uri=repository_uri,
        log_group=spec.log_group,
        cluster_arn=cluster_arn,
        task_definition_arn=task_definition_arn,
        service_arn=service_arn,
        scalable_resource_id=spec.scalable_resource_id,
        scaling_policy_arn=scaling_policy_arn,
        load_balancer_arn=balancer.load_balancer_arn,
        load_balancer_dns=balancer.load_balancer_dns,
        certificate_arn=balancer.certificate_arn,
        blue_target_group_arn=balancer.blue_target_group_arn,
        green_target_group_arn=balancer.green_target_group_arn,
        production_listener_arn=balancer.production_listener_arn,
        test_listener_arn=balancer.test_listener_arn,
        production_rule_arn=balancer.production_rule_arn,
        test_rule_arn=balancer.test_rule_arn,
        redirect_listener_arn=balancer.redirect_listener_arn,
        db_instance_arn=db_instance_arn,
        db_snapshot_arn=snapshot_arn,
        cache_cluster_arn=cache_cluster_arn,
        alarm_topic_arn=topic_arn,
        alarm_names=spec.alarm_names,
        alarm_arns=alarm_arns,
    )


# --------------------------------------------------------------------------------------------- helpers


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tags(spec: ReplicaSpec, name: str | None = None) -> list[Any]:
    """Tags in the ``Key``/``Value`` shape most services use."""
    pairs = [*spec.tags, *((("Name", name),) if name else ())]
    return [{"Key": key, "Value": value} for key, value in pairs]


def _ecs_tags(spec: ReplicaSpec) -> list[Any]:
    """Tags in ECS's lower-case ``key``/``value`` shape."""
    return [{"key": key, "value": value} for key, value in spec.tags]


def _metric_id(arn: str) -> str:
    """CloudWatch's dimension value for an ELB resource: ``app/<name>/<id>`` or ``targetgroup/<name>/<id>``."""
    return arn.split(":", 5)[5].removeprefix("loadbalancer/")


# --------------------------------------------------------------------------------------------- network


@dataclass(frozen=True)
class _Network:
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    security_group_ids: Mapping[str, str]


def _seed_network(ec2: EC2Client, spec: ReplicaSpec) -> _Network:
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [spec.vpc_name]}])["Vpcs"]
    if found:
        vpc_id = found[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(
            CidrBlock=spec.vpc_cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(spec, spec.vpc_name)}],
        )["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    public = tuple(_ensure_subnet(ec2, vpc_id, subnet, spec) for subnet in spec.public_subnets)
    private = tuple(_ensure_subnet(ec2, vpc_id, subnet, spec) for subnet in spec.private_subnets)

    world = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    listener_ports = [spec.production_port, *([spec.http_redirect_port] if spec.http_redirect_port else [])]
    alb = _ensure_security_group(
        ec2,
        vpc_id,
        f"{spec.alb_name}-sg",
        "Internet to the ALB; the test listener only from inside the VPC",
        [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **world} for port in listener_ports]
        + [
            {
                "IpProtocol": "tcp",
                "FromPort": spec.test_port,
                "ToPort": spec.test_port,
                "IpRanges": [{"CidrIp": spec.vpc_cidr}],
            }
        ],
        spec,
    )
    ecs = _ensure_security_group(
        ec2,
        vpc_id,
        f"{spec.cluster}-{spec.service}-tasks-sg",
        "ALB to the web tasks",
        [_from_group(alb, spec.container_port)],
        spec,
    )
    rds = _ensure_security_group(
        ec2, vpc_id, f"{spec.db_instance}-sg", "Web tasks to PostgreSQL", [_from_group(ecs, 5432)], spec
    )
    redis = _ensure_security_group(
        ec2, vpc_id, f"{spec.cache_cluster}-sg", "Web tasks to Redis", [_from_group(ecs, 6379)], spec
    )
    return _Network(vpc_id, public, private, {"alb": alb, "ecs": ecs, "rds": rds, "redis": redis})


def _from_group(group_id: str, port: int) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": group_id}]}


def _ensure_subnet(ec2: EC2Client, vpc_id: str, subnet: SubnetSpec, spec: ReplicaSpec) -> str:
    found = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "cidr-block", "Values": [subnet.cidr]}]
    )["Subnets"]
    if found:
        return found[0]["SubnetId"]
    return ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=subnet.cidr,
        AvailabilityZone=subnet.availability_zone,
        TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(spec, subnet.name)}],
    )["Subnet"]["SubnetId"]


def _ensure_security_group(
    ec2: EC2Client, vpc_id: str, name: str, description: str, ingress: list[Any], spec: ReplicaSpec
) -> str:
    found = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}]
    )["SecurityGroups"]
    if found:
        return found[0]["GroupId"]
    group_id = ec2.create_security_group(
        GroupName=name,
        Description=description,
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(spec, name)}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
    return group_id


# --------------------------------------------------------------------------------------------- images, logs, IAM


def _seed_images(ecr: ECRClient, spec: ReplicaSpec) -> str:
    try:
        uri = ecr.create_repository(
            repositoryName=spec.ecr_repository,
            imageScanningConfiguration={"scanOnPush": True},
            imageTagMutability="IMMUTABLE",
            tags=_tags(spec),
        )["repository"]["repositoryUri"]
    except ClientError as exc:
        if _error_code(exc) != "RepositoryAlreadyExistsException":
            raise
        uri = ecr.describe_repositories(repositoryNames=[spec.ecr_repository])["repositories"][0]["repositoryUri"]
    for tag in dict.fromkeys((*spec.available_image_tags, spec.image_tag)):
        # A minimal but well-formed image manifest; its config digest differs per tag.
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + tag.encode().hex().ljust(64, "0")[:64],
            },
            "layers": [],
        }
        try:
            ecr.put_image(repositoryName=spec.ecr_repository, imageManifest=json.dumps(manifest), imageTag=tag)
        except ClientError as exc:
            if _error_code(exc) not in {"ImageAlreadyExistsException", "ImageTagAlreadyExistsException"}:
                raise
    return uri


def _seed_log_group(logs: Any, spec: ReplicaSpec) -> None:
    try:
        logs.create_log_group(logGroupName=spec.log_group, tags=dict(spec.tags))
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    logs.put_retention_policy(logGroupName=spec.log_group, retentionInDays=spec.log_retention_days)


def _ensure_role(iam: IAMClient, name: str, principal: str, spec: ReplicaSpec) -> str:
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Tags=_tags(spec))["Role"]["Arn"]


# --------------------------------------------------------------------------------------------- load balancer


@dataclass(frozen=True)
class _Balancer:
    load_balancer_arn: str
    load_balancer_dns: str
    certificate_arn: str | None
    blue_target_group_arn: str
    green_target_group_arn: str
    production_listener_arn: str
    test_listener_arn: str
    production_rule_arn: str
    test_rule_arn: str
    redirect_listener_arn: str | None


def _seed_load_balancer(
    elbv2: ElasticLoadBalancingv2Client, acm: Any, spec: ReplicaSpec, network: _Network
) -> _Balancer:
    try:
        balancer = elbv2.describe_load_balancers(Names=[spec.alb_name])["LoadBalancers"][0]
    except ClientError as exc:
        if _error_code(exc) != "LoadBalancerNotFound":
            raise
        # moto creates a second ALB with the same name (AWS would return the first), hence the look-up.
        balancer = elbv2.create_load_balancer(
            Name=spec.alb_name,
            Subnets=list(network.public_subnet_ids),
            SecurityGroups=[network.security_group_ids["alb"]],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=_tags(spec),
        )["LoadBalancers"][0]
    alb_arn = balancer["LoadBalancerArn"]
    blue = _ensure_target_group(elbv2, spec.blue_target_group, spec, network.vpc_id)
    green = _ensure_target_group(elbv2, spec.green_target_group, spec, network.vpc_id)
    if spec.target_ips:
        elbv2.register_targets(  # idempotent; stands in for the running tasks, which moto does not start
            TargetGroupArn=blue, Targets=[{"Id": ip, "Port": spec.container_port} for ip in spec.target_ips]
        )

    certificate_arn = None
    if "HTTPS" in (spec.production_protocol, spec.test_protocol):
        # AWS needs an issued ACM certificate for an HTTPS listener; moto accepts any ARN (or none) and
        # leaves a requested certificate PENDING_VALIDATION. The idempotency token makes it one certificate.
        certificate_arn = acm.request_certificate(
            DomainName=spec.certificate_domain, ValidationMethod="DNS", IdempotencyToken="mycandidatereplica"
        )["CertificateArn"]

    existing = {item["Port"]: item for item in elbv2.describe_listeners(LoadBalancerArn=alb_arn)["Listeners"]}
    # moto accepts a second listener on a taken port (AWS refuses), so listeners are matched by port first.
    production = _ensure_listener(
        elbv2, existing, alb_arn, spec.production_protocol, spec.production_port, blue, certificate_arn, spec
    )
    test = _ensure_listener(elbv2, existing, alb_arn, spec.test_protocol, spec.test_port, green, certificate_arn, spec)
    redirect = None
    if spec.http_redirect_port:
        redirect = (
            existing.get(spec.http_redirect_port, {}).get("ListenerArn")
            or elbv2.create_listener(
                LoadBalancerArn=alb_arn,
                Protocol="HTTP",
                Port=spec.http_redirect_port,
                DefaultActions=[
                    {
                        "Type": "redirect",
                        "RedirectConfig": {
                            "Protocol": "HTTPS",
                            "Port": str(spec.production_port),
                            "StatusCode": "HTTP_301",
                        },
                    }
                ],
                Tags=_tags(spec),
            )["Listeners"][0]["ListenerArn"]
        )

    # ECS-native blue/green shifts traffic by rewriting the weights of a listener *rule*
    # (loadBalancers[].advancedConfiguration.productionListenerRule / testListenerRule), so each
    # listener carries one catch-all weighted rule besides its default action.
    production_rule = _ensure_rule(elbv2, production, blue, green, spec)
    test_rule = _ensure_rule(elbv2, test, green, blue, spec)
    return _Balancer(
        load_balancer_arn=alb_arn,
        load_balancer_dns=balancer.get("DNSName", ""),
        certificate_arn=certificate_arn,
        blue_target_group_arn=blue,
        green_target_group_arn=green,
        production_listener_arn=production,
        test_listener_arn=test,
        production_rule_arn=production_rule,
        test_rule_arn=test_rule,
        redirect_listener_arn=redirect,
    )


def _ensure_target_group(elbv2: ElasticLoadBalancingv2Client, name: str, spec: ReplicaSpec, vpc_id: str) -> str:
    try:
        return elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    except ClientError as exc:
        if _error_code(exc) != "TargetGroupNotFound":
            raise
    return elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=spec.container_port,
        VpcId=vpc_id,
        TargetType="ip",
        HealthCheckEnabled=True,
        HealthCheckProtocol="HTTP",
        HealthCheckPath=spec.health_check_path,
        HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=3,
        Matcher={"HttpCode": "200"},
        Tags=_tags(spec),
    )["TargetGroups"][0]["TargetGroupArn"]


def _ensure_listener(
    elbv2: ElasticLoadBalancingv2Client,
    existing: Mapping[int, Any],
    alb_arn: str,
    protocol: str,
    port: int,
    target_group_arn: str,
    certificate_arn: str | None,
    spec: ReplicaSpec,
) -> str:
    if port in existing:
        return str(existing[port]["ListenerArn"])
    extra: dict[str, Any] = {}
    if protocol == "HTTPS":
        extra = {
            "Certificates": [{"CertificateArn": certificate_arn}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        }
    return elbv2.create_listener(
        LoadBalancerArn=alb_arn,
        Protocol=cast(Any, protocol),
        Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
        Tags=_tags(spec),
        **extra,
    )["Listeners"][0]["ListenerArn"]


def _ensure_rule(
    elbv2: ElasticLoadBalancingv2Client, listener_arn: str, live: str, idle: str, spec: ReplicaSpec
) -> str:
    for rule in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]:
        if not rule.get("IsDefault") and rule.get("Priority") == "1":
            return rule["RuleArn"]
    return elbv2.create_rule(
        ListenerArn=listener_arn,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": live, "Weight": 100}, {"TargetGroupArn": idle, "Weight": 0}]
                },
            }
        ],
        Tags=_tags(spec),
    )["Rules"][0]["RuleArn"]


# --------------------------------------------------------------------------------------------- ECS and scaling


def _seed_task_definition(ecs: ECSClient, spec: ReplicaSpec, execution_role_arn: str) -> str:
    try:
        current = ecs.describe_task_definition(taskDefinition=spec.task_family)["taskDefinition"]
    except ClientError as exc:
        if _error_code(exc) not in {"ClientException", "ResourceNotFoundException"}:
            raise
    else:
        containers = {item["name"]: item for item in current.get("containerDefinitions", [])}
        container = containers.get(spec.container_name, {})
        if (current.get("cpu"), current.get("memory"), container.get("image")) == (
            spec.task_cpu,
            spec.task_memory,
            spec.image,
        ):
            return current["taskDefinitionArn"]
    health_url = f"http://localhost:{spec.container_port}{spec.health_check_path}"
    return ecs.register_task_definition(
        family=spec.task_family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=spec.task_cpu,
        memory=spec.task_memory,
        executionRoleArn=execution_role_arn,
        runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        containerDefinitions=[
            {
                "name": spec.container_name,
                "image": spec.image,
                "essential": True,
                "portMappings": [{"containerPort": spec.container_port, "protocol": "tcp", "name": "http"}],
                "healthCheck": {  # moto stores and returns the container health check as given
                    "command": ["CMD-SHELL", f"curl -fsS {health_url} || exit 1"],
                    "interval": 30,
                    "timeout": 5,
                    "retries": 3,
                    "startPeriod": 30,
                },
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": spec.log_group,
                        "awslogs-region": spec.region,
                        "awslogs-stream-prefix": spec.service,
                    },
                },
                "readonlyRootFilesystem": False,
                "user": "1000",
            }
        ],
        tags=_ecs_tags(spec),
    )["taskDefinition"]["taskDefinitionArn"]


def _seed_service(
    ecs: ECSClient,
    spec: ReplicaSpec,
    network: _Network,
    balancer: _Balancer,
    task_definition_arn: str,
    infrastructure_role_arn: str,
) -> str:
    found = ecs.describe_services(cluster=spec.cluster, services=[spec.service])["services"]
    active = [item for item in found if item.get("status") == "ACTIVE"]
    if active:
        # moto's CreateService silently *replaces* an existing service (AWS refuses), dropping its load
        # balancers and launch type, so an existing service is reused as it is.
        return active[0]["serviceArn"]
    # moto keeps deploymentController and loadBalancers[].advancedConfiguration but drops
    # deploymentConfiguration (strategy, bake time) and healthCheckGracePeriodSeconds; they are sent
    # anyway so an extended moto backend (or real AWS) sees the full ECS-native blue/green setup.
    return ecs.create_service(
        cluster=spec.cluster,
        serviceName=spec.service,
        taskDefinition=task_definition_arn,
        desiredCount=spec.desired_count,
        launchType="FARGATE",
        platformVersion="LATEST",
        deploymentController={"type": "ECS"},
        deploymentConfiguration=cast(
            Any,
            {
                "strategy": spec.deployment_strategy,
                "bakeTimeInMinutes": spec.bake_time_minutes,
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
        ),
        loadBalancers=cast(
            Any,
            [
                {
                    "targetGroupArn": balancer.blue_target_group_arn,
                    "containerName": spec.container_name,
                    "containerPort": spec.container_port,
                    "advancedConfiguration": {
                        "alternateTargetGroupArn": balancer.green_target_group_arn,
                        "productionListenerRule": balancer.production_rule_arn,
                        "testListenerRule": balancer.test_rule_arn,
                        "roleArn": infrastructure_role_arn,
                    },
                }
            ],
        ),
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(network.private_subnet_ids),
                "securityGroups": [network.security_group_ids["ecs"]],
                "assignPublicIp": "DISABLED",
            }
        },
        healthCheckGracePeriodSeconds=60,
        propagateTags="SERVICE",
        tags=_ecs_tags(spec),
    )["service"]["serviceArn"]


def _seed_scaling(autoscaling: ApplicationAutoScalingClient, spec: ReplicaSpec) -> str:
    # RegisterScalableTarget is an upsert, in AWS and in moto.
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=spec.scalable_resource_id,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=spec.min_capacity,
        MaxCapacity=spec.max_capacity,
    )
    configuration: Any = {
        "TargetValue": spec.cpu_target,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleInCooldown": spec.scale_in_cooldown,
        "ScaleOutCooldown": spec.scale_out_cooldown,
        "DisableScaleIn": False,
    }
    existing = autoscaling.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=spec.scalable_resource_id, PolicyNames=[spec.scaling_policy]
    )["ScalingPolicies"]
    if existing:
        current = existing[0].get("TargetTrackingScalingPolicyConfiguration", {})
        if all(current.get(key, False) == value for key, value in configuration.items()):
            # Unchanged: keep it. moto mints a new policy ARN (and new target-tracking alarms) on every
            # PutScalingPolicy, where AWS updates in place.
            return existing[0]["PolicyARN"]
    return autoscaling.put_scaling_policy(
        PolicyName=spec.scaling_policy,
        ServiceNamespace="ecs",
        ResourceId=spec.scalable_resource_id,
        ScalableDimension="ecs:service:DesiredCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=configuration,
    )["PolicyARN"]


# --------------------------------------------------------------------------------------------- data stores


def _seed_database(rds: RDSClient, spec: ReplicaSpec, network: _Network) -> tuple[str, str | None]:
    try:
        rds.create_db_subnet_group(
            DBSubnetGroupName=spec.db_subnet_group,
            DBSubnetGroupDescription="MyCandidate database, private subnets",
            SubnetIds=list(network.private_subnet_ids),
            Tags=_tags(spec),
        )
    except ClientError as exc:
        if _error_code(exc) != "DBSubnetGroupAlreadyExists":
            raise
    try:
        instance = rds.describe_db_instances(DBInstanceIdentifier=spec.db_instance)["DBInstances"][0]
    except ClientError as exc:
        if _error_code(exc) != "DBInstanceNotFound":
            raise
        # moto keeps every attribute below, gp3 and MaxAllocatedStorage included.
        instance = rds.create_db_instance(
            DBInstanceIdentifier=spec.db_instance,
            DBInstanceClass=spec.db_instance_class,
            Engine=spec.db_engine,
            EngineVersion=spec.db_engine_version,
            DBName=spec.db_name,
            MasterUsername=spec.db_username,
            MasterUserPassword=spec.db_password,
            AllocatedStorage=spec.db_storage_gb,
            MaxAllocatedStorage=spec.db_max_storage_gb,
            StorageType=spec.db_storage_type,
            MultiAZ=spec.db_multi_az,
            StorageEncrypted=spec.db_storage_encrypted,
            BackupRetentionPeriod=spec.db_backup_retention_days,
            PreferredBackupWindow="00:00-01:00",  # 02:00-03:00 SAST
            PreferredMaintenanceWindow="sun:01:30-sun:02:30",
            DeletionProtection=spec.db_deletion_protection,
            PubliclyAccessible=False,
            DBSubnetGroupName=spec.db_subnet_group,
            VpcSecurityGroupIds=[network.security_group_ids["rds"]],
            EnableCloudwatchLogsExports=["postgresql", "upgrade"],
            CopyTagsToSnapshot=True,
            Tags=_tags(spec),
        )["DBInstance"]
    snapshot_arn = None
    if spec.db_snapshot:
        # moto stamps SnapshotCreateTime with "now" (it cannot be back-dated through the API), and also
        # creates one automated snapshot when the instance is created.
        try:
            snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=spec.db_snapshot)["DBSnapshots"][0]
        except ClientError as exc:
            if _error_code(exc) != "DBSnapshotNotFound":
                raise
            snapshot = rds.create_db_snapshot(
                DBInstanceIdentifier=spec.db_instance,
                DBSnapshotIdentifier=spec.db_snapshot,
                Tags=[*_tags(spec), {"Key": "CreatedBy", "Value": "replica-seed"}],
            )["DBSnapshot"]
        snapshot_arn = snapshot.get("DBSnapshotArn")
    return instance["DBInstanceArn"], snapshot_arn


def _seed_cache(elasticache: ElastiCacheClient, spec: ReplicaSpec, network: _Network) -> str:
    try:
        elasticache.create_cache_subnet_group(
            CacheSubnetGroupName=spec.cache_subnet_group,
            CacheSubnetGroupDescription="MyCandidate Redis, private subnets",
            SubnetIds=list(network.private_subnet_ids),
        )
    except ClientError as exc:
        if _error_code(exc) != "CacheSubnetGroupAlreadyExists":
            raise
    try:
        cluster = elasticache.describe_cache_clusters(CacheClusterId=spec.cache_cluster)["CacheClusters"][0]
    except ClientError as exc:
        if _error_code(exc) != "CacheClusterNotFound":
            raise
        # The reference architecture describes a cluster-mode replication group; the bot and the alarms address the
        # cache by CacheClusterId, so a single-node cluster with that id stands in for it here.
        cluster = elasticache.create_cache_cluster(
            CacheClusterId=spec.cache_cluster,
            Engine="redis",
            EngineVersion=spec.cache_engine_version,
            CacheNodeType=spec.cache_node_type,
            NumCacheNodes=1,
            CacheSubnetGroupName=spec.cache_subnet_group,
            SecurityGroupIds=[network.security_group_ids["redis"]],
            SnapshotRetentionLimit=spec.cache_snapshot_retention_days,
            SnapshotWindow="00:00-01:00",
            Tags=_tags(spec),
        )["CacheCluster"]
    return cluster.get("ARN", "")


def _seed_replication_group(elasticache: ElastiCacheClient, spec: ReplicaSpec, network: _Network) -> list[str]:
    try:
        group = elasticache.describe_replication_groups(ReplicationGroupId=spec.cache_replication_group)
        return list(group["ReplicationGroups"][0].get("MemberClusters", []))
    except ClientError as exc:
        if _error_code(exc) != "ReplicationGroupNotFoundFault":
            raise
    created = elasticache.create_replication_group(
        ReplicationGroupId=spec.cache_replication_group,
        ReplicationGroupDescription="MyCandidate Redis, Multi-AZ with automatic failover",
        Engine="redis",
        EngineVersion=spec.cache_engine_version,
        CacheNodeType=spec.cache_node_type,
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheSubnetGroupName=spec.cache_subnet_group,
        SecurityGroupIds=[network.security_group_ids["redis"]],
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        SnapshotRetentionLimit=spec.cache_snapshot_retention_days,
        Tags=_tags(spec),
    )["ReplicationGroup"]
    return list(created.get("MemberClusters", []))


def seed_metrics(cloudwatch: CloudWatchClient, spec: ReplicaSpec, members: Sequence[str], at: datetime) -> None:
    """The datapoints the readiness report reads, as of ``at``: the database's free storage and connections (a
    day of hourly peaks), and no evictions on the cache's nodes."""
    database = [{"Name": "DBInstanceIdentifier", "Value": spec.db_instance}]
    points: list[Any] = [
        {
            "MetricName": "FreeStorageSpace",
            "Dimensions": database,
            "Timestamp": at - timedelta(minutes=5),
            "Value": spec.metric_free_storage_gib * 2**30,
            "Unit": "Bytes",
        },
        *(
            {
                "MetricName": "DatabaseConnections",
                "Dimensions": database,
                "Timestamp": at - timedelta(hours=hour, minutes=5),
                "Value": spec.metric_peak_connections * (1.0 if hour == 3 else 0.6),
                "Unit": "Count",
            }
            for hour in range(0, 24, 3)
        ),
    ]
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=points)
    evictions: list[Any] = [
        {
            "MetricName": "Evictions",
            "Dimensions": [{"Name": "CacheClusterId", "Value": member}],
            "Timestamp": at - timedelta(minutes=5),
            "Value": 0.0,
            "Unit": "Count",
        }
        for member in members
    ]
    if evictions:
        cloudwatch.put_metric_data(Namespace="AWS/ElastiCache", MetricData=evictions)


# --------------------------------------------------------------------------------------------- alarms


def _seed_alarms(
    cloudwatch: CloudWatchClient, spec: ReplicaSpec, topic_arn: str, dimension_values: Mapping[str, str]
) -> tuple[str, ...]:
    for alarm in spec.alarms:
        cloudwatch.put_metric_alarm(  # an upsert
            AlarmName=alarm.name,
            AlarmDescription=alarm.description,
            Namespace=alarm.namespace,
            MetricName=alarm.metric,
            Dimensions=[{"Name": name, "Value": dimension_values[name]} for name in alarm.dimensions],
            Statistic=cast(Any, alarm.statistic),
            Period=alarm.period,
            EvaluationPeriods=alarm.evaluation_periods,
            DatapointsToAlarm=alarm.datapoints_to_alarm,
            Threshold=alarm.threshold,
            ComparisonOperator=cast(Any, alarm.comparison),
            TreatMissingData=alarm.treat_missing_data,
            ActionsEnabled=True,
            AlarmActions=[topic_arn],
            OKActions=[topic_arn],
            Tags=_tags(spec),
        )
    described = cloudwatch.describe_alarms(AlarmNames=list(spec.alarm_names))["MetricAlarms"]
    arns = {item["AlarmName"]: item["AlarmArn"] for item in described}
    return tuple(arns[name] for name in spec.alarm_names if name in arns)
