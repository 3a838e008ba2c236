"""The restore and DR drill runbooks on an Aurora inventory (seed 004: Aurora PostgreSQL, a global database with
a secondary cluster in the DR region): inventories/local's database tier as an Aurora Serverless v2 cluster.

What the runbooks made (and removed) is read back with boto3; "no write" claims are checked against the
emulator's request log.
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
PRIMARY, DR = "local-use1", "local-usw2"
SOURCE, WRITER = "demo-local-db", "demo-local-db-1"
FAST = {"restore_seconds": 1.0}
WRITES = (
    "RestoreDBClusterFromSnapshot",
    "RestoreDBClusterToPointInTime",
    "CopyDBClusterSnapshot",
    "CreateDBInstance",
    "DeleteDBInstance",
    "DeleteDBCluster",
    "DeleteDBClusterSnapshot",
)


@pytest.fixture(scope="module")
def stack(module_emulator, tmp_path_factory):
    module_emulator.configure("rds-global-clusters", switch_seconds=1.0)
    run = run_playbook(module_emulator, STACK, extra_vars=AURORA)
    assert run.rc == 0, run.messages()
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def emulator(module_emulator, stack):
    module_emulator.configure("rds-cluster-restore", **FAST)
    module_emulator.set_faults()
    module_emulator.clear_calls()
    return module_emulator


def runbook(emulator, records, name, host=PRIMARY, check=False, **extra):
    return run_playbook(
        emulator,
        f"playbooks/runbooks/{name}.yml",
        extra_vars={**AURORA, **extra},
        check=check,
        limit=host,
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def cluster(emulator, identifier, region="us-east-1"):
    rds = emulator.boto3_client("rds", region)
    found = [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] == identifier]
    return found[0] if found else None


def instance(emulator, identifier, region="us-east-1"):
    rds = emulator.boto3_client("rds", region)
    found = [i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"] == identifier]
    return found[0] if found else None


def writes(emulator, *operations):
    return [c["operation"] for c in emulator.writes() if not operations or c["operation"] in operations]


def nightly_snapshot(emulator, name):
    """A manual cluster snapshot of the source taken now: the newest backup a restore of ``latest`` picks."""
    rds = emulator.boto3_client("rds")
    rds.create_db_cluster_snapshot(DBClusterIdentifier=SOURCE, DBClusterSnapshotIdentifier=name)
    emulator.clear_calls()


def assert_restored_like_the_source(emulator, target, region="us-east-1"):
    source, restored = cluster(emulator, SOURCE), cluster(emulator, target, region)
    assert restored["Status"] == "available"
    if region == "us-east-1":
        assert restored["DBSubnetGroup"] == source["DBSubnetGroup"]
        assert sorted(g["VpcSecurityGroupId"] for g in restored["VpcSecurityGroups"]) == sorted(
            g["VpcSecurityGroupId"] for g in source["VpcSecurityGroups"]
        )
        assert restored["DBClusterParameterGroup"] == source["DBClusterParameterGroup"]
        assert restored["KmsKeyId"] == source["KmsKeyId"]
    assert (
        restored["ServerlessV2ScalingConfiguration"]["MaxCapacity"]
        == (source["ServerlessV2ScalingConfiguration"]["MaxCapacity"])
    )
    # Its writer, created in it (an Aurora restore makes no instance), and nothing else.
    assert [(m["DBInstanceIdentifier"], m["IsClusterWriter"]) for m in restored["DBClusterMembers"]] == [
        (f"{target}-1", True)
    ]
    writer = instance(emulator, f"{target}-1", region)
    assert writer["DBInstanceStatus"] == "available" and writer["DBInstanceClass"] == "db.serverless"
    # A standalone cluster: the source's global database did not gain a member.
    assert not restored.get("GlobalClusterIdentifier")
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    assert tags["stackops:restored-from"] == SOURCE and tags["stackops:database-role"] == "restore"
    return restored


def test_aurora_restore_from_the_latest_cluster_snapshot(emulator, stack):
    nightly_snapshot(emulator, "demo-local-db-nightly-1")
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-snap", snapshot="latest")
    assert run.rc == 0, run.messages()
    assert_restored_like_the_source(emulator, "demo-local-db-snap")
    assert writes(emulator, *WRITES) == ["RestoreDBClusterFromSnapshot", "CreateDBInstance"]
    result = run.result("Restore the database into demo-local-db-snap")
    assert result["restore"]["restore_point"] == "demo-local-db-nightly-1"
    assert result["restore"]["engine_kind"] == "cluster" and result["restore"]["writer"] == "demo-local-db-snap-1"
    assert [p["phase"] for p in result["phases"]] == ["preflight", "restore", "wait", "writer", "verify"]


def test_aurora_restore_to_a_point_in_time_repoints_and_a_rerun_changes_nothing(emulator, stack):
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-pitr", restore_time="latest", repoint=True)
    assert run.rc == 0, run.messages()
    restored = assert_restored_like_the_source(emulator, "demo-local-db-pitr")
    assert writes(emulator, *WRITES) == ["RestoreDBClusterToPointInTime", "CreateDBInstance"]
    sm = emulator.boto3_client("secretsmanager")
    secret = next(
        s for s in sm.list_secrets()["SecretList"]
        if {"Key": "stackops:secret-key", "Value": "database_connection"} in s.get("Tags", [])
    )  # fmt: skip
    value = json.loads(sm.get_secret_value(SecretId=secret["ARN"])["SecretString"])
    assert value["host"] == restored["Endpoint"] and value["reader_host"] == restored["ReaderEndpoint"]
    phases = [p["phase"] for p in run.result("Restore the database into demo-local-db-pitr")["phases"]]
    assert phases == ["preflight", "restore", "wait", "writer", "verify", "repoint"]

    emulator.clear_calls()
    again = runbook(emulator, stack, "db_restore", target="demo-local-db-pitr", restore_time="latest", repoint=True)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0, again.changed_tasks()
    assert writes(emulator) == []


def test_an_aurora_writer_instance_as_source_is_refused_before_any_write(emulator, stack):
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-x", source=WRITER, snapshot="latest")
    assert run.rc != 0
    assert f"source: {WRITER} is an instance of the Aurora cluster {SOURCE}" in run.messages()
    assert writes(emulator) == []


def test_an_interrupted_aurora_restore_gets_its_writer_on_the_rerun(emulator, stack):
    """The run that restored the cluster stopped before the writer: the rerun restores nothing, creates the writer."""
    rds = emulator.boto3_client("rds")
    rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier="demo-local-db-cut",
        SourceDBClusterIdentifier=SOURCE,
        UseLatestRestorableTime=True,
        DBSubnetGroupName=cluster(emulator, SOURCE)["DBSubnetGroup"],
        Tags=[
            {"Key": "stackops:restored-from", "Value": SOURCE},
            {"Key": "stackops:restore-point", "Value": "latest"},
            {"Key": "stackops:restore-writer-class", "Value": "db.serverless"},
        ],
    )
    emulator.clear_calls()
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-cut", restore_time="latest")
    assert run.rc == 0, run.messages()
    assert writes(emulator, *WRITES) == ["CreateDBInstance"]
    found = cluster(emulator, "demo-local-db-cut")
    assert [m["DBInstanceIdentifier"] for m in found["DBClusterMembers"]] == ["demo-local-db-cut-1"]
    assert run.result("Restore the database into demo-local-db-cut")["restore"]["adopted"] is True


def test_check_mode_writes_nothing(emulator, stack):
    dry = runbook(emulator, stack, "db_restore", check=True, target="demo-local-db-dry", snapshot="latest")
    assert dry.rc == 0, dry.messages()
    changes = dry.result("Restore the database into demo-local-db-dry")["changes"]
    assert any("create writer demo-local-db-dry-1" in c for c in changes), changes
    dry_drill = runbook(emulator, stack, "dr_drill", host=DR, check=True)
    assert dry_drill.rc == 0, dry_drill.messages()
    assert writes(emulator) == []
    assert cluster(emulator, "demo-local-db-dry") is None
    assert cluster(emulator, "demo-local-db-drill", "us-west-2") is None


def test_aurora_dr_drill_restores_in_the_dr_region_measures_and_cleans_up(emulator, stack):
    nightly_snapshot(emulator, "demo-local-db-nightly-2")
    west = emulator.boto3_client("rds", "us-west-2")
    clusters_before = {c["DBClusterIdentifier"] for c in west.describe_db_clusters()["DBClusters"]}
    instances_before = {i["DBInstanceIdentifier"] for i in west.describe_db_instances()["DBInstances"]}
    snapshots_before = {
        s["DBClusterSnapshotIdentifier"] for s in west.describe_db_cluster_snapshots()["DBClusterSnapshots"]
    }
    global_before = emulator.boto3_client("rds").describe_global_clusters()["GlobalClusters"][0]["GlobalClusterMembers"]

    run = runbook(emulator, stack, "dr_drill", host=DR, platform_rpo_minutes=15)
    assert run.rc == 0, run.messages()
    restored = run.result("Restore the latest backup")["restore"]
    assert restored["status"] == "available" and restored["region"] == "us-west-2"
    assert restored["engine_kind"] == "cluster" and restored["writer"] == "demo-local-db-drill-1"
    assert restored["restore_point"] == "demo-local-db-nightly-2" and restored["copy"] == "demo-local-db-drill-source"
    # The copy and the restored cluster use the DR region's data key.
    assert restored["kms_key_id"].startswith("arn:aws:kms:us-west-2:")
    assert restored["data_age_s"] is not None and restored["data_age_s"] < 15 * 60
    assert writes(emulator, *WRITES) == [
        "CopyDBClusterSnapshot",
        "RestoreDBClusterFromSnapshot",
        "CreateDBInstance",
        "DeleteDBInstance",
        "DeleteDBCluster",
        "DeleteDBClusterSnapshot",
    ]
    summary = json.dumps(run.results("Summary", DR))
    assert "PASS" in summary and "against RTO 60 min (met)" in summary and "against RPO 15 min (met)" in summary

    # The account read back: nothing of the drill is left in the DR region, the global database is as it was.
    assert {c["DBClusterIdentifier"] for c in west.describe_db_clusters()["DBClusters"]} == clusters_before
    assert {i["DBInstanceIdentifier"] for i in west.describe_db_instances()["DBInstances"]} == instances_before
    assert {
        s["DBClusterSnapshotIdentifier"] for s in west.describe_db_cluster_snapshots()["DBClusterSnapshots"]
    } == snapshots_before
    after = emulator.boto3_client("rds").describe_global_clusters()["GlobalClusters"][0]["GlobalClusterMembers"]
    assert after == global_before
    phases = {
        t["task"]: [p["phase"] for p in t.get("phases") or []]
        for t in json.loads(sorted(stack.glob("*-dr_drill-*.json"))[-1].read_text())["tasks"]
    }
    assert phases["Restore the latest backup into demo-local-db-drill"] == [
        "preflight",
        "copy",
        "restore",
        "wait",
        "writer",
        "verify",
    ]
    assert phases["Clean up every drill resource in us-west-2"] == ["preflight", "delete", "wait"]
