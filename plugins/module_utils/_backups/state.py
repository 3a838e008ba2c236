# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reads of the backups tier (AWS Backup, IAM), and what a verification needs (recovery points, jobs)."""

from __future__ import annotations

import fnmatch

from ..platform import not_found
from ..platform import paginate
from ..platform import tags_of

COMPONENT = "backups"
NOT_FOUND = ("ResourceNotFoundException", "AccessDeniedException")


def read_vault(backup, name):
    found = not_found(lambda: backup.describe_backup_vault(BackupVaultName=name, aws_retry=True), *NOT_FOUND)
    if found:
        found.pop("ResponseMetadata", None)
    return found


def read_tags(backup, arn):
    return backup.list_tags(ResourceArn=arn, aws_retry=True).get("Tags") or {}


def read_plans(backup, prefix):
    """{plan name: GetBackupPlan} for the plans whose name starts with ``prefix``."""
    found = {}
    for entry in paginate(backup, "list_backup_plans", "BackupPlansList"):
        name = entry.get("BackupPlanName") or ""
        if name.startswith(prefix) and not entry.get("DeletionDate"):
            plan = backup.get_backup_plan(BackupPlanId=entry["BackupPlanId"], aws_retry=True)
            plan.pop("ResponseMetadata", None)
            found[name] = plan
    return found


def read_selections(backup, plan_id):
    """{selection name: GetBackupSelection} of one plan."""
    found = {}
    for entry in paginate(backup, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id):
        selection = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=entry["SelectionId"], aws_retry=True)
        found[entry["SelectionName"]] = selection
    return found


def read_role(iam, name):
    role = not_found(lambda: iam.get_role(RoleName=name, aws_retry=True), "NoSuchEntity")
    if role is None:
        return None
    attached = paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    return dict(role["Role"], attached=sorted(p["PolicyArn"] for p in attached))


def read_testing_plan(backup, name):
    found = not_found(lambda: backup.get_restore_testing_plan(RestoreTestingPlanName=name, aws_retry=True), *NOT_FOUND)
    return (found or {}).get("RestoreTestingPlan")


def resolve_key(kms, key):
    """A KMS key's ARN from an alias, alias ARN, key id or key ARN (DescribeKey)."""
    if not key:
        return None
    return kms.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]["Arn"]


# -- verification reads ------------------------------------------------------------------------------------------------


def matches_selection(selection, arn, tags):
    """Whether a selection (its document) assigns the resource ``arn`` with ``tags``, as AWS Backup decides."""
    if any(fnmatch.fnmatchcase(arn, p) for p in selection.get("NotResources") or []):
        return False
    listed = any(fnmatch.fnmatchcase(arn, p) for p in selection.get("Resources") or [])
    by_tags = any(
        tags.get(c["ConditionKey"].removeprefix("aws:ResourceTag/")) == c["ConditionValue"]
        for c in selection.get("ListOfTags") or []
    )
    checks = []
    for operator, entries in (selection.get("Conditions") or {}).items():
        for entry in entries or []:
            value = tags.get(entry["ConditionKey"].removeprefix("aws:ResourceTag/"))
            wanted = entry["ConditionValue"]
            if operator == "StringEquals":
                checks.append(value == wanted)
            elif operator == "StringNotEquals":
                checks.append(value != wanted)
            elif operator == "StringLike":
                checks.append(value is not None and fnmatch.fnmatchcase(value, wanted))
            elif operator == "StringNotLike":
                checks.append(value is None or not fnmatch.fnmatchcase(value, wanted))
    return (listed or by_tags) and all(checks)


def database_resources(rds):
    """(arn, type, name, tags, latest restorable time) of the region's RDS instances (not Aurora members) and
    Aurora clusters; the latest restorable time is how far point-in-time restore reaches."""
    found = []
    for cluster in paginate(rds, "describe_db_clusters", "DBClusters"):
        found.append(
            (cluster["DBClusterArn"], "Aurora", cluster["DBClusterIdentifier"], tags_of(cluster, "TagList"),
             cluster.get("LatestRestorableTime"))
        )  # fmt: skip
    for instance in paginate(rds, "describe_db_instances", "DBInstances"):
        if instance.get("DBClusterIdentifier"):
            continue
        found.append(
            (instance["DBInstanceArn"], "RDS", instance["DBInstanceIdentifier"], tags_of(instance, "TagList"),
             instance.get("LatestRestorableTime"))
        )  # fmt: skip
    return found


def recovery_points(backup, vault_name):
    return paginate(backup, "list_recovery_points_by_backup_vault", "RecoveryPoints", BackupVaultName=vault_name)


def backup_jobs(backup, since):
    return paginate(backup, "list_backup_jobs", "BackupJobs", ByCreatedAfter=since)


def copy_jobs(backup, since):
    return paginate(backup, "list_copy_jobs", "CopyJobs", ByCreatedAfter=since)
