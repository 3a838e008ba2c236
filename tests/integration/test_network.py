"""The network tier converged on the emulator, read back from the API with boto3.

Expensive converges run once per module (``inventories`` converges and re-converges every inventory in one
emulator: their tags keep them apart) and the tests assert on what was read back then. Tests that change
things get an emptied emulator of their own.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field

import pytest
from botocore.exceptions import ClientError
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

PLAYBOOK = "playbooks/network.yml"
ANYWHERE = "0.0.0.0/0"
TIER_BASE = {"public": 1, "private": 10, "database": 20}


@dataclass
class Host:
    """What seed 001 (and the inventories built from it) say one regional deployment must have."""

    inventory: str
    name: str
    platform: str
    environment: str
    region: str
    cidr: str
    azs: list
    nat_mode: str
    endpoints: list
    retention: int
    platform_tags: dict = field(default_factory=dict)

    @property
    def base(self):
        return f"{self.platform}-{self.environment}"

    def subnet_cidr(self, tier, az):
        prefix = self.cidr.rsplit(".", 2)[0]
        return f"{prefix}.{TIER_BASE[tier] + self.azs.index(az)}.0/24"


def _azs(region, count=3):
    return [f"{region}{z}" for z in "abc"[:count]]


LOCAL_TAGS = {"owner": "platform-team", "cost-center": "demo"}
SEED_TAGS = {"project": "money-tracking", "owner": "platform-team"}
PROD_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"]
DR_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs"]
HOSTS = [
    Host("local", "local-use1", "demo", "local", "us-east-1", "10.2.0.0/16", _azs("us-east-1"), "one_per_az",
         PROD_ENDPOINTS, 90, LOCAL_TAGS),
    Host("local", "local-usw2", "demo", "local", "us-west-2", "10.12.0.0/16", _azs("us-west-2"), "single",
         DR_ENDPOINTS, 90, LOCAL_TAGS),
    Host("dev", "dev-use1", "moneytrack", "dev", "us-east-1", "10.0.0.0/16", _azs("us-east-1", 2), "single",
         [], 7, SEED_TAGS),
    Host("staging", "staging-use1", "moneytrack", "staging", "us-east-1", "10.1.0.0/16", _azs("us-east-1"),
         "single", DR_ENDPOINTS, 30, SEED_TAGS),
    Host("prod", "prod-use1", "moneytrack", "prod", "us-east-1", "10.2.0.0/16", _azs("us-east-1"), "one_per_az",
         PROD_ENDPOINTS, 90, {**SEED_TAGS, "compliance": "pci"}),
    Host("prod", "prod-usw2", "moneytrack", "prod", "us-west-2", "10.12.0.0/16", _azs("us-west-2"), "single",
         DR_ENDPOINTS, 90, {**SEED_TAGS, "compliance": "pci"}),
]  # fmt: skip
BY_NAME = {h.name: h for h in HOSTS}
INVENTORIES = sorted({h.inventory for h in HOSTS})
LOCAL = BY_NAME["local-use1"]
DEV = BY_NAME["dev-use1"]


# -- reading back ---------------------------------------------------------------------------------------------


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or resource.get("TagList") or []}


def _identity(host):
    return {
        "stackops:platform": host.platform,
        "stackops:environment": host.environment,
        "stackops:component": "network",
    }


def _missing(call, *codes):
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in codes:
            return None
        raise


def read_network(emulator, host):
    """Everything of ``host``'s network that exists, straight from the API (nothing from the module)."""
    ec2 = emulator.boto3_client("ec2", host.region)
    identity = [{"Name": f"tag:{k}", "Values": [v]} for k, v in _identity(host).items()]
    vpcs = ec2.describe_vpcs(Filters=identity)["Vpcs"]
    found = {"vpcs": vpcs}
    if len(vpcs) != 1:
        return found
    vpc_id = vpcs[0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    found["dns"] = {
        key: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key[0].upper() + key[1:]]["Value"]
        for key, attribute in (("enableDnsSupport",) * 2, ("enableDnsHostnames",) * 2)
    }
    found["subnets"] = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    found["igws"] = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    found["tagged_igws"] = ec2.describe_internet_gateways(Filters=identity)["InternetGateways"]
    found["nats"] = [n for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"] if n["State"] != "deleted"]
    found["eips"] = ec2.describe_addresses(Filters=identity)["Addresses"]
    found["route_tables"] = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    found["endpoints"] = [
        e
        for e in ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
        if e["State"].lower() not in ("deleted", "deleting")
    ]
    found["security_groups"] = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    found["flow_logs"] = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    logs = emulator.boto3_client("logs", host.region)
    group_name = f"/aws/vpc/{host.base}/flow-logs"
    groups = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    found["log_groups"] = groups
    if groups:
        found["log_group_tags"] = logs.list_tags_for_resource(resourceArn=groups[0]["arn"].removesuffix(":*"))["tags"]
    iam = emulator.boto3_client("iam", host.region)
    role_name = f"{host.base}-flow-logs-{host.region}"
    role = _missing(lambda: iam.get_role(RoleName=role_name)["Role"], "NoSuchEntity")
    found["role"] = role
    if role:
        found["role_policies"] = {
            name: iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        }
    rds = emulator.boto3_client("rds", host.region)
    group = _missing(
        lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=host.base)["DBSubnetGroups"][0],
        "DBSubnetGroupNotFoundFault",
    )
    found["db_subnet_group"] = group
    if group:
        found["db_subnet_group_tags"] = tags(rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"]))
    elasticache = emulator.boto3_client("elasticache", host.region)
    group = _missing(
        lambda: elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=host.base)["CacheSubnetGroups"][0],
        "CacheSubnetGroupNotFoundFault",
    )
    found["cache_subnet_group"] = group
    if group:
        found["cache_subnet_group_tags"] = tags(elasticache.list_tags_for_resource(ResourceName=group["ARN"]))
    return found


