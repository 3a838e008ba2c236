"""The database tier converged on the emulator, read back from the API with boto3."""

from __future__ import annotations

import json

import pytest
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

PRIMARY = "local-use1"
DR = "local-usw2"
STACK = "tests/integration/database_stack.yml"  # network, security, database (not the whole site.yml)
IDENTITY = {"stackops:platform": "demo", "stackops:environment": "local", "stackops:component": "database"}


def instances(emulator, region="us-east-1"):
    rds = emulator.boto3_client("rds", region)
    return {i["DBInstanceIdentifier"]: i for i in rds.describe_db_instances()["DBInstances"]}


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("TagList", [])}


def user_parameters(emulator, group, region="us-east-1"):
    rds = emulator.boto3_client("rds", region)
    found = rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
    return {p["ParameterName"]: (p["ParameterValue"], p["ApplyMethod"]) for p in found}


def data_key(emulator, region, purpose="data"):
    kms = emulator.boto3_client("kms", region)
    return kms.describe_key(KeyId=f"alias/demo-local-{purpose}")["KeyMetadata"]["Arn"]


# -- one converge of the whole local inventory (both regions), shared by the read-back tests ------------------------


@pytest.fixture(scope="module")
def converged(module_emulator):
    module_emulator.reset()
    run = run_playbook(module_emulator, STACK)
    assert run.rc == 0, run.messages()
    return run


@pytest.fixture(scope="module")
def links(module_emulator, converged):
    """The earlier tiers' ids as role variables, so that runs of playbooks/database.yml skip the _info lookups."""
    fact = converged.result("Converge the database", PRIMARY)["database"]
    return {
        "database_subnet_group_name": fact["subnet_group_name"],
        "database_security_group_ids": fact["security_group_ids"],
        "database_kms_key_id": data_key(module_emulator, "us-east-1"),
        "database_master_user_secret_kms_key_id": data_key(module_emulator, "us-east-1", "secrets"),
    }


