# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The backup vault (KMS key, tags, lock) and the copy vault in the DR region. A vault's key cannot change, and
a compliance-mode lock past its grace time refuses any change: both are refused before the first write."""

from __future__ import annotations

import datetime

from ..platform import ReconcileError
from ..platform import client_token
from ..platform import tag_changes
from . import state as st


def vault_view(vault):
    if not vault:
        return None
    view = {
        "name": vault["BackupVaultName"],
        "kms_key": vault.get("EncryptionKeyArn"),
        "locked": bool(vault.get("Locked")),
    }
    if vault.get("Locked"):
        view.update(min_retention_days=vault.get("MinRetentionDays"), max_retention_days=vault.get("MaxRetentionDays"))
    return view


class Vaults:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        backup = o.clients["backup"]
        o.vault = st.read_vault(backup, o.vault_name)
        if o.vault:
            o.vault_tags = st.read_tags(backup, o.vault["BackupVaultArn"])
        if o.p.get("copy_region"):
            o.copy_vault = st.read_vault(o.clients["backup_copy"], o.p.get("copy_vault_name") or o.vault_name)

    def check(self):
        """Preconditions found by the reads, before the first write."""
        o = self.o
        if o.vault and o.p.get("kms_key_id") and o.vault.get("EncryptionKeyArn"):
            wanted = o.p["kms_key_id"]
            if wanted.startswith("arn:") and ":key/" in wanted and wanted != o.vault["EncryptionKeyArn"]:
                raise ReconcileError(
                    f"{o.var('kms_key_id')}: the vault {o.vault_name} is encrypted with {o.vault['EncryptionKeyArn']}; "
                    "AWS Backup cannot change a vault's key (keep the key, or create a new vault with "
                    f"{o.var('name') if o.p.get('variable_prefix') else 'vault_name'})"
                )
        lock = o.p.get("vault_lock") or {}
        if o.vault and o.vault.get("Locked") and lock and self._lock_differs(lock) and self._immutable():
            raise ReconcileError(
                f"{o.var('vault_lock')}: the vault {o.vault_name} is locked in compliance mode and its grace time is over; "
                "AWS refuses any change to its lock"
            )

    def _immutable(self):
        lock_date = self.o.vault.get("LockDate")
        if not lock_date:
            return False
        if isinstance(lock_date, (int, float)):
            lock_date = datetime.datetime.fromtimestamp(lock_date, datetime.timezone.utc)  # noqa: UP017
        return lock_date <= datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017

    def _lock_differs(self, lock):
        vault = self.o.vault
        return (
            not vault.get("Locked")
            or vault.get("MinRetentionDays") != lock.get("min_retention_days")
            or vault.get("MaxRetentionDays") != lock.get("max_retention_days")
        )

    def _create(self, backup, name, kms):
        params = dict(BackupVaultName=name, BackupVaultTags=self.o.tags(name), CreatorRequestId=client_token())
        if kms:
            params["EncryptionKeyArn"] = kms
        try:
            return backup.create_backup_vault(aws_retry=True, **params)["BackupVaultArn"]
        except backup.exceptions.AlreadyExistsException:
            return st.read_vault(backup, name)["BackupVaultArn"]

    @staticmethod
    def _key_arn(kms_client, key):
        if not key or (key.startswith("arn:") and ":key/" in key) or kms_client is None:
            return key
        return st.resolve_key(kms_client, key)

    def converge(self):
        o = self.o
        backup = o.clients["backup"]
        kms = o.p.get("kms_key_id")
        if o.vault is None:
            if o.changes.add(
                f"create backup vault {o.vault_name}" + (" (encrypted with the backups key)" if kms else "")
            ):
                arn = self._create(backup, o.vault_name, self._key_arn(o.clients.get("kms"), kms))
                o.vault = {"BackupVaultName": o.vault_name, "BackupVaultArn": arn}
        else:
            to_set, to_unset = tag_changes(o.vault_tags, o.tags(o.vault_name), o.p.get("purge_tags", True))
            if to_set and o.changes.add(f"tag backup vault {o.vault_name}: set {', '.join(sorted(to_set))}"):
                backup.tag_resource(ResourceArn=o.vault["BackupVaultArn"], Tags=to_set, aws_retry=True)
            if to_unset and o.changes.add(f"tag backup vault {o.vault_name}: remove {', '.join(sorted(to_unset))}"):
                backup.untag_resource(ResourceArn=o.vault["BackupVaultArn"], TagKeyList=list(to_unset), aws_retry=True)
        lock = o.p.get("vault_lock") or {}
        if lock and (o.vault is None or not o.vault.get("Locked") or self._lock_differs(lock)):
            mode = lock["mode"]
            sentence = (
                f"lock backup vault {o.vault_name} in {mode} mode (retention {lock.get('min_retention_days') or '-'}"
                f" to {lock.get('max_retention_days') or '-'} days"
                + (f", immutable after {lock['changeable_for_days']} days" if mode == "compliance" else "")
                + ")"
            )
            if o.changes.add(sentence):
                params = {"BackupVaultName": o.vault_name}
                for option, key in (
                    ("min_retention_days", "MinRetentionDays"),
                    ("max_retention_days", "MaxRetentionDays"),
                    ("changeable_for_days", "ChangeableForDays"),
                ):
                    if lock.get(option) is not None and (option != "changeable_for_days" or mode == "compliance"):
                        params[key] = lock[option]
                backup.put_backup_vault_lock_configuration(aws_retry=True, **params)

    def converge_copy(self):
        o = self.o
        if not o.p.get("copy_region") or o.copy_vault is not None:
            return
        name = o.p.get("copy_vault_name") or o.vault_name
        kms = o.p.get("copy_kms_key_id")
        if o.changes.add(f"create backup vault {name} in {o.p['copy_region']} (copies for disaster recovery)"):
            self._create(o.clients["backup_copy"], name, self._key_arn(o.clients.get("kms_copy"), kms))