def subnet_ids(found):
    """{(tier, az): subnet id} by the tier tag, asserting one subnet per tier and AZ."""
    slots = Counter((tags(s).get("stackops:tier"), s["AvailabilityZone"]) for s in found["subnets"])
    assert all(n == 1 for n in slots.values()), f"subnets exist twice: {slots}"
    return {(tags(s).get("stackops:tier"), s["AvailabilityZone"]): s["SubnetId"] for s in found["subnets"]}


def route_tables(found):
    """{stackops:route-table key: table}, asserting one table per key."""
    keys = Counter(tags(t).get("stackops:route-table") for t in found["route_tables"] if _managed_table(t))
    assert all(n == 1 for n in keys.values()), f"route tables exist twice: {keys}"
    return {tags(t)["stackops:route-table"]: t for t in found["route_tables"] if _managed_table(t)}


def _managed_table(table):
    return "stackops:route-table" in tags(table)


def default_route(table):
    route = next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == ANYWHERE), None)
    if route is None:
        return None
    return route.get("NatGatewayId") or route.get("GatewayId")


def nats_by_az(found):
    return {tags(n)["stackops:az"]: n for n in found["nats"]}


def counts(found):
    """How many of each resource type: the no-duplicates yardstick."""
    return {key: len(value) for key, value in found.items() if isinstance(value, list)}


