"""The snapshot, restore and DR drill runbooks on inventories/local's database tier (both regions) on the emulator.

What they made is read back with boto3; "no write" claims are checked against the emulator's request log.
"""

from __future__ import annotations

import json

import pytest
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

STACK = "tests/integration/database_stack.yml"
PRIMARY, DR = "local-use1", "local-usw2"
SOURCE = "demo-local-db"
FAST = {"snapshot_seconds": 1.0, "restore_seconds": 1.0}
RESTORE_WRITES = (
    "RestoreDBInstanceToPointInTime",
    "RestoreDBInstanceFromDBSnapshot",
    "CopyDBSnapshot",
    "CreateDBSnapshot",
)


@pytest.fixture(scope="module")
def stack(module_emulator, tmp_path_factory):
    """Network, security and database tiers of inventories/local: the primary instance and its DR replica."""
    run = run_playbook(module_emulator, STACK)
    assert run.rc == 0, run.messages()
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def emulator(module_emulator, stack):
    module_emulator.configure("rds-backup-restore", **FAST)
    module_emulator.set_faults()
    module_emulator.clear_calls()
    return module_emulator


def runbook(emulator, records, name, host=PRIMARY, check=False, **extra):
    return run_playbook(
        emulator,
        f"playbooks/runbooks/{name}.yml",
        extra_vars=extra,
        check=check,
        limit=host,
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def record(records, name):
    """The newest timeline record (JSON) of runbook ``name``."""
    found = sorted(records.glob(f"*-{name}-*.json"))
    assert found, f"no timeline record of {name} in {records}"
    return json.loads(found[-1].read_text())


def phases_of(document, task):
    """The procedure phases the timeline record holds for ``task``."""
    return [p["phase"] for t in document["tasks"] if t["task"] == task for p in t.get("phases") or []]


def instance(emulator, identifier, region="us-east-1"):
    rds = emulator.boto3_client("rds", region)
    found = [i for i in rds.describe_db_instances()["DBInstances"] if i["DBInstanceIdentifier"] == identifier]
    return found[0] if found else None


def writes(emulator, *operations):
    return [c["operation"] for c in emulator.writes() if not operations or c["operation"] in operations]


def test_db_snapshot_takes_a_tagged_verified_snapshot(emulator, stack):
    run = runbook(emulator, stack, "db_snapshot", reason="before release 1.4.3", requested_by="alice")
    assert run.rc == 0, run.messages()
    rds = emulator.boto3_client("rds")
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=SOURCE, SnapshotType="manual")["DBSnapshots"]
    ours = [
        s for s in snapshots if {"Key": "stackops:snapshot-reason", "Value": "before release 1.4.3"} in s["TagList"]
    ]
    assert len(ours) == 1
    assert ours[0]["Status"] == "available"
    assert {"Key": "stackops:snapshot-by", "Value": "alice"} in ours[0]["TagList"]
    assert ours[0]["KmsKeyId"] == instance(emulator, SOURCE)["KmsKeyId"]
    assert phases_of(record(stack, "db_snapshot"), "Snapshot demo-local-db") == [
        "preflight",
        "snapshot",
        "wait",
        "verify",
    ]


def test_db_snapshot_rerun_waits_for_the_snapshot_in_progress(emulator, stack):
    """An interrupted run left a snapshot of that reason creating: the rerun waits for it, takes no second one."""
    emulator.configure(
        "rds-backup-restore", snapshot_seconds=40.0
    )  # the runbook reaches its module within it, even on a busy machine
    rds = emulator.boto3_client("rds")
    rds.create_db_snapshot(
        DBInstanceIdentifier=SOURCE,
        DBSnapshotIdentifier="demo-local-db-interrupted",
        Tags=[{"Key": "stackops:snapshot-reason", "Value": "nightly check"}],
    )
    emulator.clear_calls()
    run = runbook(emulator, stack, "db_snapshot", reason="nightly check")
    assert run.rc == 0, run.messages()
    assert writes(emulator, "CreateDBSnapshot") == []
    result = run.result("Snapshot demo-local-db")
    assert result["snapshot"]["identifier"] == "demo-local-db-interrupted" and result["snapshot"]["adopted"]
    found = rds.describe_db_snapshots(DBSnapshotIdentifier="demo-local-db-interrupted")["DBSnapshots"][0]
    assert found["Status"] == "available"