def test_primary_instance_follows_seed_001(module_emulator, converged):
    found = instances(module_emulator)["demo-local-db"]
    assert found["Engine"] == "postgres" and found["EngineVersion"].split(".")[0] == "15"
    assert found["DBInstanceClass"] == "db.r6g.xlarge"
    assert (found["StorageType"], found["AllocatedStorage"], found["Iops"], found["StorageThroughput"]) == (
        "gp3",
        500,
        12000,
        500,
    )
    assert found["MaxAllocatedStorage"] == 2000
    assert found["MultiAZ"] is True and found["PubliclyAccessible"] is False
    assert found["StorageEncrypted"] is True and found["KmsKeyId"] == data_key(module_emulator, "us-east-1")
    assert found["PerformanceInsightsEnabled"] is True and found["PerformanceInsightsRetentionPeriod"] == 7
    assert found["MonitoringInterval"] == 60
    assert found["MonitoringRoleArn"].endswith(":role/demo-local-rds-monitoring-us-east-1")
    assert sorted(found["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert found["BackupRetentionPeriod"] == 30 and found["PreferredBackupWindow"] == "03:00-04:00"
    assert found["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert found["DBSubnetGroup"]["DBSubnetGroupName"] == "demo-local"
    assert {s["SubnetAvailabilityZone"]["Name"] for s in found["DBSubnetGroup"]["Subnets"]} == {
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    }
    database_group = module_emulator.boto3_client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["demo-local-database"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert [g["VpcSecurityGroupId"] for g in found["VpcSecurityGroups"]] == [database_group]
    assert found["DBParameterGroups"][0]["DBParameterGroupName"] == "demo-local-postgres15"
    assert found["DeletionProtection"] is False  # local is not a protected environment
    assert {k: tags(found)[k] for k in IDENTITY} == IDENTITY and tags(found)["owner"] == "platform-team"


def test_master_password_is_managed_by_secrets_manager(module_emulator, converged):
    found = instances(module_emulator)["demo-local-db"]
    secret = found["MasterUserSecret"]
    assert secret["KmsKeyId"] == data_key(module_emulator, "us-east-1", "secrets")
    assert secret["SecretArn"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-")
    fact = converged.result("Converge the database", PRIMARY)["database"]
    assert fact["master_user_secret_arn"] == secret["SecretArn"]
    value = module_emulator.boto3_client("secretsmanager").get_secret_value(SecretId=secret["SecretArn"])
    password = __import__("json").loads(value["SecretString"])["password"]
    assert password not in str(converged.output) and password not in converged.stderr


def test_parameter_group_holds_seed_001_parameters(module_emulator, converged):
    group = module_emulator.boto3_client("rds").describe_db_parameter_groups(
        DBParameterGroupName="demo-local-postgres15"
    )
    assert group["DBParameterGroups"][0]["DBParameterGroupFamily"] == "postgres15"
    assert user_parameters(module_emulator, "demo-local-postgres15") == {
        "max_connections": ("500", "pending-reboot"),
        "shared_buffers": ("1048576", "pending-reboot"),  # 8 GB in 8 kB pages
        "effective_cache_size": ("3145728", "immediate"),  # 24 GB in 8 kB pages
        "work_mem": ("65536", "immediate"),  # 64 MB in kB
        "maintenance_work_mem": ("2097152", "immediate"),  # 2 GB in kB
        "random_page_cost": ("1.1", "immediate"),
        "shared_preload_libraries": ("pg_stat_statements", "pending-reboot"),
    }


def test_read_replicas_have_their_own_class_and_az(module_emulator, converged):
    found = instances(module_emulator)
    for name, zone in (("replica1", "us-east-1a"), ("replica2", "us-east-1b")):
        replica = found[f"demo-local-db-{name}"]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "demo-local-db"
        assert replica["DBInstanceClass"] == "db.r6g.large" and replica["AvailabilityZone"] == zone
        assert replica["PerformanceInsightsEnabled"] is True and replica["MonitoringInterval"] == 60
        assert tags(replica)["stackops:database-role"] == "replica"
    primary = found["demo-local-db"]
    assert set(primary["ReadReplicaDBInstanceIdentifiers"]) == {
        "demo-local-db-replica1",
        "demo-local-db-replica2",
        "arn:aws:rds:us-west-2:123456789012:db:demo-local-db-dr",
    }


def test_dr_replica_in_the_dr_region_with_its_own_key_and_subnet_group(module_emulator, converged):
    found = instances(module_emulator, "us-west-2")
    assert list(found) == ["demo-local-db-dr"]
    dr = found["demo-local-db-dr"]
    assert dr["DBInstanceArn"].startswith("arn:aws:rds:us-west-2:")
    assert dr["ReadReplicaSourceDBInstanceIdentifier"] == "arn:aws:rds:us-east-1:123456789012:db:demo-local-db"
    assert dr["KmsKeyId"] == data_key(module_emulator, "us-west-2") and dr["StorageEncrypted"] is True
    assert {s["SubnetAvailabilityZone"]["Name"][:9] for s in dr["DBSubnetGroup"]["Subnets"]} == {"us-west-2"}
    assert dr["MonitoringRoleArn"].endswith(":role/demo-local-rds-monitoring-us-west-2")
    assert dr["DBParameterGroups"][0]["DBParameterGroupName"] == "demo-local-postgres15"
    assert user_parameters(module_emulator, "demo-local-postgres15", "us-west-2")["max_connections"][0] == "500"
    primary = instances(module_emulator)["demo-local-db"]
    assert dr["DBInstanceArn"] in primary["ReadReplicaDBInstanceIdentifiers"]
    fact = converged.result("Converge the DR replica", DR)["database"]
    assert fact["identifier"] == "demo-local-db-dr" and fact["source_arn"] == primary["DBInstanceArn"]


def test_fact_and_status(module_emulator, converged):
    fact = converged.result("Converge the database", PRIMARY)["database"]
    primary = instances(module_emulator)["demo-local-db"]
    assert fact["endpoint"] == primary["Endpoint"]["Address"] and fact["port"] == 5432
    assert fact["arn"] == primary["DBInstanceArn"] and fact["parameter_group_name"] == "demo-local-postgres15"
    assert set(fact["replicas"]) == {"demo-local-db-replica1", "demo-local-db-replica2"}
    status = run_playbook(module_emulator, "playbooks/status.yml", limit=PRIMARY)
    assert status.rc == 0, status.messages()
    found = status.result("Read the database", PRIMARY)
    assert found["exists"] and found["database"]["arn"] == fact["arn"]
    assert found["database"]["master_user_secret_arn"] == fact["master_user_secret_arn"]


def test_second_converge_changes_nothing_and_writes_nothing(module_emulator, converged):
    module_emulator.clear_calls()
    run = run_playbook(module_emulator, "playbooks/database.yml")
    assert run.rc == 0, run.messages()
    assert run.changed() == 0
    assert module_emulator.writes() == []
    calls = module_emulator.calls()["by_operation"]
    # One read of every instance per region, plus the DR host's read of its source in the primary region.
    assert calls.get("rds:DescribeDBInstances") == 3


def test_downtime_changes_wait_for_the_maintenance_window(module_emulator, links):
    bigger = {**links, "database_instance_class": "db.r6g.2xlarge", "database_allocated_storage": 600}
    run = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=bigger, diff=True)
    assert run.rc == 0, run.messages()
    result = run.result("Converge the database", PRIMARY)
    assert (
        "modify instance demo-local-db: instance class db.r6g.xlarge -> db.r6g.2xlarge "
        "(pending until the maintenance window sun:05:00-sun:06:00)"
    ) in result["changes"]
    assert result["diff"]["after"]["instances"]["demo-local-db"]["pending"] == {
        "DBInstanceClass": "db.r6g.2xlarge",
        "AllocatedStorage": 600,
    }
    assert result["database"]["pending_modifications"]["demo-local-db"]["DBInstanceClass"] == "db.r6g.2xlarge"
    found = instances(module_emulator)["demo-local-db"]
    assert found["DBInstanceClass"] == "db.r6g.xlarge" and found["AllocatedStorage"] == 500
    assert found["PendingModifiedValues"] == {"DBInstanceClass": "db.r6g.2xlarge", "AllocatedStorage": 600}

    # Pending equals desired: nothing to do, and the diff still says what is pending.
    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=bigger, diff=True)
    assert again.rc == 0 and again.changed() == 0 and module_emulator.writes() == []
    pending = again.result("Converge the database", PRIMARY)["database"]["pending_modifications"]
    assert pending == {"demo-local-db": {"DBInstanceClass": "db.r6g.2xlarge", "AllocatedStorage": 600}}

    # database_apply_immediately applies them now.
    now = run_playbook(
        module_emulator,
        "playbooks/database.yml",
        limit=PRIMARY,
        extra_vars={**bigger, "database_apply_immediately": True, "database_backup_retention_days": 21},
    )
    assert now.rc == 0, now.messages()
    found = instances(module_emulator)["demo-local-db"]
    assert found["DBInstanceClass"] == "db.r6g.2xlarge" and found["AllocatedStorage"] == 600
    assert not found.get("PendingModifiedValues")


def test_what_rds_cannot_do_is_refused_after_the_reads_naming_the_role_variables(module_emulator, links):
    """A storage shrink is only visible once the instance is read: refused then, before any write, naming the
    variable the user set (database_allocated_storage, not the module's allocated_storage)."""
    have = instances(module_emulator)["demo-local-db"]
    module_emulator.clear_calls()
    run = run_playbook(
        module_emulator,
        "playbooks/database.yml",
        limit=PRIMARY,
        extra_vars={**links, "database_allocated_storage": 450},
    )
    assert run.rc != 0
    message = run.messages(PRIMARY)
    assert f"database_allocated_storage: demo-local-db has {have['AllocatedStorage']} GiB" in message, message
    assert module_emulator.writes() == []


def test_a_changed_port_is_planned_applied_and_handed_to_the_services(module_emulator, links):
    """database_port on an existing instance: ModifyDBInstance DBPortNumber (RDS applies it at once, with a
    reboot). The database security group is the security tier's (security_database_port), not converged here."""
    have = instances(module_emulator)["demo-local-db"]
    # Keep the class and storage the instance has (an earlier test grew them): only the port moves.
    moved = {
        **links,
        "database_port": 5433,
        "database_instance_class": have["DBInstanceClass"],
        "database_allocated_storage": have["AllocatedStorage"],
    }
    module_emulator.clear_calls()
    plan = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=moved, check=True)
    assert plan.rc == 0, plan.messages()
    assert (
        "modify instance demo-local-db: port (the instance restarts) 5432 -> 5433"
        in plan.result("Converge the database", PRIMARY)["changes"]
    )
    assert module_emulator.writes() == []
    assert instances(module_emulator)["demo-local-db"]["Endpoint"]["Port"] == 5432

    run = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=moved)
    assert run.rc == 0, run.messages()
    assert instances(module_emulator)["demo-local-db"]["Endpoint"]["Port"] == 5433
    secrets = module_emulator.boto3_client("secretsmanager")
    connection = json.loads(secrets.get_secret_value(SecretId="local/demo/database-connection")["SecretString"])
    assert connection["port"] == 5433

    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=moved)
    assert again.rc == 0 and again.changed() == 0, again.changed_tasks()
    assert module_emulator.writes() == []