def assert_layout(found, host, nat_mode=None):
    """The seed 001 layout for ``host``, every resource once, tagged as docs/development.md says."""
    nat_mode = nat_mode or host.nat_mode
    assert len(found["vpcs"]) == 1, found["vpcs"]
    vpc = found["vpcs"][0]
    assert vpc["CidrBlock"] == host.cidr
    assert found["dns"] == {"enableDnsSupport": True, "enableDnsHostnames": True}

    ids = subnet_ids(found)
    expected = {(tier, az): host.subnet_cidr(tier, az) for tier in TIER_BASE for az in host.azs}
    by_id = {s["SubnetId"]: s for s in found["subnets"]}
    assert {slot: by_id[i]["CidrBlock"] for slot, i in ids.items()} == expected
    assert len(found["subnets"]) == len(expected)

    assert len(found["igws"]) == 1 and len(found["tagged_igws"]) == 1
    igw_id = found["igws"][0]["InternetGatewayId"]

    nats = nats_by_az(found)
    assert len(found["nats"]) == len(nats), "two NAT gateways in one AZ"
    if nat_mode == "one_per_az":
        assert set(nats) == set(host.azs)
    elif nat_mode == "single":
        assert set(nats) == {host.azs[0]}
    else:
        assert nats == {}
    for az, nat in nats.items():
        assert nat["SubnetId"] == ids[("public", az)], f"NAT gateway of {az} is not in public/{az}"
        assert nat["State"] == "available"
    nat_allocations = {a["AllocationId"] for n in found["nats"] for a in n["NatGatewayAddresses"]}
    assert {a["AllocationId"] for a in found["eips"]} == nat_allocations, "an Elastic IP without its NAT gateway"

    tables = route_tables(found)
    assert set(tables) == {"public"} | {f"{tier}-{az}" for tier in ("private", "database") for az in host.azs}
    associated = {
        key: {a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")} for key, table in tables.items()
    }
    assert associated["public"] == {ids[("public", az)] for az in host.azs}
    assert default_route(tables["public"]) == igw_id
    for az in host.azs:
        assert associated[f"private-{az}"] == {ids[("private", az)]}
        assert associated[f"database-{az}"] == {ids[("database", az)]}
        assert default_route(tables[f"database-{az}"]) is None, f"database-{az} has an internet route"
        via = nats.get(az) if nat_mode == "one_per_az" else nats.get(host.azs[0])
        assert default_route(tables[f"private-{az}"]) == (via["NatGatewayId"] if via else None)

    endpoints = Counter(e["ServiceName"] for e in found["endpoints"])
    prefix = f"com.amazonaws.{host.region}."
    assert endpoints == Counter([prefix + "s3"] + [prefix + name for name in host.endpoints])
    s3 = next(e for e in found["endpoints"] if e["ServiceName"] == prefix + "s3")
    assert s3["VpcEndpointType"] == "Gateway"
    assert set(s3["RouteTableIds"]) == {t["RouteTableId"] for t in tables.values()}
    groups = {g["GroupName"]: g for g in found["security_groups"]}
    private = {ids[("private", az)] for az in host.azs}
    for endpoint in found["endpoints"]:
        if endpoint["ServiceName"] == prefix + "s3":
            continue
        assert endpoint["VpcEndpointType"] == "Interface"
        assert endpoint["PrivateDnsEnabled"] is True
        assert set(endpoint["SubnetIds"]) == private
        assert [g["GroupName"] for g in endpoint["Groups"]] == [f"{host.base}-vpc-endpoints"]
    if host.endpoints:
        group = groups[f"{host.base}-vpc-endpoints"]
        ingress = [
            (p["IpProtocol"], p["FromPort"], p["ToPort"], r["CidrIp"])
            for p in group["IpPermissions"]
            for r in p["IpRanges"]
        ]
        assert ingress == [("tcp", 443, 443, host.cidr)]
        assert group["IpPermissionsEgress"] == []
    else:
        assert f"{host.base}-vpc-endpoints" not in groups

    assert len(found["flow_logs"]) == 1
    flow_log = found["flow_logs"][0]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["LogGroupName"] == f"/aws/vpc/{host.base}/flow-logs"
    assert flow_log["MaxAggregationInterval"] == 600
    assert flow_log["DeliverLogsPermissionArn"] == found["role"]["Arn"]
    assert [g["logGroupName"] for g in found["log_groups"]] == [f"/aws/vpc/{host.base}/flow-logs"]
    assert found["log_groups"][0]["retentionInDays"] == host.retention
    trust = found["role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    (policy,) = found["role_policies"].values()
    policy = json.loads(policy) if isinstance(policy, str) else policy
    assert "logs:PutLogEvents" in policy["Statement"][0]["Action"]

    database = {ids[("database", az)] for az in host.azs}
    assert {s["SubnetIdentifier"] for s in found["db_subnet_group"]["Subnets"]} == database
    assert found["db_subnet_group"]["VpcId"] == vpc["VpcId"]
    assert {s["SubnetIdentifier"] for s in found["cache_subnet_group"]["Subnets"]} == database

    assert_tags(found, host)


def assert_tags(found, host):
    """Identity tags, platform_tags and Name on every resource (docs/development.md, "Identity")."""
    wanted = {**host.platform_tags, **_identity(host)}
    named = [("VPC", found["vpcs"][0], host.base), ("internet gateway", found["igws"][0], host.base)]
    named += [(f"subnet {s['CidrBlock']}", s, None) for s in found["subnets"]]
    named += [(f"NAT gateway {n['NatGatewayId']}", n, None) for n in found["nats"]]
    named += [(f"Elastic IP {a['PublicIp']}", a, None) for a in found["eips"]]
    named += [(f"route table {t['RouteTableId']}", t, None) for t in found["route_tables"] if _managed_table(t)]
    named += [
        (
            f"endpoint {e['ServiceName']}",
            e,
            f"{host.base}-{e['ServiceName'].removeprefix(f'com.amazonaws.{host.region}.')}",
        )
        for e in found["endpoints"]
    ]
    named += [
        (f"security group {g['GroupName']}", g, g["GroupName"])
        for g in found["security_groups"]
        if g["GroupName"] != "default"
    ]
    named += [("flow log", found["flow_logs"][0], f"{host.base}-flow-logs"), ("IAM role", found["role"], None)]
    for label, resource, name in named:
        have = tags(resource)
        assert have.items() >= wanted.items(), f"{label} lacks tags: {wanted.items() - have.items()}"
        assert have.get("Name", "").startswith(host.base), f"{label} is named {have.get('Name')!r}"
        if name:
            assert have["Name"].startswith(name), f"{label} is named {have['Name']!r}, not {name}"
    for label, have in (
        ("log group", found["log_group_tags"]),
        ("DB subnet group", found["db_subnet_group_tags"]),
        ("ElastiCache subnet group", found["cache_subnet_group_tags"]),
    ):
        assert have.items() >= wanted.items(), f"{label} lacks tags: {wanted.items() - have.items()}"


# -- every inventory, converged and re-converged once for the module --------------------------------------------------


@pytest.fixture(scope="module")
def inventories(module_emulator):
    """Converge every inventory into one emulator, read it back, converge again: runs, reads, call logs."""
    emulator = module_emulator
    emulator.reset()
    runs, first, second = {}, {}, {}
    # Inventories converge two at a time: their tags keep them apart in one emulator.
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = {i: pool.submit(run_playbook, emulator, PLAYBOOK, inventory=f"inventories/{i}") for i in INVENTORIES}
        runs.update({inventory: future.result() for inventory, future in started.items()})
    for host in HOSTS:
        first[host.name] = read_network(emulator, host)
    emulator.clear_calls()
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = {i: pool.submit(run_playbook, emulator, PLAYBOOK, inventory=f"inventories/{i}") for i in INVENTORIES}
        runs.update({(inventory, 2): future.result() for inventory, future in started.items()})
    calls = emulator.calls()["calls"]
    writes = [c for c in calls if c["kind"] == "write" and not c["fault"]]
    reads = Counter(c["region"] for c in calls if c["kind"] == "read")
    for host in HOSTS:
        second[host.name] = read_network(emulator, host)
    return {"runs": runs, "first": first, "second": second, "writes": writes, "reads": reads}


@pytest.mark.parametrize("host", HOSTS, ids=[h.name for h in HOSTS])
def test_every_inventory_converges_to_its_seed_001_layout(inventories, host):
    run = inventories["runs"][host.inventory]
    assert run.rc == 0, run.messages()
    assert run.failed() == 0
    assert_layout(inventories["first"][host.name], host)


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_second_converge_changes_nothing_and_writes_nothing(inventories, inventory):
    run = inventories["runs"][inventory, 2]
    assert run.rc == 0, run.messages()
    assert run.changed() == 0, [r.get("changes") for r in run.results("Converge the network")]
    assert inventories["writes"] == []  # the second converges of every inventory together made no write call
    assert inventories["reads"]["us-east-1"] > 0 and inventories["reads"]["us-west-2"] > 0
    for host in (h for h in HOSTS if h.inventory == inventory):
        before, after = inventories["first"][host.name], inventories["second"][host.name]
        assert counts(after) == counts(before)
        assert_layout(after, host)  # nothing exists twice after the second run either
        assert {s["SubnetId"] for s in after["subnets"]} == {s["SubnetId"] for s in before["subnets"]}


def test_seed_001_cidrs_azs_and_nat_per_environment(inventories):
    """Seed 001, spelled out: 10.0/10.1/10.2 for dev/staging/prod; prod 3 AZs with a NAT each, dev 2 AZs, one NAT."""
    found = inventories["first"]
    cidrs = {name: found[name]["vpcs"][0]["CidrBlock"] for name in ("dev-use1", "staging-use1", "prod-use1")}
    assert cidrs == {"dev-use1": "10.0.0.0/16", "staging-use1": "10.1.0.0/16", "prod-use1": "10.2.0.0/16"}
    prod, dev = found["prod-use1"], found["dev-use1"]
    assert sorted({s["AvailabilityZone"] for s in prod["subnets"]}) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert sorted(nats_by_az(prod)) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert sorted({s["AvailabilityZone"] for s in dev["subnets"]}) == ["us-east-1a", "us-east-1b"]
    assert len(dev["nats"]) == 1
    prod_cidrs = sorted(s["CidrBlock"] for s in prod["subnets"])
    assert prod_cidrs == sorted(f"10.2.{n}.0/24" for n in (1, 2, 3, 10, 11, 12, 20, 21, 22))


def test_facts_for_later_tiers_match_what_exists(inventories):
    """The role's fact vpc_network names the resources that exist (compared with the read back)."""
    for host in HOSTS:
        run = inventories["runs"][host.inventory]
        fact = run.result("Expose the network to later tiers as vpc_network", host.name)["ansible_facts"]["vpc_network"]
        found = inventories["first"][host.name]
        ids = subnet_ids(found)
        assert fact["vpc_id"] == found["vpcs"][0]["VpcId"]
        assert fact["cidr"] == host.cidr
        assert {(tier, az): v["id"] for tier, by_az in fact["subnets"].items() for az, v in by_az.items()} == ids
        assert {tier: sorted(v) for tier, v in fact["subnet_ids"].items()} == {
            tier: sorted(i for (t, _az), i in ids.items() if t == tier) for tier in TIER_BASE
        }
        tables = {key: t["RouteTableId"] for key, t in route_tables(found).items()}
        assert fact["route_tables"]["public"] == tables["public"]
        for tier in ("private", "database"):
            assert fact["route_tables"][tier] == {az: tables[f"{tier}-{az}"] for az in host.azs}
        assert fact["db_subnet_group"] == found["db_subnet_group"]["DBSubnetGroupName"] == host.base
        assert fact["cache_subnet_group"] == found["cache_subnet_group"]["CacheSubnetGroupName"] == host.base
        assert {az: n["id"] for az, n in fact["nat_gateways"].items()} == {
            az: n["NatGatewayId"] for az, n in nats_by_az(found).items()
        }
        assert fact["internet_gateway_id"] == found["igws"][0]["InternetGatewayId"]


# -- check mode -----------------------------------------------------------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook(PLAYBOOK, inventory="inventories/local", check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    assert emulator.calls()["reads"] > 0
    assert read_network(emulator, LOCAL)["vpcs"] == []
    result = run.result("Converge the network", LOCAL.name)
    assert result["changed"] is True
    changes = result["changes"]
    for sentence in (
        "create VPC demo-local 10.2.0.0/16",
        "create subnet private/us-east-1a 10.2.10.0/24",
        "create internet gateway for demo-local",
        "create NAT gateway in public/us-east-1c (with an Elastic IP)",
        "create route table database-us-east-1b",
        "create gateway endpoint s3",
        "create interface endpoint sts",
        "create flow log (ALL) to /aws/vpc/demo-local/flow-logs",
        "create DB subnet group demo-local",
        "create ElastiCache subnet group demo-local",
    ):
        assert sentence in changes, changes
    diff = result["diff"]
    assert diff["before"] == {}
    after = diff["after"]
    assert after["cidr"] == "10.2.0.0/16"
    assert after["subnets"]["database/us-east-1c"] == "10.2.22.0/24"
    assert after["nat_gateways"] == {az: f"public/{az}" for az in LOCAL.azs}
    assert after["route_tables"]["database-us-east-1a"] == {"subnets": ["database/us-east-1a"], "default_route": None}
    assert after["route_tables"]["private-us-east-1b"]["default_route"] == "nat/us-east-1b"
    assert after["endpoints"] == {"s3": "Gateway", **dict.fromkeys(PROD_ENDPOINTS, "Interface")}
    assert after["flow_logs"] == {"traffic_type": "ALL", "retention_days": 90, "max_aggregation_interval": 600}
    dr = run.result("Converge the network", "local-usw2")
    assert dr["diff"]["after"]["nat_gateways"] == {"us-west-2a": "public/us-west-2a"}


# -- faults: throttling, 5xx, a lost response --------------------------------------------------------------------------


def _fault_count(emulator, kind=None, operation=None):
    return sum(
        1
        for c in emulator.calls()["calls"]
        if c["fault"] and (kind is None or c["fault"] == kind) and (operation is None or c["operation"] == operation)
    )


def test_converge_with_20_percent_of_calls_throttled(emulator, playbook):
    emulator.set_faults(throttle_rate=0.2, seed=7)
    run = playbook(PLAYBOOK, limit=LOCAL.name)
    assert run.rc == 0, run.messages()
    throttled = _fault_count(emulator, "throttle")
    assert throttled >= 10, f"only {throttled} calls were throttled"
    emulator.set_faults()
    assert_layout(read_network(emulator, LOCAL), LOCAL)


def test_converge_with_5_percent_server_errors(emulator, playbook):
    emulator.set_faults(error_rate=0.05, seed=11)
    run = playbook(PLAYBOOK, limit=LOCAL.name)
    assert run.rc == 0, run.messages()
    assert _fault_count(emulator, "error") >= 1
    emulator.set_faults()
    assert_layout(read_network(emulator, LOCAL), LOCAL)


def test_a_lost_create_nat_gateway_response_makes_no_second_nat_gateway(emulator, playbook):
    emulator.set_faults(lost_responses={"CreateNatGateway": 1})
    run = playbook(PLAYBOOK, inventory="inventories/dev")
    assert run.rc == 0, run.messages()
    assert _fault_count(emulator, "lost_response", "CreateNatGateway") == 1
    assert emulator.calls()["by_operation"]["ec2:CreateNatGateway"] == 1  # the retry, answered from the token
    emulator.set_faults()
    found = read_network(emulator, DEV)
    assert len(found["nats"]) == 1
    assert_layout(found, DEV)


# -- NAT modes, and a NAT gateway in the wrong subnet -------------------------------------------------------------------


def _nat_mode(playbook, mode, **kwargs):
    run = playbook(PLAYBOOK, inventory="inventories/dev", extra_vars={"vpc_nat_mode": mode}, **kwargs)
    assert run.rc == 0, run.messages()
    return run


def _misplace_nat_gateway(emulator, az):
    """Replace ``az``'s NAT gateway (by hand, as drift) with one carrying its tags in the AZ's private subnet,
    and point the private route table at it. Returns the ids of the original and the misplaced one."""
    ec2 = emulator.boto3_client("ec2")
    found = read_network(emulator, DEV)
    right = nats_by_az(found)[az]
    ec2.delete_nat_gateway(NatGatewayId=right["NatGatewayId"])
    address = ec2.allocate_address(Domain="vpc")
    stray = ec2.create_nat_gateway(
        SubnetId=subnet_ids(found)[("private", az)],
        AllocationId=address["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": right["Tags"]}],
    )["NatGateway"]["NatGatewayId"]
    table = route_tables(found)[f"private-{az}"]["RouteTableId"]
    ec2.replace_route(RouteTableId=table, DestinationCidrBlock=ANYWHERE, NatGatewayId=stray)
    return right["NatGatewayId"], stray


def test_nat_mode_changes_converge_and_delete_what_is_no_longer_wanted(emulator, playbook):
    """On dev: single -> one_per_az (the diff shows the change) -> a NAT gateway misplaced by hand is
    replaced -> none. Gateways no longer wanted go, with their Elastic IPs."""
    ec2 = emulator.boto3_client("ec2")
    _nat_mode(playbook, "single")
    single = read_network(emulator, DEV)
    assert_layout(single, DEV, nat_mode="single")
    first = nats_by_az(single)["us-east-1a"]["NatGatewayId"]

    result = _nat_mode(playbook, "one_per_az", diff=True).result("Converge the network")
    assert result["diff"]["before"]["nat_gateways"] == {"us-east-1a": "public/us-east-1a"}
    assert result["diff"]["after"]["nat_gateways"] == {az: f"public/{az}" for az in DEV.azs}
    moved = [
        result["diff"][side]["route_tables"]["private-us-east-1b"]["default_route"] for side in ("before", "after")
    ]
    assert moved == ["nat/us-east-1a", "nat/us-east-1b"]
    assert "create NAT gateway in public/us-east-1b (with an Elastic IP)" in result["changes"]
    per_az = read_network(emulator, DEV)
    assert_layout(per_az, DEV, nat_mode="one_per_az")
    assert nats_by_az(per_az)["us-east-1a"]["NatGatewayId"] == first, "the NAT gateway of us-east-1a was replaced"

    # A NAT gateway whose subnet is not the plan's for its AZ is replaced (reconcile.nat_gateways used to keep
    # it and leave the misplaced one behind).
    original, stray = _misplace_nat_gateway(emulator, "us-east-1b")
    _nat_mode(playbook, "one_per_az")
    fixed = read_network(emulator, DEV)
    assert_layout(fixed, DEV, nat_mode="one_per_az")
    replacement = nats_by_az(fixed)["us-east-1b"]
    assert replacement["NatGatewayId"] not in (original, stray)
    assert replacement["SubnetId"] == subnet_ids(fixed)[("public", "us-east-1b")]
    assert default_route(route_tables(fixed)["private-us-east-1b"]) == replacement["NatGatewayId"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[stray])["NatGateways"][0]["State"] in ("deleting", "deleted")

    seen = {n["NatGatewayId"] for found in (single, per_az, fixed) for n in found["nats"]} | {stray}
    allocations = {a["AllocationId"] for found in (single, per_az, fixed) for a in found["eips"]}
    _nat_mode(playbook, "none")
    assert_layout(read_network(emulator, DEV), DEV, nat_mode="none")
    states = {n["State"] for n in ec2.describe_nat_gateways(NatGatewayIds=sorted(seen))["NatGateways"]}
    assert states <= {"deleting", "deleted"}, states
    left = {a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]}
    assert not left & allocations, "Elastic IPs of deleted NAT gateways were not released"