def test_db_restore_to_a_point_in_time_repoints_the_application(emulator, stack):
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-pitr", restore_time="latest", repoint=True)
    assert run.rc == 0, run.messages()
    source, restored = instance(emulator, SOURCE), instance(emulator, "demo-local-db-pitr")
    assert restored["DBInstanceStatus"] == "available"
    assert restored["DBSubnetGroup"]["DBSubnetGroupName"] == source["DBSubnetGroup"]["DBSubnetGroupName"]
    assert sorted(g["VpcSecurityGroupId"] for g in restored["VpcSecurityGroups"]) == sorted(
        g["VpcSecurityGroupId"] for g in source["VpcSecurityGroups"]
    )
    assert (
        restored["DBParameterGroups"][0]["DBParameterGroupName"]
        == source["DBParameterGroups"][0]["DBParameterGroupName"]
    )
    assert restored["KmsKeyId"] == source["KmsKeyId"]
    sm = emulator.boto3_client("secretsmanager")
    secret = next(
        s for s in sm.list_secrets()["SecretList"]
        if {"Key": "stackops:secret-key", "Value": "database_connection"} in s.get("Tags", [])
    )  # fmt: skip
    value = json.loads(sm.get_secret_value(SecretId=secret["ARN"])["SecretString"])
    assert value["host"] == restored["Endpoint"]["Address"]
    assert value["master_secret_arn"] == restored["MasterUserSecret"]["SecretArn"]
    phases = [p["phase"] for p in run.result("Restore the database into demo-local-db-pitr")["phases"]]
    assert phases == ["preflight", "restore", "wait", "verify", "repoint"]
    assert phases_of(record(stack, "db_restore"), "Restore the database into demo-local-db-pitr")[-1] == "repoint"

    # A rerun (after an interruption, or by mistake) restores nothing twice and changes nothing.
    emulator.clear_calls()
    again = runbook(emulator, stack, "db_restore", target="demo-local-db-pitr", restore_time="latest", repoint=True)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0, again.changed_tasks()
    assert writes(emulator) == []


def test_db_restore_from_the_latest_snapshot(emulator, stack):
    run = runbook(emulator, stack, "db_restore", target="demo-local-db-snap", snapshot="latest")
    assert run.rc == 0, run.messages()
    restored = instance(emulator, "demo-local-db-snap")
    assert restored["DBInstanceStatus"] == "available"
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    assert tags["stackops:restored-from"] == SOURCE and tags["stackops:database-role"] == "restore"
    assert writes(emulator, *RESTORE_WRITES) == ["RestoreDBInstanceFromDBSnapshot"]


def test_check_mode_and_no_confirm_on_a_protected_environment_write_nothing(emulator, stack):
    protected = {"platform_protected_environments": ["local"]}
    refused = runbook(emulator, stack, "db_restore", target="demo-local-db-nope", snapshot="latest", **protected)
    assert refused.rc != 0
    assert "-e confirm=demo-local-db-nope" in refused.messages()
    dry = runbook(emulator, stack, "db_restore", check=True, target="demo-local-db-nope", restore_time="latest",
                  repoint=True, confirm="demo-local-db-nope", **protected)  # fmt: skip
    assert dry.rc == 0, dry.messages()
    dry_drill = runbook(emulator, stack, "dr_drill", host=DR, check=True)
    assert dry_drill.rc == 0, dry_drill.messages()
    refused_snapshot = runbook(emulator, stack, "db_snapshot", reason="x", **protected)
    assert refused_snapshot.rc != 0 and "-e confirm=demo-local-db" in refused_snapshot.messages()
    assert writes(emulator) == []
    assert instance(emulator, "demo-local-db-nope") is None


def test_dr_drill_restores_in_the_dr_region_measures_and_cleans_up(emulator, stack):
    west = emulator.boto3_client("rds", "us-west-2")
    before = {i["DBInstanceIdentifier"] for i in west.describe_db_instances()["DBInstances"]}
    snapshots_before = {s["DBSnapshotIdentifier"] for s in west.describe_db_snapshots()["DBSnapshots"]}
    run = runbook(emulator, stack, "dr_drill", host=DR)
    assert run.rc == 0, run.messages()
    restored = run.result("Restore the latest backup")["restore"]
    assert restored["status"] == "available" and restored["region"] == "us-west-2" and restored["copy"]
    assert restored["data_age_s"] is not None and restored["data_age_s"] < 5 * 60
    assert "CopyDBSnapshot" in writes(emulator) and "DeleteDBInstance" in writes(emulator)
    summary = json.dumps(run.results("Summary", DR))
    assert "PASS" in summary and "against RTO 60 min (met)" in summary and "against RPO 5 min (met)" in summary
    # The account read back: nothing of the drill is left in the DR region.
    assert {i["DBInstanceIdentifier"] for i in west.describe_db_instances()["DBInstances"]} == before
    assert {s["DBSnapshotIdentifier"] for s in west.describe_db_snapshots()["DBSnapshots"]} == snapshots_before
    drill = record(stack, "dr_drill")
    assert phases_of(drill, "Restore the latest backup into demo-local-db-drill") == [
        "preflight",
        "copy",
        "restore",
        "wait",
        "verify",
    ]
    assert phases_of(drill, "Clean up every drill resource in us-west-2") == ["preflight", "delete", "wait"]


