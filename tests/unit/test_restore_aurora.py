"""The Aurora cluster restore (rds_restore on a cluster source) against botocore's Stubber: which calls it makes,
in which order, with which settings, and what it refuses before any write."""

from __future__ import annotations

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.filter.restore_runbooks import restore_runbook_input_errors
from ansible_collections.stackops.platform.plugins.module_utils._restore import restore
from ansible_collections.stackops.platform.plugins.module_utils.platform import PreconditionFailed

NOW = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017
KMS = "arn:aws:kms:us-east-1:123456789012:key/source"
DR_KMS = "arn:aws:kms:us-west-2:123456789012:key/dr"


def params(**extra):
    found = {"platform": "chat", "environment": "prod", "source": "chat-prod-db", "target": "chat-prod-db-r1",
             "snapshot": None, "restore_time": None, "source_region": None, "state": "present", "kms_key_id": None,
             "subnet_group": None, "security_group_ids": None, "parameter_group": None, "instance_class": None,
             "multi_az": None, "deletion_protection": None, "repoint_secret": None, "tags": {}, "wait": True,
             "wait_timeout": 5}  # fmt: skip
    found.update(extra)
    return found


def client(region):
    rds = boto3.client("rds", region_name=region, aws_access_key_id="x", aws_secret_access_key="y")
    return RetryingBotoClientWrapper(rds, AWSRetry.jittered_backoff(retries=1))


def procedure(check_mode=False, **extra):
    p = params(**extra)
    rds = client("us-west-2" if p["source_region"] else "us-east-1")
    clients = {"rds": rds}
    stubs = [Stubber(rds.client)]
    if p["source_region"]:
        source = client(p["source_region"])
        clients["rds_source"] = source
        stubs.append(Stubber(source.client))
    return restore.RestoreProcedure(p, "us-west-2" if p["source_region"] else "us-east-1", clients, check_mode), stubs


def missing(stub, operation, code):
    stub.add_client_error(operation, service_error_code=code, http_status_code=404)


def source_cluster(**extra):
    found = {
        "DBClusterIdentifier": "chat-prod-db",
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.4",
        "Status": "available",
        "DBSubnetGroup": "chat-prod-db",
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-2"}, {"VpcSecurityGroupId": "sg-1"}],
        "DBClusterParameterGroup": "chat-prod-db-cluster",
        "KmsKeyId": KMS,
        "Port": 5432,
        "BackupRetentionPeriod": 7,
        "LatestRestorableTime": NOW - datetime.timedelta(minutes=3),
        "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 16.0},
        "DBClusterMembers": [{"DBInstanceIdentifier": "chat-prod-db-1", "IsClusterWriter": True}],
    }
    found.update(extra)
    return found


def restored(identifier="chat-prod-db-r1", members=(), status="available", **extra):
    found = {
        "DBClusterIdentifier": identifier,
        "Engine": "aurora-postgresql",
        "Status": status,
        "Endpoint": f"{identifier}.cluster-x.us-east-1.rds.amazonaws.com",
        "ReaderEndpoint": f"{identifier}.cluster-ro-x.us-east-1.rds.amazonaws.com",
        "Port": 5432,
        "DBSubnetGroup": "chat-prod-db",
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-1"}, {"VpcSecurityGroupId": "sg-2"}],
        "DBClusterParameterGroup": "chat-prod-db-cluster",
        "KmsKeyId": KMS,
        "DBClusterMembers": [{"DBInstanceIdentifier": m, "IsClusterWriter": True} for m in members],
        "TagList": [{"Key": "stackops:restored-from", "Value": "chat-prod-db"}],
    }
    found.update(extra)
    return {"DBClusters": [found]}


def writer(identifier="chat-prod-db-r1-1", cluster="chat-prod-db-r1", status="available"):
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": identifier,
                "DBClusterIdentifier": cluster,
                "DBInstanceStatus": status,
                "DBInstanceClass": "db.serverless",
                "DBParameterGroups": [{"DBParameterGroupName": "chat-prod-db"}],
            }
        ]
    }


