"""Every create the collection calls survives a lost response: the call acts, the client hears a 500.

For each tier, the emulator loses the response of the first call of every create operation the tier makes
(``{"lost_responses": {"CreateVpc": 1, ...}}``: the operations are independent, so one converge covers them
all), the tier converges, converges again without faults, and the account is read back with boto3 and
compared with what a fault-free converge of the same tier leaves: the same resources, each exactly once.
The tiers each group stands on are converged first without faults, so only the group's own creates are lost.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

import pytest
from botocore.exceptions import ClientError
from conftest import run_playbook

REGION = "us-east-1"
SECURITY_STACK = "tests/integration/playbooks/security_stack.yml"
CACHE_SEARCH = "tests/integration/playbooks/cache_search.yml"


@dataclass
class Group:
    inventory: str
    limit: str
    playbook: str
    ops: dict  # operation -> the snapshot kinds it makes
    prepare: str | None = None
    extra_vars: dict = field(default_factory=dict)


AURORA = {
    "database_name": "chat",
    "database_engine": "aurora-postgresql",
    "database_engine_version": "16",
    "database_serverless_v2": True,
    "database_serverless_v2_min_capacity": 0.5,
    "database_serverless_v2_max_capacity": 4,
    "database_read_replicas": [{"name": "reader1"}],
    "database_parameters": {},
}

GROUPS = {
    "network": Group(
        "inventories/dev",
        "dev-use1",
        "playbooks/network.yml",
        {
            "CreateVpc": ["vpc"],
            "CreateSubnet": ["subnet"],
            "CreateInternetGateway": ["internet_gateway"],
            "AllocateAddress": ["elastic_ip"],
            "CreateNatGateway": ["nat_gateway"],
            "CreateRouteTable": ["route_table"],
            "CreateVpcEndpoint": ["vpc_endpoint"],
            "CreateSecurityGroup": ["security_group"],
            "CreateFlowLogs": ["flow_log"],
            "CreateLogGroup": ["log_group"],
            "CreateRole": ["role"],
            "CreateDBSubnetGroup": ["db_subnet_group"],
            "CreateCacheSubnetGroup": ["cache_subnet_group"],
        },
        extra_vars={"vpc_endpoints": ["logs"]},
    ),
    "security": Group(
        "inventories/dev",
        "dev-use1",
        "playbooks/security.yml",
        {
            "CreateSecurityGroup": ["security_group"],
            "CreateKey": ["kms_key"],
            "CreateAlias": ["kms_key"],
            "CreateSecret": ["secret"],
            "CreateWebACL": ["web_acl"],
            "CreateLogGroup": ["log_group"],
        },
        prepare="playbooks/network.yml",
    ),
    "ecs": Group(
        "inventories/local",
        "local-use1",
        "playbooks/cluster.yml",
        {
            "CreateCluster": ["ecs_cluster"],
            "RegisterTaskDefinition": ["task_definition"],
            "CreateService": ["ecs_service"],
            "CreateRepository": ["repository"],
            "CreateRole": ["role"],
            "CreateLogGroup": ["log_group"],
            "CreateLoadBalancer": ["load_balancer"],
            "CreateTargetGroup": ["target_group"],
            "CreateListener": ["listener"],
            "CreateRule": ["listener_rule"],
            "CreateBucket": ["bucket"],
            "RegisterScalableTarget": ["scalable_target"],
            "PutScalingPolicy": ["scaling_policy"],
        },
        prepare=SECURITY_STACK,
    ),
    "eks": Group(
        "inventories/dev",
        "dev-use1",
        "playbooks/cluster.yml",
        {
            "CreateCluster": ["eks_cluster"],
            "CreateNodegroup": ["nodegroup"],
            "CreateAddon": ["addon"],
            "CreateOpenIDConnectProvider": ["oidc_provider"],
            "CreateRole": ["role"],
        },
        prepare=SECURITY_STACK,
    ),
    "database": Group(
        "inventories/local",
        "local-use1",
        "playbooks/database.yml",
        {
            "CreateDBParameterGroup": ["db_parameter_group"],
            "CreateDBInstance": ["db_instance"],
            "CreateDBInstanceReadReplica": ["db_instance"],
            "CreateRole": ["role"],
        },
        prepare=SECURITY_STACK,
    ),
    "aurora": Group(
        "inventories/local",
        "local-use1",
        "playbooks/database.yml",
        {
            "CreateDBClusterParameterGroup": ["db_cluster_parameter_group"],
            "CreateDBCluster": ["db_cluster"],
            "CreateDBInstance": ["db_instance"],
        },
        prepare=SECURITY_STACK,
        extra_vars=AURORA,
    ),
    "cache_search": Group(
        "inventories/local",
        "local-use1",
        CACHE_SEARCH,
        {
            "CreateCacheParameterGroup": ["cache_parameter_group"],
            "CreateReplicationGroup": ["replication_group"],
            "CreateSecret": ["secret"],
            "CreateTopic": ["topic"],
            "CreateLogGroup": ["log_group"],
            "CreateDomain": ["search_domain"],
        },
        prepare=SECURITY_STACK,
    ),
}

CASES = [(group, op) for group, spec in GROUPS.items() for op in spec.ops]


# -- the account, read back: every resource as (kind, what names it), so duplicates show as counts > 1 -------------


def _tag(resource, key="Name"):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or resource.get("TagList") or []}.get(key)


def _quiet(call, default=()):
    try:
        return call()
    except ClientError:
        return default


def snapshot(emulator, region=REGION):
    """Counter of (kind, label) for everything in the region's account (the emulator holds only ours)."""
    found = Counter()

    def client(service):
        return emulator.boto3_client(service, region)

    ec2 = client("ec2")
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if not vpc.get("IsDefault"):
            found["vpc", _tag(vpc)] += 1
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    for subnet in ec2.describe_subnets()["Subnets"]:
        if subnet["VpcId"] not in default_vpcs:
            found["subnet", _tag(subnet)] += 1
    for igw in ec2.describe_internet_gateways()["InternetGateways"]:
        attached = [a["VpcId"] for a in igw.get("Attachments", [])]
        if not set(attached) & default_vpcs:
            found["internet_gateway", (_tag(igw), bool(attached))] += 1
    for address in ec2.describe_addresses()["Addresses"]:
        found["elastic_ip", _tag(address)] += 1
    for nat in ec2.describe_nat_gateways()["NatGateways"]:
        if nat["State"] not in ("deleted", "deleting", "failed"):
            found["nat_gateway", _tag(nat)] += 1
    for table in ec2.describe_route_tables()["RouteTables"]:
        if table["VpcId"] not in default_vpcs:
            main = any(a.get("Main") for a in table.get("Associations", []))
            found["route_table", "main" if main else _tag(table)] += 1
    for endpoint in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        if endpoint["State"].lower() not in ("deleted", "deleting"):
            found["vpc_endpoint", endpoint["ServiceName"]] += 1
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        if group["VpcId"] not in default_vpcs:
            # EKS names its cluster security group eks-cluster-sg-<cluster>-<number it picks>: the number differs
            # between two accounts' runs, the group is the same.
            found["security_group", re.sub(r"^(eks-cluster-sg-.*)-\d+$", r"\1-N", group["GroupName"])] += 1
    for log in ec2.describe_flow_logs()["FlowLogs"]:
        found["flow_log", log.get("LogGroupName")] += 1
    for group in client("logs").describe_log_groups()["logGroups"]:
        found["log_group", group["logGroupName"]] += 1
    iam = client("iam")
    for role in iam.list_roles()["Roles"]:
        if not role["Path"].startswith("/aws-service-role/"):
            found["role", role["RoleName"]] += 1
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        found["oidc_provider", provider["Arn"].split("/", 1)[1].rsplit("/", 1)[0]] += 1  # the issuer id is random
    rds = client("rds")
    for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
        found["db_subnet_group", group["DBSubnetGroupName"]] += 1
    for group in rds.describe_db_parameter_groups()["DBParameterGroups"]:
        if not group["DBParameterGroupName"].startswith("default."):
            found["db_parameter_group", group["DBParameterGroupName"]] += 1
    for group in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]:
        if not group["DBClusterParameterGroupName"].startswith("default."):
            found["db_cluster_parameter_group", group["DBClusterParameterGroupName"]] += 1
    for instance in rds.describe_db_instances()["DBInstances"]:
        found["db_instance", instance["DBInstanceIdentifier"]] += 1
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        found["db_cluster", cluster["DBClusterIdentifier"]] += 1
    elasticache = client("elasticache")
    for group in elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]:
        if group["CacheSubnetGroupName"] != "default":
            found["cache_subnet_group", group["CacheSubnetGroupName"]] += 1
    for group in elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]:
        if not group["CacheParameterGroupName"].startswith("default."):
            found["cache_parameter_group", group["CacheParameterGroupName"]] += 1
    for group in elasticache.describe_replication_groups()["ReplicationGroups"]:
        found["replication_group", group["ReplicationGroupId"]] += 1
    kms = client("kms")
    aliases = {}
    for alias in kms.list_aliases()["Aliases"]:
        if alias.get("TargetKeyId") and not alias["AliasName"].startswith("alias/aws/"):
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    for key in kms.list_keys()["Keys"]:
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") == "CUSTOMER" and metadata["KeyState"] != "PendingDeletion":
            found["kms_key", tuple(sorted(aliases.get(key["KeyId"], [])))] += 1
    for secret in client("secretsmanager").list_secrets()["SecretList"]:
        if not secret.get("DeletedDate"):
            # RDS names the master password secrets it manages rds!db-<random id>
            found["secret", "rds!db-*" if secret["Name"].startswith("rds!") else secret["Name"]] += 1
    for scope, waf_region in (("REGIONAL", region), ("CLOUDFRONT", "us-east-1")):
        if scope == "CLOUDFRONT" and region != "us-east-1":
            continue
        for acl in emulator.boto3_client("wafv2", waf_region).list_web_acls(Scope=scope)["WebACLs"]:
            found["web_acl", (scope, acl["Name"])] += 1
    for repository in client("ecr").describe_repositories()["repositories"]:
        found["repository", repository["repositoryName"]] += 1
    ecs = client("ecs")
    for arn in ecs.list_clusters()["clusterArns"]:
        name = arn.rsplit("/", 1)[1]
        found["ecs_cluster", name] += 1
        for service_arn in ecs.list_services(cluster=name)["serviceArns"]:
            found["ecs_service", service_arn.rsplit("/", 1)[1]] += 1
    for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
        found["task_definition", arn.rsplit("/", 1)[1].rsplit(":", 1)[0]] += 1  # ACTIVE revisions per family
    elb = client("elbv2")
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        found["load_balancer", lb["LoadBalancerName"]] += 1
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            found["listener", (lb["LoadBalancerName"], listener["Port"])] += 1
            for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                if not rule["IsDefault"]:
                    found["listener_rule", (lb["LoadBalancerName"], listener["Port"], rule["Priority"])] += 1
    for group in elb.describe_target_groups()["TargetGroups"]:
        found["target_group", group["TargetGroupName"]] += 1
    for bucket in client("s3").list_buckets()["Buckets"]:
        found["bucket", bucket["Name"]] += 1
    scaling = client("application-autoscaling")
    for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        found["scalable_target", (target["ResourceId"], target["ScalableDimension"])] += 1
    for policy in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]:
        found["scaling_policy", (policy["ResourceId"], policy["PolicyName"])] += 1
    eks = client("eks")
    for name in eks.list_clusters()["clusters"]:
        found["eks_cluster", name] += 1
        for nodegroup in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            found["nodegroup", (name, nodegroup)] += 1
        for addon in _quiet(lambda n=name: eks.list_addons(clusterName=n)["addons"]):
            found["addon", (name, addon)] += 1
    for domain in client("opensearch").list_domain_names()["DomainNames"]:
        found["search_domain", domain["DomainName"]] += 1
    for topic in client("sns").list_topics()["Topics"]:
        found["topic", topic["TopicArn"].rsplit(":", 1)[1]] += 1
    return found