def test_dr_drill_fails_when_the_backup_is_older_than_the_rpo(emulator, stack):
    run = runbook(emulator, stack, "dr_drill", host=DR, platform_rpo_minutes=1, drill_identifier="demo-local-db-drill2",
                  confirm="demo-local-db-drill2")  # fmt: skip
    # The newest snapshot was taken minutes ago (the first tests), so a 1-minute RPO is missed only if it is older.
    summary = json.dumps(run.results("Summary", DR))
    age = run.result("Restore the latest backup")["restore"]["data_age_s"]
    if age > 60:
        assert run.rc != 0 and "FAIL" in summary and "MISSED" in summary
    else:
        assert run.rc == 0 and "PASS" in summary
    assert instance(emulator, "demo-local-db-drill2", "us-west-2") is None


BAD_INPUT = {
    # db_restore
    "restore no target": ({"runbook": "db_restore", "snapshot": "latest"}, "missing required arguments: target"),
    "restore bad target": (
        {"runbook": "db_restore", "target": "1db", "snapshot": "latest"},
        "target: '1db' is not an RDS instance identifier",
    ),
    "restore double hyphen": ({"runbook": "db_restore", "target": "a--b", "snapshot": "latest"}, "target: 'a--b'"),
    "restore neither point": ({"runbook": "db_restore", "target": "x1"}, "snapshot: give one of snapshot"),
    "restore both points": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "restore_time": "latest"},
        "snapshot: give one of",
    ),
    "restore bad time": (
        {"runbook": "db_restore", "target": "x1", "restore_time": "yesterday"},
        "restore_time: 'yesterday' is not an ISO 8601",
    ),
    "restore future time": (
        {"runbook": "db_restore", "target": "x1", "restore_time": "2099-01-01T00:00:00Z"},
        "restore_time: 2099-01-01T00:00:00Z is in the future",
    ),
    "restore bad snapshot": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "snap_1"},
        "snapshot: 'snap_1' is not a snapshot",
    ),
    "restore same as source": (
        {"runbook": "db_restore", "target": "x1", "source": "x1", "snapshot": "latest"},
        "target: must differ from source",
    ),
    "restore bad class": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "instance_class": "r6g.large"},
        "instance_class: 'r6g.large'",
    ),
    "restore services without repoint": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "services": ["api"]},
        "services: a restart follows a repoint",
    ),
    "restore bad service": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "repoint": True, "services": ["a pi"]},
        "services[0]: 'a pi'",
    ),
    "restore wrong confirm": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "confirm": "x2"},
        "confirm: 'x2' does not match target",
    ),
    "restore zero timeout": (
        {"runbook": "db_restore", "target": "x1", "snapshot": "latest", "wait_timeout": 0},
        "wait_timeout: 0 is out of range",
    ),
    # db_snapshot
    "snapshot no reason": ({"runbook": "db_snapshot"}, "missing required arguments: reason"),
    "snapshot bad reason": ({"runbook": "db_snapshot", "reason": "drop table;"}, "reason: 'drop table;'"),
    "snapshot bad instance": ({"runbook": "db_snapshot", "reason": "x", "instance": "db_1"}, "instance: 'db_1'"),
    "snapshot bad name": (
        {"runbook": "db_snapshot", "reason": "x", "snapshot_identifier": "s-"},
        "snapshot_identifier: 's-'",
    ),
    "snapshot bad by": ({"runbook": "db_snapshot", "reason": "x", "requested_by": "a;b"}, "requested_by: 'a;b'"),
    # dr_drill
    "drill bad identifier": ({"runbook": "dr_drill", "drill_identifier": "-x"}, "drill_identifier: '-x'"),
    "drill no rto": ({"runbook": "dr_drill", "platform_rto_minutes": ""}, "platform_rto_minutes: required"),
    "drill bad rpo": (
        {"runbook": "dr_drill", "platform_rpo_minutes": "five"},
        "platform_rpo_minutes: 'five' is not a whole number",
    ),
    "drill bad keep": (
        {"runbook": "dr_drill", "keep": "maybe"},
        "argument 'keep' is of type str and we were unable to convert to bool",
    ),
    "drill wrong confirm": (
        {"runbook": "dr_drill", "drill_identifier": "x-drill", "confirm": "nope"},
        "confirm: 'nope' does not match drill_identifier",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own: one ansible-playbook run per runbook checks all of that runbook's cases
    (ansible-playbook stops at a play whose every host failed, so the three runbooks cannot share one run)."""
    runs, calls = {}, []
    for name, host in (("db_snapshot", PRIMARY), ("db_restore", PRIMARY), ("dr_drill", DR)):
        cases = {case: extra for case, (extra, _m) in BAD_INPUT.items() if extra["runbook"] == name}
        directory = tmp_path_factory.mktemp(f"bad-{name}")
        run, log = run_bad_inputs(
            f"playbooks/runbooks/{name}.yml", cases, directory, host=host, env={"STACKOPS_TIMELINE_DIR": str(directory)}
        )
        runs.update({case: run for case in cases})
        calls.extend(log["calls"])
    return runs, calls


def test_bad_input_runs_make_no_api_call(bad_input_run):
    runs, calls = bad_input_run
    assert calls == []
    for case, run in runs.items():
        assert run.failed(case_host(case)) == 1, case


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    runs, _calls = bad_input_run
    assert runs[case].failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in runs[case].messages(case_host(case))