def test_a_point_in_time_restore_makes_the_cluster_then_its_writer_with_the_sources_settings():
    proc, (stub,) = procedure(restore_time="latest")
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})  # source: an Aurora cluster
    missing(stub, "describe_db_instances", "DBInstanceNotFound")  # the writer's name is free
    missing(stub, "describe_db_clusters", "DBClusterNotFoundFault")  # the target too
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    stub.add_response("describe_db_instances", writer("chat-prod-db-1", "chat-prod-db"))  # the source's writer
    stub.add_response(
        "restore_db_cluster_to_point_in_time",
        {"DBCluster": restored(status="creating")["DBClusters"][0]},
        {
            "SourceDBClusterIdentifier": "chat-prod-db",
            "DBClusterIdentifier": "chat-prod-db-r1",
            "RestoreType": "full-copy",
            "UseLatestRestorableTime": True,
            "DBSubnetGroupName": "chat-prod-db",
            "VpcSecurityGroupIds": ["sg-1", "sg-2"],
            "DBClusterParameterGroupName": "chat-prod-db-cluster",
            "Port": 5432,
            "DeletionProtection": False,
            "CopyTagsToSnapshot": True,
            "EnableIAMDatabaseAuthentication": False,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 16.0},
            "Tags": ANY,
        },
    )
    stub.add_response("describe_db_clusters", restored())  # waited: available
    stub.add_response(
        "create_db_instance",
        {"DBInstance": writer(status="creating")["DBInstances"][0]},
        {
            "DBInstanceIdentifier": "chat-prod-db-r1-1",
            "DBClusterIdentifier": "chat-prod-db-r1",
            "DBInstanceClass": "db.serverless",
            "Engine": "aurora-postgresql",
            "DBParameterGroupName": "chat-prod-db",
            "PubliclyAccessible": False,
            "Tags": ANY,
        },
    )
    stub.add_response("describe_db_instances", writer())
    stub.add_response("describe_db_clusters", restored(members=["chat-prod-db-r1-1"]))
    with stub:
        proc.run()
        stub.assert_no_pending_responses()
    result = proc.result()
    assert result["engine_kind"] == "cluster" and result["writer"] == "chat-prod-db-r1-1"
    assert [p["phase"] for p in proc.phases.items] == ["preflight", "restore", "wait", "writer", "verify"]
    assert 150 <= result["data_age_s"] <= 240


def test_an_instance_of_an_aurora_cluster_as_source_is_refused_before_any_write():
    proc, (stub,) = procedure(snapshot="latest", source="chat-prod-db-1")
    missing(stub, "describe_db_clusters", "DBClusterNotFoundFault")
    stub.add_response("describe_db_instances", writer("chat-prod-db-1", "chat-prod-db"))
    with stub, pytest.raises(PreconditionFailed, match="source: chat-prod-db-1 is an instance of the Aurora cluster"):
        proc.run()
    stub.assert_no_pending_responses()


def test_a_target_cluster_that_is_not_a_restore_of_the_source_is_refused():
    proc, (stub,) = procedure(snapshot="latest")
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    missing(stub, "describe_db_instances", "DBInstanceNotFound")
    stub.add_response("describe_db_clusters", restored(TagList=[]))
    with stub, pytest.raises(PreconditionFailed, match="target: cluster chat-prod-db-r1 exists and is not a restore"):
        proc.run()
    stub.assert_no_pending_responses()


def test_a_writer_name_taken_by_another_cluster_is_refused():
    proc, (stub,) = procedure(snapshot="latest")
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    stub.add_response("describe_db_instances", writer(cluster="someone-else"))
    with stub, pytest.raises(PreconditionFailed, match="instance chat-prod-db-r1-1 exists and is not in cluster"):
        proc.run()


def test_a_time_after_the_latest_restorable_time_is_refused_before_any_write():
    late = (NOW - datetime.timedelta(minutes=1)).isoformat()
    proc, (stub,) = procedure(restore_time=late)
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    missing(stub, "describe_db_instances", "DBInstanceNotFound")
    missing(stub, "describe_db_clusters", "DBClusterNotFoundFault")
    stub.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    with stub, pytest.raises(PreconditionFailed, match="is after chat-prod-db's latest restorable time"):
        proc.run()


