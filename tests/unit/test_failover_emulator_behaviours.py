"""The emulator's failover behaviours: RDS reboot with failover, replica promotion, Aurora failover, ElastiCache
TestFailover (with AWS's limits) and Route 53 health check status."""

from __future__ import annotations

import time

import botocore.exceptions
import pytest


def _instance(rds, identifier="db1", **extra):
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.r6g.large",
        Engine="postgres",
        AllocatedStorage=100,
        MasterUsername="postgres",
        MasterUserPassword="not-a-secret-1",
        **extra,
    )


def _describe(rds, identifier="db1"):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def _until(check, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition never held")


def _code(error):
    return error.value.response["Error"]["Code"]


def test_describe_on_an_emptied_emulator_answers_an_empty_list(emulator):
    """The first RDS call after a reset (no RDS backend exists yet) is a read: it answers, not a 500."""
    rds = emulator.boto3_client("rds")
    assert rds.describe_db_instances()["DBInstances"] == []
    assert emulator.boto3_client("rds", region="us-west-2").describe_db_instances()["DBInstances"] == []


def test_reboot_with_failover_swaps_the_azs_after_rebooting_and_records_events(emulator):
    emulator.configure("rds-failover", failover_seconds=0.6)
    rds = emulator.boto3_client("rds")
    _instance(rds, MultiAZ=True, AvailabilityZone="us-east-1a")
    before = _describe(rds)
    assert before["AvailabilityZone"] == "us-east-1a" and before["SecondaryAvailabilityZone"] not in (
        None,
        "us-east-1a",
    )
    answer = rds.reboot_db_instance(DBInstanceIdentifier="db1", ForceFailover=True)["DBInstance"]
    assert answer["DBInstanceStatus"] == "rebooting"
    assert _describe(rds)["DBInstanceStatus"] == "rebooting"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.reboot_db_instance(DBInstanceIdentifier="db1", ForceFailover=True)
    assert _code(refused) == "InvalidDBInstanceState"
    after = _until(lambda: (d := _describe(rds))["DBInstanceStatus"] == "available" and d)
    assert after["AvailabilityZone"] == before["SecondaryAvailabilityZone"]
    assert after["SecondaryAvailabilityZone"] == "us-east-1a"
    assert after["Endpoint"] == before["Endpoint"]
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="db1")["Events"]]
    assert any("failover" in m and "has started" in m for m in messages)
    assert any("failover" in m and "is complete" in m for m in messages)


def test_force_failover_of_a_single_az_instance_is_refused(emulator):
    rds = emulator.boto3_client("rds")
    _instance(rds, MultiAZ=False)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.reboot_db_instance(DBInstanceIdentifier="db1", ForceFailover=True)
    assert _code(refused) == "InvalidParameterCombination"
    assert _describe(rds)["DBInstanceStatus"] == "available"


def test_promotion_is_modifying_then_standalone_and_the_source_forgets_the_replica(emulator):
    emulator.configure("rds-failover", promote_seconds=0.6)
    rds = emulator.boto3_client("rds")
    _instance(rds, BackupRetentionPeriod=7)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="db1-replica", SourceDBInstanceIdentifier="db1")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.promote_read_replica(DBInstanceIdentifier="db1")
    assert _code(refused) == "InvalidDBInstanceState"
    rds.promote_read_replica(DBInstanceIdentifier="db1-replica", BackupRetentionPeriod=7)
    during = _describe(rds, "db1-replica")
    assert during["DBInstanceStatus"] == "modifying" and during["ReadReplicaSourceDBInstanceIdentifier"]
    after = _until(lambda: (d := _describe(rds, "db1-replica"))["DBInstanceStatus"] == "available" and d)
    assert not after.get("ReadReplicaSourceDBInstanceIdentifier")
    assert not _describe(rds)["ReadReplicaDBInstanceIdentifiers"]
    messages = [
        e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="db1-replica")["Events"]
    ]
    assert any("promoted" in m for m in messages)