# -- teardown ---------------------------------------------------------------------------------------------------------


def leftovers(emulator, host):
    """Whatever still carries the network's tags or names, by type (empty when the teardown was complete)."""
    ec2 = emulator.boto3_client("ec2", host.region)
    identity = [{"Name": f"tag:{k}", "Values": [v]} for k, v in _identity(host).items()]
    found = {
        "vpcs": ec2.describe_vpcs(Filters=identity)["Vpcs"],
        "subnets": ec2.describe_subnets(Filters=identity)["Subnets"],
        "igws": ec2.describe_internet_gateways(Filters=identity)["InternetGateways"],
        "nats": [n for n in ec2.describe_nat_gateways(Filters=identity)["NatGateways"] if n["State"] != "deleted"],
        "eips": ec2.describe_addresses(Filters=identity)["Addresses"],
        "route_tables": ec2.describe_route_tables(Filters=identity)["RouteTables"],
        "endpoints": [
            e
            for e in ec2.describe_vpc_endpoints(Filters=identity)["VpcEndpoints"]
            if e["State"].lower() not in ("deleted", "deleting")
        ],
        "security_groups": ec2.describe_security_groups(Filters=identity)["SecurityGroups"],
        "flow_logs": ec2.describe_flow_logs(Filters=identity)["FlowLogs"],
    }
    logs = emulator.boto3_client("logs", host.region)
    found["log_groups"] = logs.describe_log_groups(logGroupNamePrefix=f"/aws/vpc/{host.base}/")["logGroups"]
    iam = emulator.boto3_client("iam", host.region)
    found["roles"] = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{host.base}-flow-logs")]
    rds = emulator.boto3_client("rds", host.region)
    found["db_subnet_groups"] = [
        g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"] == host.base
    ]
    elasticache = emulator.boto3_client("elasticache", host.region)
    found["cache_subnet_groups"] = [
        g
        for g in elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]
        if g["CacheSubnetGroupName"] == host.base
    ]
    return {k: v for k, v in found.items() if v}


