# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the backups tier in one pass: read everything, then write only what differs.

Order: the IAM role AWS Backup assumes → the vault (KMS, tags, lock) → the copy vault in the DR region →
plans (created, or updated in place when their rules differ) → selections (immutable: replaced when they
differ) → the restore testing plan; plans of the tier that left the spec (their selections first) last.
Creates carry a CreatorRequestId, and plans and vaults are found by name first, so a rerun after a lost
response ends with one of each. In check mode nothing after the reads runs.

The reconciler reads through its parts and holds the state, and builds the diff and the result; the parts
converge: ``role.py``, ``vaults.py`` (the vault, its lock, the copy vault), ``plans.py`` (plans and their
selections), ``restore_testing.py``.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st
from .plans import Plans
from .restore_testing import RestoreTesting
from .role import BackupRole
from .vaults import Vaults
from .vaults import vault_view


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
        self.role_part = BackupRole(self)
        self.vault_part = Vaults(self)
        self.plan_part = Plans(self)
        self.testing_part = RestoreTesting(self)

    def tags(self, name=None):
        return resource_tags(self.identity, self.p.get("tags"), name=name)

    def defer(self, sentence, action):
        """A deletion, run after every create and update (in check mode, only its sentence)."""
        self._deferred.append((sentence, action))

    @property
    def copy_vault_arn(self):
        region = self.p.get("copy_region")
        if not region:
            return None
        return f"arn:{self.partition}:backup:{region}:{self.account}:backup-vault:{self.p.get('copy_vault_name') or self.vault_name}"

    def testing_name(self):
        return self.name.replace("-", "_") + "_restore_test"

    def var(self, option):
        """An option's name as the user wrote it: with ``variable_prefix``, the role's variable."""
        prefix = self.p.get("variable_prefix") or ""
        return prefix + ({"kms_key_id": "kms_key"}.get(option, option) if prefix else option)

    # -- read -----------------------------------------------------------------------------------------------------

    def read(self):
        self.account = self.clients["sts"].get_caller_identity()["Account"]
        self.role_part.read()
        self.vault_part.read()
        self.plan_part.read()
        self.testing_part.read()
        self.before_snapshot = {
            "vault": vault_view(self.vault),
            "copy_vault": vault_view(self.copy_vault),
            "plans": {n: sp.describe_plan(p["BackupPlan"]) for n, p in sorted(self.plans.items())},
            "selections": {n: sorted(s) for n, s in sorted(self.selections.items())},
            "role": self.role_name if self.role else None,
            "restore_testing": (self.testing or {}).get("ScheduleExpression"),
        }

    # -- converge -------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.vault_part.check()
        self.role_part.converge()
        self.vault_part.converge()
        self.vault_part.converge_copy()
        self.plan_part.converge()
        self.testing_part.converge()
        for sentence, action in self._deferred:
            if self.changes.add(sentence):
                action()

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
