#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: backup_info
short_description: Find an environment's backups and check every protected resource against its RPO
version_added: 0.2.0
description:
  - Reads the vault, plans and selections that M(stackops.platform.backup_platform) manages, then, for every
    resource the selections assign (RDS instances and Aurora clusters carrying the selection's tags, plus any
    resource AWS Backup lists as protected), the latest recovery point in the vault and its age, the latest copy
    in the O(copy_region) vault, and the backup and copy jobs that failed in the last O(failed_jobs_hours) hours.
  - A resource is C(ok) when its latest recovery point is younger than O(rpo_minutes) and, with O(copy_region),
    a copy exists there; RV(backups.problems) lists each one that is not, and each failed job.
  - Makes read calls only. The C(verify_backups) runbook and the status report use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the vault and plans (C(<platform>-<environment>)).
    type: str
  vault_name:
    description: The vault. Defaults to O(name).
    type: str
  copy_region:
    description: Region of the copy vault (same name unless O(copy_vault_name)). Copies are not checked without it.
    type: str
  copy_vault_name:
    description: Name of the copy vault. Defaults to the vault's name.
    type: str
  rpo_minutes:
    description: The environment's recovery point objective; a latest recovery point older than this is a problem.
    type: int
  failed_jobs_hours:
    description: How far back failed backup and copy jobs are reported.
    type: int
    default: 24
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check prod's backups against a one-hour RPO
  stackops.platform.backup_info:
    platform: moneytrack
    environment: prod
    copy_region: us-west-2
    rpo_minutes: 60
  register: found
"""

RETURN = r"""
exists:
  description: Whether the vault exists.
  returned: always
  type: bool
backups:
  description: What was found and checked.
  returned: always
  type: dict
  contains:
    vault: {description: "The vault: name, ARN, locked, KMS key, recovery point count.", type: dict}
    copy_vault: {description: "The copy vault: name, region, ARN (null ARN when missing); null without copy_region.", type: dict}
    plans: {description: Plan id and rule names by plan name., type: dict}
    resources:
      description:
        - Each protected resource - C(arn), C(name), C(type), C(latest_recovery_point), C(latest_at), C(age_minutes),
          C(continuous) (a continuous recovery point exists), C(pitr_age_minutes) (how old the latest restorable
          time of a continuously backed-up database is), C(copies) (count in the copy vault), C(latest_copy_at), C(ok).
      type: list
      elements: dict
    failed_jobs: {description: "Backup and copy jobs that failed in the window: kind, id, resource, state, created, message.", type: list, elements: dict}
    problems: {description: "One sentence per resource out of its RPO, missing copy or failed job; empty when all is well.", type: list, elements: str}
    rpo_minutes: {description: The RPO checked against., type: int}
    checked_at: {description: When (UTC)., type: str}
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._backups import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import paginate
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_info


def _utc(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017
    return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)  # noqa: UP017


