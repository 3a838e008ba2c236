"""The network tier converged on the emulator, read back from the API."""

from __future__ import annotations

import pytest

PRIMARY = "local-use1"


def _resources(emulator, region="us-east-1"):
    ec2 = emulator.boto3_client("ec2", region)
    tag = [{"Name": "tag:stackops:platform", "Values": ["demo"]}]
    return {
        "vpcs": ec2.describe_vpcs(Filters=tag)["Vpcs"],
        "subnets": ec2.describe_subnets(Filters=tag)["Subnets"],
        "nats": [n for n in ec2.describe_nat_gateways(Filters=tag)["NatGateways"] if n["State"] == "available"],
        "eips": ec2.describe_addresses(Filters=tag)["Addresses"],
        "route_tables": ec2.describe_route_tables(Filters=tag)["RouteTables"],
        "igws": ec2.describe_internet_gateways(Filters=tag)["InternetGateways"],
        "endpoints": ec2.describe_vpc_endpoints(Filters=tag)["VpcEndpoints"],
        "flow_logs": ec2.describe_flow_logs(Filters=tag)["FlowLogs"],
    }


@pytest.fixture
def converged(emulator, playbook):
    run = playbook("playbooks/network.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    return run


def test_converge_builds_seed_001_layout(emulator, converged):
    found = _resources(emulator)
    assert len(found["vpcs"]) == 1
    vpc = found["vpcs"][0]
    assert vpc["CidrBlock"] == "10.2.0.0/16"
    cidrs = {(s["AvailabilityZone"], s["CidrBlock"]) for s in found["subnets"]}
    expected = {(f"us-east-1{az}", f"10.2.{base + i}.0/24") for base in (1, 10, 20) for i, az in enumerate("abc")}
    assert cidrs == expected
    assert len(found["nats"]) == 3
    assert {n["SubnetId"] for n in found["nats"]} == {
        s["SubnetId"] for s in found["subnets"] if s["CidrBlock"] in ("10.2.1.0/24", "10.2.2.0/24", "10.2.3.0/24")
    }
    ec2 = emulator.boto3_client("ec2")
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[key]["Value"] is True


def test_second_converge_changes_nothing_and_writes_nothing(emulator, playbook, converged):
    before = _resources(emulator)
    emulator.clear_calls()
    run = playbook("playbooks/network.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    assert run.changed() == 0
    assert emulator.writes() == []
    after = _resources(emulator)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}


def test_check_mode_on_empty_account_makes_no_write_call(emulator, playbook):
    run = playbook("playbooks/network.yml", limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert run.changed() == 1
    result = run.result("Converge the network")
    assert "create VPC demo-local 10.2.0.0/16" in result["changes"]
    assert result["diff"]["after"]["subnets"]["private/us-east-1a"] == "10.2.10.0/24"
    assert emulator.writes() == []
    assert _resources(emulator)["vpcs"] == []
