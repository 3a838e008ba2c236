"""The database reconciler against botocore's Stubber: pending modifications count as done, drift is modified."""

from __future__ import annotations

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.stackops.platform.plugins.module_utils._database.reconcile import DatabaseReconciler
from ansible_collections.stackops.platform.plugins.module_utils.platform import ReconcileError

ROLE = "arn:aws:iam::123456789012:role/moneytrack-prod-rds-monitoring-us-east-1"
POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
TAGS = [
    {"Key": "stackops:platform", "Value": "moneytrack"},
    {"Key": "stackops:environment", "Value": "prod"},
    {"Key": "stackops:component", "Value": "database"},
    {"Key": "stackops:database-role", "Value": "primary"},
    {"Key": "Name", "Value": "moneytrack-prod-db"},
]
PARAMS = {
    "name": "moneytrack-prod",
    "platform": "moneytrack",
    "environment": "prod",
    "tags": {},
    "purge_tags": True,
    "state": "present",
    "engine": "postgres",
    "engine_version": "15",
    "instance_class": "db.r6g.2xlarge",
    "serverless_v2": False,
    "allocated_storage": 500,
    "max_allocated_storage": None,
    "storage_type": "gp3",
    "iops": None,
    "storage_throughput": None,
    "multi_az": True,
    "read_replicas": [],
    "purge_replicas": False,
    "master_username": "postgres",
    "port": 5432,
    "parameters": {},
    "kms_key_id": None,
    "master_user_secret_kms_key_id": None,
    "performance_insights": True,
    "performance_insights_retention_days": 7,
    "monitoring_interval": 60,
    "monitoring_role_arn": None,
    "cloudwatch_logs_exports": ["postgresql"],
    "backup_retention_days": 30,
    "backup_window": "03:00-04:00",
    "maintenance_window": "sun:05:00-sun:06:00",
    "deletion_protection": True,
    "final_snapshot": True,
    "iam_authentication": False,
    "auto_minor_version_upgrade": True,
    "apply_immediately": False,
    "subnet_group_name": "moneytrack-prod",
    "security_group_ids": [],
    "primary_region": None,
    "dr_instance_class": None,
    "dr_multi_az": False,
    "wait": True,
    "wait_timeout": 60,
}


def instance(**change):
    found = {
        "DBInstanceIdentifier": "moneytrack-prod-db",
        "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:moneytrack-prod-db",
        "DBInstanceClass": "db.r6g.xlarge",
        "DBInstanceStatus": "available",
        "EngineVersion": "15.10",
        "AllocatedStorage": 500,
        "StorageType": "gp3",
        "MultiAZ": True,
        "AutoMinorVersionUpgrade": True,
        "PerformanceInsightsEnabled": True,
        "PerformanceInsightsRetentionPeriod": 7,
        "MonitoringInterval": 60,
        "MonitoringRoleArn": ROLE,
        "CopyTagsToSnapshot": True,
        "PubliclyAccessible": False,
        "DBParameterGroups": [
            {"DBParameterGroupName": "moneytrack-prod-postgres15", "ParameterApplyStatus": "in-sync"}
        ],
        "IAMDatabaseAuthenticationEnabled": False,
        "EnabledCloudwatchLogsExports": ["postgresql"],
        "DeletionProtection": True,
        "BackupRetentionPeriod": 30,
        "PreferredBackupWindow": "03:00-04:00",
        "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
        "MasterUserSecret": {"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1"},
        "DBSubnetGroup": {"DBSubnetGroupName": "moneytrack-prod"},
        "TagList": TAGS,
    }
    found.update(change)
    return found