def test_teardown_deletes_everything_and_then_has_nothing_to_do(emulator, playbook):
    """vpc_state=absent on dev (with an interface endpoint and a NAT gateway per AZ): refused while another
    tier's security group sits in the VPC, planned in check mode without writes, then every resource goes."""
    spec = {"vpc_nat_mode": "one_per_az", "vpc_endpoints": ["logs"]}
    assert playbook(PLAYBOOK, inventory="inventories/dev", extra_vars=spec).rc == 0
    host = DEV
    assert set(leftovers(emulator, host)) >= {"vpcs", "subnets", "nats", "eips", "endpoints", "log_groups", "roles"}
    ec2 = emulator.boto3_client("ec2")
    vpc_id = read_network(emulator, host)["vpcs"][0]["VpcId"]
    foreign = ec2.create_security_group(GroupName="app", Description="another tier", VpcId=vpc_id)["GroupId"]

    absent = {**spec, "vpc_state": "absent"}
    emulator.clear_calls()
    refused = playbook(PLAYBOOK, inventory="inventories/dev", extra_vars=absent)
    assert refused.rc != 0
    assert "security group app" in refused.messages() and "nothing was deleted" in refused.messages()
    assert emulator.writes() == []
    ec2.delete_security_group(GroupId=foreign)

    emulator.clear_calls()
    plan = playbook(PLAYBOOK, inventory="inventories/dev", extra_vars=absent, check=True, diff=True)
    assert plan.rc == 0, plan.messages()
    assert emulator.writes() == []
    result = plan.result("Converge the network")
    assert f"delete VPC moneytrack-dev {vpc_id}" in result["changes"]
    assert result["diff"]["after"] == {} and result["diff"]["before"]["cidr"] == "10.0.0.0/16"
    assert "vpcs" in leftovers(emulator, host)

    run = playbook(PLAYBOOK, inventory="inventories/dev", extra_vars=absent)
    assert run.rc == 0, run.messages()
    assert leftovers(emulator, host) == {}
    assert run.result("Expose the network", host.name)["ansible_facts"]["vpc_network"]["vpc_id"] is None

    emulator.clear_calls()
    again = playbook(PLAYBOOK, inventory="inventories/dev", extra_vars=absent)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0
    assert emulator.writes() == []