def of_kinds(found, kinds):
    return {key: count for key, count in found.items() if key[0] in kinds}


# -- one reference converge and one faulted converge per group ------------------------------------------------------


def _converge(emulator, group, **kwargs):
    return run_playbook(
        emulator, group.playbook, inventory=group.inventory, limit=group.limit, extra_vars=group.extra_vars, **kwargs
    )


def _prepare(emulator, group):
    emulator.reset()
    if group.prepare:
        run = run_playbook(emulator, group.prepare, inventory=group.inventory, limit=group.limit)
        assert run.rc == 0, run.messages()


@pytest.fixture(scope="module")
def outcomes(emulator_session):
    """Per group, lazily: the fault-free snapshot, and what one lost response per create operation left."""
    cache = {}

    def outcome(name):
        if name in cache:
            return cache[name]
        group, emulator = GROUPS[name], emulator_session
        _prepare(emulator, group)
        reference_run = _converge(emulator, group)
        assert reference_run.rc == 0, reference_run.messages()
        reference = snapshot(emulator)

        _prepare(emulator, group)
        emulator.set_faults(lost_responses=dict.fromkeys(group.ops, 1))
        runs = []  # a run that fails leaves later creates unfaulted: run again until every loss happened
        pending = group.ops
        while pending and len(runs) < 3:
            runs.append(_converge(emulator, group))
            pending = {op: n for op, n in emulator.faults()["lost_responses"].items() if n}
        lost = Counter(c["operation"] for c in emulator.calls()["calls"] if c["fault"] == "lost_response")
        emulator.set_faults()
        again = _converge(emulator, group)
        cache[name] = dict(
            reference=reference, found=snapshot(emulator), runs=runs, again=again, pending=pending, lost=lost
        )
        return cache[name]

    return outcome


