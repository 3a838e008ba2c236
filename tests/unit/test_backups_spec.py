"""The backups tier's pure logic: AWS Backup's cron, lifecycle and vault lock rules, the plan and selection
documents, and how a selection assigns resources."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.filter.monitoring import backups_spec_errors
from ansible_collections.stackops.platform.plugins.module_utils._backups import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._backups import state as st


def spec(**extra):
    base = {
        "name": "demo-local",
        "plans": [
            {"name": "standard", "rules": [{"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 35}]}
        ],
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 3 * * ? *)", None),
        ("cron(0 4 ? * SUN *)", None),
        ("cron(0 5 1 * ? *)", None),
        ("cron(0 0/4 * * ? *)", None),
        ("cron(15 10 ? * MON-FRI *)", None),
        ("cron(0 5 ? * 2#1 *)", None),
        ("cron(0 5 L * ? *)", None),
        ("cron(0 3 * * *)", "5 fields"),
        ("cron(0 24 * * ? *)", "hours"),
        ("cron(0 3 * * * *)", "'?'"),
        ("cron(0 3 ? * ? *)", "'?'"),
        ("cron(0 3 * 13 ? *)", "month"),
        ("rate(1 day)", "must be a cron expression"),
        ("0 3 * * ? *", "must be a cron expression"),
    ],
)
def test_cron_expressions_aws_backup_accepts(expression, problem):
    found = sp.cron_problem(expression)
    assert (found is None) if problem is None else (problem in found)


def test_a_valid_spec_has_no_error():
    assert sp.validate(spec(copy_region="us-west-2"), "us-east-1") == []


def test_errors_name_the_role_variables():
    rules = [
        {"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 100, "cold_storage_after_days": 30}
    ]
    errors = backups_spec_errors(
        spec(plans=[{"name": "standard", "rules": rules}], copy_region="us-east-1"), "us-east-1"
    )
    assert errors == [
        "backups_copy_region: us-east-1 is the vault's own region; a copy for disaster recovery must go to another region",
        "backups_plans[0].rules[0].delete_after_days: 100 is shorter than cold_storage_after_days + 90 (120); "
        "AWS keeps backups in cold storage for at least 90 days",
    ]


def test_vault_lock_rules():
    errors = sp.validate(
        spec(vault_lock={"mode": "compliance", "min_retention_days": 40, "max_retention_days": 30}), "us-east-1"
    )
    assert "vault_lock.min_retention_days: 40 is more than max_retention_days (30)" in errors
    assert any(e.startswith("vault_lock.changeable_for_days: compliance mode needs") for e in errors)
    assert any("longer than the vault lock's max_retention_days (30)" in e for e in errors)
    errors = sp.validate(spec(vault_lock={"mode": "governance", "changeable_for_days": 3}), "us-east-1")
    assert errors == ["vault_lock.changeable_for_days: only compliance mode has a grace time"]


def test_continuous_backup_rules():
    rules = [
        {
            "name": "pitr",
            "schedule": "cron(0 3 * * ? *)",
            "delete_after_days": 36,
            "continuous": True,
            "cold_storage_after_days": 1,
        }
    ]
    errors = sp.validate(spec(plans=[{"name": "standard", "rules": rules}]), "us-east-1")
    assert "plans[0].rules[0].delete_after_days: continuous backups are kept 1 to 35 days, got 36" in errors
    assert "plans[0].rules[0].cold_storage_after_days: continuous backups cannot move to cold storage" in errors


def test_plan_document_and_its_comparison():
    plan = {
        "name": "standard",
        "rules": [
            {"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 30, "continuous": True},
            {
                "name": "monthly",
                "schedule": "cron(0 5 1 * ? *)",
                "delete_after_days": 365,
                "cold_storage_after_days": 30,
                "copy": False,
            },
        ],
    }
    copy_vault = "arn:aws:backup:us-west-2:1:backup-vault:demo-local"
    document = sp.plan_document("demo-local", plan, "demo-local", copy_vault)
    daily, monthly = document["Rules"]
    assert document["BackupPlanName"] == "demo-local-standard"
    assert daily["CopyActions"] == [{"DestinationBackupVaultArn": copy_vault, "Lifecycle": {"DeleteAfterDays": 30}}]
    assert "CopyActions" not in monthly and monthly["Lifecycle"] == {
        "MoveToColdStorageAfterDays": 30,
        "DeleteAfterDays": 365,
    }
    # GetBackupPlan adds RuleIds, the timezone and Lifecycle flags: still the same plan
    read_back = {"Rules": [dict(r, RuleId="x", ScheduleExpressionTimezone="Etc/UTC") for r in document["Rules"]]}
    read_back["Rules"][0]["Lifecycle"] = {"DeleteAfterDays": 30, "OptInToArchiveForSupportedResources": False}
    assert sp.comparable_plan(read_back) == sp.comparable_plan(document)
    read_back["Rules"][0]["ScheduleExpression"] = "cron(0 4 * * ? *)"
    assert sp.comparable_plan(read_back) != sp.comparable_plan(document)


def test_selections_assign_resources_by_the_platforms_tags():
    identity = {"stackops:platform": "demo", "stackops:environment": "local", "stackops:component": ""}
    selection = sp.selection_document({"name": "standard"}, "arn:aws:iam::1:role/r", identity)
    assert selection["Resources"] == ["*"]
    ours = {"stackops:platform": "demo", "stackops:environment": "local", "stackops:component": "database"}
    assert st.matches_selection(selection, "arn:aws:rds:us-east-1:1:db:a", ours)
    assert not st.matches_selection(
        selection, "arn:aws:rds:us-east-1:1:db:b", dict(ours, **{"stackops:environment": "prod"})
    )
    assert not st.matches_selection(
        dict(selection, NotResources=["arn:aws:rds:*:*:db:a"]), "arn:aws:rds:us-east-1:1:db:a", ours
    )
