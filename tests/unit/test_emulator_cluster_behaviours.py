"""Emulator behaviours the load balancer and service scaling rely on: ALB attributes with their defaults, the web
ACLs that protect a load balancer, scaling policies found by name."""

from __future__ import annotations


def _load_balancer(emulator):
    ec2 = emulator.boto3_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab", start=1)
    ]
    elbv2 = emulator.boto3_client("elbv2")
    arn = elbv2.create_load_balancer(Name="attrs", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return elbv2, arn


def _attributes(elbv2, arn):
    return {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}


def test_a_new_load_balancer_lists_the_documented_defaults(emulator):
    elbv2, arn = _load_balancer(emulator)
    attributes = _attributes(elbv2, arn)
    assert attributes["access_logs.s3.enabled"] == "false"
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["routing.http2.enabled"] == "true"
    assert attributes["routing.http.desync_mitigation_mode"] == "defensive"
    assert "elbv2-default-attributes" in [b["name"] for b in emulator.behaviours()]


def test_what_was_set_is_answered_not_the_default(emulator):
    elbv2, arn = _load_balancer(emulator)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        ],
    )
    attributes = _attributes(elbv2, arn)
    assert attributes["idle_timeout.timeout_seconds"] == "120"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    keys = [a["Key"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]]
    assert keys.count("idle_timeout.timeout_seconds") == 1


def test_a_web_acl_lists_the_load_balancers_it_protects(emulator):
    _elbv2, arn = _load_balancer(emulator)
    wafv2 = emulator.boto3_client("wafv2")
    acl = wafv2.create_web_acl(
        Name="attrs",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "attrs"},
    )["Summary"]["ARN"]
    assert wafv2.list_resources_for_web_acl(WebACLArn=acl)["ResourceArns"] == []
    wafv2.associate_web_acl(WebACLArn=acl, ResourceArn=arn)
    assert wafv2.list_resources_for_web_acl(WebACLArn=acl, ResourceType="APPLICATION_LOAD_BALANCER")[
        "ResourceArns"
    ] == [arn]
    assert wafv2.list_resources_for_web_acl(WebACLArn=acl, ResourceType="API_GATEWAY")["ResourceArns"] == []


def test_scaling_policies_are_found_by_name(emulator):
    ecs = emulator.boto3_client("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="api", containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}])
    ecs.create_service(cluster="c", serviceName="api", taskDefinition="api:1", desiredCount=1)
    scaling = emulator.boto3_client("application-autoscaling")
    target = {"ServiceNamespace": "ecs", "ResourceId": "service/c/api", "ScalableDimension": "ecs:service:DesiredCount"}
    scaling.register_scalable_target(MinCapacity=1, MaxCapacity=4, **target)
    for name, metric in (
        ("api-cpu", "ECSServiceAverageCPUUtilization"),
        ("api-memory", "ECSServiceAverageMemoryUtilization"),
    ):
        scaling.put_scaling_policy(
            PolicyName=name,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
            **target,
        )
    found = scaling.describe_scaling_policies(PolicyNames=["api-memory"], MaxResults=1, **target)["ScalingPolicies"]
    assert [p["PolicyName"] for p in found] == ["api-memory"]
    every = scaling.describe_scaling_policies(**target)["ScalingPolicies"]
    assert sorted(p["PolicyName"] for p in every) == ["api-cpu", "api-memory"]
