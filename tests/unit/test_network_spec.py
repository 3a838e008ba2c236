"""The network spec (plugins/module_utils/_network/spec.py): subnet plans, validation rules, the layout."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.stackops.platform.plugins.filter.network import network_spec_errors
from ansible_collections.stackops.platform.plugins.filter.network import subnet_plan
from ansible_collections.stackops.platform.plugins.module_utils._network import spec as sp

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


def valid(**changes):
    """Seed 001's prod network with the module's option names."""
    spec = {
        "name": "moneytrack-prod",
        "cidr": "10.2.0.0/16",
        "azs": list(AZS),
        "subnets": sp.derive_subnets("10.2.0.0/16", AZS),
        "nat_mode": "one_per_az",
        "database_internet_access": False,
        "endpoints": ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"],
        "flow_logs": True,
        "flow_logs_traffic_type": "ALL",
        "flow_logs_retention_days": 90,
        "flow_logs_max_aggregation_interval": 600,
        "db_subnet_group": True,
        "cache_subnet_group": True,
        "tags": {"project": "money-tracking"},
    }
    spec.update(changes)
    return spec


def role_inputs(**changes):
    """What the vpc role validates: its derivation inputs instead of a plan."""
    spec = valid(subnets=[], subnet_offsets={"public": 1, "private": 10, "database": 20}, subnet_prefix_length=24)
    spec.update(changes)
    return spec


def errors(spec, region="us-east-1", protected=False, prefix="vpc_"):
    return sp.validate(spec, region, protected=protected, prefix=prefix)


# -- subnet plans -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cidr", "octet"), [("10.0.0.0/16", 0), ("10.1.0.0/16", 1), ("10.2.0.0/16", 2)])
def test_seed_001_plan_per_environment(cidr, octet):
    plan = sp.derive_subnets(cidr, AZS)
    assert plan == [
        {"tier": tier, "az": az, "cidr": f"10.{octet}.{base + i}.0/24"}
        for tier, base in (("public", 1), ("private", 10), ("database", 20))
        for i, az in enumerate(AZS)
    ]


def test_two_azs_give_two_subnets_per_tier():
    plan = sp.derive_subnets("10.0.0.0/16", AZS[:2])
    assert [s["cidr"] for s in plan] == [
        "10.0.1.0/24",
        "10.0.2.0/24",
        "10.0.10.0/24",
        "10.0.11.0/24",
        "10.0.20.0/24",
        "10.0.21.0/24",
    ]


def test_other_offsets_and_prefix_length():
    plan = sp.derive_subnets("10.0.0.0/16", AZS[:2], {"public": 0, "private": 4}, 20)
    assert plan == [
        {"tier": "public", "az": "us-east-1a", "cidr": "10.0.0.0/20"},
        {"tier": "public", "az": "us-east-1b", "cidr": "10.0.16.0/20"},
        {"tier": "private", "az": "us-east-1a", "cidr": "10.0.64.0/20"},
        {"tier": "private", "az": "us-east-1b", "cidr": "10.0.80.0/20"},
    ]


def test_a_derived_plan_is_valid_and_never_overlaps():
    plan = sp.derive_subnets("172.16.0.0/20", AZS, prefix_length=26)
    networks = [ipaddress.ip_network(s["cidr"]) for s in plan]
    assert all(n.subnet_of(ipaddress.ip_network("172.16.0.0/20")) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    assert errors(valid(cidr="172.16.0.0/20", subnets=plan)) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("10.0.0.0/16", AZS, None, 29), "vpc_subnet_prefix_length: /29 must be between the VPC's /16 and /28"),
        (("10.0.0.0/16", AZS, None, 15), "vpc_subnet_prefix_length: /15"),
        (("10.0.0.0/16", AZS, {"public": 255}), "vpc_subnet_offsets.public: block 256 does not fit"),
        (
            ("10.0.0.0/24", AZS, None, 28),
            "vpc_subnet_offsets.database: block 20 does not fit: 10.0.0.0/24 holds 16 /28 blocks",
        ),
        (("10.0.0.0/33", AZS), "vpc_cidr: '10.0.0.0/33' is not a valid IPv4 CIDR block"),
    ],
)
def test_a_plan_that_does_not_fit_names_the_variable(args, message):
    with pytest.raises(sp.SpecError, match=message.replace("(", r"\(").replace(".", r"\.")):
        sp.derive_subnets(*args)


def test_the_subnet_plan_filter_reports_spec_errors_as_filter_errors():
    from ansible.errors import AnsibleFilterError

    assert subnet_plan("10.2.0.0/16", AZS)[0] == {"tier": "public", "az": "us-east-1a", "cidr": "10.2.1.0/24"}
    with pytest.raises(AnsibleFilterError, match="vpc_subnet_prefix_length"):
        subnet_plan("10.2.0.0/16", AZS, prefix_length=29)


# -- validation -------------------------------------------------------------------------------------------------------


def test_seed_001_specs_are_valid():
    assert errors(valid(), protected=True) == []
    dev = valid(
        name="moneytrack-dev",
        cidr="10.0.0.0/16",
        azs=AZS[:2],
        subnets=sp.derive_subnets("10.0.0.0/16", AZS[:2]),
        nat_mode="single",
        endpoints=[],
        flow_logs_retention_days=7,
    )
    assert errors(dev) == []
    assert errors(role_inputs(), protected=True) == []


def _subnet(index, **changes):
    plan = sp.derive_subnets("10.2.0.0/16", AZS)
    plan[index] = {**plan[index], **changes}
    return plan


BAD = {
    "overlapping subnets": (
        {"subnets": _subnet(1, cidr="10.2.1.128/25")},
        "vpc_subnets[1].cidr: 10.2.1.128/25 overlaps vpc_subnets[0].cidr 10.2.1.0/24",
    ),
    "subnet outside the VPC": (
        {"subnets": _subnet(4, cidr="10.3.11.0/24")},
        "vpc_subnets[4].cidr: 10.3.11.0/24 is outside the VPC CIDR 10.2.0.0/16 (vpc_cidr)",
    ),
    "not a CIDR": ({"cidr": "10.2.0.0"}, "vpc_cidr: '10.2.0.0' is not an IPv4 CIDR block"),
    "invalid CIDR": ({"cidr": "10.2.0.0/33"}, "vpc_cidr: '10.2.0.0/33' is not a valid IPv4 CIDR block"),
    "host bits": ({"cidr": "10.2.0.1/16"}, "vpc_cidr: 10.2.0.1/16 has host bits set; the network is 10.2.0.0/16"),
    "VPC /15": ({"cidr": "10.2.0.0/15"}, "vpc_cidr: 10.2.0.0/15 has prefix length /15; AWS accepts /16 to /28"),
    "subnet /29": (
        {"subnets": _subnet(0, cidr="10.2.1.0/29")},
        "vpc_subnets[0].cidr: 10.2.1.0/29 has prefix length /29; AWS accepts /16 to /28",
    ),
    "unknown tier": ({"subnets": _subnet(0, tier="dmz")}, "vpc_subnets[0].tier: 'dmz' is not one of"),
    "subnet AZ not listed": (
        {"subnets": _subnet(8, az="us-east-1d", cidr="10.2.23.0/24")},
        "vpc_subnets[8].az: 'us-east-1d' is not one of vpc_azs",
    ),
    "two subnets in one slot": (
        {"subnets": _subnet(1, az="us-east-1a", cidr="10.2.4.0/24")},
        "vpc_subnets[1]: a second public subnet in us-east-1a (the first is vpc_subnets[0])",
    ),
    "AZ not in the region": (
        {"azs": ["us-east-1a", "us-west-2b", "us-east-1c"]},
        "vpc_azs[1]: us-west-2b is not in region us-east-1",
    ),
    "AZ name format": ({"azs": ["us-east-1a", "east-1b"]}, "vpc_azs[1]: 'east-1b' is not an availability zone name"),
    "duplicate AZ": ({"azs": ["us-east-1a", "us-east-1a", "us-east-1c"]}, "vpc_azs[1]: us-east-1a is listed twice"),
    "bad NAT mode": ({"nat_mode": "per_az"}, "vpc_nat_mode: 'per_az' is not one of none, single, one_per_az"),
    "NAT without public subnets": (
        {"subnets": [s for s in sp.derive_subnets("10.2.0.0/16", AZS) if s["tier"] != "public"]},
        "vpc_nat_mode: one_per_az needs public subnets to place NAT gateways in, and there are none",
    ),
    "NAT per AZ with a public subnet missing": (
        {"subnets": [s for s in sp.derive_subnets("10.2.0.0/16", AZS) if s["cidr"] != "10.2.3.0/24"]},
        "vpc_nat_mode: one_per_az needs a public subnet in every AZ with private subnets; us-east-1c has none",
    ),
    "database internet without NAT": (
        {"nat_mode": "none", "database_internet_access": True},
        "vpc_database_internet_access: the database tier reaches the internet through NAT",
    ),
    "database subnets in one AZ": (
        {"subnets": [s for s in sp.derive_subnets("10.2.0.0/16", AZS) if s["cidr"] not in ("10.2.21.0/24", "10.2.22.0/24")]},
        "vpc_subnets: the database subnet groups need database subnets in at least 2 AZs, got 1",
    ),
    "endpoint full name": (
        {"endpoints": ["com.amazonaws.us-east-1.ecr.api"]},
        "vpc_endpoints[0]: give the short name (ecr.api), not com.amazonaws.us-east-1.ecr.api",
    ),
    "endpoint name format": ({"endpoints": ["ecr", "ECR API"]}, "vpc_endpoints[1]: 'ECR API' is not a service short name"),
    "endpoints without private subnets": (
        {"subnets": [s for s in sp.derive_subnets("10.2.0.0/16", AZS) if s["tier"] != "private"]},
        "vpc_endpoints: interface endpoints are placed in private subnets, and there are none",
    ),
    "flow log retention": (
        {"flow_logs_retention_days": 45},
        "vpc_flow_logs_retention_days: 45 is not a retention CloudWatch Logs accepts",
    ),
    "flow log interval": ({"flow_logs_max_aggregation_interval": 300}, "vpc_flow_logs_max_aggregation_interval: 300"),
    "flow log traffic": ({"flow_logs_traffic_type": "SOME"}, "vpc_flow_logs_traffic_type: 'SOME' must be ALL"),
    "reserved aws tag": ({"tags": {"aws:cost": "x"}}, "vpc_tags: key 'aws:cost' uses the aws: prefix"),
    "reserved stackops tag": ({"tags": {"stackops:tier": "x"}}, "vpc_tags: key 'stackops:tier' uses the stackops:"),
    "bad name": ({"name": "Money_Prod"}, "vpc_name: 'Money_Prod' must be 2-40 lowercase letters"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_each_rule_names_the_variable(case):
    changes, message = BAD[case]
    found = errors(valid(**changes))
    assert any(e.startswith(message) for e in found), found


def test_every_problem_is_reported_at_once():
    found = errors(valid(cidr="10.2.0.0/15", nat_mode="per_az", flow_logs_retention_days=45))
    assert [e.split(":")[0] for e in found] == ["vpc_cidr", "vpc_nat_mode", "vpc_flow_logs_retention_days"]


def test_flow_log_rules_apply_only_with_flow_logs():
    assert errors(valid(flow_logs=False, flow_logs_retention_days=45)) == []


def test_every_cloudwatch_retention_is_accepted():
    for days in (
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    ):
        assert errors(valid(flow_logs_retention_days=days)) == []


def test_protected_environments_need_two_azs():
    one = valid(azs=["us-east-1a"], subnets=sp.derive_subnets("10.2.0.0/16", ["us-east-1a"]))
    one.update(db_subnet_group=False, cache_subnet_group=False)
    assert errors(one) == []
    assert errors(one, protected=True) == [
        "vpc_azs: a protected environment needs at least 2 availability zones, got 1 "
        "(one AZ outage would take the environment down)"
    ]


def test_the_region_is_checked():
    assert errors(valid(), region="us-east")[0].startswith("platform_region: 'us-east' is not an AWS region name")


def test_the_module_names_its_own_options():
    found = errors(valid(cidr="10.2.0.0/15"), prefix="")
    assert found == ["cidr: 10.2.0.0/15 has prefix length /15; AWS accepts /16 to /28"]


# -- the role's inputs: the plan derived during validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"subnet_prefix_length": 29}, ["vpc_subnet_prefix_length: /29 must be between the VPC's /16 and /28"]),
        ({"subnet_offsets": {"public": 255, "private": 10, "database": 20}}, ["vpc_subnet_offsets.public: block 256"]),
        ({"subnet_offsets": {"dmz": 1}}, ["vpc_subnet_offsets.dmz: 'dmz' is not one of"]),
        ({"subnet_offsets": {"public": -1}}, ["vpc_subnet_offsets.public: -1 is not a block index"]),
        ({"subnet_offsets": {"private": 10, "database": 20}}, ["vpc_nat_mode: one_per_az needs public subnets"]),
        # A CIDR that cannot be parsed gives one message, not a second about the plan that could not be derived.
        ({"cidr": "10.2.0.0/33"}, ["vpc_cidr: '10.2.0.0/33' is not a valid IPv4 CIDR block"]),
        ({"azs": ["us-east-1a", "us-east-1a"]}, ["vpc_azs[1]: us-east-1a is listed twice"]),
    ],
)
def test_role_inputs_derive_the_plan_while_validating(changes, expected):
    found = errors(role_inputs(**changes))
    assert len(found) == len(expected), found
    for message, prefix in zip(found, expected, strict=True):
        assert message.startswith(prefix), found


def test_the_filter_uses_role_names():
    assert network_spec_errors(role_inputs(cidr="10.2.0.0/15"), "us-east-1", True) == [
        "vpc_cidr: 10.2.0.0/15 has prefix length /15; AWS accepts /16 to /28"
    ]


# -- the layout (what --diff shows) ----------------------------------------------------------------------------------------


def test_layout_one_nat_per_az_and_no_database_route():
    layout = sp.layout(valid())
    assert layout["nat_gateways"] == {az: f"public/{az}" for az in AZS}
    assert layout["route_tables"]["public"] == {"subnets": [f"public/{az}" for az in AZS], "default_route": "igw"}
    for az in AZS:
        assert layout["route_tables"][f"private-{az}"] == {"subnets": [f"private/{az}"], "default_route": f"nat/{az}"}
        assert layout["route_tables"][f"database-{az}"] == {"subnets": [f"database/{az}"], "default_route": None}
    assert layout["endpoints"] == {
        "s3": "Gateway",
        "ecr.api": "Interface",
        "ecr.dkr": "Interface",
        "logs": "Interface",
        "secretsmanager": "Interface",
        "sts": "Interface",
    }
    assert layout["db_subnet_group"] == layout["cache_subnet_group"] == [f"database/{az}" for az in AZS]


def test_layout_single_nat_and_database_internet_access():
    layout = sp.layout(valid(nat_mode="single", database_internet_access=True))
    assert layout["nat_gateways"] == {"us-east-1a": "public/us-east-1a"}
    assert {
        layout["route_tables"][f"{tier}-{az}"]["default_route"] for tier in ("private", "database") for az in AZS
    } == {"nat/us-east-1a"}


def test_layout_without_nat_and_with_the_s3_endpoint_always():
    layout = sp.layout(valid(nat_mode="none", endpoints=[], flow_logs=False, db_subnet_group=False))
    assert layout["nat_gateways"] == {}
    assert layout["route_tables"]["private-us-east-1b"]["default_route"] is None
    assert layout["endpoints"] == {"s3": "Gateway"}
    assert layout["flow_logs"] is None
    assert layout["db_subnet_group"] is None
    assert layout["cache_subnet_group"] == [f"database/{az}" for az in AZS]
    assert sp.layout(valid(endpoints=["dynamodb"]))["endpoints"] == {"s3": "Gateway", "dynamodb": "Gateway"}
