# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the backups tier in one pass: read everything, then write only what differs.

Order: the IAM role AWS Backup assumes → the vault (KMS, tags, lock) → the copy vault in the DR region →
plans (created, or updated in place when their rules differ) → selections (immutable: replaced when they
differ) → the restore testing plan; plans of the tier that left the spec (their selections first) last.
Creates carry a CreatorRequestId, and plans and vaults are found by name first, so a rerun after a lost
response ends with one of each. In check mode nothing after the reads runs.
"""

from __future__ import annotations

import json

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import client_token
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import tag_changes
from . import spec as sp
from . import state as st

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class BackupsReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.clients = clients
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.platform_identity = identity_tags(params["platform"], params["environment"], "")
        self.changes = Changes(check_mode)
        self.warnings = []
        self.partition = partition_for(region)
        self.name = params["name"]
        self.vault_name = params.get("vault_name") or self.name
        self.role_name = params.get("role_name") or f"{self.name}-backup"
        self.account = None
        self.role = None
        self.vault = None
        self.vault_tags = {}
        self.copy_vault = None
        self.plans = {}
        self.selections = {}
        self.testing = None
        self.ids = {}  # plan name -> id (None in check mode)
        self.role_arn = None
        self.before_snapshot = {}
        self._deferred = []

    def tags(self, name=None):
        return resource_tags(self.identity, self.p.get("tags"), name=name)

    @property
    def copy_vault_arn(self):
        region = self.p.get("copy_region")
        if not region:
            return None
        return f"arn:{self.partition}:backup:{region}:{self.account}:backup-vault:{self.p.get('copy_vault_name') or self.vault_name}"

    def testing_name(self):
        return self.name.replace("-", "_") + "_restore_test"

    # -- read -----------------------------------------------------------------------------------------------------

    def read(self):
        backup = self.clients["backup"]
        self.account = self.clients["sts"].get_caller_identity()["Account"]
        self.role = st.read_role(self.clients["iam"], self.role_name)
        self.vault = st.read_vault(backup, self.vault_name)
        if self.vault:
            self.vault_tags = st.read_tags(backup, self.vault["BackupVaultArn"])
        if self.p.get("copy_region"):
            self.copy_vault = st.read_vault(
                self.clients["backup_copy"], self.p.get("copy_vault_name") or self.vault_name
            )
        self.plans = st.read_plans(backup, f"{self.name}-")
        for name, plan in self.plans.items():
            self.selections[name] = st.read_selections(backup, plan["BackupPlanId"])
        if self.p.get("restore_testing"):
            self.testing = st.read_testing_plan(backup, self.testing_name())
        self.before_snapshot = {
            "vault": self._vault_view(self.vault),
            "copy_vault": self._vault_view(self.copy_vault),
            "plans": {n: sp.describe_plan(p["BackupPlan"]) for n, p in sorted(self.plans.items())},
            "selections": {n: sorted(s) for n, s in sorted(self.selections.items())},
            "role": self.role_name if self.role else None,
            "restore_testing": (self.testing or {}).get("ScheduleExpression"),
        }

    @staticmethod
    def _vault_view(vault):
        if not vault:
            return None
        view = {
            "name": vault["BackupVaultName"],
            "kms_key": vault.get("EncryptionKeyArn"),
            "locked": bool(vault.get("Locked")),
        }
        if vault.get("Locked"):
            view.update(
                min_retention_days=vault.get("MinRetentionDays"), max_retention_days=vault.get("MaxRetentionDays")
            )
        return view

    # -- converge -------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.check()
        self.converge_role()
        self.converge_vault()
        self.converge_copy_vault()
        self.converge_plans()
        self.converge_testing()
        for sentence, action in self._deferred:
            if self.changes.add(sentence):
                action()

    def var(self, option):
        """An option's name as the user wrote it: with ``variable_prefix``, the role's variable."""
        prefix = self.p.get("variable_prefix") or ""
        return prefix + ({"kms_key_id": "kms_key"}.get(option, option) if prefix else option)

    def check(self):
        """Preconditions found by the reads, before the first write."""
        if self.vault and self.p.get("kms_key_id") and self.vault.get("EncryptionKeyArn"):
            wanted = self.p["kms_key_id"]
            if wanted.startswith("arn:") and ":key/" in wanted and wanted != self.vault["EncryptionKeyArn"]:
                raise ReconcileError(
                    f"{self.var('kms_key_id')}: the vault {self.vault_name} is encrypted with {self.vault['EncryptionKeyArn']}; "
                    "AWS Backup cannot change a vault's key (keep the key, or create a new vault with "
                    f"{self.var('name') if self.p.get('variable_prefix') else 'vault_name'})"
                )
        lock = self.p.get("vault_lock") or {}
        if self.vault and self.vault.get("Locked") and lock and self._lock_differs(lock) and self._immutable():
            raise ReconcileError(
                f"{self.var('vault_lock')}: the vault {self.vault_name} is locked in compliance mode and its grace time is over; "
                "AWS refuses any change to its lock"
            )

    def _immutable(self):
        lock_date = self.vault.get("LockDate")
        if not lock_date:
            return False
        import datetime

        if isinstance(lock_date, (int, float)):
            lock_date = datetime.datetime.fromtimestamp(lock_date, datetime.timezone.utc)  # noqa: UP017
        return lock_date <= datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017

    def _lock_differs(self, lock):
        return (
            not self.vault.get("Locked")
            or self.vault.get("MinRetentionDays") != lock.get("min_retention_days")
            or self.vault.get("MaxRetentionDays") != lock.get("max_retention_days")
        )

    def converge_role(self):
        iam = self.clients["iam"]
        policies = [
            sp.BACKUP_POLICY.format(partition=self.partition),
            sp.RESTORE_POLICY.format(partition=self.partition),
        ]
        self.role_arn = f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"
        attached = []
        if self.role is None:
            if self.changes.add(f"create IAM role {self.role_name} (assumed by AWS Backup)"):
                try:
                    self.role_arn = iam.create_role(
                        RoleName=self.role_name,
                        AssumeRolePolicyDocument=json.dumps(TRUST),
                        Description="AWS Backup backs up and restores the platform's resources with this role",
                        Tags=[{"Key": k, "Value": v} for k, v in self.tags(self.role_name).items()],
                        aws_retry=True,
                    )["Role"]["Arn"]
                except iam.exceptions.EntityAlreadyExistsException:
                    pass  # made by an earlier attempt whose response was lost, or by the other region's run
        else:
            self.role_arn = self.role["Arn"]
            attached = self.role["attached"]
        for policy in policies:
            if policy not in attached and self.changes.add(f"attach {policy.rsplit('/', 1)[-1]} to {self.role_name}"):
                iam.attach_role_policy(RoleName=self.role_name, PolicyArn=policy, aws_retry=True)

    def _create_vault(self, backup, name, kms):
        params = dict(BackupVaultName=name, BackupVaultTags=self.tags(name), CreatorRequestId=client_token())
        if kms:
            params["EncryptionKeyArn"] = kms
        try:
            return backup.create_backup_vault(aws_retry=True, **params)["BackupVaultArn"]
        except backup.exceptions.AlreadyExistsException:
            return st.read_vault(backup, name)["BackupVaultArn"]

    def converge_vault(self):
        backup = self.clients["backup"]
        kms = self.p.get("kms_key_id")
        if self.vault is None:
            if self.changes.add(
                f"create backup vault {self.vault_name}" + (" (encrypted with the backups key)" if kms else "")
            ):
                arn = self._create_vault(backup, self.vault_name, self._key_arn(self.clients.get("kms"), kms))
                self.vault = {"BackupVaultName": self.vault_name, "BackupVaultArn": arn}
        else:
            to_set, to_unset = tag_changes(self.vault_tags, self.tags(self.vault_name), self.p.get("purge_tags", True))
            if to_set and self.changes.add(f"tag backup vault {self.vault_name}: set {', '.join(sorted(to_set))}"):
                backup.tag_resource(ResourceArn=self.vault["BackupVaultArn"], Tags=to_set, aws_retry=True)
            if to_unset and self.changes.add(
                f"tag backup vault {self.vault_name}: remove {', '.join(sorted(to_unset))}"
            ):
                backup.untag_resource(
                    ResourceArn=self.vault["BackupVaultArn"], TagKeyList=list(to_unset), aws_retry=True
                )
        lock = self.p.get("vault_lock") or {}
        if lock and (self.vault is None or not self.vault.get("Locked") or self._lock_differs(lock)):
            mode = lock["mode"]
            sentence = (
                f"lock backup vault {self.vault_name} in {mode} mode (retention {lock.get('min_retention_days') or '-'}"
                f" to {lock.get('max_retention_days') or '-'} days"
                + (f", immutable after {lock['changeable_for_days']} days" if mode == "compliance" else "")
                + ")"
            )
            if self.changes.add(sentence):
                params = {"BackupVaultName": self.vault_name}
                for option, key in (
                    ("min_retention_days", "MinRetentionDays"),
                    ("max_retention_days", "MaxRetentionDays"),
                    ("changeable_for_days", "ChangeableForDays"),
                ):
                    if lock.get(option) is not None and (option != "changeable_for_days" or mode == "compliance"):
                        params[key] = lock[option]
                backup.put_backup_vault_lock_configuration(aws_retry=True, **params)

    def _key_arn(self, kms_client, key):
        if not key or (key.startswith("arn:") and ":key/" in key) or kms_client is None:
            return key
        return st.resolve_key(kms_client, key)

    def converge_copy_vault(self):
        if not self.p.get("copy_region") or self.copy_vault is not None:
            return
        name = self.p.get("copy_vault_name") or self.vault_name
        kms = self.p.get("copy_kms_key_id")
        if self.changes.add(f"create backup vault {name} in {self.p['copy_region']} (copies for disaster recovery)"):
            self._create_vault(self.clients["backup_copy"], name, self._key_arn(self.clients.get("kms_copy"), kms))

    def converge_plans(self):
        backup = self.clients["backup"]
        wanted = {}
        for plan in self.p["plans"]:
            name = sp.plan_name(self.name, plan)
            wanted[name] = plan
            document = sp.plan_document(self.name, plan, self.vault_name, self.copy_vault_arn)
            current = self.plans.get(name)
            if current is None:
                self.ids[name] = None
                if self.changes.add(f"create backup plan {name}: {sp.describe_plan(document)}"):
                    self.ids[name] = self._create_plan(backup, name, document)
            else:
                self.ids[name] = current["BackupPlanId"]
                if sp.comparable_plan(current["BackupPlan"]) != sp.comparable_plan(document) and self.changes.add(
                    f"update backup plan {name}: {sp.describe_plan(current['BackupPlan'])} to {sp.describe_plan(document)}"
                ):
                    backup.update_backup_plan(BackupPlanId=current["BackupPlanId"], BackupPlan=document, aws_retry=True)
            self._converge_selection(name, plan)
        for name, plan in sorted(self.plans.items()):
            if name in wanted:
                continue
            selections = self.selections.get(name) or {}

            def delete(plan=plan, selections=selections):
                for selection in selections.values():
                    backup.delete_backup_selection(
                        BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"], aws_retry=True
                    )
                backup.delete_backup_plan(BackupPlanId=plan["BackupPlanId"], aws_retry=True)

            self._deferred.append((f"delete backup plan {name} (no longer in the spec) and its selections", delete))

    def _create_plan(self, backup, name, document):
        try:
            return backup.create_backup_plan(
                BackupPlan=document, BackupPlanTags=self.tags(name), CreatorRequestId=client_token(), aws_retry=True
            )["BackupPlanId"]
        except backup.exceptions.AlreadyExistsException:
            # "If you call CreateBackupPlan with a plan that is identical to an existing plan, you receive an
            # AlreadyExistsException": the retry of a create whose response was lost. That plan is ours.
            found = st.read_plans(backup, name).get(name)
            if found is None:
                raise
            return found["BackupPlanId"]

    def _converge_selection(self, plan_name, plan):
        backup = self.clients["backup"]
        document = sp.selection_document(plan, self.role_arn, self.platform_identity)
        current = self.selections.get(plan_name) or {}
        plan_id = self.ids[plan_name]
        found = current.get(document["SelectionName"])
        others = {n: s for n, s in current.items() if n != document["SelectionName"]}
        same = found is not None and sp.comparable_selection(found["BackupSelection"]) == sp.comparable_selection(
            document
        )
        if not same:
            conditions = ", ".join(
                f"{c['ConditionKey'].split('/', 1)[-1]}={c['ConditionValue']}"
                for c in document["Conditions"]["StringEquals"]
            )
            # Selections cannot be changed: the old one goes first, so no resource is backed up twice.
            if found is not None and self.changes.add(
                f"delete backup selection {document['SelectionName']} of {plan_name} (it changed)"
            ):
                backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=found["SelectionId"], aws_retry=True)
            if self.changes.add(
                f"{'replace' if found else 'create'} backup selection {document['SelectionName']} of {plan_name}: "
                f"resources tagged {conditions}"
            ):
                backup.create_backup_selection(
                    BackupPlanId=plan_id, BackupSelection=document, CreatorRequestId=client_token(), aws_retry=True
                )
        for name, selection in sorted(others.items()):
            self._deferred.append(
                (
                    f"delete backup selection {name} of {plan_name} (no longer in the spec)",
                    lambda s=selection: backup.delete_backup_selection(
                        BackupPlanId=plan_id, SelectionId=s["SelectionId"], aws_retry=True
                    ),
                )
            )

    def converge_testing(self):
        testing = self.p.get("restore_testing")
        if not testing:
            return
        backup = self.clients["backup"]
        name = self.testing_name()
        wanted = {
            "RestoreTestingPlanName": name,
            "ScheduleExpression": testing["schedule"],
            "StartWindowHours": testing.get("start_window_hours", 24),
            "RecoveryPointSelection": {
                "Algorithm": "LATEST_WITHIN_WINDOW",
                "IncludeVaults": [
                    f"arn:{self.partition}:backup:{self.region}:{self.account}:backup-vault:{self.vault_name}"
                ],
                "RecoveryPointTypes": ["SNAPSHOT"],
                "SelectionWindowDays": testing.get("selection_window_days", 7),
            },
        }
        if self.testing is None:
            if self.changes.add(f"create restore testing plan {name} ({testing['schedule']})"):
                backup.create_restore_testing_plan(
                    RestoreTestingPlan=wanted, Tags=self.tags(name), CreatorRequestId=client_token(), aws_retry=True
                )
            return
        current = {k: self.testing.get(k) for k in ("ScheduleExpression", "StartWindowHours", "RecoveryPointSelection")}
        update = {k: v for k, v in wanted.items() if k != "RestoreTestingPlanName"}
        if current != update and self.changes.add(
            f"update restore testing plan {name}: {self.testing.get('ScheduleExpression')} to {testing['schedule']}"
        ):
            backup.update_restore_testing_plan(RestoreTestingPlanName=name, RestoreTestingPlan=update, aws_retry=True)

    # -- result -----------------------------------------------------------------------------------------------------

    def after(self):
        lock = self.p.get("vault_lock") or {}
        vault = {
            "name": self.vault_name,
            "kms_key": self.p.get("kms_key_id") or (self.vault or {}).get("EncryptionKeyArn"),
            "locked": bool(lock),
        }
        if lock:
            vault.update(
                min_retention_days=lock.get("min_retention_days"), max_retention_days=lock.get("max_retention_days")
            )
        copy_name = self.p.get("copy_vault_name") or self.vault_name
        return {
            "vault": vault,
            "copy_vault": (
                {
                    "name": copy_name,
                    "kms_key": (self.copy_vault or {}).get("EncryptionKeyArn") or self.p.get("copy_kms_key_id"),
                    "locked": bool((self.copy_vault or {}).get("Locked")),
                }
                if self.p.get("copy_region")
                else None
            ),
            "plans": {
                sp.plan_name(self.name, plan): sp.describe_plan(
                    sp.plan_document(self.name, plan, self.vault_name, self.copy_vault_arn)
                )
                for plan in self.p["plans"]
            },
            "selections": {sp.plan_name(self.name, plan): [f"{plan['name']}-tags"] for plan in self.p["plans"]},
            "role": self.role_name,
            "restore_testing": (self.p.get("restore_testing") or {}).get("schedule"),
        }

    def result(self):
        return {
            "vault_name": self.vault_name,
            "vault_arn": f"arn:{self.partition}:backup:{self.region}:{self.account}:backup-vault:{self.vault_name}",
            "copy_vault_arn": self.copy_vault_arn,
            "role_arn": self.role_arn,
            "plans": {name: {"id": plan_id} for name, plan_id in sorted(self.ids.items())},
            "restore_testing_plan": self.testing_name() if self.p.get("restore_testing") else None,
        }
