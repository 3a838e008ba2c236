# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A manual snapshot of an RDS instance: preflight -> snapshot -> bounded wait -> verify.

The snapshot carries who took it and why (tags), so a rerun after an interruption finds the snapshot of the
same reason still being made and waits for it instead of taking a second one.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import create_once
from ..platform import identity_tags
from ..platform import resource_tags
from ..platform import single_attempt
from . import common as c


def validate(params, region):  # pylint: disable=unused-argument
    errors = []
    if not c.IDENTIFIER_RE.match(params["instance"] or ""):
        errors.append(f"instance: {params['instance']!r} is not an RDS instance identifier")
    name = params.get("snapshot_identifier")
    if name and not c.SNAPSHOT_RE.match(name):
        errors.append(
            f"snapshot_identifier: {name!r} is not a snapshot identifier (letters, digits, hyphens, a letter first, "
            "no -- and no hyphen last)"
        )
    for key in ("reason", "requested_by"):
        value = params.get(key) or ""
        if key == "reason" and not value.strip():
            errors.append("reason: say why the snapshot is taken (it is tagged on the snapshot)")
        elif not c.TAG_VALUE_RE.match(value):
            errors.append(
                f"{key}: {value!r} holds characters a tag value cannot (letters, digits, spaces, _ . : / = + - @)"
            )
    return errors


class SnapshotProcedure:
    def __init__(self, params, rds, check_mode):
        self.p = params
        self.rds = single_attempt(rds, "CreateDBSnapshot")
        self.check_mode = check_mode
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.instance = None
        self.snapshot = None
        self.adopted = False
        self.identifier = params.get("snapshot_identifier")

    def run(self):
        with self.phases.phase("preflight"):
            self.preflight()
        if self.snapshot is None:
            with self.phases.phase("snapshot"):
                self.create()
        if self.check_mode or not self.p["wait"]:
            return
        with self.phases.phase("wait"):
            self.snapshot = c.wait_snapshot(self.rds, self.identifier, self.p["wait_timeout"])
        with self.phases.phase("verify"):
            self.verify()

    def preflight(self):
        name = self.p["instance"]
        self.instance = c.read_instance(self.rds, name)
        if self.instance is None:
            raise PreconditionFailed(f"instance: no RDS instance {name} in this region (nothing was changed)")
        if self.identifier:
            found = c.read_snapshot(self.rds, self.identifier)
            if found is not None:
                if found.get("DBInstanceIdentifier") != name:
                    raise PreconditionFailed(
                        f"snapshot_identifier: {self.identifier} is a snapshot of {found.get('DBInstanceIdentifier')}, "
                        f"not of {name} (nothing was changed)"
                    )
                self.snapshot, self.adopted = found, True
                return
        else:
            # A rerun after an interruption: the snapshot of this reason still being made.
            for found in c.paginate_snapshots(self.rds, name):
                tags = c.snapshot_tags(self.rds, found)
                if found.get("Status") == "creating" and tags.get(c.TAG_REASON) == self.p["reason"]:
                    self.snapshot, self.adopted = found, True
                    self.identifier = found["DBSnapshotIdentifier"]
                    self.warnings.append(f"snapshot {self.identifier} of the same reason was being made: waited for it")
                    return
            self.identifier = f"{name}-{c.now().strftime('%Y%m%d-%H%M%S')}"
        status = self.instance.get("DBInstanceStatus")
        if status != "available":
            raise PreconditionFailed(
                f"instance: {name} is {status}; RDS takes a snapshot of an available instance only (nothing was changed)"
            )

    def tags(self):
        identity = identity_tags(self.p["platform"], self.p["environment"], c.COMPONENT)
        extra = {c.TAG_REASON: self.p["reason"]}
        if self.p.get("requested_by"):
            extra[c.TAG_BY] = self.p["requested_by"]
        return resource_tags(identity, self.p.get("tags"), **extra)

    def create(self):
        name = self.p["instance"]
        if not self.changes.add(f"snapshot {name} as {self.identifier} ({self.p['reason']})"):
            return
        tags = [{"Key": k, "Value": v} for k, v in self.tags().items()]
        self.snapshot = create_once(
            lambda: self.rds.create_db_snapshot(
                DBSnapshotIdentifier=self.identifier, DBInstanceIdentifier=name, Tags=tags
            )["DBSnapshot"],
            lambda: c.read_snapshot(self.rds, self.identifier),
            f"snapshot {self.identifier}",
            self.warnings,
        )

    def verify(self):
        """The snapshot is what a restore needs: available, of this instance, its engine, storage and key."""
        snap, inst, problems = self.snapshot, self.instance, []
        if snap.get("DBInstanceIdentifier") != inst["DBInstanceIdentifier"]:
            problems.append(f"it is of {snap.get('DBInstanceIdentifier')}")
        if bool(snap.get("Encrypted")) != bool(inst.get("StorageEncrypted")):
            problems.append(
                f"encrypted {snap.get('Encrypted')} while the instance's storage is {inst.get('StorageEncrypted')}"
            )
        if inst.get("KmsKeyId") and snap.get("KmsKeyId") != inst.get("KmsKeyId"):
            problems.append(f"KMS key {snap.get('KmsKeyId')} is not the instance's {inst.get('KmsKeyId')}")
        if snap.get("AllocatedStorage") != inst.get("AllocatedStorage"):
            problems.append(f"{snap.get('AllocatedStorage')} GiB, the instance has {inst.get('AllocatedStorage')} GiB")
        if snap.get("EngineVersion") != inst.get("EngineVersion"):
            problems.append(f"engine {snap.get('EngineVersion')}, the instance runs {inst.get('EngineVersion')}")
        if problems:
            raise PlatformError(
                f"snapshot {self.identifier} does not match {inst['DBInstanceIdentifier']}: " + "; ".join(problems)
            )

    def result(self):
        snap = self.snapshot or {}
        return {
            "identifier": self.identifier,
            "arn": snap.get("DBSnapshotArn"),
            "instance": self.p["instance"],
            "status": snap.get("Status") or ("planned" if self.check_mode else None),
            "created": c.iso(snap.get("SnapshotCreateTime")),
            "encrypted": snap.get("Encrypted"),
            "kms_key_id": snap.get("KmsKeyId"),
            "allocated_storage": snap.get("AllocatedStorage"),
            "engine_version": snap.get("EngineVersion"),
            "reason": self.p["reason"],
            "requested_by": self.p.get("requested_by"),
            "adopted": self.adopted,
        }
