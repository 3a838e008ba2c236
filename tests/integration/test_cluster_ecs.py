"""The ECS half of the cluster tier (and its load balancer) converged on the emulator, read back with boto3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

ROOT = Path(__file__).resolve().parents[2]
PRIMARY, DR = "local-use1", "local-usw2"
STACK = "tests/integration/playbooks/cluster_ecs.yml"  # network, security, cluster (site.yml also runs later tiers)
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def _tags(tag_list, key="Key", value="Value"):
    return {t[key]: t[value] for t in tag_list or []}


def _subnets(emulator, tier, region="us-east-1"):
    ec2 = emulator.boto3_client("ec2", region)
    found = ec2.describe_subnets(
        Filters=[
            {"Name": "tag:stackops:component", "Values": ["network"]},
            {"Name": "tag:stackops:tier", "Values": [tier]},
        ]
    )["Subnets"]
    return sorted(s["SubnetId"] for s in found)


def _group(emulator, key, region="us-east-1"):
    ec2 = emulator.boto3_client("ec2", region)
    return ec2.describe_security_groups(
        Filters=[
            {"Name": "tag:stackops:component", "Values": ["security"]},
            {"Name": "tag:stackops:security-group", "Values": [key]},
        ]
    )["SecurityGroups"][0]["GroupId"]


def _services(emulator, names, cluster="demo-local", region="us-east-1"):
    ecs = emulator.boto3_client("ecs", region)
    return {
        s["serviceName"]: s
        for s in ecs.describe_services(cluster=cluster, services=names, include=["TAGS"])["services"]
    }


def _load_balancer(emulator, name="demo-local-alb", region="us-east-1"):
    elb = emulator.boto3_client("elbv2", region)
    lb = elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    listeners = {li["Port"]: li for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    rules = [r for r in elb.describe_rules(ListenerArn=listeners[443]["ListenerArn"])["Rules"] if not r["IsDefault"]]
    groups = {
        g["TargetGroupName"]: g
        for g in elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    }
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    return {"lb": lb, "listeners": listeners, "rules": rules, "target_groups": groups, "attributes": attributes}


# -- one converge of the whole local inventory (both regions) for the read-back tests -------------------------------------


@pytest.fixture(scope="module")
def local(module_emulator):
    module_emulator.reset()
    run = run_playbook(module_emulator, STACK)
    assert run.rc == 0, run.messages()
    return run


def test_cluster_with_fargate_capacity_providers_and_container_insights(module_emulator, local):
    ecs = module_emulator.boto3_client("ecs")
    cluster = ecs.describe_clusters(clusters=["demo-local"], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    tags = _tags(cluster["tags"], "key", "value")
    assert tags["stackops:component"] == "cluster" and tags["owner"] == "platform-team"


def test_task_definitions_from_the_services_list(module_emulator, local):
    ecs = module_emulator.boto3_client("ecs")
    secrets = {s["Name"]: s["ARN"] for s in module_emulator.boto3_client("secretsmanager").list_secrets()["SecretList"]}
    api = ecs.describe_task_definition(taskDefinition="demo-local-api")["taskDefinition"]
    assert api["revision"] == 1
    assert (api["cpu"], api["memory"], api["networkMode"]) == ("1024", "2048", "awsvpc")
    assert api["requiresCompatibilities"] == ["FARGATE"]
    assert api["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/demo-local-ecs-execution-us-east-1"
    assert api["taskRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/demo-local-ecs-task-us-east-1"
    container = api["containerDefinitions"][0]
    assert container["image"] == f"{REGISTRY}/demo-local/api:1.0.0"
    assert container["portMappings"] == [{"containerPort": 3000, "protocol": "tcp"}]
    assert {e["name"]: e["value"] for e in container["environment"]} == {"LOG_LEVEL": "info", "NODE_ENV": "production"}
    connection = secrets["local/demo/database-connection"]
    cache = secrets["local/demo/cache-connection"]
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        "DATABASE_PASSWORD": secrets["local/demo/database/app-password"],
        "JWT_SECRET": secrets["local/demo/jwt-secret"],
        # connections: [database, cache]: JSON keys of the connection secrets
        "DATABASE_HOST": f"{connection}:host::",
        "DATABASE_PORT": f"{connection}:port::",
        "DATABASE_NAME": f"{connection}:dbname::",
        "DATABASE_USER": f"{connection}:username::",
        "DATABASE_MASTER_SECRET_ARN": f"{connection}:master_secret_arn::",
        "REDIS_HOST": f"{cache}:host::",
        "REDIS_PORT": f"{cache}:port::",
        "REDIS_TLS": f"{cache}:tls::",
        "REDIS_AUTH_TOKEN_SECRET_ARN": f"{cache}:auth_token_secret_arn::",
    }
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/aws/ecs/demo-local/api",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "api",
        },
    }
    assert container["healthCheck"]["command"] == ["CMD-SHELL", "curl -fsS http://localhost:3000/health || exit 1"]
    worker = ecs.describe_task_definition(taskDefinition="demo-local-worker")["taskDefinition"]["containerDefinitions"][
        0
    ]
    assert "portMappings" not in worker or worker["portMappings"] == []
    assert "healthCheck" not in worker
    logs = module_emulator.boto3_client("logs").describe_log_groups(logGroupNamePrefix="/aws/ecs/demo-local/")[
        "logGroups"
    ]
    assert {g["logGroupName"]: g["retentionInDays"] for g in logs} == {
        "/aws/ecs/demo-local/admin": 90,
        "/aws/ecs/demo-local/api": 90,
        "/aws/ecs/demo-local/worker": 90,
    }


def test_services_private_rolling_with_circuit_breaker_and_scaling(module_emulator, local):
    found = _services(module_emulator, ["api", "admin", "worker"])
    groups = {
        g["TargetGroupName"]: g["TargetGroupArn"] for g in _load_balancer(module_emulator)["target_groups"].values()
    }
    private, app = _subnets(module_emulator, "private"), _group(module_emulator, "app")
    for name, service in found.items():
        network = service["networkConfiguration"]["awsvpcConfiguration"]
        assert sorted(network["subnets"]) == private
        assert network["securityGroups"] == [app] and network["assignPublicIp"] == "DISABLED"
        assert service["deploymentConfiguration"] == {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        assert service["taskDefinition"].endswith(f"demo-local-{name}:1")
        assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
        assert service["runningCount"] == service["desiredCount"]
    assert found["api"]["desiredCount"] == 2 and found["worker"]["desiredCount"] == 1
    assert found["api"]["loadBalancers"] == [
        {"targetGroupArn": groups["demo-local-api"], "containerName": "api", "containerPort": 3000}
    ]
    assert found["worker"].get("loadBalancers", []) == []
    assert {s["capacityProvider"]: s["weight"] for s in found["worker"]["capacityProviderStrategy"]} == {
        "FARGATE": 1,
        "FARGATE_SPOT": 3,
    }
    scaling = module_emulator.boto3_client("application-autoscaling")
    targets = {
        t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"])
        for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    }
    assert targets == {
        "service/demo-local/api": (2, 10),
        "service/demo-local/admin": (1, 2),
        "service/demo-local/worker": (1, 4),
    }
    policies = {
        p["PolicyName"]: p
        for p in scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/demo-local/api")[
            "ScalingPolicies"
        ]
    }
    assert all(p["PolicyType"] == "TargetTrackingScaling" for p in policies.values())
    tracking = {
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]: p[
            "TargetTrackingScalingPolicyConfiguration"
        ]["TargetValue"]
        for p in policies.values()
    }
    # Seeds 000 and 004: CPU and memory targets on the same scalable target.
    assert tracking == {"ECSServiceAverageCPUUtilization": 70.0, "ECSServiceAverageMemoryUtilization": 80.0}
    assert sorted(policies) == ["demo-local-api-cpu", "demo-local-api-memory"]


def test_graceful_shutdown_stop_timeout_in_the_container_definition(module_emulator, local):
    ecs = module_emulator.boto3_client("ecs")

    def stop_timeout(service):
        definition = ecs.describe_task_definition(taskDefinition=f"demo-local-{service}")["taskDefinition"]
        return definition["containerDefinitions"][0].get("stopTimeout")

    assert (stop_timeout("api"), stop_timeout("worker"), stop_timeout("admin")) == (60, 120, None)


def test_roles_read_exactly_the_services_secrets(module_emulator, local):
    iam = module_emulator.boto3_client("iam")
    role = iam.get_role(RoleName="demo-local-ecs-execution-us-east-1")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    attached = [
        p["PolicyName"]
        for p in iam.list_attached_role_policies(RoleName="demo-local-ecs-execution-us-east-1")["AttachedPolicies"]
    ]
    assert attached == ["AmazonECSTaskExecutionRolePolicy"]
    document = iam.get_role_policy(RoleName="demo-local-ecs-execution-us-east-1", PolicyName="read-service-secrets")[
        "PolicyDocument"
    ]
    document = json.loads(document) if isinstance(document, str) else document
    read = document["Statement"][0]
    assert read["Action"] == ["secretsmanager:GetSecretValue"]
    assert sorted(arn.split(":secret:")[1].rsplit("-", 1)[0] for arn in read["Resource"]) == [
        "local/demo/cache-connection",
        "local/demo/database-connection",
        "local/demo/database/app-password",
        "local/demo/jwt-secret",
    ]
    assert document["Statement"][1]["Action"] == ["kms:Decrypt"]
    assert iam.list_role_policies(RoleName="demo-local-ecs-task-us-east-1")["PolicyNames"] == []


def test_ecr_repositories_scan_on_push_with_a_lifecycle_policy(module_emulator, local):
    ecr = module_emulator.boto3_client("ecr")
    repos = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
    assert set(repos) == {"demo-local/api", "demo-local/worker"}
    assert all(r["imageScanningConfiguration"]["scanOnPush"] for r in repos.values())
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName="demo-local/api")["lifecyclePolicyText"])
    assert [r["selection"]["tagStatus"] for r in policy["rules"]] == ["untagged", "any"]
    assert policy["rules"][1]["selection"]["countNumber"] == 30


def test_load_balancer_https_tls13_redirect_rules_and_health_checks(module_emulator, local):
    found = _load_balancer(module_emulator)
    lb = found["lb"]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == _subnets(module_emulator, "public")
    assert lb["SecurityGroups"] == [_group(module_emulator, "alb")]
    https, http = found["listeners"][443], found["listeners"][80]
    certificate = module_emulator.boto3_client("acm").describe_certificate(
        CertificateArn=https["Certificates"][0]["CertificateArn"]
    )["Certificate"]
    assert certificate["DomainName"] == "api.demo.example.com" and certificate["Status"] == "ISSUED"
    assert https["Protocol"] == "HTTPS" and https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    groups = found["target_groups"]
    assert https["DefaultActions"][0]["TargetGroupArn"] == groups["demo-local-api"]["TargetGroupArn"]
    assert http["DefaultActions"] == [
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    ]
    assert set(groups) == {"demo-local-api", "demo-local-admin"}
    for group in groups.values():
        assert group["TargetType"] == "ip" and group["Port"] == 3000
        assert (
            group["HealthCheckPath"],
            group["HealthCheckIntervalSeconds"],
            group["HealthCheckTimeoutSeconds"],
            group["HealthyThresholdCount"],
            group["UnhealthyThresholdCount"],
        ) == ("/health", 30, 5, 2, 3)
    rules = {
        r["Priority"]: (
            {
                c["Field"]: sorted(c.get("HostHeaderConfig", c.get("PathPatternConfig", {})).get("Values", []))
                for c in r["Conditions"]
            },
            r["Actions"][0]["TargetGroupArn"],
        )
        for r in found["rules"]
    }
    assert rules == {
        "10": ({"host-header": ["admin.demo.example.com"]}, groups["demo-local-admin"]["TargetGroupArn"]),
        "20": ({"path-pattern": ["/api/*", "/health"]}, groups["demo-local-api"]["TargetGroupArn"]),
    }


def test_access_logs_to_s3_with_the_elb_delivery_policy_and_waf(module_emulator, local):
    found = _load_balancer(module_emulator)
    bucket = f"demo-local-alb-logs-{ACCOUNT}-us-east-1"
    assert found["attributes"]["access_logs.s3.enabled"] == "true"
    assert found["attributes"]["access_logs.s3.bucket"] == bucket
    assert found["attributes"]["routing.http.drop_invalid_header_fields.enabled"] == "true"
    s3 = module_emulator.boto3_client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    delivery = policy["Statement"][0]
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}  # ELB's account in us-east-1
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"arn:aws:s3:::{bucket}/alb/AWSLogs/{ACCOUNT}/*"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    waf = module_emulator.boto3_client("wafv2")
    acl = waf.get_web_acl_for_resource(ResourceArn=found["lb"]["LoadBalancerArn"])["WebACL"]
    assert acl["Name"] == "demo-local-waf"


def test_the_dr_region_converges_the_same_cluster(module_emulator, local):
    services = _services(module_emulator, ["api", "admin", "worker"], region="us-west-2")
    assert set(services) == {"api", "admin", "worker"}
    lb = _load_balancer(module_emulator, region="us-west-2")
    assert lb["listeners"][443]["Certificates"][0]["CertificateArn"].startswith("arn:aws:acm:us-west-2:")
    s3 = module_emulator.boto3_client("s3", "us-west-2")
    policy = json.loads(s3.get_bucket_policy(Bucket=f"demo-local-alb-logs-{ACCOUNT}-us-west-2")["Policy"])
    assert policy["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::797873946194:root"
    }  # ELB's account in us-west-2


def test_fact_and_status_show_the_cluster(module_emulator, local):
    fact = local.result("Converge the ECS cluster", PRIMARY)["ecs"]
    assert fact["cluster_arn"] == f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/demo-local"
    assert fact["task_definitions"]["api"].endswith("task-definition/demo-local-api:1")
    assert fact["ecr_repositories"] == {"api": f"{REGISTRY}/demo-local/api", "worker": f"{REGISTRY}/demo-local/worker"}
    status = run_playbook(module_emulator, "playbooks/status.yml", limit=PRIMARY)
    assert status.rc == 0, status.messages()
    found = status.result("Read the ECS cluster", PRIMARY)
    assert found["services"]["api"]["running"] == 2
    assert found["load_balancer"]["dns_name"].startswith("demo-local-alb")
    shown = status.result("Show the cluster", PRIMARY)["msg"]
    assert "api" in shown and "demo-local-alb" in shown


def test_second_converge_changes_nothing_and_writes_nothing(module_emulator, local):
    module_emulator.clear_calls()
    run = run_playbook(module_emulator, "playbooks/cluster.yml")
    assert run.rc == 0, run.messages()
    assert run.changed() == 0
    writes = [c for c in module_emulator.calls()["calls"] if c["kind"] == "write" and not c["fault"]]
    assert writes == []


def test_drift_is_put_back_even_when_throttled(module_emulator, local):
    elb, ecs = module_emulator.boto3_client("elbv2"), module_emulator.boto3_client("ecs")
    found = _load_balancer(module_emulator)
    elb.modify_target_group(
        TargetGroupArn=found["target_groups"]["demo-local-admin"]["TargetGroupArn"], HealthCheckPath="/"
    )
    elb.delete_rule(RuleArn=next(r["RuleArn"] for r in found["rules"] if r["Priority"] == "20"))
    ecs.update_service(cluster="demo-local", service="worker", desiredCount=9)  # above max_tasks 4
    # ... while ECS and ELB throttle one call in five: the clients' retries absorb it.
    module_emulator.set_faults(throttle_rate=0.2, seed=5, services=["ecs", "elasticloadbalancing"])
    try:
        run = run_playbook(module_emulator, "playbooks/cluster.yml", limit=PRIMARY)
        throttled = module_emulator.calls()["faults"]
    finally:
        module_emulator.set_faults()
    assert run.rc == 0, run.messages()
    assert throttled > 0
    assert run.result("Converge the load balancer", PRIMARY)["changes"] == [
        "target group demo-local-admin: set the health check to /health every 30 s",
        "create listener rule 20: path /api/*,/health -> api",
    ]
    assert run.result("Converge the ECS cluster", PRIMARY)["changes"] == [
        "update ECS service worker: desired tasks 9 -> 4"
    ]
    found = _load_balancer(module_emulator)
    assert found["target_groups"]["demo-local-admin"]["HealthCheckPath"] == "/health"
    assert sorted(r["Priority"] for r in found["rules"]) == ["10", "20"]
    assert _services(module_emulator, ["worker"])["worker"]["desiredCount"] == 4


def test_a_new_image_and_tls_policy_show_in_the_diff_and_register_one_revision(module_emulator, local):
    spec = yaml.safe_load((ROOT / "inventories/local/group_vars/all/cluster.yml").read_text())
    services = [{**s, "image": "api:1.1.0"} if s["name"] == "api" else s for s in spec["cluster_services"]]
    extra = {"cluster_services": services, "cluster_alb_ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}
    module_emulator.clear_calls()
    run = run_playbook(module_emulator, "playbooks/cluster.yml", limit=PRIMARY, extra_vars=extra, diff=True)
    assert run.rc == 0, run.messages()
    ecs = run.result("Converge the ECS cluster", PRIMARY)
    assert ecs["diff"]["before"]["task_definitions"]["api"]["image"] == f"{REGISTRY}/demo-local/api:1.0.0"
    assert ecs["diff"]["after"]["task_definitions"]["api"]["image"] == f"{REGISTRY}/demo-local/api:1.1.0"
    assert ecs["changes"] == [
        f"register a new revision of task definition demo-local-api (image {REGISTRY}/demo-local/api:1.1.0)",
        "update ECS service api: task_definition",
    ]
    alb = run.result("Converge the load balancer", PRIMARY)
    assert alb["diff"]["before"]["listeners"]["HTTPS 443"]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert alb["diff"]["after"]["listeners"]["HTTPS 443"]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert alb["changes"] == ["listener HTTPS 443: set ssl_policy"]
    writes = sorted(c["operation"] for c in module_emulator.calls()["calls"] if c["kind"] == "write")
    assert writes == ["ModifyListener", "RegisterTaskDefinition", "UpdateService"]
    api = _services(module_emulator, ["api"])["api"]
    assert api["taskDefinition"].endswith("demo-local-api:2")
    assert [d["rolloutState"] for d in api["deployments"]] == ["COMPLETED"]  # the module waited for it

    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/cluster.yml", limit=PRIMARY, extra_vars=extra)
    assert again.rc == 0 and again.changed() == 0
    assert [c for c in module_emulator.calls()["calls"] if c["kind"] == "write"] == []


# -- check mode on an empty account ---------------------------------------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook(STACK, limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    ecs = run.result("Converge the ECS cluster", PRIMARY)
    assert "create ECS cluster demo-local (FARGATE, FARGATE_SPOT, Container Insights enabled)" in ecs["changes"]
    assert "create ECS service api (2 tasks of demo-local-api:1)" in ecs["changes"]
    assert {"DATABASE_PASSWORD", "JWT_SECRET", "DATABASE_HOST", "REDIS_HOST"} <= set(
        ecs["diff"]["after"]["task_definitions"]["api"]["secrets"]
    )
    alb = run.result("Converge the load balancer", PRIMARY)
    assert "create listener HTTP 80 (redirect to HTTPS 443)" in alb["changes"]
    assert alb["load_balancer"]["arn"] is None


# -- bad input: rejected before any API call ---------------------------------------------------------------------------------


def _api(**change):
    service = {"name": "api", "image": "api:1.0.0", "cpu": 1024, "memory": 2048, "port": 3000}
    service.update(change)
    return {"cluster_services": [service]}


BAD_INPUT = {
    "Fargate cpu/memory pair": (
        _api(memory=1024),
        "cluster_services[0].memory: Fargate refuses 1024 MiB with 1024 CPU units",
    ),
    "port out of range": (_api(port=70000), "cluster_services[0].port: 70000 is outside 1-65535"),
    "listener without a certificate": (
        {"cluster_alb_certificate_domain": ""},
        "cluster_alb_certificate_arn: the HTTPS listener needs a certificate",
    ),
    "min tasks above max": (
        _api(min_tasks=5, max_tasks=3),
        "cluster_services[0].min_tasks: 5 is more than max_tasks 3",
    ),
    "unknown secret": (
        _api(secrets={"STRIPE_KEY": "stripe_key"}),
        "cluster_services[0].secrets.STRIPE_KEY: 'stripe_key' is not a secret of the security tier",
    ),
    "duplicate service names": (
        {"cluster_services": [_api()["cluster_services"][0], _api()["cluster_services"][0]]},
        "cluster_services[1].name: api is defined twice",
    ),
    "path rule without a target service": (
        {"cluster_alb_rules": [{"paths": ["/v2/*"]}]},
        "cluster_alb_rules[0].service: a rule needs a target service",
    ),
    "bad log retention": (
        {"cluster_ecs_log_retention_days": 45},
        "cluster_ecs_log_retention_days: 45 is not a retention CloudWatch Logs accepts",
    ),
    "CPU target outside 1-100": (
        _api(cpu_target=150),
        "cluster_services[0].cpu_target: 150 must be a CPU utilization percentage from 1 to 100",
    ),
    "bad image reference": (
        _api(image="API:Latest!"),
        "cluster_services[0].image: 'API:Latest!' is not an image reference",
    ),
    "TLS policy below 1.2": (
        {"cluster_alb_ssl_policy": "ELBSecurityPolicy-2016-08"},
        "cluster_alb_ssl_policy: 'ELBSecurityPolicy-2016-08' is not a TLS 1.2+ policy",
    ),
    "rule to a service without a port": (
        {"cluster_alb_rules": [{"service": "worker", "paths": ["/jobs/*"]}]},
        "cluster_alb_rules[0].service: 'worker' is not a service with a port",
    ),
}


# The local inventory's demo certificate import is inventory setup (an ACM read), not the tier: off here.
BAD_INPUT_ALWAYS = {"demo_self_signed_certificate": False}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own (local-use1's variables, the case's on top): one run checks them all."""
    cases = {case: {**extra_vars, **BAD_INPUT_ALWAYS} for case, (extra_vars, _message) in BAD_INPUT.items()}
    return run_bad_inputs("playbooks/cluster.yml", cases, tmp_path_factory.mktemp("bad-input"))


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, _calls = bad_input_run
    assert run.failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in run.messages(case_host(case))


# -- seed 000 as an inventory ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_banking_llm_example_converges_and_reconverges_without_writes(emulator, playbook):
    extra = {"demo_self_signed_certificate": True}
    run = playbook(STACK, inventory="inventories/examples/banking-llm", extra_vars=extra)
    assert run.rc == 0, run.messages()
    api = _services(emulator, ["api", "worker"], cluster="banking-llm-prod")
    assert api["api"]["taskDefinition"].endswith("banking-llm-prod-api:1")
    container = emulator.boto3_client("ecs").describe_task_definition(taskDefinition="banking-llm-prod-api")[
        "taskDefinition"
    ]["containerDefinitions"][0]
    assert container["image"] == f"{REGISTRY}/banking-llm-prod/banking-llm:1.0.0"
    assert container["portMappings"][0]["containerPort"] == 8000
    lb = _load_balancer(emulator, name="banking-llm-prod-alb")
    assert lb["attributes"]["deletion_protection.enabled"] == "true"  # prod is a protected environment
    assert lb["listeners"][443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    emulator.clear_calls()
    again = playbook("playbooks/cluster.yml", inventory="inventories/examples/banking-llm", extra_vars=extra)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0
    assert emulator.writes() == []
