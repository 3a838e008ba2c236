"""The ECS and load balancer specs: validation messages, task definitions compared by content, names (pure Python)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.stackops.platform.plugins.filter.cluster import cluster_alb_target_groups
from ansible_collections.stackops.platform.plugins.filter.cluster import cluster_ecs_spec_errors
from ansible_collections.stackops.platform.plugins.module_utils._alb import spec as alb
from ansible_collections.stackops.platform.plugins.module_utils._ecs import spec as ecs

SERVICES = [
    {
        "name": "api",
        "image": "api:1.0.0",
        "cpu": 1024,
        "memory": 2048,
        "port": 8000,
        "environment": {"LOG_LEVEL": "info"},
        "secrets": {"JWT_SECRET": "jwt_secret"},
    },
    {"name": "worker", "image": "api:1.0.0", "command": ["python", "-m", "worker"], "min_tasks": 1, "max_tasks": 4},
]
SECRETS = {
    "jwt_secret": {"arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/x/jwt-secret-AbCdEf", "name": "x"}
}


def ecs_valid():
    return {
        "name": "banking-llm-prod",
        "services": copy.deepcopy(SERVICES),
        "ecr_repositories": ["api"],
        "log_retention_days": 90,
    }


def alb_valid():
    return {
        "name": "banking-llm-prod",
        "certificate_domain": "api.banking-llm.com",
        "target_groups": cluster_alb_target_groups(SERVICES, [], "api", {}),
        "default_service": "api",
        "rules": [{"service": "api", "paths": ["/v1/*"]}],
    }


def errors(ecs_change=None, alb_change=None):
    spec, lb = ecs_valid(), alb_valid()
    if ecs_change:
        ecs_change(spec)
    if alb_change:
        alb_change(lb)
    return cluster_ecs_spec_errors(spec, lb, "us-east-1", SECRETS)


def test_a_valid_spec_has_no_errors():
    assert errors() == []


S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        (256, 512, True),
        (256, 4096, False),
        (1024, 2048, True),
        (1024, 1024, False),
        (4096, 30720, True),
        (8192, 20000, False),
        (300, 512, False),
    ],
)
def test_fargate_sizes(cpu, memory, ok):
    found = errors(lambda s: s["services"][0].update(cpu=cpu, memory=memory))
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["services"][0].update(port=0), "cluster_services[0].port: 0 is outside 1-65535"),
        (lambda s: s["services"][1].update(min_tasks=6), "cluster_services[1].min_tasks: 6 is more than max_tasks 4"),
        (
            lambda s: s["services"][0].update(cpu_target=0),
            "cluster_services[0].cpu_target: 0 must be a CPU utilization percentage",
        ),
        (
            lambda s: s["services"][0].update(memory_target=120),
            "cluster_services[0].memory_target: 120 must be a memory utilization percentage from 1 to 100",
        ),
        (
            lambda s: s.update(
                task_role_policies=[
                    {"name": "task", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}}
                ]
            ),
            "cluster_ecs_task_role_policies[0].document.Statement[0]: needs Action or NotAction",
        ),
        (
            lambda s: s.update(task_role_policies=[{"name": "task", "document": S3}]),
            "cluster_ecs_task_role_policies[0].name: 'task' is the inline policy of "
            "cluster_ecs_task_role_policy_statements",
        ),
        (
            lambda s: s["services"][0].update(stop_timeout=300),
            "cluster_services[0].stop_timeout: 300 must be whole seconds from 2 to 120",
        ),
        (
            lambda s: s["services"][0].update(image="Nginx"),
            "cluster_services[0].image: 'Nginx' is not an image reference",
        ),
        (lambda s: s["services"].append(dict(SERVICES[1])), "cluster_services[2].name: worker is defined twice"),
        (
            lambda s: s["services"][0]["secrets"].update(X="nope"),
            "cluster_services[0].secrets.X: 'nope' is not a secret of the security tier",
        ),
        (
            lambda s: s["services"][0]["secrets"].update(LOG_LEVEL="jwt_secret"),
            "cluster_services[0].secrets.LOG_LEVEL: also set in environment",
        ),
        (lambda s: s.update(log_retention_days=45), "cluster_ecs_log_retention_days: 45 is not a retention"),
        (lambda s: s.update(ecr_repositories=["API"]), "cluster_ecr_repositories[0]: 'API' is not a repository name"),
        (
            lambda s: s.update(capacity_providers=["EC2"]),
            "cluster_ecs_capacity_providers[0]: 'EC2' is not FARGATE or FARGATE_SPOT",
        ),
        (lambda s: s.update(deployment_max_percent=250), "cluster_ecs_deployment_max_percent: 250 must be 100-200"),
        (lambda s: s.update(tags={"aws:x": "1"}), "cluster_tags: key 'aws:x' uses the aws: prefix"),
    ],
)
def test_ecs_rules_name_the_role_variable(change, message):
    assert any(message in e for e in errors(change)), errors(change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s.update(certificate_domain=""),
            "cluster_alb_certificate_arn: the HTTPS listener needs a certificate",
        ),
        (
            lambda s: s.update(certificate_arn="arn:aws:acm:x"),
            "cluster_alb_certificate_arn: 'arn:aws:acm:x' is not an ACM certificate ARN",
        ),
        (
            lambda s: s.update(ssl_policy="ELBSecurityPolicy-2016-08"),
            "cluster_alb_ssl_policy: 'ELBSecurityPolicy-2016-08' is not a TLS 1.2+ policy",
        ),
        (lambda s: s["rules"].append({"paths": ["/x"]}), "cluster_alb_rules[1].service: a rule needs a target service"),
        (
            lambda s: s["rules"].append({"service": "worker", "paths": ["/x"]}),
            "cluster_alb_rules[1].service: 'worker' is not a service with a port",
        ),
        (lambda s: s["rules"].append({"service": "api"}), "cluster_alb_rules[1]: a rule needs hosts or paths"),
        (
            lambda s: s["rules"].append({"service": "api", "paths": ["/y"], "priority": 10}),
            "cluster_alb_rules[1].priority: 10 is also the priority",
        ),
        (
            lambda s: s["target_groups"][0].update(health_check_timeout=30),
            "health_check_timeout: 30 must be less than the interval 30",
        ),
        (
            lambda s: s.update(name="a-very-long-platform-name-production"),
            "cluster_name: 'a-very-long-platform-name-production' is too long",
        ),
    ],
)
def test_alb_rules_name_the_role_variable(change, message):
    assert any(message in e for e in errors(alb_change=change)), errors(alb_change=change)


def test_secret_keys_from_the_security_spec_list_or_unknown():
    spec = ecs_valid()
    spec["services"][0]["secrets"]["X"] = "nope"
    assert cluster_ecs_spec_errors(spec, None, "us-east-1", [{"key": "jwt_secret"}, {"key": "nope"}]) == []
    assert cluster_ecs_spec_errors(spec, None, "us-east-1", None) == []  # the module checks once it has read them


def test_target_groups_only_for_routed_services_with_a_port():
    groups = cluster_alb_target_groups(SERVICES, [{"service": "api", "paths": ["/v1/*"]}], "", {"interval": 15})
    assert groups == [
        {
            "service": "api",
            "port": 8000,
            "health_check_path": "/health",
            "health_check_interval": 15,
            "health_check_timeout": 5,
            "healthy_threshold": 2,
            "unhealthy_threshold": 3,
            "health_check_matcher": "200",
        }
    ]


def test_images_of_listed_repositories_resolve_to_ecr():
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    repos = {"api": "banking-llm-prod/api"}
    assert ecs.resolve_image("api:1.4.2", repos, registry) == f"{registry}/banking-llm-prod/api:1.4.2"
    assert ecs.resolve_image("nginx:1.27", repos, registry) == "nginx:1.27"
    assert ecs.resolve_image("ghcr.io/x/api:1", repos, registry) == "ghcr.io/x/api:1"


def test_a_task_definition_as_aws_returns_it_compares_equal_to_the_spec():
    names = ecs.Names("banking-llm-prod")
    service = ecs.service_defaults(SERVICES[0])
    desired = ecs.task_definition(names, service, "api:1", "us-east-1", {"jwt_secret": "arn:s"}, "arn:e", "arn:t")
    registered = copy.deepcopy(desired)
    container = registered["containerDefinitions"][0]
    container.update(cpu=0, mountPoints=[], volumesFrom=[], systemControls=[])  # what DescribeTaskDefinition adds
    registered.update(
        revision=3, status="ACTIVE", compatibilities=["EC2", "FARGATE"], volumes=[], placementConstraints=[]
    )
    del registered["runtimePlatform"]  # not returned when it is the default
    assert ecs.task_definition_view(registered) == ecs.task_definition_view(desired)
    container["image"] = "api:2"
    assert ecs.task_definition_view(registered) != ecs.task_definition_view(desired)
    assert container["secrets"] == [{"name": "JWT_SECRET", "valueFrom": "arn:s"}]
    assert desired["family"] == "banking-llm-prod-api"
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/aws/ecs/banking-llm-prod/api"


def test_the_log_bucket_policy_follows_the_region():
    east = alb.bucket_policy("b", "alb", "123456789012", "us-east-1")
    assert east["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert east["Statement"][0]["Resource"] == "arn:aws:s3:::b/alb/AWSLogs/123456789012/*"
    newer = alb.bucket_policy("b", "", "123456789012", "ap-southeast-4")
    assert newer["Statement"][0]["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert alb.Names("demo-local").bucket("123456789012", "us-west-2") == "demo-local-alb-logs-123456789012-us-west-2"


def test_lifecycle_policy_and_trust_policy():
    policy = ecs.lifecycle_policy(30, 7)
    assert [r["rulePriority"] for r in policy["rules"]] == [1, 2]
    trust = ecs.assume_role_policy("123456789012", "us-east-1")
    assert trust["Statement"][0]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}