@pytest.mark.parametrize(("group", "operation"), CASES, ids=[f"{g}-{op}" for g, op in CASES])
def test_a_lost_create_response_leaves_exactly_one_of_everything(outcomes, group, operation):
    outcome = outcomes(group)
    assert operation not in outcome["pending"], f"{operation} was never called: the test lost nothing"
    assert outcome["lost"][operation] == 1
    failed = [run.messages() for run in outcome["runs"] + [outcome["again"]] if run.rc != 0]
    assert not failed, failed
    kinds = GROUPS[group].ops[operation]
    assert of_kinds(outcome["found"], kinds) == of_kinds(outcome["reference"], kinds)


@pytest.mark.parametrize("group", list(GROUPS))
def test_nothing_else_is_left_twice_and_the_rerun_changes_nothing(outcomes, group):
    outcome = outcomes(group)
    assert outcome["found"] == outcome["reference"]
    assert outcome["again"].rc == 0, outcome["again"].messages()
    assert outcome["again"].changed() == 0, [
        r.get("changes") for r in outcome["again"].results("Converge") if r.get("changed")
    ]


# -- what lost responses left before creates were guarded: adopted or removed, and said so --------------------------


def _identity(platform, environment, component):
    return {"stackops:platform": platform, "stackops:environment": environment, "stackops:component": component}


