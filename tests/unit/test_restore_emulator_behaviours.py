"""The emulator's Aurora restore behaviour (rds-cluster-restore): what AWS does and refuses that moto does not."""

from __future__ import annotations

import datetime
import time

import botocore.exceptions
import pytest


def _source(emulator, region="us-east-1", **extra):
    rds = emulator.boto3_client("rds", region)
    key = emulator.boto3_client("kms", region).create_key()["KeyMetadata"]["Arn"]
    rds.create_db_cluster(
        DBClusterIdentifier="src",
        Engine="aurora-postgresql",
        MasterUsername="postgres",
        ManageMasterUserPassword=True,
        StorageEncrypted=True,
        KmsKeyId=key,
        BackupRetentionPeriod=7,
        **extra,
    )
    rds.create_db_cluster_snapshot(DBClusterIdentifier="src", DBClusterSnapshotIdentifier="snap")
    return rds


def _code(error):
    return error.value.response["Error"]["Code"]


def test_a_restored_cluster_is_creating_takes_no_instance_until_available(emulator):
    emulator.configure("rds-cluster-restore", restore_seconds=1.0)
    rds = _source(emulator)
    # moto fails this with a 500 for a source with an RDS-managed master password.
    found = rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier="r1", SnapshotIdentifier="snap", Engine="aurora-postgresql"
    )["DBCluster"]
    assert found["Status"] == "creating" and found["DBClusterMembers"] == []
    with pytest.raises(botocore.exceptions.ClientError) as error:
        rds.create_db_instance(
            DBInstanceIdentifier="r1-1",
            DBClusterIdentifier="r1",
            Engine="aurora-postgresql",
            DBInstanceClass="db.serverless",
        )
    assert _code(error) == "InvalidDBClusterStateFault"
    assert rds.describe_db_clusters(DBClusterIdentifier="r1")["DBClusters"][0]["Status"] == "creating"
    time.sleep(1.1)
    assert rds.describe_db_clusters(DBClusterIdentifier="r1")["DBClusters"][0]["Status"] == "available"
    rds.create_db_instance(
        DBInstanceIdentifier="r1-1",
        DBClusterIdentifier="r1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )


def test_a_point_in_time_restore_of_a_global_member_is_standalone(emulator):
    emulator.configure("rds-cluster-restore", restore_seconds=0.0)
    rds = emulator.boto3_client("rds")
    rds.create_global_cluster(GlobalClusterIdentifier="g", Engine="aurora-postgresql")
    _source(emulator, GlobalClusterIdentifier="g")
    rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier="r2", SourceDBClusterIdentifier="src", UseLatestRestorableTime=True
    )
    members = rds.describe_global_clusters(GlobalClusterIdentifier="g")["GlobalClusters"][0]["GlobalClusterMembers"]
    assert [m["DBClusterArn"].split(":")[-1] for m in members] == ["src"]
    assert not rds.describe_db_clusters(DBClusterIdentifier="r2")["DBClusters"][0].get("GlobalClusterIdentifier")


def test_a_restore_time_outside_the_window_is_refused(emulator):
    rds = _source(emulator)
    for moment in (
        datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as error:
            rds.restore_db_cluster_to_point_in_time(
                DBClusterIdentifier="r3", SourceDBClusterIdentifier="src", RestoreToTime=moment
            )
        assert _code(error) == "InvalidRestoreFault"


def test_a_cross_region_copy_of_an_encrypted_cluster_snapshot_needs_a_key_there(emulator):
    _source(emulator)
    west = emulator.boto3_client("rds", "us-west-2")
    arn = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:snap"
    with pytest.raises(botocore.exceptions.ClientError) as error:
        west.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=arn, TargetDBClusterSnapshotIdentifier="c1", SourceRegion="us-east-1"
        )
    assert _code(error) == "InvalidParameterValue"
    key = emulator.boto3_client("kms", "us-west-2").create_key()["KeyMetadata"]["Arn"]
    copy = west.copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=arn,
        TargetDBClusterSnapshotIdentifier="c1",
        SourceRegion="us-east-1",
        KmsKeyId=key,
    )["DBClusterSnapshot"]
    assert copy["KmsKeyId"] == key


def test_a_deleted_cluster_takes_its_automated_snapshots_along(emulator):
    emulator.configure("rds-cluster-restore", restore_seconds=0.0)
    rds = _source(emulator)
    rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier="r4", SnapshotIdentifier="snap", Engine="aurora-postgresql"
    )

    def automated():
        return [
            s["DBClusterSnapshotIdentifier"]
            for s in rds.describe_db_cluster_snapshots(DBClusterIdentifier="r4", SnapshotType="automated")[
                "DBClusterSnapshots"
            ]
        ]

    assert automated()
    rds.delete_db_cluster(DBClusterIdentifier="r4", SkipFinalSnapshot=True)
    assert automated() == []
    assert rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="snap")["DBClusterSnapshots"]
