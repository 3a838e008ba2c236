"""The emulator's CloudWatch alarm and AWS Backup behaviours, through boto3 against a running emulator, and the
Kubernetes fake serving PrometheusRule objects."""

from __future__ import annotations

import datetime
import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.stackops.platform.plugins.filter.monitoring import monitoring_prometheus_rules
from ansible_collections.stackops.platform.plugins.module_utils._kube import apply as ap
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token
from ansible_collections.stackops.platform.plugins.module_utils.platform import Changes
from stackops_emulator.behaviours.backup_jobs import fire_times
from stackops_emulator.behaviours.backup_jobs import plan_problems
from stackops_emulator.kube import KubeFake

TAGS = [{"Key": "stackops:platform", "Value": "demo"}, {"Key": "stackops:environment", "Value": "local"}]


def _epoch(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC).timestamp()


def test_fire_times_follow_the_cron_expression_in_utc():
    start, end = _epoch(2026, 12, 4, 0, 0), _epoch(2026, 12, 8, 0, 0)  # Friday to Tuesday
    daily = [datetime.datetime.fromtimestamp(t, datetime.UTC).day for t in fire_times("cron(0 3 * * ? *)", start, end)]
    assert daily == [4, 5, 6, 7]
    sundays = fire_times("cron(0 4 ? * SUN *)", start, end)
    assert [datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%a %H:%M") for t in sundays] == ["Sun 04:00"]


def test_last_day_and_nth_weekday_forms():
    start, end = _epoch(2026, 11, 1, 0, 0), _epoch(2027, 1, 1, 0, 0)
    last = fire_times("cron(0 5 L * ? *)", start, end)
    assert [datetime.datetime.fromtimestamp(t, datetime.UTC).day for t in last] == [30, 31]
    first_monday = fire_times("cron(0 5 ? * MON#1 *)", start, end)
    assert [datetime.datetime.fromtimestamp(t, datetime.UTC).day for t in first_monday] == [2, 7]


def test_plans_aws_refuses():
    assert "ScheduleExpression" in plan_problems(
        {"Rules": [{"RuleName": "r", "ScheduleExpression": "cron(0 3 * * *)"}]}
    )
    cold = {"Rules": [{"RuleName": "r", "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 60}}]}
    assert "at least 90 days more" in plan_problems(cold)


def test_describe_alarms_pages_and_put_metric_alarm_refuses_bad_periods(emulator):
    cloudwatch = emulator.boto3_client("cloudwatch")
    for i in range(120):
        cloudwatch.put_metric_alarm(
            AlarmName=f"p-{i:03d}", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    first = cloudwatch.describe_alarms(AlarmNamePrefix="p-")
    assert len(first["MetricAlarms"]) == 50 and first["NextToken"]  # AWS's default page
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix="p-", PaginationConfig={"PageSize": 100}
    )
    assert sum(len(p["MetricAlarms"]) for p in pages) == 120
    with pytest.raises(ClientError, match="multiple of 60"):
        cloudwatch.put_metric_alarm(
            AlarmName="bad", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
            Period=45, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    with pytest.raises(ClientError, match="86400"):
        cloudwatch.put_metric_alarm(
            AlarmName="bad", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
            Period=60, EvaluationPeriods=1441, Threshold=1, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip


@pytest.fixture
def backup_plan(emulator):
    backup = emulator.boto3_client("backup")
    backup.create_backup_vault(BackupVaultName="v")
    emulator.boto3_client("backup", "us-west-2").create_backup_vault(BackupVaultName="v")
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "v",
                    "ScheduleExpression": "cron(0 3 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 2},
                    "CopyActions": [
                        {"DestinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:v"}
                    ],
                }
            ],
        }
    )
    rds = emulator.boto3_client("rds")
    arn = rds.create_db_instance(
        DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="u",
        MasterUserPassword="not-a-secret-1", AllocatedStorage=20, Tags=TAGS,
    )["DBInstance"]["DBInstanceArn"]  # fmt: skip
    rds.create_db_instance(
        DBInstanceIdentifier="other", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="u",
        MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
    )  # fmt: skip
    return backup, plan["BackupPlanId"], arn


def test_selections_are_idempotent_by_creator_request_id(emulator, backup_plan):
    backup, plan_id, _arn = backup_plan
    selection = {
        "SelectionName": "tags",
        "IamRoleArn": "arn:aws:iam::123456789012:role/r",
        "Resources": ["*"],
        "Conditions": {
            "StringEquals": [{"ConditionKey": "aws:ResourceTag/stackops:platform", "ConditionValue": "demo"}]
        },
    }
    first = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection, CreatorRequestId="t1")
    again = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection, CreatorRequestId="t1")
    assert first["SelectionId"] == again["SelectionId"]
    assert len(backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]) == 1
    read = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=first["SelectionId"])
    assert read["BackupSelection"]["Conditions"] == selection["Conditions"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.create_backup_selection(BackupPlanId="nope", BackupSelection=selection)


def test_time_passing_runs_the_schedule_copies_and_expires(emulator, backup_plan):
    backup, plan_id, arn = backup_plan
    backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": "tags",
            "IamRoleArn": "arn:aws:iam::123456789012:role/r",
            "ListOfTags": [
                {"ConditionType": "STRINGEQUALS", "ConditionKey": "stackops:platform", "ConditionValue": "demo"}
            ],
        },
    )
    emulator.configure("backup-jobs", advance_hours=24)
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName="v")["RecoveryPoints"]
    assert [p["ResourceArn"] for p in points] == [arn]  # only the tagged database
    [point] = points
    assert point["CreationDate"].hour == 3 and point["Status"] == "COMPLETED"
    assert point["CalculatedLifecycle"]["DeleteAt"] - point["CreationDate"] == datetime.timedelta(days=2)
    copies = emulator.boto3_client("backup", "us-west-2").list_recovery_points_by_backup_vault(BackupVaultName="v")
    assert [c["SourceBackupVaultArn"] for c in copies["RecoveryPoints"]] == [point["BackupVaultArn"]]
    [copy_job] = backup.list_copy_jobs()["CopyJobs"]
    assert copy_job["State"] == "COMPLETED"
    emulator.configure("backup-jobs", fail_next={arn: 1}, advance_hours=72)
    states = sorted(j["State"] for j in backup.list_backup_jobs(ByResourceArn=arn)["BackupJobs"])
    assert states == ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED"]
    # two-day retention: of the four runs, only the points of the last two days are kept
    assert len(backup.list_recovery_points_by_backup_vault(BackupVaultName="v")["RecoveryPoints"]) == 2
    recent = backup.list_backup_jobs(ByCreatedAfter=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1))
    assert len(recent["BackupJobs"]) == 1