def test_aurora_failover_is_failing_over_then_the_chosen_reader_writes(emulator):
    emulator.configure("rds-failover", cluster_failover_seconds=0.6)
    rds = emulator.boto3_client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="c1",
        Engine="aurora-postgresql",
        MasterUsername="postgres",
        MasterUserPassword="not-a-secret-1",
    )
    for name in ("c1-1", "c1-2"):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBClusterIdentifier="c1",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    rds.failover_db_cluster(DBClusterIdentifier="c1", TargetDBInstanceIdentifier="c1-2")
    cluster = rds.describe_db_clusters(DBClusterIdentifier="c1")["DBClusters"][0]
    assert cluster["Status"] == "failing-over"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.failover_db_cluster(DBClusterIdentifier="c1")
    assert _code(refused) == "InvalidDBClusterStateFault"
    cluster = _until(
        lambda: (
            (c := rds.describe_db_clusters(DBClusterIdentifier="c1")["DBClusters"][0])["Status"] == "available" and c
        )
    )
    writer = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"]]
    assert writer == ["c1-2"]
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-cluster", SourceIdentifier="c1")["Events"]]
    assert "Completed failover to DB instance: c1-2" in messages


def _cache_group(emulator, automatic_failover=True, replicas=2):
    ec = emulator.boto3_client("elasticache")
    ec.create_replication_group(
        ReplicationGroupId="rg1",
        ReplicationGroupDescription="test",
        Engine="redis",
        CacheNodeType="cache.r6g.large",
        NumCacheClusters=replicas + 1,
        ReplicasPerNodeGroup=replicas,
        AutomaticFailoverEnabled=automatic_failover,
    )
    _until(
        lambda: (
            ec.describe_replication_groups(ReplicationGroupId="rg1")["ReplicationGroups"][0]["Status"] == "available"
        )
    )
    return ec


def _primary(ec):
    group = ec.describe_replication_groups(ReplicationGroupId="rg1")["ReplicationGroups"][0]
    return next(
        m["CacheClusterId"] for m in group["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "primary"
    )


def test_test_failover_moves_the_primary_to_a_replica_with_events(emulator):
    emulator.configure("elasticache-test-failover", failover_seconds=0.6)
    ec = _cache_group(emulator)
    old = _primary(ec)
    ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0001")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0001")
    assert _code(refused) == "TestFailoverNotAvailableFault"
    _until(lambda: any("Finished recovery" in e["Message"] for e in ec.describe_events(Duration=60)["Events"]))
    new = _primary(ec)
    assert new != old
    messages = [
        e["Message"] for e in ec.describe_events(SourceType="replication-group", SourceIdentifier="rg1")["Events"]
    ]
    assert "Test Failover API called for node group 0001" in messages
    assert f"Failover from primary node {old} to replica node {new} completed" in messages


def test_test_failover_limits(emulator):
    ec = _cache_group(emulator, automatic_failover=False, replicas=1)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0001")
    assert _code(refused) == "InvalidReplicationGroupState" and "automatic failover" in str(refused.value)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0009")
    assert _code(refused) == "NodeGroupNotFoundFault"
    ec.modify_replication_group(ReplicationGroupId="rg1", AutomaticFailoverEnabled=True, ApplyImmediately=True)
    _until(
        lambda: (
            ec.describe_replication_groups(ReplicationGroupId="rg1")["ReplicationGroups"][0]["Status"] == "available"
        )
    )
    emulator.configure("elasticache-test-failover", failover_seconds=0.1, daily_limit=1)
    ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0001")
    time.sleep(0.2)
    ec.describe_replication_groups(ReplicationGroupId="rg1")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ec.test_failover(ReplicationGroupId="rg1", NodeGroupId="0001")
    assert _code(refused) == "APICallRateForCustomerExceeded"


def test_health_check_status_follows_what_a_test_marks_failing(emulator):
    route53 = emulator.boto3_client("route53")
    check = route53.create_health_check(
        CallerReference="one",
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": "lb.example.com",
            "ResourcePath": "/health",
            "Port": 443,
        },
    )["HealthCheck"]

    def statuses():
        found = route53.get_health_check_status(HealthCheckId=check["Id"])["HealthCheckObservations"]
        return {o["StatusReport"]["Status"].split(":")[0] for o in found}

    assert statuses() == {"Success"}
    emulator.configure("route53-health-check-status", failing=["lb.example.com"])
    assert statuses() == {"Failure"}