# -- bad input: rejected before any API call, naming the variable and the rule ------------------------------------------

_PLAN = [
    {"tier": tier, "az": az, "cidr": f"10.2.{base + i}.0/24"}
    for tier, base in TIER_BASE.items()
    for i, az in enumerate(["us-east-1a", "us-east-1b"])
]


def _plan(**replace):
    """The explicit plan with entries replaced: ``_plan(**{"1": {...}})``."""
    plan = [dict(s) for s in _PLAN]
    for index, value in replace.items():
        plan[int(index)] = value
    return plan


BAD_INPUT = {
    "overlapping_subnets": (
        {"vpc_subnets": _plan(**{"1": {"tier": "public", "az": "us-east-1b", "cidr": "10.2.1.128/25"}})},
        ["vpc_subnets[1].cidr", "overlaps vpc_subnets[0].cidr"],
    ),
    "subnet_outside_vpc_cidr": (
        {"vpc_subnets": _plan(**{"2": {"tier": "private", "az": "us-east-1a", "cidr": "10.3.10.0/24"}})},
        ["vpc_subnets[2].cidr", "outside the VPC CIDR 10.2.0.0/16"],
    ),
    "invalid_cidr_string": ({"vpc_cidr": "10.2.0.0/33"}, ["vpc_cidr", "not a valid IPv4 CIDR"]),
    "not_a_cidr_at_all": ({"vpc_cidr": "ten.two.zero"}, ["vpc_cidr", "not an IPv4 CIDR block"]),
    "host_bits_set": ({"vpc_cidr": "10.2.0.1/16"}, ["vpc_cidr", "host bits set"]),
    "vpc_prefix_15": ({"vpc_cidr": "10.2.0.0/15"}, ["vpc_cidr", "/15", "AWS accepts /16 to /28"]),
    "subnet_prefix_29": (
        {"vpc_subnets": _plan(**{"0": {"tier": "public", "az": "us-east-1a", "cidr": "10.2.1.0/29"}})},
        ["vpc_subnets[0].cidr", "/29", "AWS accepts /16 to /28"],
    ),
    "derived_prefix_29": ({"vpc_subnet_prefix_length": 29}, ["vpc_subnet_prefix_length", "/29", "/28"]),
    "prod_with_one_az": (
        {"platform_environment": "prod", "vpc_azs": ["us-east-1a"]},
        ["vpc_azs", "protected environment needs at least 2 availability zones"],
    ),
    "one_nat_per_az_without_public_subnets": (
        {"vpc_subnet_offsets": {"private": 10, "database": 20}},
        ["vpc_nat_mode", "needs public subnets"],
    ),
    "az_not_in_region": ({"vpc_azs": ["us-east-1a", "us-west-2b"]}, ["vpc_azs[1]", "not in region us-east-1"]),
    "duplicate_az": ({"vpc_azs": ["us-east-1a", "us-east-1a"]}, ["vpc_azs[1]", "listed twice"]),
    "endpoint_full_service_name": (
        {"vpc_endpoints": ["com.amazonaws.us-east-1.ecr.api"]},
        ["vpc_endpoints[0]", "give the short name (ecr.api)"],
    ),
    "endpoint_name_format": ({"vpc_endpoints": ["ECR API"]}, ["vpc_endpoints[0]", "not a service short name"]),
    "flow_log_retention": ({"vpc_flow_logs_retention_days": 45}, ["vpc_flow_logs_retention_days", "45", "accepts"]),
    "bad_nat_mode": ({"vpc_nat_mode": "per_az"}, ["vpc_nat_mode", "per_az", "one_per_az"]),
    "aggregation_interval": ({"vpc_flow_logs_max_aggregation_interval": 300}, ["vpc_flow_logs_max_aggregation", "300"]),
    "offset_does_not_fit": (
        {"vpc_subnet_offsets": {"public": 255, "private": 10, "database": 20}},
        ["vpc_subnet_offsets.public", "does not fit"],
    ),
    "database_internet_without_nat": (
        {"vpc_nat_mode": "none", "vpc_database_internet_access": True},
        ["vpc_database_internet_access", "vpc_nat_mode is none"],
    ),
    "reserved_tag_prefix": ({"vpc_tags": {"aws:owner": "me"}}, ["vpc_tags", "aws: prefix"]),
    "bad_name": ({"vpc_name": "Demo_Local"}, ["vpc_name", "lowercase"]),
    "unconfirmed_teardown_of_prod": (
        {"platform_environment": "prod", "vpc_state": "absent"},
        ["vpc_state: absent", "protected environment", "vpc_confirm_destroy=demo-prod"],
    ),
    "subnet_az_not_listed": (
        {"vpc_subnets": _plan(**{"5": {"tier": "database", "az": "us-east-1c", "cidr": "10.2.21.0/24"}})},
        ["vpc_subnets[5].az", "not one of vpc_azs"],
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    """Every bad-input case as one host of one inventory: one ansible-playbook run checks them all."""
    emulator_session.reset()
    hosts = {}
    for name, (variables, _expected) in BAD_INPUT.items():
        hosts[name.replace("_", "-")] = variables
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "platform_name": "demo",
                "platform_environment": "test",
                "platform_region": "us-east-1",
                "vpc_cidr": "10.2.0.0/16",
                "vpc_azs": ["us-east-1a", "us-east-1b"],
            },
            "hosts": hosts,
        }
    }
    path = tmp_path_factory.mktemp("bad-input") / "hosts.yml"
    path.write_text(json.dumps(inventory))
    run = run_playbook(emulator_session, PLAYBOOK, inventory=str(path), env={"ANSIBLE_FORKS": "8"})
    return run, emulator_session.calls()


