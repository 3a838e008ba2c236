# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore an RDS instance into a new identifier: preflight -> (copy) -> restore -> bounded wait -> verify ->
(repoint) -> result with durations and the age of the data restored.

From a snapshot (``latest``: the newest of the source, automated or manual) or to a point in time. The new
instance gets the source's subnet group, security groups, parameter group and KMS key unless told otherwise;
in another region (a DR drill) the latest snapshot is first copied there with that region's key, and the
network settings are given. The restored instance is tagged with its source, so a rerun after an interruption
finds it and waits for it instead of restoring twice, and ``state: absent`` deletes only what a restore made.
"""

from __future__ import annotations

import json

from ..connection import find_secret
from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import client_token
from ..platform import create_once
from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate
from ..platform import resource_tags
from ..platform import single_attempt
from . import common as c


def validate(params, region):
    errors = []
    target, source = params.get("target") or "", params.get("source") or ""
    for key, value in (("source", source), ("target", target)):
        if not c.IDENTIFIER_RE.match(value):
            errors.append(
                f"{key}: {value!r} is not an RDS instance identifier (1-63 letters, digits, hyphens; a letter first, "
                "no -- and no hyphen last)"
            )
    source_region = params.get("source_region") or region
    if target and target == source and source_region == region:
        errors.append(f"target: {target} is the source itself; a restore goes into a new identifier")
    if params["state"] == "absent":
        return errors
    snapshot, when = params.get("snapshot"), params.get("restore_time")
    if bool(snapshot) == bool(when):
        errors.append(
            "snapshot: give one of snapshot (an identifier, an ARN or latest) or restore_time (ISO 8601 or latest)"
        )
    if (
        snapshot
        and snapshot != "latest"
        and not (c.SNAPSHOT_RE.match(snapshot) or c.SNAPSHOT_ARN_RE.match(snapshot) or snapshot.startswith("rds:"))
    ):
        errors.append(f"snapshot: {snapshot!r} is not a snapshot identifier or ARN (or latest)")
    if when and when != "latest":
        moment = c.parse_time(when)
        if moment is None:
            errors.append(f"restore_time: {when!r} is not an ISO 8601 time (2026-12-05T10:00:00Z) or latest")
        elif moment > c.now():
            errors.append(f"restore_time: {when} is in the future")
    if when and source_region != region:
        errors.append(
            f"restore_time: a point-in-time restore happens in the source's region ({source_region}); in {region} "
            "restore a snapshot (snapshot: latest)"
        )
    if source_region != region:
        for key in ("subnet_group", "kms_key_id"):
            if not params.get(key):
                errors.append(f"{key}: required to restore into another region than the source's ({source_region})")
        if not params.get("security_group_ids"):
            errors.append(
                f"security_group_ids: required to restore into another region than the source's ({source_region})"
            )
    if params.get("kms_key_id") and source_region == region:
        errors.append("kms_key_id: a restore in the source's region keeps the backup's KMS key; leave kms_key_id out")
    return errors


class RestoreProcedure:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.source_region = params.get("source_region") or region
        self.rds = single_attempt(
            clients["rds"], "RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime", "CopyDBSnapshot"
        )
        self.rds_source = clients.get("rds_source") or self.rds
        self.sm = clients.get("secretsmanager")
        self.check_mode = check_mode
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.target = params["target"]
        self.source = None
        self.instance = None
        self.adopted = False
        self.point = {}  # snapshot / restore_time / data_created / kind
        self.copy = None
        self.started = None
        self.secret = None
        self.settings = {}

    # -- present ------------------------------------------------------------------------------------------------

    def run(self):
        self.started = c.now()
        if self.p["state"] == "absent":
            return self.remove()
        with self.phases.phase("preflight"):
            self.preflight()
        if self.instance is None:
            if self.source_region != self.region and self.point["kind"] == "snapshot":
                with self.phases.phase("copy"):
                    self.copy_snapshot()
            with self.phases.phase("restore"):
                self.restore()
        if self.check_mode or not self.p["wait"]:
            if self.p.get("repoint_secret"):
                self.changes.add(f"repoint secret {self.p['repoint_secret']} to {self.target}'s endpoint")
            return None
        with self.phases.phase("wait"):
            self.instance = c.wait_instance(self.rds, self.target, self.remaining())
        with self.phases.phase("verify"):
            self.verify()
        if self.p.get("repoint_secret"):
            with self.phases.phase("repoint"):
                self.repoint()
        return None

    def remaining(self):
        return max(1, int(self.p["wait_timeout"] - (c.now() - self.started).total_seconds()))

    def preflight(self):
        self.instance = c.read_instance(self.rds, self.target)
        if self.instance is not None:
            tags = {t["Key"]: t["Value"] for t in self.instance.get("TagList") or []}
            if tags.get(c.TAG_RESTORED_FROM) != self.p["source"]:
                raise PreconditionFailed(
                    f"target: {self.target} exists and is not a restore of {self.p['source']}; pick another identifier "
                    "(nothing was changed)"
                )
            self.adopted = True
            self.point = {
                "kind": "adopted",
                "restore_point": tags.get(c.TAG_RESTORE_POINT),
                "data_created": tags.get("stackops:restore-data-time"),
            }
            self.warnings.append(
                f"{self.target} is already a restore of {self.p['source']}: waited for it, restored nothing"
            )
            return
        self.source = c.read_instance(self.rds_source, self.p["source"])
        if self.source is None:
            raise PreconditionFailed(
                f"source: no RDS instance {self.p['source']} in {self.source_region} (nothing was changed)"
            )
        if self.p.get("snapshot"):
            self.point = self.find_snapshot()
        else:
            self.point = self.find_time()
        self.settings = self.restore_settings()

    def find_snapshot(self):
        name = self.p["snapshot"]
        if name == "latest":
            found = [
                s for s in c.paginate_snapshots(self.rds_source, self.p["source"]) if s.get("Status") == "available"
            ]
            if not found:
                raise PreconditionFailed(
                    f"snapshot: {self.p['source']} has no available snapshot in {self.source_region} (nothing was changed)"
                )
            snapshot = found[0]
        else:
            snapshot = c.read_snapshot(self.rds_source, name)
            if snapshot is None:
                raise PreconditionFailed(f"snapshot: no snapshot {name} in {self.source_region} (nothing was changed)")
            if snapshot.get("DBInstanceIdentifier") != self.p["source"]:
                raise PreconditionFailed(
                    f"snapshot: {name} is a snapshot of {snapshot.get('DBInstanceIdentifier')}, not of {self.p['source']} "
                    "(nothing was changed)"
                )
            if snapshot.get("Status") != "available":
                raise PreconditionFailed(
                    f"snapshot: {name} is {snapshot.get('Status')}, not available (nothing was changed)"
                )
        created = snapshot.get("OriginalSnapshotCreateTime") or snapshot.get("SnapshotCreateTime")
        return {
            "kind": "snapshot",
            "snapshot": snapshot,
            "restore_point": snapshot["DBSnapshotIdentifier"],
            "data_created": c.iso(created),
        }

    def find_time(self):
        source = self.source
        if not source.get("BackupRetentionPeriod"):
            raise PreconditionFailed(
                f"restore_time: {self.p['source']} keeps no automated backups (backup retention 0), so it has no "
                "point-in-time restore (nothing was changed)"
            )
        latest = c.as_time(source.get("LatestRestorableTime"))
        if self.p["restore_time"] == "latest":
            return {"kind": "time", "restore_time": None, "restore_point": "latest", "data_created": c.iso(latest)}
        wanted = c.parse_time(self.p["restore_time"])
        if latest is not None and wanted > latest:
            raise PreconditionFailed(
                f"restore_time: {self.p['restore_time']} is after {self.p['source']}'s latest restorable time "
                f"{c.iso(latest)} (nothing was changed)"
            )
        return {"kind": "time", "restore_time": wanted, "restore_point": c.iso(wanted), "data_created": c.iso(wanted)}

    def restore_settings(self):
        """Subnet group, security groups, parameter group and key: the source's, or the ones given."""
        source, p = self.source, self.p
        same_region = self.source_region == self.region
        groups = [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups") or []]
        parameter_group = next((g["DBParameterGroupName"] for g in source.get("DBParameterGroups") or []), None)
        settings = {
            "DBSubnetGroupName": p.get("subnet_group")
            or ((source.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")),
            "VpcSecurityGroupIds": sorted(p.get("security_group_ids") or (groups if same_region else [])),
            "DBParameterGroupName": p.get("parameter_group") or (parameter_group if same_region else None),
            "DBInstanceClass": p.get("instance_class") or source.get("DBInstanceClass"),
            "MultiAZ": source.get("MultiAZ", False) if p.get("multi_az") is None else p["multi_az"],
            "DeletionProtection": (
                source.get("DeletionProtection", False)
                if p.get("deletion_protection") is None
                else p["deletion_protection"]
            ),
            "PubliclyAccessible": False,
            "CopyTagsToSnapshot": True,
            "EnableIAMDatabaseAuthentication": bool(source.get("IAMDatabaseAuthenticationEnabled")),
        }
        if source.get("MasterUserSecret"):
            # The snapshot holds no password secret: RDS makes a new managed one for the restored instance.
            settings["ManageMasterUserPassword"] = True
            if same_region and source["MasterUserSecret"].get("KmsKeyId"):
                settings["MasterUserSecretKmsKeyId"] = source["MasterUserSecret"]["KmsKeyId"]
        kms = p.get("kms_key_id") or (self.point.get("snapshot") or {}).get("KmsKeyId") or source.get("KmsKeyId")
        settings["kms"] = kms
        return {k: v for k, v in settings.items() if v is not None}

    def tags(self, **extra):
        identity = identity_tags(self.p["platform"], self.p["environment"], c.COMPONENT)
        return [{"Key": k, "Value": v} for k, v in resource_tags(identity, self.p.get("tags"), **extra).items()]

    def copy_snapshot(self):
        """The snapshot in this region, encrypted with this region's key: one made by an interrupted run, or a new copy."""
        snapshot = self.point["snapshot"]
        name = f"{self.target}-source"
        found = c.read_snapshot(self.rds, name)
        if found is not None:
            tags = c.snapshot_tags(self.rds, found)
            if tags.get(c.TAG_RESTORE_TARGET) != self.target:
                raise PreconditionFailed(
                    f"target: snapshot {name} exists in {self.region} and is not this restore's copy"
                )
            self.copy = found
        elif self.changes.add(
            f"copy snapshot {snapshot['DBSnapshotIdentifier']} from {self.source_region} to {self.region} as {name}"
        ):
            self.copy = create_once(
                lambda: self.rds.copy_db_snapshot(
                    SourceDBSnapshotIdentifier=snapshot["DBSnapshotArn"],
                    TargetDBSnapshotIdentifier=name,
                    SourceRegion=self.source_region,
                    KmsKeyId=self.p["kms_key_id"],
                    Tags=self.tags(**{c.TAG_RESTORE_TARGET: self.target}),
                )["DBSnapshot"],
                lambda: c.read_snapshot(self.rds, name),
                f"snapshot copy {name}",
                self.warnings,
            )
        if self.copy is not None and not self.check_mode:
            self.copy = c.wait_snapshot(self.rds, name, self.remaining())

    def restore(self):
        point, settings = self.point, dict(self.settings)
        settings.pop("kms", None)
        what = (
            f"snapshot {point['restore_point']}"
            if point["kind"] == "snapshot"
            else ("the latest restorable time" if point["restore_time"] is None else point["restore_point"])
        )
        where = f" in {self.region}" if self.source_region != self.region else ""
        if not self.changes.add(f"restore {self.p['source']} from {what} into {self.target}{where}"):
            return
        tags = self.tags(**{
            c.TAG_ROLE: "restore",
            c.TAG_RESTORED_FROM: self.p["source"],
            c.TAG_RESTORE_POINT: str(point["restore_point"]),
            "stackops:restore-data-time": str(point["data_created"] or ""),
        })  # fmt: skip
        if point["kind"] == "snapshot":
            snapshot = self.copy["DBSnapshotIdentifier"] if self.copy else point["snapshot"]["DBSnapshotIdentifier"]

            def call():
                return self.rds.restore_db_instance_from_db_snapshot(
                    DBInstanceIdentifier=self.target, DBSnapshotIdentifier=snapshot, Tags=tags, **settings
                )["DBInstance"]
        else:
            when = (
                {"UseLatestRestorableTime": True}
                if point["restore_time"] is None
                else {"RestoreTime": point["restore_time"]}
            )

            def call():
                return self.rds.restore_db_instance_to_point_in_time(
                    SourceDBInstanceIdentifier=self.p["source"],
                    TargetDBInstanceIdentifier=self.target,
                    Tags=tags,
                    **when,
                    **settings,
                )["DBInstance"]

        self.instance = create_once(
            call, lambda: c.read_instance(self.rds, self.target), f"restore {self.target}", self.warnings
        )

    def verify(self):
        """The new instance answers (available, an endpoint and port) with the settings it was asked for."""
        inst, want, problems = self.instance, self.settings, []
        endpoint = inst.get("Endpoint") or {}
        if not endpoint.get("Address") or not endpoint.get("Port"):
            problems.append("it has no endpoint")
        if (
            want.get("DBSubnetGroupName")
            and (inst.get("DBSubnetGroup") or {}).get("DBSubnetGroupName") != want["DBSubnetGroupName"]
        ):
            problems.append(
                f"subnet group {(inst.get('DBSubnetGroup') or {}).get('DBSubnetGroupName')}, not {want['DBSubnetGroupName']}"
            )
        groups = sorted(g["VpcSecurityGroupId"] for g in inst.get("VpcSecurityGroups") or [])
        if want.get("VpcSecurityGroupIds") and groups != want["VpcSecurityGroupIds"]:
            problems.append(f"security groups {groups}, not {want['VpcSecurityGroupIds']}")
        groups = [g["DBParameterGroupName"] for g in inst.get("DBParameterGroups") or []]
        if want.get("DBParameterGroupName") and want["DBParameterGroupName"] not in groups:
            problems.append(f"parameter groups {groups}, not {want['DBParameterGroupName']}")
        if want.get("kms") and inst.get("KmsKeyId") != want["kms"]:
            problems.append(f"KMS key {inst.get('KmsKeyId')}, not {want['kms']}")
        if problems:
            raise PlatformError(f"restored instance {self.target} is not as asked: " + "; ".join(problems))

    def repoint(self):
        """The connection secret the services read now names the restored instance (a restart makes them read it)."""
        key = self.p["repoint_secret"]
        arn = find_secret(self.sm, self.p["platform"], self.p["environment"], key)
        if not arn:
            raise PreconditionFailed(
                f"repoint_secret: no connection secret {key} for {self.p['platform']}-{self.p['environment']}"
            )
        current = not_found(lambda: self.sm.get_secret_value(SecretId=arn, aws_retry=True), "ResourceNotFoundException")
        try:
            value = json.loads((current or {}).get("SecretString") or "{}")
        except ValueError:
            value = {}
        endpoint = self.instance["Endpoint"]
        wanted = dict(value, host=endpoint["Address"], reader_host=endpoint["Address"], port=endpoint["Port"])
        if (self.instance.get("MasterUserSecret") or {}).get("SecretArn"):
            wanted["master_secret_arn"] = self.instance["MasterUserSecret"]["SecretArn"]
        self.secret = {"key": key, "arn": arn, "from_host": value.get("host"), "to_host": endpoint["Address"]}
        if wanted != value and self.changes.add(
            f"repoint secret {key}: host {value.get('host')} -> {endpoint['Address']}"
        ):
            self.sm.put_secret_value(
                SecretId=arn,
                SecretString=json.dumps(wanted, sort_keys=True),
                ClientRequestToken=client_token(),
                aws_retry=True,
            )

    # -- absent -------------------------------------------------------------------------------------------------

    def remove(self):
        """Delete what a restore made into ``target``: the instance (no final snapshot) and the snapshot copy."""
        with self.phases.phase("preflight"):
            found = c.read_instance(self.rds, self.target)
            if found is not None:
                tags = {t["Key"]: t["Value"] for t in found.get("TagList") or []}
                if tags.get(c.TAG_RESTORED_FROM) != self.p["source"]:
                    raise PreconditionFailed(
                        f"target: {self.target} is not a restore of {self.p['source']}; it is not deleted (nothing was changed)"
                    )
                if found.get("DeletionProtection"):
                    raise PreconditionFailed(f"target: {self.target} has deletion protection; turn it off first")
            copies = [
                s for s in paginate(self.rds, "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")
                if c.snapshot_tags(self.rds, s).get(c.TAG_RESTORE_TARGET) == self.target
            ]  # fmt: skip
        with self.phases.phase("delete"):
            if found is not None and found.get("DBInstanceStatus") != "deleting":
                if self.changes.add(f"delete {self.target} (restored from {self.p['source']}, no final snapshot)"):
                    self.rds.delete_db_instance(
                        DBInstanceIdentifier=self.target,
                        SkipFinalSnapshot=True,
                        DeleteAutomatedBackups=True,
                        aws_retry=True,
                    )
            for snapshot in copies:
                if self.changes.add(f"delete snapshot copy {snapshot['DBSnapshotIdentifier']}"):
                    self.rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"], aws_retry=True)
        if found is not None and not self.check_mode and self.p["wait"]:
            with self.phases.phase("wait"):
                c.wait_instance_gone(self.rds, self.target, self.remaining())

    # -- result -------------------------------------------------------------------------------------------------

    def result(self):
        inst = self.instance or {}
        endpoint = inst.get("Endpoint") or {}
        data_time = c.as_time(self.point.get("data_created"))
        return {
            "identifier": self.target,
            "arn": inst.get("DBInstanceArn"),
            "region": self.region,
            "status": inst.get("DBInstanceStatus") or ("absent" if self.p["state"] == "absent" else None),
            "endpoint": endpoint.get("Address"),
            "port": endpoint.get("Port"),
            "availability_zone": inst.get("AvailabilityZone"),
            "source": self.p["source"],
            "source_region": self.source_region,
            "restore_point": self.point.get("restore_point"),
            "kind": self.point.get("kind"),
            "copy": (self.copy or {}).get("DBSnapshotIdentifier"),
            "data_time": c.iso(data_time),
            # How old the restored data was when the restore started: what a recovery from it would have lost.
            "data_age_s": round((self.started - data_time).total_seconds(), 1) if data_time and self.started else None,
            "subnet_group": (inst.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            "security_group_ids": sorted(g["VpcSecurityGroupId"] for g in inst.get("VpcSecurityGroups") or []),
            "parameter_group": next((g["DBParameterGroupName"] for g in inst.get("DBParameterGroups") or []), None),
            "kms_key_id": inst.get("KmsKeyId"),
            "master_user_secret_arn": (inst.get("MasterUserSecret") or {}).get("SecretArn"),
            "adopted": self.adopted,
        }

    def extra_result(self):
        return {"secret": self.secret}
