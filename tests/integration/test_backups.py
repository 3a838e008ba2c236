"""The backups tier converged on the emulator, read back with boto3, and the verify_backups runbook.

Network and security converge in both regions of ``inventories/local`` (the copy vault uses the DR region's
backups key); the database tier is not converged: the tests create the one RDS instance they protect with
boto3, tagged as the database tier tags it. Time passes through the emulator's ``backup-jobs`` behaviour
(``advance_hours``), which runs the plans' schedules as AWS Backup would.
"""

from __future__ import annotations

import datetime
import json

import pytest
from conftest import run_playbook

TIERS = "tests/integration/monitoring_backups_tiers.yml"
PLAYBOOK = "playbooks/backups.yml"
RUNBOOK = "playbooks/runbooks/verify_backups.yml"
PRIMARY = "local-use1"
PLAN = "demo-local-standard"
EXTRA = {"monitoring_enabled": False}


def daily_only():
    """The plan with one daily rule, at the hour half a day from now (UTC): whenever the test runs, the daily
    recovery point is 11 to 13 hours old (a fixed hour made it minutes old when the test ran just after it)."""
    hour = (datetime.datetime.now(datetime.UTC).hour + 12) % 24
    rule = {"name": "daily", "schedule": f"cron(0 {hour} * * ? *)", "delete_after_days": 30}
    return {"backups_plans": [{"name": "standard", "rules": [rule]}]}


TAGS = [
    {"Key": "stackops:platform", "Value": "demo"},
    {"Key": "stackops:environment", "Value": "local"},
    {"Key": "stackops:component", "Value": "database"},
]


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


def plans(emulator, region="us-east-1"):
    backup = emulator.boto3_client("backup", region)
    found = {}
    for entry in backup.list_backup_plans()["BackupPlansList"]:
        found[entry["BackupPlanName"]] = backup.get_backup_plan(BackupPlanId=entry["BackupPlanId"])
    return found


def database(emulator, name="demo-local-db"):
    rds = emulator.boto3_client("rds")
    return rds.create_db_instance(
        DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="postgres",
        MasterUserPassword="not-a-secret-1", AllocatedStorage=20, Tags=TAGS,
    )["DBInstance"]["DBInstanceArn"]  # fmt: skip


@pytest.fixture(scope="module")
def converged(emulator_session):
    emulator_session.reset()
    run = run_playbook(emulator_session, TIERS, extra_vars=EXTRA)
    assert run.rc == 0, run.messages()[-3000:]
    return run


def test_vault_copy_vault_role_and_plan_read_back(emulator_session, converged):
    backup = emulator_session.boto3_client("backup")
    key = emulator_session.boto3_client("kms").describe_key(KeyId="alias/demo-local-backups")["KeyMetadata"]["Arn"]
    vault = backup.describe_backup_vault(BackupVaultName="demo-local")
    assert vault["EncryptionKeyArn"] == key
    assert backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"]["stackops:component"] == "backups"
    dr_key = emulator_session.boto3_client("kms", "us-west-2").describe_key(KeyId="alias/demo-local-backups")[
        "KeyMetadata"
    ]["Arn"]
    copy_vault = emulator_session.boto3_client("backup", "us-west-2").describe_backup_vault(
        BackupVaultName="demo-local"
    )
    assert copy_vault["EncryptionKeyArn"] == dr_key
    iam = emulator_session.boto3_client("iam")
    role = iam.get_role(RoleName="demo-local-backup")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="demo-local-backup")["AttachedPolicies"]
    }
    assert attached == {"AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"}
    found = plans(emulator_session)
    assert set(found) == {PLAN}  # the DR host keeps no plan of its own
    assert plans(emulator_session, "us-west-2") == {}
    rules = {r["RuleName"]: r for r in found[PLAN]["BackupPlan"]["Rules"]}
    daily, monthly = rules["daily"], rules["monthly"]  # seed 001: daily at 03:00 for 30 days + continuous (PITR)
    assert daily["ScheduleExpression"] == "cron(0 3 * * ? *)" and daily["Lifecycle"] == {"DeleteAfterDays": 30}
    assert daily["EnableContinuousBackup"] is True
    assert daily["CopyActions"] == [
        {"DestinationBackupVaultArn": copy_vault["BackupVaultArn"], "Lifecycle": {"DeleteAfterDays": 30}}
    ]
    assert monthly["Lifecycle"] == {"DeleteAfterDays": 365, "MoveToColdStorageAfterDays": 30}
    assert not monthly.get("CopyActions")
    [selection] = backup.list_backup_selections(BackupPlanId=found[PLAN]["BackupPlanId"])["BackupSelectionsList"]
    document = backup.get_backup_selection(
        BackupPlanId=found[PLAN]["BackupPlanId"], SelectionId=selection["SelectionId"]
    )
    assert document["BackupSelection"]["IamRoleArn"] == role["Arn"]
    assert document["BackupSelection"]["Conditions"]["StringEquals"] == [
        {"ConditionKey": "aws:ResourceTag/stackops:environment", "ConditionValue": "local"},
        {"ConditionKey": "aws:ResourceTag/stackops:platform", "ConditionValue": "demo"},
    ]
    testing = backup.get_restore_testing_plan(RestoreTestingPlanName="demo_local_restore_test")["RestoreTestingPlan"]
    assert testing["ScheduleExpression"] == "cron(0 6 ? * MON *)"


