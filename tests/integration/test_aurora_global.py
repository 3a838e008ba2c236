"""The Aurora global database of the database tier (inventories/local with an Aurora Serverless v2 cluster: the DR
host joins a secondary cluster in us-west-2), and switchover / failover with stackops.platform.rds_global_cluster.

What exists is read back with boto3; "no write" claims are checked against the emulator's request log.
"""

from __future__ import annotations

import pytest
from conftest import run_playbook

STACK = "tests/integration/database_stack.yml"
AURORA = {
    "database_engine": "aurora-postgresql",
    "database_serverless_v2": True,
    "database_parameters": {"max_connections": 500},
    "database_read_replicas": [],
}
GLOBAL = "demo-local-db-global"
PRIMARY_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:demo-local-db"
DR_ARN = "arn:aws:rds:us-west-2:123456789012:cluster:demo-local-db-dr"


@pytest.fixture(scope="module")
def aurora(module_emulator):
    module_emulator.configure("rds-global-clusters", switch_seconds=1.0)
    run = run_playbook(module_emulator, STACK, extra_vars=AURORA)
    assert run.rc == 0, run.messages()
    return module_emulator


def members(emulator):
    found = emulator.boto3_client("rds").describe_global_clusters(GlobalClusterIdentifier=GLOBAL)["GlobalClusters"][0]
    return {m["DBClusterArn"]: m["IsWriter"] for m in found["GlobalClusterMembers"]}, found


def act(emulator, check=False, **extra):
    return run_playbook(emulator, "tests/integration/playbooks/global_cluster.yml", extra_vars=extra, check=check)


def test_the_dr_host_joins_a_secondary_cluster_and_a_second_converge_changes_nothing(aurora):
    writers, found = members(aurora)
    assert writers == {PRIMARY_ARN: True, DR_ARN: False}
    assert found["Status"] == "available"
    west = aurora.boto3_client("rds", "us-west-2")
    secondary = west.describe_db_clusters(DBClusterIdentifier="demo-local-db-dr")["DBClusters"][0]
    assert secondary["Status"] == "available"
    assert secondary["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 16
    assert [m["DBInstanceIdentifier"] for m in secondary["DBClusterMembers"]] == ["demo-local-db-dr-1"]
    aurora.clear_calls()
    again = run_playbook(aurora, STACK, extra_vars=AURORA)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0, again.changed_tasks()
    assert aurora.writes() == []


def test_switchover_moves_the_writer_once_and_failover_moves_it_back(aurora):
    aurora.clear_calls()
    dry = act(aurora, check=True, action="switchover", target="demo-local-db-dr", global_region="us-west-2")
    assert dry.rc == 0, dry.messages()
    assert dry.result("Global database action")["changes"] and aurora.writes() == []

    run = act(
        aurora, action="switchover", target="demo-local-db-dr", expected="demo-local-db", global_region="us-west-2"
    )
    assert run.rc == 0, run.messages()
    result = run.result("Global database action")
    assert [p["phase"] for p in result["phases"]] == ["preflight", "switchover", "wait", "verify"]
    assert members(aurora)[0] == {PRIMARY_ARN: False, DR_ARN: True}

    # A rerun (after an interruption) does not switch over twice.
    aurora.clear_calls()
    again = act(
        aurora, action="switchover", target="demo-local-db-dr", expected="demo-local-db", global_region="us-west-2"
    )
    assert again.rc == 0 and again.changed() == 0
    assert again.result("Global database action")["global_cluster"]["outcome"] == "already the writer"
    assert aurora.writes() == []

    # Someone else moved the writer: an expected_writer that no longer writes is refused before any call.
    refused = act(
        aurora, action="failover", target="demo-local-db", expected="demo-local-db", global_region="us-east-1"
    )
    assert refused.rc != 0 and "expected_writer" in refused.messages()
    assert aurora.writes() == []

    back = act(
        aurora, action="failover", target="demo-local-db", expected="demo-local-db-dr", global_region="us-east-1"
    )
    assert back.rc == 0, back.messages()
    assert [c["operation"] for c in aurora.writes()] == ["FailoverGlobalCluster"]
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}
    assert back.result("Global database action")["global_cluster"]["data_loss_allowed"] is True