def test_state_absent_deletes_replicas_then_the_primary_with_a_final_snapshot(module_emulator, converged):
    run = run_playbook(
        module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars={"database_state": "absent"}
    )
    assert run.rc == 0, run.messages()
    changes = run.result("Converge the database", PRIMARY)["changes"]
    assert changes[:2] == ["delete demo-local-db-replica1", "delete demo-local-db-replica2"]
    assert changes[2].startswith("delete demo-local-db (final snapshot demo-local-db-final-")
    assert {i for i, v in instances(module_emulator).items() if v["DBInstanceStatus"] != "deleting"} == set()
    snapshots = module_emulator.boto3_client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"] for s in snapshots] == [changes[2].split("final snapshot ")[1].rstrip(")")]


def test_aurora_serverless_v2_converges_and_reconverges(module_emulator, links):
    """Seed 004's database, next to the RDS instance (another database_name) in the converged network."""
    aurora = {
        **links,
        "database_name": "demo-local-chat",
        "database_engine": "aurora-postgresql",
        "database_engine_version": "16",
        "database_serverless_v2": True,
        "database_serverless_v2_min_capacity": 0.5,
        "database_serverless_v2_max_capacity": 16,
        "database_read_replicas": [],
        "database_backup_retention_days": 7,
        "database_parameters": {"shared_preload_libraries": "pg_stat_statements", "work_mem": "32MB"},
    }
    run = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=aurora)
    assert run.rc == 0, run.messages()
    rds = module_emulator.boto3_client("rds")
    cluster = rds.describe_db_clusters(DBClusterIdentifier="demo-local-chat-db")["DBClusters"][0]
    assert cluster["Engine"] == "aurora-postgresql" and cluster["StorageEncrypted"] is True
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 16.0}
    assert cluster["KmsKeyId"] == data_key(module_emulator, "us-east-1")
    assert cluster["MasterUserSecret"]["KmsKeyId"] == data_key(module_emulator, "us-east-1", "secrets")
    assert cluster["DBClusterParameterGroup"] == "demo-local-chat-aurora-postgresql16"
    assert cluster["BackupRetentionPeriod"] == 7 and cluster["EnabledCloudwatchLogsExports"] == ["postgresql"]
    members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster["DBClusterMembers"]}
    assert members == {"demo-local-chat-db-1": True, "demo-local-chat-db-2": False}
    found = instances(module_emulator)
    assert {found[i]["DBInstanceClass"] for i in members} == {"db.serverless"}
    assert {found[i]["AvailabilityZone"] for i in members} == {"us-east-1a", "us-east-1b"}  # Multi-AZ
    assert all(found[i]["PerformanceInsightsEnabled"] for i in members)
    fact = run.result("Converge the database", PRIMARY)["database"]
    assert fact["endpoint"] == cluster["Endpoint"] and fact["reader_endpoint"] == cluster["ReaderEndpoint"]
    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/database.yml", limit=PRIMARY, extra_vars=aurora)
    assert again.rc == 0 and again.changed() == 0, again.messages()
    assert module_emulator.writes() == []
    wider = run_playbook(
        module_emulator,
        "playbooks/database.yml",
        limit=PRIMARY,
        extra_vars={**aurora, "database_serverless_v2_max_capacity": 32},
    )
    assert "modify Aurora cluster demo-local-chat-db: Serverless v2 capacity" in str(
        wider.result("Converge the database")
    )
    cluster = rds.describe_db_clusters(DBClusterIdentifier="demo-local-chat-db")["DBClusters"][0]
    assert cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 32.0