def test_check_mode_plans_the_copy_the_restore_and_the_writer_and_calls_no_write():
    proc, (stub, source) = procedure(
        check_mode=True, snapshot="latest", source_region="us-east-1", subnet_group="dr", kms_key_id=DR_KMS,
        security_group_ids=["sg-9"],
    )  # fmt: skip
    source.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    missing(stub, "describe_db_instances", "DBInstanceNotFound")
    missing(stub, "describe_db_clusters", "DBClusterNotFoundFault")
    source.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    source.add_response(
        "describe_db_cluster_snapshots",
        {"DBClusterSnapshots": [
            {"DBClusterSnapshotIdentifier": "rds:chat-prod-db-old", "Status": "available",
             "SnapshotCreateTime": NOW - datetime.timedelta(hours=5),
             "DBClusterSnapshotArn": "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:chat-prod-db-old"},
            {"DBClusterSnapshotIdentifier": "nightly", "Status": "available",
             "SnapshotCreateTime": NOW - datetime.timedelta(minutes=10),
             "DBClusterSnapshotArn": "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly"},
        ]},
    )  # fmt: skip
    source.add_response("describe_db_instances", writer("chat-prod-db-1", "chat-prod-db"))
    missing(stub, "describe_db_cluster_snapshots", "DBClusterSnapshotNotFoundFault")  # no copy yet
    with stub, source:
        proc.run()
        stub.assert_no_pending_responses()
        source.assert_no_pending_responses()
    assert proc.changes.items == [
        "copy cluster snapshot nightly from us-east-1 to us-west-2 as chat-prod-db-r1-source",
        "restore chat-prod-db from snapshot nightly into chat-prod-db-r1 in us-west-2 (an Aurora cluster)",
        "create writer chat-prod-db-r1-1 (db.serverless) in chat-prod-db-r1",
    ]
    # In the DR region the source writer's parameter group is not there: the engine's default.
    assert "DBParameterGroupName" not in proc.impl.writer_settings
    assert proc.impl.settings["KmsKeyId"] == DR_KMS and "DBClusterParameterGroupName" not in proc.impl.settings


def test_absent_deletes_the_writer_the_cluster_and_the_copy():
    proc, (stub, source) = procedure(state="absent", source_region="us-east-1", wait=False)
    source.add_response("describe_db_clusters", {"DBClusters": [source_cluster()]})
    stub.add_response("describe_db_clusters", restored(members=["chat-prod-db-r1-1"]))
    stub.add_response(
        "describe_db_cluster_snapshots",
        {"DBClusterSnapshots": [
            {"DBClusterSnapshotIdentifier": "chat-prod-db-r1-source",
             "DBClusterSnapshotArn": "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:chat-prod-db-r1-source",
             "TagList": [{"Key": "stackops:restore-target", "Value": "chat-prod-db-r1"}]},
            {"DBClusterSnapshotIdentifier": "someone-elses",
             "DBClusterSnapshotArn": "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:someone-elses",
             "TagList": []},
        ]},
    )  # fmt: skip
    stub.add_response("describe_db_instances", writer())
    stub.add_response(
        "delete_db_instance", {}, {"DBInstanceIdentifier": "chat-prod-db-r1-1", "SkipFinalSnapshot": True}
    )
    stub.add_response(
        "delete_db_cluster",
        {},
        {"DBClusterIdentifier": "chat-prod-db-r1", "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True},
    )
    stub.add_response("delete_db_cluster_snapshot", {}, {"DBClusterSnapshotIdentifier": "chat-prod-db-r1-source"})
    with stub, source:
        proc.run()
        stub.assert_no_pending_responses()
    assert len(proc.changes.items) == 3


def test_a_cluster_snapshot_arn_is_a_restore_point():
    arn = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly-1"
    assert restore.validate(params(snapshot=arn), "us-east-1") == []
    assert restore_runbook_input_errors({"target": "x1", "snapshot": arn}, "db_restore") == []
    assert restore_runbook_input_errors({"target": "x1", "snapshot": arn + ":"}, "db_restore") != []
