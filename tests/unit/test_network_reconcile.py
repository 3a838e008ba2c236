"""The NAT gateway step of the network reconciler and the order of deletions, against a recording fake EC2."""

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._network import state as st
from ansible_collections.stackops.platform.plugins.module_utils._network.reconcile import NetworkReconciler
from ansible_collections.stackops.platform.plugins.module_utils._network.spec import derive_subnets

AZS = ["us-east-1a", "us-east-1b"]
IDENTITY = {"stackops:platform": "moneytrack", "stackops:environment": "dev", "stackops:component": "network"}


class FakeEc2:
    """Answers the NAT gateway calls the reconciler makes and records every call."""

    def __init__(self):
        self.calls = []
        self.count = 0

    def __getattr__(self, operation):
        def call(**params):
            params.pop("aws_retry", None)
            self.calls.append((operation, params))
            self.count += 1
            if operation == "allocate_address":
                return {"AllocationId": f"eipalloc-new{self.count}", "PublicIp": "203.0.113.9"}
            if operation == "create_nat_gateway":
                return {"NatGateway": {"NatGatewayId": f"nat-new{self.count}", "State": "available"}}
            if operation == "describe_nat_gateways":
                return {"NatGateways": [{"NatGatewayId": i, "State": "deleted"} for i in params["NatGatewayIds"]]}
            return {}

        return call

    def names(self):
        return [operation for operation, _params in self.calls]


def _tags(**extra):
    return [{"Key": k, "Value": v} for k, v in {**IDENTITY, **extra}.items()]


def reconciler(nat_mode="one_per_az", check_mode=False):
    params = {
        "name": "moneytrack-dev",
        "platform": "moneytrack",
        "environment": "dev",
        "cidr": "10.0.0.0/16",
        "azs": AZS,
        "subnets": derive_subnets("10.0.0.0/16", AZS),
        "nat_mode": nat_mode,
        "endpoints": [],
        "tags": {},
        "purge_tags": True,
        "wait_timeout": 5,
    }
    ec2 = FakeEc2()
    clients = {"ec2": ec2, "logs": None, "iam": None, "rds": None, "elasticache": None}
    found = NetworkReconciler(params, "us-east-1", clients, check_mode)
    found.state.vpc = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "OwnerId": "123456789012"}
    found.ids = {f"public/{az}": f"subnet-public-{az[-1]}" for az in AZS}
    return found, ec2


def nat(nat_id, az, subnet, allocation):
    name_tags = _tags(Name=f"moneytrack-dev-nat-{az}", **{st.TAG_AZ: az})
    return {
        "NatGatewayId": nat_id,
        "SubnetId": subnet,
        "State": "available",
        "NatGatewayAddresses": [{"AllocationId": allocation, "AssociationId": f"assoc-{allocation}"}],
        "Tags": name_tags,
    }


def test_a_nat_gateway_outside_its_planned_subnet_is_replaced_then_deleted():
    found, ec2 = reconciler()
    found.state.nat_gateways = [
        nat("nat-a", "us-east-1a", "subnet-public-a", "eipalloc-a"),
        nat("nat-stray", "us-east-1b", "subnet-private-b", "eipalloc-b"),
    ]
    found.state.addresses = [
        {"AllocationId": "eipalloc-a", "AssociationId": "assoc-a", "Tags": _tags(**{st.TAG_AZ: "us-east-1a"})},
        {"AllocationId": "eipalloc-b", "AssociationId": "assoc-b", "Tags": _tags(**{st.TAG_AZ: "us-east-1b"})},
    ]
    found.nat_gateways.converge()
    creates = [p for op, p in ec2.calls if op == "create_nat_gateway"]
    assert [p["SubnetId"] for p in creates] == ["subnet-public-b"]
    assert found.ids["nat/us-east-1b"].startswith("nat-new")
    assert found.ids["nat/us-east-1a"] == "nat-a"
    assert "delete_nat_gateway" not in ec2.names()  # deferred: routes move to the new gateway first
    deferred = [sentence for _stage, _order, sentence, _action in found._deferred]
    assert deferred == ["delete NAT gateway nat-stray and release its Elastic IP"]
    for _stage, _order, _sentence, action in found._deferred:
        action()
    assert ("delete_nat_gateway", {"NatGatewayId": "nat-stray"}) in ec2.calls
    assert ("release_address", {"AllocationId": "eipalloc-b"}) in ec2.calls


def test_a_free_address_of_ours_is_used_again_and_an_idle_one_released():
    found, ec2 = reconciler()
    found.state.addresses = [
        {"AllocationId": "eipalloc-free-b", "PublicIp": "198.51.100.2", "Tags": _tags(**{st.TAG_AZ: "us-east-1b"})},
        {"AllocationId": "eipalloc-idle", "PublicIp": "198.51.100.3", "Tags": _tags(**{st.TAG_AZ: "us-east-1c"})},
    ]
    found.nat_gateways.converge()
    allocations = {p["SubnetId"]: p["AllocationId"] for op, p in ec2.calls if op == "create_nat_gateway"}
    assert allocations["subnet-public-b"] == "eipalloc-free-b"
    assert allocations["subnet-public-a"].startswith("eipalloc-new")
    assert ec2.names().count("allocate_address") == 1
    deferred = [sentence for _stage, _order, sentence, _action in found._deferred]
    assert deferred == ["release Elastic IP 198.51.100.3 (no NAT gateway uses it)"]


def test_check_mode_plans_the_replacement_without_calls():
    found, ec2 = reconciler(check_mode=True)
    found.state.nat_gateways = [nat("nat-stray", "us-east-1a", "subnet-private-a", "eipalloc-a")]
    found.nat_gateways.converge()
    for _stage, _order, sentence, action in sorted(found._deferred, key=lambda d: d[:2]):
        if found.changes.add(sentence):
            action()
    assert ec2.calls == []
    assert found.changes.items == [
        "create NAT gateway in public/us-east-1a (with an Elastic IP)",
        "create NAT gateway in public/us-east-1b (with an Elastic IP)",
        "delete NAT gateway nat-stray and release its Elastic IP",
    ]


def test_deletions_run_in_dependency_order():
    found, _ec2 = reconciler()
    ran = []
    for stage, name in (
        (2, "subnet"),
        (1, "internet gateway"),
        (0, "NAT gateway"),
        (1, "endpoint group"),
        (0, "route"),
    ):
        found.defer(name, lambda name=name: ran.append(name), stage=stage)
    for _stage, _order, _sentence, action in sorted(found._deferred, key=lambda d: d[:2]):
        action()
    assert ran == ["NAT gateway", "route", "internet gateway", "endpoint group", "subnet"]
