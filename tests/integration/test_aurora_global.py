"""The Aurora global database of the database tier (inventories/local with an Aurora Serverless v2 cluster: the DR
host joins a secondary cluster in us-west-2), and switchover / failover with stackops.platform.rds_global_cluster.

What exists is read back with boto3; "no write" claims are checked against the emulator's request log.
"""

from __future__ import annotations

import json

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


# -- the region failover runbook on an Aurora inventory ----------------------------------------------------------------
# The database tier only (no ECS services, no Route 53 failover pair in this stack): scale_services=false and no
# edge_api_domain; test_runbooks_failover.py drives the DNS switch and the scaling on the RDS inventory, the same tasks.


def region_failover(emulator, records, check=False, **extra):
    return run_playbook(
        emulator,
        "playbooks/runbooks/region_failover.yml",
        extra_vars={**AURORA, "scale_services": False, "edge_api_domain": "", **extra},
        check=check,
        limit="local-usw2",
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def summary_of(run):
    found = [r["msg"] for r in run.results("Summary") if isinstance(r.get("msg"), list)]
    assert found, f"no summary; tasks: {run.task_names()}"
    return found[-1]


def record_of(records):
    [path] = sorted(records.glob("*.json"), key=lambda p: p.stat().st_mtime)[-1:]
    return json.loads(path.read_text())


def test_region_failover_switches_the_global_database_over_while_both_regions_are_healthy(aurora, tmp_path):
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}
    aurora.clear_calls()
    dry = region_failover(aurora, tmp_path, check=True)
    assert dry.rc == 0, dry.messages()
    assert aurora.writes() == []
    assert any("switchover (both regions healthy)" in line for line in summary_of(dry)), summary_of(dry)

    run = region_failover(aurora, tmp_path)
    assert run.rc == 0, run.messages()
    assert [c["operation"] for c in aurora.writes()] == ["SwitchoverGlobalCluster"]
    writers, found = members(aurora)
    assert writers == {PRIMARY_ARN: False, DR_ARN: True} and found["Status"] == "available"
    west = aurora.boto3_client("rds", "us-west-2")
    assert west.describe_db_clusters(DBClusterIdentifier="demo-local-db-dr")["DBClusters"][0]["Status"] == "available"
    summary = summary_of(run)
    assert summary[0] == "fail local over from us-east-1 to us-west-2 on local/us-west-2: ok", summary
    assert (
        "Aurora global database demo-local-db-global: switchover (both regions healthy): moved, writer now demo-local-db-dr"
        in summary
    ), summary
    assert any(line.startswith("recovery target: 60 min (platform_rto_minutes): took ") for line in summary), summary
    record = record_of(tmp_path)
    assert record["runbook"] == "region_failover" and record["outcome"] == "ok"
    assert "Switch the Aurora global database over to demo-local-db-dr" in {t["task"] for t in record["tasks"]}

    # A rerun (after an interruption) finds the DR cluster writing and changes nothing.
    aurora.clear_calls()
    again = region_failover(aurora, tmp_path)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and aurora.writes() == []
    assert summary_of(again)[0].endswith(": ok (already failed over: nothing done)"), summary_of(again)

    back = act(
        aurora, action="switchover", target="demo-local-db", expected="demo-local-db-dr", global_region="us-east-1"
    )
    assert back.rc == 0, back.messages()
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}


def test_region_failover_fails_the_global_database_over_when_asked(aurora, tmp_path):
    aurora.clear_calls()
    dry = region_failover(aurora, tmp_path, check=True, aurora_action="failover")
    assert dry.rc == 0, dry.messages()
    assert aurora.writes() == []

    aurora.clear_calls()
    run = region_failover(aurora, tmp_path, aurora_action="failover")
    assert run.rc == 0, run.messages()
    assert [c["operation"] for c in aurora.writes()] == ["FailoverGlobalCluster"]
    # The failover reads nothing in the primary's region (it may be gone).
    assert not [
        c for c in aurora.calls()["calls"] if c["region"] == "us-east-1" and c["operation"] == "DescribeDBClusters"
    ]
    assert members(aurora)[0] == {PRIMARY_ARN: False, DR_ARN: True}
    summary = summary_of(run)
    assert any(
        line.startswith(
            "Aurora global database demo-local-db-global: failover (asked for (aurora_action=failover)): moved"
        )
        and line.endswith("data not yet replicated was allowed to be lost")
        for line in summary
    ), summary

    aurora.clear_calls()
    again = region_failover(aurora, tmp_path, aurora_action="failover")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and aurora.writes() == []

    back = act(
        aurora, action="switchover", target="demo-local-db", expected="demo-local-db-dr", global_region="us-east-1"
    )
    assert back.rc == 0, back.messages()
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}


def test_region_failover_fails_over_when_the_primary_region_does_not_answer_healthy(aurora, tmp_path):
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}
    # The primary region refuses every call (a refusal the clients do not retry, so the test does not sit through
    # the retries of a region that does not answer at all).
    aurora.set_faults(error_rate=1.0, error_status=403, error_code="AccessDenied", regions=["us-east-1"])
    try:
        aurora.clear_calls()
        run = region_failover(aurora, tmp_path)
        assert run.rc == 0, run.messages()
    finally:
        aurora.set_faults()
    assert [c["operation"] for c in aurora.writes()] == ["FailoverGlobalCluster"]
    assert members(aurora)[0] == {PRIMARY_ARN: False, DR_ARN: True}
    summary = summary_of(run)
    assert any(
        line.startswith(
            "Aurora global database demo-local-db-global: failover (the primary region did not answer healthy: "
        )
        and "moved, writer now demo-local-db-dr" in line
        for line in summary
    ), summary

    back = act(
        aurora, action="switchover", target="demo-local-db", expected="demo-local-db-dr", global_region="us-east-1"
    )
    assert back.rc == 0, back.messages()
    assert members(aurora)[0] == {PRIMARY_ARN: True, DR_ARN: False}