def _failure(run, host):
    for play in run.output.get("plays", []):
        for task in play.get("tasks", []):
            result = task["hosts"].get(host)
            if result and result.get("failed"):
                return task["task"]["name"], result
    return None, None


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)
    assert not run.results("Converge the network")


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_naming_the_variable_and_rule(bad_input_run, case):
    run, _calls = bad_input_run
    task, result = _failure(run, case.replace("_", "-"))
    assert result is not None, f"{case} was not rejected"
    assert task.split(" : ")[-1].startswith(("Validating arguments", "Validate the")), task
    message = json.dumps(result.get("msg"))
    for expected in BAD_INPUT[case][1]:
        assert expected in message, message


# Only the region knows these: the module finds them after its reads, before its first write. The message names
# the role variable the user set (vpc_azs), not the module's option (azs).
RUNTIME_BAD_INPUT = {
    "an availability zone the region lacks": (
        {"vpc_azs": ["us-east-1a", "us-east-1z"]},
        "vpc_azs: us-east-1z is not an availability zone of us-east-1",
    ),
    "an endpoint service the region does not offer": (
        {"vpc_endpoints": ["logs", "nosuchservice"]},
        "vpc_endpoints[1]: 'nosuchservice' is not a VPC endpoint service of us-east-1",
    ),
}


def test_what_only_the_region_knows_is_refused_naming_the_role_variable(tmp_path):
    cases = {case: variables for case, (variables, _message) in RUNTIME_BAD_INPUT.items()}
    run, calls = run_bad_inputs(PLAYBOOK, cases, tmp_path)
    assert [c["operation"] for c in calls["calls"] if c["kind"] == "write"] == []
    for case, (_variables, message) in RUNTIME_BAD_INPUT.items():
        failures = [r for r in run.results("Converge the network", case_host(case)) if r.get("failed")]
        assert failures, f"{case}: {run.messages(case_host(case))}"
        assert message in failures[0]["msg"], failures[0]["msg"]
