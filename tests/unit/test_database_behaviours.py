"""The emulator's RDS behaviours: pending modifications, Performance Insights, cross-region read replicas."""

from __future__ import annotations


def _instance(rds, identifier="db1", **extra):
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.r6g.large",
        Engine="postgres",
        AllocatedStorage=100,
        StorageType="gp3",
        MasterUsername="postgres",
        **extra,
    )


def _describe(rds, identifier="db1"):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def test_changes_without_apply_immediately_stay_pending(emulator):
    rds = emulator.boto3_client("rds")
    _instance(rds)
    answer = rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.r6g.xlarge", AllocatedStorage=200)
    assert answer["DBInstance"]["PendingModifiedValues"] == {
        "DBInstanceClass": "db.r6g.xlarge",
        "AllocatedStorage": 200,
    }
    found = _describe(rds)
    assert found["DBInstanceClass"] == "db.r6g.large" and found["AllocatedStorage"] == 100
    # Settings RDS applies at once still do.
    rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=14, ApplyImmediately=False)
    found = _describe(rds)
    assert found["BackupRetentionPeriod"] == 14 and found["PendingModifiedValues"]["DBInstanceClass"] == "db.r6g.xlarge"
    # Applying immediately applies what was pending too.
    rds.modify_db_instance(DBInstanceIdentifier="db1", MultiAZ=True, ApplyImmediately=True)
    found = _describe(rds)
    assert (found["DBInstanceClass"], found["AllocatedStorage"], found["MultiAZ"]) == ("db.r6g.xlarge", 200, True)
    assert not found.get("PendingModifiedValues")
    assert "rds-pending-modifications" in [b["name"] for b in emulator.behaviours()]


def test_asking_for_the_current_value_cancels_a_pending_change(emulator):
    rds = emulator.boto3_client("rds")
    _instance(rds)
    rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.r6g.xlarge")
    rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.r6g.large")
    assert not _describe(rds).get("PendingModifiedValues")


def test_performance_insights_settings_are_kept(emulator):
    rds = emulator.boto3_client("rds")
    key = emulator.boto3_client("kms").create_key()["KeyMetadata"]["Arn"]
    _instance(
        rds, EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=731, PerformanceInsightsKMSKeyId=key
    )
    found = _describe(rds)
    assert (found["PerformanceInsightsEnabled"], found["PerformanceInsightsRetentionPeriod"]) == (True, 731)
    assert found["PerformanceInsightsKMSKeyId"] == key
    rds.modify_db_instance(DBInstanceIdentifier="db1", EnablePerformanceInsights=False)
    assert _describe(rds)["PerformanceInsightsEnabled"] is False


def test_cross_region_read_replica_lives_in_the_callers_region(emulator):
    east, west = emulator.boto3_client("rds"), emulator.boto3_client("rds", "us-west-2")
    ec2 = emulator.boto3_client("ec2", "us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24", AvailabilityZone=f"us-west-2{z}")["Subnet"][
            "SubnetId"
        ]
        for n, z in ((1, "a"), (2, "b"))
    ]
    west.create_db_subnet_group(DBSubnetGroupName="dr", DBSubnetGroupDescription="dr", SubnetIds=subnets)
    key = emulator.boto3_client("kms", "us-west-2").create_key()["KeyMetadata"]["Arn"]
    _instance(east, StorageEncrypted=True)
    source = _describe(east)["DBInstanceArn"]
    made = west.create_db_instance_read_replica(
        DBInstanceIdentifier="db1-dr",
        SourceDBInstanceIdentifier=source,
        SourceRegion="us-east-1",
        DBInstanceClass="db.r6g.large",
        KmsKeyId=key,
        DBSubnetGroupName="dr",
    )["DBInstance"]
    assert made["DBInstanceArn"].startswith("arn:aws:rds:us-west-2:")
    replica = _describe(west, "db1-dr")
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source
    assert replica["KmsKeyId"] == key and replica["DBSubnetGroup"]["DBSubnetGroupName"] == "dr"
    assert _describe(east)["ReadReplicaDBInstanceIdentifiers"] == [replica["DBInstanceArn"]]
    west.delete_db_instance(DBInstanceIdentifier="db1-dr", SkipFinalSnapshot=True)
    assert _describe(east)["ReadReplicaDBInstanceIdentifiers"] == []


def test_a_backup_window_may_end_when_the_maintenance_window_starts(emulator):
    rds = emulator.boto3_client("rds")
    # Seed 000's windows: backup 03:00-04:00, maintenance Monday 04:00-05:00.
    _instance(rds, PreferredBackupWindow="03:00-04:00", PreferredMaintenanceWindow="mon:04:00-mon:05:00")
    assert _describe(rds)["PreferredMaintenanceWindow"] == "mon:04:00-mon:05:00"
    try:
        rds.modify_db_instance(DBInstanceIdentifier="db1", PreferredBackupWindow="04:30-05:30")
    except rds.exceptions.ClientError as error:
        assert "must not overlap" in str(error)
    else:
        raise AssertionError("overlapping windows were accepted")


def test_describing_a_missing_parameter_group_answers_not_found(emulator):
    import pytest
    from botocore.exceptions import ClientError

    rds = emulator.boto3_client("rds")
    with pytest.raises(ClientError) as raised:
        rds.describe_db_parameter_groups(DBParameterGroupName="nope")
    assert raised.value.response["Error"]["Code"] == "DBParameterGroupNotFound"
    rds.create_db_parameter_group(DBParameterGroupName="pg", DBParameterGroupFamily="postgres16", Description="d")
    [found] = rds.describe_db_parameter_groups(DBParameterGroupName="pg")["DBParameterGroups"]
    assert found["DBParameterGroupFamily"] == "postgres16"
    assert any(g["DBParameterGroupName"] == "pg" for g in rds.describe_db_parameter_groups()["DBParameterGroups"])
