"""The emulator behaviour that makes ELBv2 CreateLoadBalancer and CreateListener idempotent, as AWS documents."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


def _create(elbv2, subnets, group, **extra):
    return elbv2.create_load_balancer(
        Name="demo-alb", Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing", Type="application", **extra
    )["LoadBalancers"][0]


def test_the_same_load_balancer_twice_is_one_load_balancer(emulator):
    ec2, elbv2 = emulator.boto3_client("ec2"), emulator.boto3_client("elbv2")
    _vpc, subnets, group = _network(ec2)
    first = _create(elbv2, subnets, group, Tags=[{"Key": "stackops:component", "Value": "alb"}])
    again = _create(elbv2, subnets, group)
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert again["DNSName"] == first["DNSName"]
    found = elbv2.describe_load_balancers()["LoadBalancers"]
    assert [lb["LoadBalancerArn"] for lb in found] == [first["LoadBalancerArn"]]


def test_the_same_name_with_other_settings_is_refused(emulator):
    ec2, elbv2 = emulator.boto3_client("ec2"), emulator.boto3_client("elbv2")
    _vpc, subnets, group = _network(ec2)
    _create(elbv2, subnets, group)
    with pytest.raises(ClientError) as refused:
        elbv2.create_load_balancer(Name="demo-alb", Subnets=subnets, SecurityGroups=[group], Scheme="internal")
    assert refused.value.response["Error"]["Code"] == "DuplicateLoadBalancerName"
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


def test_a_name_made_free_by_a_deletion_can_be_used_again(emulator):
    ec2, elbv2 = emulator.boto3_client("ec2"), emulator.boto3_client("elbv2")
    _vpc, subnets, group = _network(ec2)
    first = _create(elbv2, subnets, group)
    elbv2.delete_load_balancer(LoadBalancerArn=first["LoadBalancerArn"])
    second = elbv2.create_load_balancer(Name="demo-alb", Subnets=subnets, SecurityGroups=[group], Scheme="internal")
    assert second["LoadBalancers"][0]["LoadBalancerArn"] != first["LoadBalancerArn"]
    assert second["LoadBalancers"][0]["Scheme"] == "internal"


def test_the_same_listener_twice_is_one_listener_and_another_on_its_port_is_refused(emulator):
    ec2, elbv2 = emulator.boto3_client("ec2"), emulator.boto3_client("elbv2")
    vpc, subnets, group = _network(ec2)
    balancer = _create(elbv2, subnets, group)["LoadBalancerArn"]
    target_group = elbv2.create_target_group(Name="api", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": target_group}]
    first = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=forward)
    again = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=forward)
    assert again["Listeners"][0]["ListenerArn"] == first["Listeners"][0]["ListenerArn"]
    assert again["Listeners"][0]["Port"] == 80
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    with pytest.raises(ClientError) as refused:
        elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=redirect)
    assert refused.value.response["Error"]["Code"] == "DuplicateListener"
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    assert [listener["ListenerArn"] for listener in listeners] == [first["Listeners"][0]["ListenerArn"]]


def test_the_behaviour_is_listed(emulator):
    listed = emulator._request("GET", "behaviours")
    assert "elbv2-idempotent-creates" in str(listed)