def test_second_converge_reads_only(emulator_session, converged):
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, PLAYBOOK)
    assert run.rc == 0 and run.changed() == 0, run.messages()
    assert writes(emulator_session) == []


def test_schedules_make_recovery_points_and_copies_and_the_runbook_passes(emulator_session, converged):
    arn = database(emulator_session)
    emulator_session.configure("backup-jobs", advance_hours=48)
    points = emulator_session.boto3_client("backup").list_recovery_points_by_backup_vault(BackupVaultName="demo-local")
    mine = [p for p in points["RecoveryPoints"] if p["ResourceArn"] == arn]
    snapshots = sorted(p["CreationDate"].hour for p in mine if ":continuous:" not in p["RecoveryPointArn"])
    assert snapshots == [3, 3]  # two days of the daily rule at 03:00
    assert sum(":continuous:" in p["RecoveryPointArn"] for p in mine) == 1
    copies = emulator_session.boto3_client("backup", "us-west-2").list_recovery_points_by_backup_vault(
        BackupVaultName="demo-local"
    )
    assert len([p for p in copies["RecoveryPoints"] if p["ResourceArn"] == arn]) == 2
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY)
    assert run.rc == 0, run.messages()
    found = run.result("Read the backups and check them", PRIMARY)["backups"]
    [resource] = found["resources"]
    assert resource["name"] == "demo-local-db" and resource["ok"] and resource["continuous"] and resource["copies"] == 2
    assert resource["pitr_age_minutes"] <= 5 and found["problems"] == []


def test_a_failed_job_fails_the_runbook(emulator_session, converged):
    arn = emulator_session.boto3_client("rds").describe_db_instances(DBInstanceIdentifier="demo-local-db")[
        "DBInstances"
    ][0]["DBInstanceArn"]
    emulator_session.configure("backup-jobs", fail_next={arn: 1}, advance_hours=24)
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY)
    assert run.rc != 0
    message = run.messages()
    assert "backup job" in message and "demo-local-db FAILED" in message


def test_a_plan_change_is_made_in_place_and_an_old_backup_fails_the_rpo(emulator_session, converged):
    before = plans(emulator_session)[PLAN]
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, PLAYBOOK, limit=PRIMARY, extra_vars=daily_only())
    assert run.rc == 0, run.messages()
    assert writes(emulator_session) == ["backup:UpdateBackupPlan"]
    after = plans(emulator_session)[PLAN]
    assert after["BackupPlanId"] == before["BackupPlanId"] and after["VersionId"] != before["VersionId"]
    assert [r["RuleName"] for r in after["BackupPlan"]["Rules"]] == ["daily"]
    # A database protected from now on gets daily snapshots only: about half a day old now.
    database(emulator_session, "demo-local-db2")
    emulator_session.configure("backup-jobs", advance_hours=24)
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"platform_rpo_minutes": 60})
    assert run.rc != 0
    [problem] = run.result("Read the backups and check them", PRIMARY)["backups"]["problems"]
    assert (
        problem.startswith("RDS demo-local-db2: latest recovery point is") and "more than the RPO of 60 min" in problem
    )
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"platform_rpo_minutes": 1500})
    assert run.rc == 0, run.messages()


def test_a_vault_key_change_is_refused_after_the_reads_naming_the_role_variable(emulator_session, converged):
    other = emulator_session.boto3_client("kms").describe_key(KeyId="alias/demo-local-data")["KeyMetadata"]["Arn"]
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, PLAYBOOK, limit=PRIMARY, extra_vars={"backups_kms_key": other})
    assert run.rc != 0
    message = run.messages(PRIMARY)
    assert "backups_kms_key: the vault demo-local is encrypted with arn:aws:kms:us-east-1:" in message, message
    assert "AWS Backup cannot change a vault's key" in message and "create a new vault with backups_name" in message
    assert writes(emulator_session) == []