def read(module, region):
    p = module.params
    name = p["name"] or f"{p['platform']}-{p['environment']}"
    vault_name = p["vault_name"] or name
    services = {"backup": "backup", "rds": "rds"}
    if p["copy_region"]:
        services["backup_copy"] = ("backup", p["copy_region"])
    c = clients(module, services)
    now = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017
    vault = st.read_vault(c["backup"], vault_name)
    plans = st.read_plans(c["backup"], f"{name}-")
    selections = [
        s["BackupSelection"]
        for plan in plans.values()
        for s in st.read_selections(c["backup"], plan["BackupPlanId"]).values()
    ]
    points = st.recovery_points(c["backup"], vault_name) if vault else []
    copy_vault_name = p["copy_vault_name"] or vault_name
    copy_vault = st.read_vault(c["backup_copy"], copy_vault_name) if p["copy_region"] else None
    copies = st.recovery_points(c["backup_copy"], copy_vault_name) if copy_vault else []
    since = now - datetime.timedelta(hours=p["failed_jobs_hours"])
    jobs = st.backup_jobs(c["backup"], since)
    copy_jobs = st.copy_jobs(c["backup"], since)

    protected = {}
    restorable = {}
    for arn, kind, resource_name, tags, latest_restorable in st.database_resources(c["rds"]):
        if any(st.matches_selection(s, arn, tags) for s in selections):
            protected[arn] = {"arn": arn, "name": resource_name, "type": kind}
            restorable[arn] = latest_restorable
    for entry in paginate(c["backup"], "list_protected_resources", "Results"):
        if entry.get("LastBackupVaultArn", "").endswith(f":backup-vault:{vault_name}"):
            protected.setdefault(
                entry["ResourceArn"],
                {"arn": entry["ResourceArn"], "name": entry.get("ResourceName"), "type": entry.get("ResourceType")},
            )
    problems, resources = [], []
    rpo = p["rpo_minutes"]
    for arn, resource in sorted(protected.items(), key=lambda item: item[1]["name"] or item[0]):
        mine = [pt for pt in points if pt["ResourceArn"] == arn and pt.get("Status") == "COMPLETED"]
        snapshots = [pt for pt in mine if ":continuous:" not in pt["RecoveryPointArn"]]
        latest = max(snapshots, key=lambda pt: _utc(pt["CreationDate"]), default=None)
        mine_copies = [pt for pt in copies if pt["ResourceArn"] == arn and pt.get("Status") == "COMPLETED"]
        latest_copy = max(mine_copies, key=lambda pt: _utc(pt["CreationDate"]), default=None)
        age = round((now - _utc(latest["CreationDate"])).total_seconds() / 60) if latest else None
        continuous = any(":continuous:" in pt["RecoveryPointArn"] for pt in mine)
        # With a continuous backup, point-in-time restore reaches the database's latest restorable time.
        pitr_age = None
        if continuous and restorable.get(arn):
            pitr_age = max(0, round((now - _utc(restorable[arn])).total_seconds() / 60))
        effective = min(a for a in (age, pitr_age) if a is not None) if (age, pitr_age) != (None, None) else None
        entry = dict(
            resource,
            latest_recovery_point=latest["RecoveryPointArn"] if latest else None,
            latest_at=_utc(latest["CreationDate"]).isoformat() if latest else None,
            age_minutes=age,
            continuous=continuous,
            pitr_age_minutes=pitr_age,
            copies=len(mine_copies),
            latest_copy_at=_utc(latest_copy["CreationDate"]).isoformat() if latest_copy else None,
            ok=True,
        )
        label = f"{resource['type']} {resource['name']}"
        if latest is None:
            problems.append(f"{label}: no recovery point in {vault_name}")
            entry["ok"] = False
        elif rpo is not None and effective > rpo:
            problems.append(
                f"{label}: latest recovery point is {effective} min old"
                + (" (point-in-time restore included)" if pitr_age is not None else "")
                + f", more than the RPO of {rpo} min"
            )
            entry["ok"] = False
        if p["copy_region"] and latest is not None and not mine_copies:
            problems.append(f"{label}: no copy in {copy_vault_name} ({p['copy_region']})")
            entry["ok"] = False
        resources.append(entry)
    failed = []
    for kind, records, key in (("backup", jobs, "BackupJobId"), ("copy", copy_jobs, "CopyJobId")):
        for job in records:
            if job.get("State") in ("FAILED", "ABORTED", "EXPIRED", "PARTIAL"):
                failed.append(
                    dict(
                        kind=kind,
                        id=job[key],
                        resource=job.get("ResourceName") or job.get("ResourceArn"),
                        state=job["State"],
                        created=_utc(job["CreationDate"]).isoformat(),
                        message=job.get("StatusMessage"),
                    )
                )
                problems.append(
                    f"{kind} job {job[key]} for {job.get('ResourceName') or job.get('ResourceArn')} {job['State']}: "
                    f"{job.get('StatusMessage') or 'no message'}"
                )
    if p["copy_region"] and copy_vault is None:
        problems.append(f"no copy vault {copy_vault_name} in {p['copy_region']}")
    backups = {
        "vault": {
            "name": vault_name,
            "arn": (vault or {}).get("BackupVaultArn"),
            "locked": bool((vault or {}).get("Locked")),
            "kms_key": (vault or {}).get("EncryptionKeyArn"),
            "recovery_points": len(points),
        },
        "copy_vault": {
            "name": copy_vault_name,
            "region": p["copy_region"],
            "arn": (copy_vault or {}).get("BackupVaultArn"),
        }
        if p["copy_region"]
        else None,
        "plans": {
            n: {"id": plan["BackupPlanId"], "rules": [r["RuleName"] for r in plan["BackupPlan"].get("Rules") or []]}
            for n, plan in sorted(plans.items())
        },
        "resources": resources,
        "failed_jobs": failed,
        "problems": problems,
        "rpo_minutes": rpo,
        "checked_at": now.isoformat(timespec="seconds"),
    }
    return vault is not None, backups


def main():
    argument_spec = dict(
        name=dict(type="str"),
        vault_name=dict(type="str"),
        copy_region=dict(type="str"),
        copy_vault_name=dict(type="str"),
        rpo_minutes=dict(type="int"),
        failed_jobs_hours=dict(type="int", default=24),
        **INFO_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_info(module, lambda region: read(module, region), "backups", "backups")


if __name__ == "__main__":
    main()
