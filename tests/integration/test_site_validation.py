"""site.yml validates every tier's spec for every host before converging any tier: bad input stops the run with
a message naming the variable the user set, before the first API call (the emulator's request log stays empty).
"""

from __future__ import annotations

import pytest
from conftest import case_host
from conftest import run_bad_inputs

SITE = "site.yml"
LOCAL = {"inventory": "inventories/local", "limit": "local-use1"}
DEV = {"inventory": "inventories/dev"}

_NODE_GROUP = {"name": "general", "instance_types": ["t3.large"], "min_size": 1, "max_size": 2}

BAD_INPUT = {
    # A later tier's value used to be refused only when its play started, after the earlier tiers' writes.
    "database_instance_class_that_does_not_exist": (
        LOCAL,
        {"database_instance_class": "db.r6g.64xlarge"},
        ["database_instance_class", "does not exist", "16xlarge"],
    ),
    "more_read_replicas_than_rds_allows": (
        LOCAL,
        {"database_read_replicas": [{"name": f"r{i}"} for i in range(16)]},
        ["database_read_replicas", "at most 15"],
    ),
    "cache_engine_version": (LOCAL, {"cache_engine_version": "5.0"}, ["cache_engine_version: '5.0'"]),
    "quoted_database_port": (LOCAL, {"database_port": "5432"}, ["database_port: a port is a number"]),
    "quoted_app_port": (LOCAL, {"security_app_port": "3000"}, ["security_app_port: a port is a number"]),
    "app_port_out_of_range": (LOCAL, {"security_app_port": 70000}, ["security_app_port: 70000 is outside 1-65535"]),
    "bastion_cidr": (
        LOCAL,
        {"security_bastion_cidrs": ["203.0.113.0/33"]},
        ["security_bastion_cidrs[0]: '203.0.113.0/33' is not an IPv4 CIDR block"],
    ),
    "service_port_the_app_group_does_not_admit": (
        LOCAL,
        {"security_app_port": 8080},
        ["cluster_services[0].port: api listens on 3000", "security_app_port 8080"],
    ),
    "database_port_the_database_group_does_not_admit": (
        LOCAL,
        {"database_port": 5433},
        ["database_port: 5433 is not security_database_port 5432"],
    ),
    "arm_instance_type_with_an_x86_ami_type": (
        DEV,
        {"cluster_eks_node_groups": [{**_NODE_GROUP, "instance_types": ["m6g.large"], "ami_type": "AL2023_x86_64_STANDARD"}]},
        ["cluster_eks_node_groups[0].instance_types[0]: m6g.large is an Arm (Graviton) instance type"],
    ),
    "x86_instance_type_with_an_arm_ami_type": (
        DEV,
        {"cluster_eks_node_groups": [{**_NODE_GROUP, "ami_type": "AL2_ARM_64"}]},
        ["cluster_eks_node_groups[0].instance_types[0]: t3.large is an x86 instance type"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_anywhere_stops_site_yml_before_any_call(emulator, playbook, case):
    where, extra_vars, expected = BAD_INPUT[case]
    run = playbook(SITE, extra_vars=extra_vars, **where)
    assert run.rc != 0
    for text in expected:
        assert text in run.messages(), run.messages()
    assert emulator.calls()["calls"] == [], "a call was made before the bad input was refused"
    assert "Converge the network" not in " ".join(run.task_names())


def test_check_mode_of_a_bad_spec_says_the_same(emulator, playbook):
    run = playbook(SITE, extra_vars={"database_instance_class": "db.r6g.64xlarge"}, check=True, **LOCAL)
    assert run.rc != 0
    assert "database_instance_class" in run.messages() and "does not exist" in run.messages()
    assert emulator.calls()["calls"] == []


def test_an_unknown_vpc_endpoint_service_is_refused_before_any_write(emulator, playbook):
    """Which services a region offers is only known to the region: the network tier asks
    (DescribeVpcEndpointServices) before its first write."""
    run = playbook("playbooks/network.yml", extra_vars={"vpc_endpoints": ["logs", "nosuchservice"]}, **DEV)
    assert run.rc != 0
    assert "'nosuchservice' is not a VPC endpoint service of us-east-1" in run.messages(), run.messages()
    assert emulator.writes() == []


def test_the_demo_certificate_s_failure_reason_is_shown_and_its_key_is_not(emulator, playbook):
    # A refusal (4xx) rather than a 5xx: the module would retry a 5xx for minutes before failing.
    emulator.set_faults(
        error_rate=1.0, error_status=400, error_code="ValidationException", operations=["ImportCertificate"]
    )
    run = playbook("playbooks/cluster.yml", **LOCAL)
    assert run.rc != 0
    failed = [r for r in run.results("Import it into ACM") if r.get("failed")]
    assert failed, run.task_names()
    assert "Injected (emulator fault)" in str(failed[0].get("msg")) or "ValidationException" in str(failed[0])
    assert "censored" not in str(failed[0]) and "hidden due to no_log" not in str(failed[0])
    output = str(run.output) + run.stderr
    assert "PRIVATE KEY" not in output


# What the tiers expect of each other, on EKS (dev) and for the search tier (local): each case a host of one
# run of playbooks/validate.yml (what site.yml runs first), per inventory.
CROSS_TIER = {
    "inventories/dev": {
        "a workload behind the ALB ingress listens where the app group does not admit": (
            {"security_app_port": 8080},
            [
                "cluster_eks_workloads[0].port: user-service listens on 3000, the target port of its Service behind "
                "cluster_eks_ingresses[0] (api-ingress)",
                "cluster_eks_workloads[3].port: transaction-service listens on 3000",
                "security_app_port 8080",
            ],
        ),
        "the cluster is not given app, which the data tiers admit": (
            {"cluster_eks_security_groups": ["alb"]},
            ["cluster_eks_security_groups: ['alb'] has no app; the database, cache security groups admit app"],
        ),
        "a database port the database group does not admit on eks": (
            {"database_port": 5433},
            ["database_port: 5433 is not security_database_port 5432"],
        ),
    },
    "inventories/local": {
        "search on without a search group": (
            {"security_search": False},
            ["security_search: false makes no search security group, but search_enabled is true"],
        ),
        "a search port opensearch does not answer on": (
            {"security_search_port": 9200},
            ["security_search_port: 9200 is not a port an OpenSearch Service domain answers on (443, HTTPS"],
        ),
    },
}


@pytest.mark.parametrize("inventory", list(CROSS_TIER))
def test_what_the_tiers_expect_of_each_other_is_checked_first(inventory, tmp_path):
    cases = {case: variables for case, (variables, _expected) in CROSS_TIER[inventory].items()}
    host = {"inventories/dev": "dev-use1", "inventories/local": "local-use1"}[inventory]
    run, calls = run_bad_inputs("playbooks/validate.yml", cases, tmp_path, inventory=inventory, host=host)
    assert calls["calls"] == []
    for case, (_variables, expected) in CROSS_TIER[inventory].items():
        failed = [
            r for r in run.results("Validate what the tiers expect of each other", case_host(case)) if r.get("failed")
        ]
        assert failed, f"{case}: {run.messages(case_host(case))}"
        for text in expected:
            assert text in str(failed[0]["msg"]), failed[0]["msg"]