def test_check_mode_on_an_empty_account_makes_no_write(emulator):
    run = run_playbook(emulator, TIERS, extra_vars=EXTRA, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert writes(emulator) == []
    result = run.result("Converge the vault, plans and selections", PRIMARY)
    assert any(c.startswith(f"create backup plan {PLAN}") for c in result["changes"])
    assert result["diff"]["after"]["copy_vault"]["name"] == "demo-local"


def test_a_lost_create_response_leaves_one_plan_and_one_selection(emulator, playbook):
    run_playbook(
        emulator,
        "tests/integration/cache_search_tiers.yml",
        extra_vars={"cache_enabled": False, "search_enabled": False},
    )
    emulator.set_faults(lost_responses={"CreateBackupPlan": 1, "CreateBackupSelection": 1})
    emulator.clear_calls()
    run = playbook(PLAYBOOK, limit=PRIMARY)
    assert run.rc == 0, run.messages()
    lost = [c["operation"] for c in emulator.calls()["calls"] if c["fault"] == "lost_response"]
    assert sorted(lost) == ["CreateBackupPlan", "CreateBackupSelection"]
    found = plans(emulator)
    # botocore retried both: AWS answers the plan's retry with AlreadyExistsException (the module then reads the
    # plan by name) and the selection's with the selection its CreatorRequestId made
    assert list(found) == [PLAN]
    backup = emulator.boto3_client("backup")
    assert len(backup.list_backup_selections(BackupPlanId=found[PLAN]["BackupPlanId"])["BackupSelectionsList"]) == 1


# -- bad input: refused before any API call, naming the variable and the rule --------------------------------------------


def _plan(**rule):
    return [
        {
            "name": "standard",
            "rules": [{"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 30, **rule}],
        }
    ]


BAD_INPUT = {
    "schedule that is not cron": ({"backups_plans": _plan(schedule="every day at 3")}, ["backups_plans[0].rules[0].schedule", "cron expression"]),
    "cron with five fields": ({"backups_plans": _plan(schedule="cron(0 3 * * *)")}, ["backups_plans[0].rules[0].schedule", "6"]),
    "cron with two wildcards for days": ({"backups_plans": _plan(schedule="cron(0 3 * * * *)")}, ["backups_plans[0].rules[0].schedule", "'?'"]),
    "retention shorter than cold storage + 90": (
        {"backups_plans": _plan(cold_storage_after_days=30, delete_after_days=100)},
        ["backups_plans[0].rules[0].delete_after_days", "cold_storage_after_days + 90 (120)"],
    ),
    "continuous kept over 35 days": (
        {"backups_plans": _plan(continuous=True, delete_after_days=60)},
        ["backups_plans[0].rules[0].delete_after_days", "continuous backups are kept 1 to 35 days"],
    ),
    "copy to the same region": ({"backups_copy_region": "us-east-1"}, ["backups_copy_region", "own region"]),
    "copy region that is not a region": ({"backups_copy_region": "west"}, ["backups_copy_region", "not a region name"]),
    "compliance lock without grace time": (
        {"backups_vault_lock": {"mode": "compliance", "min_retention_days": 7}},
        ["backups_vault_lock.changeable_for_days", "at least 3 days"],
    ),
    "lock mode AWS does not have": ({"backups_vault_lock": {"mode": "strict"}}, ["backups_vault_lock.mode", "compliance, governance"]),
    "retention shorter than the lock's minimum": (
        {"backups_vault_lock": {"mode": "governance", "min_retention_days": 35}},
        ["backups_plans[0].rules[0].delete_after_days", "min_retention_days (35)"],
    ),
    "start window under an hour": ({"backups_plans": _plan(start_window_minutes=30)}, ["backups_plans[0].rules[0].start_window_minutes", "at least 60"]),
    "rule name AWS refuses": ({"backups_plans": _plan(name="daily backup!")}, ["backups_plans[0].rules[0].name", "1-50"]),
    "empty selection tags": (
        {"backups_plans": [{"name": "standard", "selection_tags": {}, "rules": _plan()[0]["rules"]}]},
        ["backups_plans[0].selection_tags", "at least one tag"],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    """Every case as one host of one inventory: one ansible-playbook run checks them all."""
    emulator_session.reset()
    hosts = {name.replace(" ", "-"): variables for name, (variables, _expected) in BAD_INPUT.items()}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "platform_name": "demo",
                "platform_environment": "test",
                "platform_region": "us-east-1",
                "backups_plans": _plan(),
            },
            "hosts": hosts,
        }
    }
    path = tmp_path_factory.mktemp("bad-backups") / "hosts.yml"
    path.write_text(json.dumps(inventory))
    run = run_playbook(emulator_session, PLAYBOOK, inventory=str(path), env={"ANSIBLE_FORKS": "8"})
    return run, emulator_session.calls()


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_naming_the_variable_and_rule(bad_input_run, case):
    run, _calls = bad_input_run
    [result] = run.results("Validate the backups spec", case.replace(" ", "-"))
    assert result.get("failed"), f"{case} was not rejected"
    message = json.dumps(result.get("msg"))
    for expected in BAD_INPUT[case][1]:
        assert expected in message, message
