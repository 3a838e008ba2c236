# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore an RDS instance into a new identifier (RestoreDBInstanceFromDBSnapshot / ToPointInTime).

The new instance gets the source's subnet group, security groups, parameter group and KMS key unless told
otherwise; in another region (a DR drill) the snapshot is first copied there with that region's key.
"""

from __future__ import annotations

from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import create_once
from ..platform import paginate
from ..platform import single_attempt
from . import common as c
from .base import BaseRestore
from .repoint import repoint_secret


class InstanceRestore(BaseRestore):
    kind = "instance"

    def __init__(self, params, region, clients, check_mode):
        super().__init__(params, region, clients, check_mode)
        self.rds = single_attempt(
            clients["rds"], "RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime", "CopyDBSnapshot"
        )
        self.rds_source = clients.get("rds_source") or self.rds
        self.instance = None

    def preflight(self):
        self.instance = c.read_instance(self.rds, self.target)
        if self.instance is not None:
            self.adopt({t["Key"]: t["Value"] for t in self.instance.get("TagList") or []}, "instance")
            return
        self.source = c.read_instance(self.rds_source, self.p["source"])
        if self.source is None:
            raise PreconditionFailed(
                f"source: no RDS instance {self.p['source']} in {self.source_region} (nothing was changed)"
            )
        if self.p.get("snapshot"):
            self.point = self.find_snapshot()
        else:
            self.point = self.time_point(
                self.source.get("BackupRetentionPeriod"), self.source.get("LatestRestorableTime")
            )
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

    def copy_snapshot(self):
        """The snapshot in this region, encrypted with this region's key: one made by an interrupted run, or a new copy."""
        snapshot = self.point["snapshot"]
        name = f"{self.target}-source"
        found = c.read_snapshot(self.rds, name)
        if found is not None:
            if c.snapshot_tags(self.rds, found).get(c.TAG_RESTORE_TARGET) != self.target:
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
        if not self.changes.add(self.describe_point()):
            return
        tags = self.restore_tags()
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

    def wait(self):
        self.instance = c.wait_instance(self.rds, self.target, self.remaining())

    def verify(self):
        """The new instance answers (available, an endpoint and port) with the settings it was asked for."""
        inst, problems = self.instance, []
        endpoint = inst.get("Endpoint") or {}
        if not endpoint.get("Address") or not endpoint.get("Port"):
            problems.append("it has no endpoint")
        problems += self.mismatches(
            self.settings,
            (inst.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            [g["VpcSecurityGroupId"] for g in inst.get("VpcSecurityGroups") or []],
            [g["DBParameterGroupName"] for g in inst.get("DBParameterGroups") or []],
            inst.get("KmsKeyId"),
        )
        if problems:
            raise PlatformError(f"restored instance {self.target} is not as asked: " + "; ".join(problems))

    def repoint(self):
        endpoint = self.instance["Endpoint"]
        self.secret = repoint_secret(
            self.sm,
            self.p,
            self.changes,
            endpoint["Address"],
            endpoint["Address"],
            endpoint["Port"],
            (self.instance.get("MasterUserSecret") or {}).get("SecretArn"),
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

    def result(self):
        inst = self.instance or {}
        endpoint = inst.get("Endpoint") or {}
        return {
            "identifier": self.target,
            "arn": inst.get("DBInstanceArn"),
            "status": inst.get("DBInstanceStatus") or ("absent" if self.p["state"] == "absent" else None),
            "endpoint": endpoint.get("Address"),
            "reader_endpoint": endpoint.get("Address"),
            "port": endpoint.get("Port"),
            "availability_zone": inst.get("AvailabilityZone"),
            "writer": None,
            "copy": (self.copy or {}).get("DBSnapshotIdentifier"),
            "subnet_group": (inst.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            "security_group_ids": sorted(g["VpcSecurityGroupId"] for g in inst.get("VpcSecurityGroups") or []),
            "parameter_group": next((g["DBParameterGroupName"] for g in inst.get("DBParameterGroups") or []), None),
            "kms_key_id": inst.get("KmsKeyId"),
            "master_user_secret_arn": (inst.get("MasterUserSecret") or {}).get("SecretArn"),
            **self.measures(),
        }