def _clients(current, group="moneytrack-prod-postgres15", group_exists=True):
    rds = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    rds_stub, iam_stub = Stubber(rds), Stubber(iam)
    rds_stub.add_response("describe_db_instances", {"DBInstances": [current]}, {})
    if group_exists:
        rds_stub.add_response(
            "describe_db_parameter_groups",
            {"DBParameterGroups": [{"DBParameterGroupName": group, "DBParameterGroupFamily": group.rsplit("-", 1)[1]}]},
            {"DBParameterGroupName": group},
        )
        rds_stub.add_response(
            "describe_db_parameters", {"Parameters": []}, {"DBParameterGroupName": group, "Source": "user"}
        )
    else:
        rds_stub.add_client_error("describe_db_parameter_groups", "DBParameterGroupNotFound")
    created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": ROLE, "CreateDate": created}
    iam_stub.add_response("get_role", {"Role": role}, {"RoleName": "moneytrack-prod-rds-monitoring-us-east-1"})
    iam_stub.add_response(
        "list_attached_role_policies",
        {"AttachedPolicies": [{"PolicyName": "AmazonRDSEnhancedMonitoringRole", "PolicyArn": POLICY}]},
        {"RoleName": "moneytrack-prod-rds-monitoring-us-east-1"},
    )
    decorator = AWSRetry.jittered_backoff(retries=1)
    return (
        {"rds": RetryingBotoClientWrapper(rds, decorator), "iam": RetryingBotoClientWrapper(iam, decorator)},
        rds_stub,
        iam_stub,
    )


def test_pending_equal_to_desired_means_nothing_to_do():
    clients, rds_stub, iam_stub = _clients(instance(PendingModifiedValues={"DBInstanceClass": "db.r6g.2xlarge"}))
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler(dict(PARAMS), "us-east-1", clients, check_mode=False)
        reconciler.converge()
    rds_stub.assert_no_pending_responses()
    assert reconciler.changes.items == []
    assert reconciler.result()["pending_modifications"] == {"moneytrack-prod-db": {"DBInstanceClass": "db.r6g.2xlarge"}}
    assert reconciler.after()["instances"]["moneytrack-prod-db"]["pending"] == {"DBInstanceClass": "db.r6g.2xlarge"}


@pytest.mark.parametrize("immediately", [False, True])
def test_a_new_class_is_asked_for_with_apply_immediately_as_the_spec_says(immediately):
    clients, rds_stub, iam_stub = _clients(instance())
    expected = {
        "DBInstanceIdentifier": "moneytrack-prod-db",
        "ApplyImmediately": immediately,
        "DBInstanceClass": "db.r6g.2xlarge",
    }
    rds_stub.add_response("modify_db_instance", {"DBInstance": instance()}, expected)
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler(
            {**PARAMS, "apply_immediately": immediately}, "us-east-1", clients, check_mode=False
        )
        reconciler.converge()
    rds_stub.assert_no_pending_responses()
    when = "" if immediately else " (pending until the maintenance window sun:05:00-sun:06:00)"
    assert reconciler.changes.items == [
        f"modify instance moneytrack-prod-db: instance class db.r6g.xlarge -> db.r6g.2xlarge{when}"
    ]


def test_check_mode_plans_the_modification_without_calling_it():
    clients, rds_stub, iam_stub = _clients(instance(BackupRetentionPeriod=7, StorageType="gp2"))
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler(dict(PARAMS), "us-east-1", clients, check_mode=True)
        reconciler.converge()
    assert reconciler.changes.items == [
        "modify instance moneytrack-prod-db: instance class db.r6g.xlarge -> db.r6g.2xlarge"
        " (pending until the maintenance window sun:05:00-sun:06:00)",
        "modify instance moneytrack-prod-db: storage type gp2 -> gp3 (pending until the maintenance window sun:05:00-sun:06:00)",
        "modify instance moneytrack-prod-db: backup retention (days) 7 -> 30",
    ]