def test_orphans_of_lost_creates_are_removed_and_reported(emulator, playbook):
    """An empty second VPC and a detached internet gateway with the network's tags, and a KMS key tagged for a
    purpose whose alias names another key: each goes (the key with AWS's longest deletion window), the run says
    so, and the next run has nothing to do."""
    dev = {"inventory": "inventories/dev", "limit": "dev-use1"}
    assert playbook(SECURITY_STACK, **dev).rc == 0
    ec2, kms = emulator.boto3_client("ec2"), emulator.boto3_client("kms")
    network = [{"Key": k, "Value": v} for k, v in _identity("moneytrack", "dev", "network").items()]
    security = _identity("moneytrack", "dev", "security")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": network}])
    igw = ec2.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": network}])
    key = kms.create_key(
        Tags=[{"TagKey": k, "TagValue": v} for k, v in {**security, "stackops:kms-purpose": "data"}.items()]
    )["KeyMetadata"]["KeyId"]
    orphans = {vpc["Vpc"]["VpcId"], igw["InternetGateway"]["InternetGatewayId"], key}

    run = playbook(SECURITY_STACK, **dev)
    assert run.rc == 0, run.messages()
    changes = [c for r in run.results("Converge") for c in r.get("changes", [])]
    for resource in orphans:
        assert any(resource in sentence for sentence in changes), (resource, changes)
    identity = [{"Name": f"tag:{k}", "Values": [v]} for k, v in _identity("moneytrack", "dev", "network").items()]
    assert len(ec2.describe_vpcs(Filters=identity)["Vpcs"]) == 1
    assert [g["Attachments"] != [] for g in ec2.describe_internet_gateways(Filters=identity)["InternetGateways"]] == [
        True
    ]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    emulator.clear_calls()
    again = playbook(SECURITY_STACK, **dev)
    assert again.rc == 0 and again.changed() == 0, again.messages()
    assert emulator.writes() == []


def test_an_extra_identical_task_definition_revision_is_deregistered_not_deployed(emulator, playbook):
    local = {"inventory": "inventories/local", "limit": "local-use1"}
    assert playbook(SECURITY_STACK, **local).rc == 0
    assert playbook("playbooks/cluster.yml", **local).rc == 0
    ecs = emulator.boto3_client("ecs")
    service = ecs.describe_services(cluster="demo-local", services=["api"])["services"][0]
    in_use = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    copy = {
        k: v
        for k, v in in_use.items()
        if k
        in (
            "family", "containerDefinitions", "taskRoleArn", "executionRoleArn", "networkMode", "volumes",
            "placementConstraints", "requiresCompatibilities", "cpu", "memory", "runtimePlatform",
        )
    }  # fmt: skip
    extra = ecs.register_task_definition(**copy)["taskDefinition"]["taskDefinitionArn"]

    run = playbook("playbooks/cluster.yml", **local)
    assert run.rc == 0, run.messages()
    changes = [c for r in run.results("Converge") for c in r.get("changes", [])]
    revision = extra.rsplit("/", 1)[1]
    assert any(f"deregister task definition {revision}" in c for c in changes), changes
    assert not any("update ECS service api" in c for c in changes), changes
    assert ecs.describe_task_definition(taskDefinition=extra)["taskDefinition"]["status"] == "INACTIVE"
    after = ecs.describe_services(cluster="demo-local", services=["api"])["services"][0]
    assert after["taskDefinition"] == service["taskDefinition"]