# -- check mode, alone, bad input (each on an emptied emulator) --------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook("playbooks/database.yml", limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    result = run.result("Converge the database", PRIMARY)
    assert "create parameter group demo-local-postgres15 (postgres15)" in result["changes"]
    assert any(c.startswith("create RDS instance demo-local-db (db.r6g.xlarge") for c in result["changes"])
    assert (
        "create read replica demo-local-db-replica2 of demo-local-db (db.r6g.large in us-east-1b)" in result["changes"]
    )
    assert result["database"]["arn"] is None
    assert result["diff"]["after"]["parameters"]["shared_buffers"] == "1048576"


BAD_INPUT = {
    "backup retention above 35 days": (
        {"database_backup_retention_days": 40},
        "database_backup_retention_days: 40 days is outside what RDS accepts (1 to 35)",
    ),
    "single AZ on a protected environment": (
        {"platform_protected_environments": ["local"], "database_multi_az": False},
        "database_multi_az: a protected environment runs its database in more than one AZ",
    ),
    "Serverless v2 ACU range AWS refuses": (
        {
            "database_engine": "aurora-postgresql",
            "database_serverless_v2": True,
            "database_serverless_v2_min_capacity": 0.3,
            "database_serverless_v2_max_capacity": 300,
            "database_read_replicas": [],
        },
        "database_serverless_v2_min_capacity: 0.3 ACU is not a multiple of 0.5",
    ),
    "parameter the family does not know": (
        {"database_parameters": {"shared_bufers": "8GB"}},
        "database_parameters.shared_bufers: postgres15 parameter 'shared_bufers' is not one this tier knows",
    ),
    "DR instance class that does not exist": (
        {"database_dr_instance_class": "db.r6g.64xlarge"},
        "database_dr_instance_class: 'db.r6g.64xlarge' does not exist",
    ),
    "bad instance class": (
        {"database_instance_class": "r6g.xlarge"},
        "database_instance_class: 'r6g.xlarge' is not an RDS instance class",
    ),
    "iops with gp2": (
        {"database_storage_type": "gp2", "database_storage_throughput": 0},
        "database_iops: gp2 storage takes no IOPS setting",
    ),
    "storage below 20 GiB": (
        {"database_allocated_storage": 10, "database_iops": 0, "database_storage_throughput": 0},
        "database_allocated_storage: 10 GiB is outside what RDS for PostgreSQL accepts (20 to 65536 GiB)",
    ),
    "max allocated storage below allocated": (
        {"database_max_allocated_storage": 400},
        "database_max_allocated_storage: 400 GiB is below database_allocated_storage 500 GiB",
    ),
    "Performance Insights retention": (
        {"database_performance_insights_retention_days": 30},
        "database_performance_insights_retention_days: 30 is not a retention Performance Insights accepts",
    ),
    "malformed maintenance window": (
        {"database_maintenance_window": "sunday:05:00-06:00"},
        "database_maintenance_window: 'sunday:05:00-06:00' is not a maintenance window",
    ),
    "overlapping backup and maintenance windows": (
        {"database_backup_window": "05:30-06:30"},
        "database_backup_window: '05:30-06:30' overlaps database_maintenance_window 'sun:05:00-sun:06:00'",
    ),
    "read replica AZ not in the region": (
        {"database_read_replicas": [{"name": "replica1", "availability_zone": "us-west-2a"}]},
        "database_read_replicas[0].availability_zone: 'us-west-2a' is not an availability zone of us-east-1",
    ),
    "preload library RDS does not offer": (
        {"database_parameters": {"shared_preload_libraries": "pg_stat_statements,timescaledb"}},
        "'timescaledb' is not a library RDS for PostgreSQL preloads (TimescaleDB is not offered on RDS)",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own (local-use1's variables, the case's on top): one run checks them all."""
    cases = {case: extra_vars for case, (extra_vars, _message) in BAD_INPUT.items()}
    return run_bad_inputs("playbooks/database.yml", cases, tmp_path_factory.mktemp("bad-input"))


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, _calls = bad_input_run
    assert run.failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in run.messages(case_host(case))


# -- every inventory -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_inventory_converges_and_reconverges_without_writes(emulator, playbook):
    expected = {
        "dev": ("db.t4g.medium", False, 0),
        "staging": ("db.r6g.large", True, 1),
        "prod": ("db.r6g.xlarge", True, 2),
    }
    for inventory, (instance_class, multi_az, replicas) in expected.items():
        run = playbook(STACK, inventory=f"inventories/{inventory}")
        assert run.rc == 0, run.messages()
        found = instances(emulator)[f"moneytrack-{inventory}-db"]
        assert found["DBInstanceClass"] == instance_class and found["MultiAZ"] is multi_az
        assert found["DeletionProtection"] is (inventory == "prod")
        assert len(found["ReadReplicaDBInstanceIdentifiers"]) == replicas + (inventory == "prod")
        emulator.clear_calls()
        again = playbook("playbooks/database.yml", inventory=f"inventories/{inventory}")
        assert again.rc == 0, again.messages()
        assert again.changed() == 0
        assert emulator.writes() == []
    assert "moneytrack-prod-db-dr" in instances(emulator, "us-west-2")