def test_update_backup_plan_keeps_rule_ids_and_changes_the_version(emulator, backup_plan):
    backup, plan_id, _arn = backup_plan
    before = backup.get_backup_plan(BackupPlanId=plan_id)
    document = json.loads(json.dumps(before["BackupPlan"], default=str))
    document["Rules"][0]["Lifecycle"] = {"DeleteAfterDays": 30}
    for rule in document["Rules"]:
        rule.pop("RuleId")
    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan=document)
    after = backup.get_backup_plan(BackupPlanId=plan_id)
    assert after["VersionId"] != before["VersionId"]
    assert after["BackupPlan"]["Rules"][0]["RuleId"] == before["BackupPlan"]["Rules"][0]["RuleId"]
    assert after["BackupPlan"]["Rules"][0]["Lifecycle"] == {"DeleteAfterDays": 30}
    document["Rules"][0]["ScheduleExpression"] = "cron(0 3 * *)"
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan=document)


def test_the_kubernetes_fake_serves_prometheus_rules():
    import boto3

    fake = KubeFake(version_of=lambda region, cluster: "1.29")
    try:
        sts = boto3.client(
            "sts", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
            endpoint_url="https://sts.us-east-1.amazonaws.com",
        )  # fmt: skip
        connection = ap.Connection(fake.url("us-east-1", "demo"), fake.ca_data, eks_token(sts, "demo"))
        objects = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}},
            monitoring_prometheus_rules({}, "demo-local", "monitoring"),
        ]

        def apply():
            changes = Changes(False)
            applier = ap.Applier(connection, changes, "demo", wait=False)
            for obj in objects:
                applier.apply(json.loads(json.dumps(obj)))
            return changes.items

        assert apply() == ["create Namespace monitoring", "create PrometheusRule monitoring/demo-local-alerts"]
        assert apply() == []
        stored = connection.call(
            "GET", "/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheusrules/demo-local-alerts"
        )
        assert [r["alert"] for r in stored["spec"]["groups"][0]["rules"]][:3] == [
            "HighErrorRate",
            "HighLatency",
            "ServiceDown",
        ]
        connection.close()
    finally:
        fake.server.shutdown()