def test_a_storage_shrink_and_a_version_downgrade_are_refused_before_any_write():
    """RDS refuses both; so does the converge, after its reads and before its first write (the EKS, cache and
    search tiers refuse a downgrade the same way)."""
    clients, rds_stub, iam_stub = _clients(
        instance(AllocatedStorage=800, EngineVersion="16.4", DBInstanceClass="db.r6g.2xlarge")
    )
    params = {**PARAMS, "variable_prefix": "database_"}  # as the role passes it: messages name its variables
    reconciler = DatabaseReconciler(params, "us-east-1", clients, check_mode=False)
    with rds_stub, iam_stub, pytest.raises(ReconcileError) as refused:
        reconciler.converge()
    assert "database_allocated_storage: moneytrack-prod-db has 800 GiB; RDS cannot shrink storage to 500 GiB" in str(
        refused.value
    )
    assert "database_engine_version: moneytrack-prod-db runs 16.4; RDS cannot downgrade it to 15" in str(refused.value)
    assert reconciler.changes.items == []


def test_a_major_upgrade_brings_the_new_family_s_parameter_group_in_the_same_call():
    clients, rds_stub, iam_stub = _clients(
        instance(DBInstanceClass="db.r6g.2xlarge"), group="moneytrack-prod-postgres16", group_exists=False
    )
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler({**PARAMS, "engine_version": "16"}, "us-east-1", clients, check_mode=True)
        reconciler.converge()
    window = " (pending until the maintenance window sun:05:00-sun:06:00)"
    assert reconciler.changes.items == [
        "create parameter group moneytrack-prod-postgres16 (postgres16)",
        "modify instance moneytrack-prod-db: parameter group moneytrack-prod-postgres15 -> moneytrack-prod-postgres16",
        f"modify instance moneytrack-prod-db: engine version 15.10 -> 16{window}",
    ]


def test_while_the_upgrade_is_pending_the_old_family_s_group_stays():
    pending = instance(DBInstanceClass="db.r6g.2xlarge", PendingModifiedValues={"EngineVersion": "16.4"})
    clients, rds_stub, iam_stub = _clients(pending, group="moneytrack-prod-postgres16")
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler({**PARAMS, "engine_version": "16"}, "us-east-1", clients, check_mode=False)
        reconciler.converge()
    rds_stub.assert_no_pending_responses()
    assert reconciler.changes.items == []  # no ModifyDBInstance: RDS would refuse a postgres16 group on 15.10


def test_a_new_monitoring_role_is_waited_for(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    rds = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    rds_stub, iam_stub = Stubber(rds), Stubber(iam)
    group = "moneytrack-prod-postgres15"
    rds_stub.add_response("describe_db_instances", {"DBInstances": []}, {})
    rds_stub.add_response(
        "describe_db_parameter_groups",
        {"DBParameterGroups": [{"DBParameterGroupName": group, "DBParameterGroupFamily": "postgres15"}]},
        {"DBParameterGroupName": group},
    )
    rds_stub.add_response(
        "describe_db_parameters", {"Parameters": []}, {"DBParameterGroupName": group, "Source": "user"}
    )
    iam_stub.add_client_error("get_role", "NoSuchEntity", http_status_code=404)
    created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": ROLE, "CreateDate": created}
    iam_stub.add_response("create_role", {"Role": role})
    iam_stub.add_response("attach_role_policy", {})
    refused = "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING"
    rds_stub.add_client_error("create_db_instance", "InvalidParameterValue", refused)
    rds_stub.add_response("create_db_instance", {"DBInstance": instance()})
    rds_stub.add_response(
        "describe_db_instances", {"DBInstances": [instance()]}, {"DBInstanceIdentifier": "moneytrack-prod-db"}
    )
    decorator = AWSRetry.jittered_backoff(retries=1)
    clients = {"rds": RetryingBotoClientWrapper(rds, decorator), "iam": RetryingBotoClientWrapper(iam, decorator)}
    with rds_stub, iam_stub:
        reconciler = DatabaseReconciler(dict(PARAMS), "us-east-1", clients, check_mode=False)
        reconciler.converge()
    rds_stub.assert_no_pending_responses()
    assert reconciler.result()["arn"] == "arn:aws:rds:us-east-1:123456789012:db:moneytrack-prod-db"
