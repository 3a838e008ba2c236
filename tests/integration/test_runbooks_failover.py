"""The failover runbooks end to end on the emulator: database failover, replica promotion, cache failover, region
failover.

One converge for the whole file (module scope): network, security, database (the primary with its read replicas,
the DR region's cross-region replica), cache, ECS cluster (load balancers and services in both regions) and the
edge's Route 53 failover pair. The tests run in file order and each leaves the platform failed over as a real run
would; the region failover goes last. Results are read back with boto3; "no write" claims come from the
emulator's request log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

STACK = "tests/integration/playbooks/failover_stack.yml"
PRIMARY, DR = "local-use1", "local-usw2"
DB, REPLICA, DR_DB, CACHE = "demo-local-db", "demo-local-db-replica1", "demo-local-db-dr", "demo-local-cache"
ZONE, API = "demo.example.com.", "api.demo.example.com."
# The AWS-side waits the emulator plays (the benchmarks subtract them from the runbooks' wall time).
TIMINGS = {
    "rds-failover": {"failover_seconds": 1.0, "promote_seconds": 1.0, "cluster_failover_seconds": 1.0},
    "elasticache-test-failover": {"failover_seconds": 1.0},
    "ecs-service-deployments": {"deploy_seconds": 0.5, "drain_seconds": 0.2},
}


@pytest.fixture(scope="module")
def stack(emulator_session, tmp_path_factory):
    emulator_session.reset()
    run = run_playbook(emulator_session, STACK, extra_vars={"edge_parts": ["dns"]})
    assert run.rc == 0, run.messages()
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def platform(emulator_session, stack):
    for name, settings in TIMINGS.items():
        emulator_session.configure(name, **settings)
    emulator_session.set_faults()
    emulator_session.clear_calls()
    return emulator_session


def runbook(emulator, name, records, check=False, limit=PRIMARY, **extra):
    return run_playbook(
        emulator,
        f"playbooks/runbooks/{name}.yml",
        extra_vars=extra,
        check=check,
        limit=limit,
        env={"STACKOPS_TIMELINE_DIR": str(records)},
    )


def writes(emulator, *operations):
    return [c["operation"] for c in emulator.writes() if not operations or c["operation"] in operations]


def instance(emulator, identifier, region="us-east-1"):
    return emulator.boto3_client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def cache_primary(emulator):
    group = emulator.boto3_client("elasticache").describe_replication_groups(ReplicationGroupId=CACHE)[
        "ReplicationGroups"
    ][0]
    members = group["NodeGroups"][0]["NodeGroupMembers"]
    return next(m for m in members if m["CurrentRole"] == "primary")


def summary_of(run):
    found = [r["msg"] for r in run.results("Summary") if isinstance(r.get("msg"), list)]
    assert found, f"no summary; tasks: {run.task_names()}"
    return found[-1]


def record_of(records, summary):
    text = json.dumps(summary)
    path = next(p for p in records.glob("*.json") if p.stem in text)
    return json.loads(path.read_text())


def interrupted(emulator, name, records, operation, limit=PRIMARY, **extra):
    """Start the runbook, kill it (the whole process group) once ``operation`` was called, mid-wait."""
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(ROOT / f"playbooks/runbooks/{name}.yml"),
        "-i",
        str(ROOT / "inventories/local"),
        "--limit",
        limit,
        "-e",
        json.dumps(
            {"aws_endpoint_url": emulator.url, "aws_access_key": "emulator", "aws_secret_key": "emulator", **extra}
        ),
    ]
    environment = {**os.environ, **emulator.environment(), "STACKOPS_TIMELINE_DIR": str(records)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while operation not in writes(emulator) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert operation in writes(emulator), f"the runbook never reached {operation}"
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)


# -- database failover ---------------------------------------------------------------------------------------------------


def test_db_failover_moves_the_primary_to_the_other_az_and_records_the_timeline(platform, stack):
    before = instance(platform, DB)
    assert before["MultiAZ"] and before["DBInstanceStatus"] == "available"
    run = runbook(platform, "db_failover", stack)
    assert run.rc == 0, run.messages()
    after = instance(platform, DB)
    assert after["DBInstanceStatus"] == "available"
    assert after["AvailabilityZone"] == before["SecondaryAvailabilityZone"] != before["AvailabilityZone"]
    assert after["Endpoint"] == before["Endpoint"]
    assert writes(platform, "RebootDBInstance") == ["RebootDBInstance"]
    events = platform.boto3_client("rds").describe_events(SourceType="db-instance", SourceIdentifier=DB)["Events"]
    assert any("failover" in e["Message"] and "is complete" in e["Message"] for e in events)
    summary = summary_of(run)
    assert summary[0] == f"fail over {DB} on local/us-east-1: ok"
    assert f"from: primary in {before['AvailabilityZone']}" in summary
    assert f"to:   primary in {after['AvailabilityZone']}" in summary
    assert any(line.startswith("recovery target: 60 min") for line in summary)
    record = record_of(stack, summary)
    assert record["runbook"] == "db_failover" and record["outcome"] == "ok"
    task = next(t for t in record["tasks"] if t["task"] == f"Fail over {DB}")
    assert [p["phase"] for p in task["phases"]] == ["preflight", "failover", "wait", "verify"]

    platform.clear_calls()
    rerun = runbook(platform, "db_failover", stack)  # no expected_az: the failover it just made counts as done
    assert rerun.rc == 0, rerun.messages()
    assert writes(platform) == [] and instance(platform, DB)["AvailabilityZone"] == after["AvailabilityZone"]
    again = runbook(platform, "db_failover", stack, expected_az=before["AvailabilityZone"])
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and writes(platform) == []
    assert "already moved" in summary_of(again)[0]


def test_an_interrupted_db_failover_rerun_does_not_fail_over_twice(platform, stack):
    platform.configure("rds-failover", failover_seconds=6)
    start = instance(platform, DB)
    # A deliberate second failover states where the primary is now (the first test's failover is recent).
    interrupted(platform, "db_failover", stack, "RebootDBInstance", expected_az=start["AvailabilityZone"])
    assert instance(platform, DB)["DBInstanceStatus"] == "rebooting"  # killed mid-failover
    run = runbook(platform, "db_failover", stack)
    assert run.rc == 0, run.messages()
    assert writes(platform, "RebootDBInstance") == ["RebootDBInstance"]
    after = instance(platform, DB)
    assert after["DBInstanceStatus"] == "available" and after["AvailabilityZone"] == start["SecondaryAvailabilityZone"]
    # Depending on how far the killed run's module got (it may outlive ansible-playbook and finish the failover),
    # the rerun waits for the failover in progress or finds it done: either way it says so, and never reboots.
    warnings = [w for r in run.results(f"Fail over {DB}") for w in r.get("warnings", [])]
    assert any("already in progress" in w or "taken as this run's failover" in w for w in warnings), warnings


# -- cache failover ------------------------------------------------------------------------------------------------------


def test_cache_failover_moves_the_primary_to_a_replica(platform, stack):
    before = cache_primary(platform)
    run = runbook(platform, "cache_failover", stack)
    assert run.rc == 0, run.messages()
    after = cache_primary(platform)
    assert after["CacheClusterId"] != before["CacheClusterId"]
    assert writes(platform, "TestFailover") == ["TestFailover"]
    summary = summary_of(run)
    assert f"from: primary {before['CacheClusterId']} in {before['PreferredAvailabilityZone']}" in summary
    assert f"to:   primary {after['CacheClusterId']} in {after['PreferredAvailabilityZone']}" in summary
    record = record_of(stack, summary)
    assert record["runbook"] == "cache_failover" and record["outcome"] == "ok"


def test_an_interrupted_cache_failover_rerun_waits_for_it(platform, stack):
    platform.configure("elasticache-test-failover", failover_seconds=6)
    before = cache_primary(platform)
    interrupted(platform, "cache_failover", stack, "TestFailover", expected_primary=before["CacheClusterId"])
    run = runbook(platform, "cache_failover", stack)
    assert run.rc == 0, run.messages()
    assert writes(platform, "TestFailover") == ["TestFailover"]
    assert cache_primary(platform)["CacheClusterId"] != before["CacheClusterId"]
    warnings = [w for r in run.results(f"Fail over {CACHE}") for w in r.get("warnings", [])]
    assert any("in progress" in w or "taken as this run's failover" in w for w in warnings), warnings


# -- check mode and the protected-environment gate ------------------------------------------------------------------------


def test_check_mode_and_a_missing_confirm_write_nothing(platform, stack):
    primary_az, cache_node = instance(platform, DB)["AvailabilityZone"], cache_primary(platform)["CacheClusterId"]
    for name, extra, limit in (
        ("db_failover", {}, PRIMARY),
        ("cache_failover", {}, PRIMARY),
        ("db_promote_replica", {"replica": "replica2"}, PRIMARY),
        ("region_failover", {}, DR),
    ):
        dry = runbook(platform, name, stack, check=True, limit=limit, **extra)
        assert dry.rc == 0, (name, dry.messages())
        assert summary_of(dry)[0].startswith("DRY RUN (--check), nothing changed."), name
        gated = runbook(platform, name, stack, limit=limit, platform_protected_environments=["local"], **extra)
        assert gated.rc != 0, name
        assert "local is a protected environment" in gated.messages() and "-e confirm=" in gated.messages(), name
    assert writes(platform) == []
    assert instance(platform, DB)["AvailabilityZone"] == primary_az
    assert cache_primary(platform)["CacheClusterId"] == cache_node
    assert instance(platform, "demo-local-db-replica2").get("ReadReplicaSourceDBInstanceIdentifier")


def test_a_confirmed_failover_of_a_protected_environment_goes_ahead(platform, stack):
    before = instance(platform, DB)
    run = runbook(
        platform,
        "db_failover",
        stack,
        expected_az=before["AvailabilityZone"],
        confirm=DB,
        platform_protected_environments=["local"],
    )
    assert run.rc == 0, run.messages()
    assert instance(platform, DB)["AvailabilityZone"] == before["SecondaryAvailabilityZone"]


# -- replica promotion ------------------------------------------------------------------------------------------------------


def test_promote_replica_makes_it_standalone_and_a_rerun_changes_nothing(platform, stack):
    assert instance(platform, REPLICA)["ReadReplicaSourceDBInstanceIdentifier"]
    run = runbook(platform, "db_promote_replica", stack, replica="replica1", backup_retention_days=14)
    assert run.rc == 0, run.messages()
    after = instance(platform, REPLICA)
    assert not after.get("ReadReplicaSourceDBInstanceIdentifier") and after["DBInstanceStatus"] == "available"
    assert after["BackupRetentionPeriod"] == 14
    assert REPLICA not in instance(platform, DB)["ReadReplicaDBInstanceIdentifiers"]
    assert writes(platform, "PromoteReadReplica") == ["PromoteReadReplica"]
    platform.clear_calls()
    again = runbook(platform, "db_promote_replica", stack, replica="replica1")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and writes(platform) == []


# -- region failover (last: it leaves the environment in the DR region) ------------------------------------------------------


def records_of(emulator):
    route53 = emulator.boto3_client("route53")
    [zone] = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == ZONE]
    found = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    return {r.get("SetIdentifier"): r for r in found if r["Name"] == API and r["Type"] == "A"}


def ecs_service(emulator, region, name):
    ecs = emulator.boto3_client("ecs", region)
    return ecs.describe_services(cluster="demo-local", services=[name])["services"][0]


def test_region_failover_promotes_switches_dns_scales_and_a_rerun_changes_nothing(platform, stack):
    pair = records_of(platform)
    primary_lb = pair["primary"]["AliasTarget"]["DNSName"]
    dr_lb = pair["secondary"]["AliasTarget"]["DNSName"]
    assert primary_lb != dr_lb
    check = platform.boto3_client("route53").get_health_check(HealthCheckId=pair["primary"]["HealthCheckId"])
    # The primary region is down: Route 53's checkers see its load balancer fail.
    platform.configure(
        "route53-health-check-status", failing=[check["HealthCheck"]["HealthCheckConfig"]["FullyQualifiedDomainName"]]
    )
    # Pilot light: the DR region runs fewer tasks than the primary.
    platform.boto3_client("ecs", "us-west-2").update_service(cluster="demo-local", service="api", desiredCount=1)
    primary_api = ecs_service(platform, "us-east-1", "api")["desiredCount"]
    assert instance(platform, DR_DB, "us-west-2")["ReadReplicaSourceDBInstanceIdentifier"]
    platform.clear_calls()

    run = runbook(platform, "region_failover", stack, limit=DR)
    assert run.rc == 0, run.messages()
    promoted = instance(platform, DR_DB, "us-west-2")
    assert not promoted.get("ReadReplicaSourceDBInstanceIdentifier") and promoted["DBInstanceStatus"] == "available"
    after = records_of(platform)
    assert after["primary"]["AliasTarget"]["DNSName"] == dr_lb and "HealthCheckId" not in after["primary"]
    assert after["secondary"]["AliasTarget"]["DNSName"] == dr_lb
    assert ecs_service(platform, "us-west-2", "api")["desiredCount"] == primary_api
    summary = summary_of(run)
    assert summary[0] == "fail local over from us-east-1 to us-west-2 on local/us-west-2: ok"
    assert any(line.startswith("primary health check: 0 of 8 checkers") for line in summary), summary
    assert f"service api: 1 -> {primary_api} tasks" in summary
    assert any(line.startswith("recovery target: 60 min (platform_rto_minutes): took ") for line in summary)
    record = record_of(stack, summary)
    assert record["runbook"] == "region_failover" and record["outcome"] == "ok"
    assert {"Promote the DR replica " + DR_DB, "Point the API's name at the DR region us-west-2"} <= {
        t["task"] for t in record["tasks"]
    }

    platform.clear_calls()
    again = runbook(platform, "region_failover", stack, limit=DR)
    assert again.rc == 0, again.messages()
    assert again.changed() == 0 and writes(platform) == []


# -- bad input: refused before any API call, naming the variable -------------------------------------------------------------

BAD_INPUT = {
    "db_failover": {
        "az-not-an-az": ({"expected_az": "us-east-1"}, "expected_az"),
        "az-upper": ({"expected_az": "US-EAST-1A"}, "expected_az"),
        "target-on-rds": ({"target_instance": "demo-local-db-2"}, "target_instance"),
        "writer-on-rds": ({"expected_writer": "demo-local-db-1"}, "expected_writer"),
        "bad-target": ({"database_engine": "aurora-postgresql", "target_instance": "db_2"}, "target_instance"),
        "az-on-aurora": ({"database_engine": "aurora-postgresql", "expected_az": "us-east-1a"}, "expected_az"),
        "timeout-zero": ({"wait_timeout": 0}, "wait_timeout"),
        "timeout-text": ({"wait_timeout": "soon"}, "wait_timeout"),
        "timeout-huge": ({"wait_timeout": 999999}, "wait_timeout"),
        "rto-zero": ({"platform_rto_minutes": 0}, "platform_rto_minutes"),
        "wrong-confirm": ({"confirm": "demo-local-cache"}, "confirm"),
    },
    "db_promote_replica": {
        "no-replica": ({}, "replica"),
        "bad-replica": ({"replica": "replica_1"}, "replica"),
        "replica-dashes": ({"replica": "a--b"}, "replica"),
        "replica-trailing-dash": ({"replica": "replica-"}, "replica"),
        "retention-negative": ({"replica": "replica1", "backup_retention_days": -1}, "backup_retention_days"),
        "retention-huge": ({"replica": "replica1", "backup_retention_days": 36}, "backup_retention_days"),
        "retention-text": ({"replica": "replica1", "backup_retention_days": "week"}, "backup_retention_days"),
        "timeout-zero": ({"replica": "replica1", "wait_timeout": 0}, "wait_timeout"),
        "timeout-text": ({"replica": "replica1", "wait_timeout": "x"}, "wait_timeout"),
        "wrong-confirm": ({"replica": "replica1", "confirm": "demo-local-db"}, "confirm"),
    },
    "cache_failover": {
        "shard-text": ({"shard": "first"}, "shard"),
        "shard-short": ({"shard": "1"}, "shard"),
        "shard-long": ({"shard": "00001"}, "shard"),
        "bad-primary": ({"expected_primary": "node_1"}, "expected_primary"),
        "primary-too-long": ({"expected_primary": "a" * 41}, "expected_primary"),
        "primary-dashes": ({"expected_primary": "a--1"}, "expected_primary"),
        "timeout-zero": ({"wait_timeout": 0}, "wait_timeout"),
        "timeout-text": ({"wait_timeout": "later"}, "wait_timeout"),
        "rto-text": ({"platform_rto_minutes": "an hour"}, "platform_rto_minutes"),
        "wrong-confirm": ({"confirm": "demo-local-db"}, "confirm"),
    },
    "region_failover": {
        "scale-text": ({"scale_services": "perhaps"}, "scale_services"),
        "scale-list": ({"scale_services": [1]}, "scale_services"),
        "timeout-zero": ({"wait_timeout": 0}, "wait_timeout"),
        "timeout-text": ({"wait_timeout": "x"}, "wait_timeout"),
        "timeout-huge": ({"wait_timeout": 100000}, "wait_timeout"),
        "rto-zero": ({"platform_rto_minutes": 0}, "platform_rto_minutes"),
        "rto-huge": ({"platform_rto_minutes": 20000}, "platform_rto_minutes"),
        "rto-text": ({"platform_rto_minutes": "soon"}, "platform_rto_minutes"),
        "aurora-action-on-rds": ({"aurora_action": "failover"}, "aurora_action"),
        "aurora-action-unknown": (
            {"database_engine": "aurora-postgresql", "aurora_action": "sideways"},
            "aurora_action",
        ),
        "wrong-confirm": ({"confirm": "us-east-1"}, "confirm"),
    },
}


@pytest.fixture(scope="module")
def bad_input_runs(tmp_path_factory):
    runs = {}
    for name, cases in BAD_INPUT.items():
        directory = tmp_path_factory.mktemp(f"bad-{name}")
        runs[name] = run_bad_inputs(
            f"playbooks/runbooks/{name}.yml",
            {case: variables for case, (variables, _var) in cases.items()},
            directory,
            host=DR if name == "region_failover" else PRIMARY,
            env={"STACKOPS_TIMELINE_DIR": str(directory / "records")},
        )
    return runs


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_refused_before_any_call(bad_input_runs, name):
    run, calls = bad_input_runs[name]
    assert len(BAD_INPUT[name]) >= 10
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT[name]), run.changed_tasks()


@pytest.mark.parametrize(
    ("name", "case"), [(name, case) for name, cases in BAD_INPUT.items() for case in cases], ids=str
)
def test_bad_input_names_the_variable(bad_input_runs, name, case):
    run, _calls = bad_input_runs[name]
    _variables, variable = BAD_INPUT[name][case]
    message = run.messages(case_host(case))
    assert variable in message, message
