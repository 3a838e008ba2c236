# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore an Aurora DB cluster into a new identifier, then give it its writer.

RestoreDBClusterFromSnapshot / RestoreDBClusterToPointInTime make a cluster without instances ("The DB cluster
is created without any DB instances": the restore is followed by CreateDBInstance with the cluster's
identifier), so the restore is two steps: the cluster, then the writer ``<target>-1`` in it. The cluster gets
the source's subnet group, security groups, cluster parameter group and KMS key (in another region: the ones
given, and the snapshot copied there first with that region's key); the writer the source writer's class and
parameter group (db.serverless on an Aurora Serverless v2 source).
"""

from __future__ import annotations

from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import create_once
from ..platform import paginate
from ..platform import single_attempt
from . import common as c
from .base import BaseRestore
from .cluster_snapshot import ClusterSnapshots
from .repoint import repoint_secret


def _tags(found):
    return {t["Key"]: t["Value"] for t in (found or {}).get("TagList") or []}


class ClusterRestore(ClusterSnapshots, BaseRestore):
    kind = "cluster"
    second_step = "writer"

    def __init__(self, params, region, clients, check_mode):
        super().__init__(params, region, clients, check_mode)
        self.rds = single_attempt(
            clients["rds"],
            "RestoreDBClusterFromSnapshot",
            "RestoreDBClusterToPointInTime",
            "CopyDBClusterSnapshot",
            "CreateDBInstance",
        )
        self.rds_source = clients.get("rds_source") or self.rds
        self.cluster = None
        self.writer = None
        self.writer_name = f"{self.target}-1"
        self.writer_settings = {}

    def preflight(self):
        if len(self.target) > 61:
            raise PreconditionFailed(
                f"target: {self.target} is too long for an Aurora restore (its writer is {self.writer_name}, at most "
                "63 characters) (nothing was changed)"
            )
        writer = c.read_instance(self.rds, self.writer_name)
        if writer is not None and writer.get("DBClusterIdentifier") != self.target:
            raise PreconditionFailed(
                f"target: instance {self.writer_name} exists and is not in cluster {self.target}; pick another "
                "identifier (nothing was changed)"
            )
        self.writer = writer
        self.cluster = c.read_cluster(self.rds, self.target)
        if self.cluster is not None:
            self.adopt(_tags(self.cluster), "cluster")
            if writer is None:
                self.writer_settings = self.adopted_writer_settings()
            return
        self.source = c.read_cluster(self.rds_source, self.p["source"])
        if self.source is None:
            raise PreconditionFailed(
                f"source: no Aurora cluster {self.p['source']} in {self.source_region} (nothing was changed)"
            )
        if self.p.get("snapshot"):
            self.point = self.find_snapshot()
        else:
            self.point = self.time_point(
                self.source.get("BackupRetentionPeriod"), self.source.get("LatestRestorableTime")
            )
        self.settings = self.restore_settings()
        self.writer_settings = self.new_writer_settings(self.source_writer())

    def source_writer(self):
        writer = next((m for m in self.source.get("DBClusterMembers") or [] if m.get("IsClusterWriter")), None)
        return c.read_instance(self.rds_source, writer["DBInstanceIdentifier"]) if writer else None

    def restore_settings(self):
        """Subnet group, security groups, cluster parameter group and key: the source's, or the ones given."""
        source, p = self.source, self.p
        same_region = self.source_region == self.region
        groups = [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups") or []]
        settings = {
            "DBSubnetGroupName": p.get("subnet_group") or source.get("DBSubnetGroup"),
            "VpcSecurityGroupIds": sorted(p.get("security_group_ids") or (groups if same_region else [])),
            "DBClusterParameterGroupName": p.get("parameter_group")
            or (source.get("DBClusterParameterGroup") if same_region else None),
            "Port": source.get("Port"),
            "DeletionProtection": (
                source.get("DeletionProtection", False)
                if p.get("deletion_protection") is None
                else p["deletion_protection"]
            ),
            "CopyTagsToSnapshot": True,
            "EnableIAMDatabaseAuthentication": bool(source.get("IAMDatabaseAuthenticationEnabled")),
            "ServerlessV2ScalingConfiguration": source.get("ServerlessV2ScalingConfiguration") or None,
            # In another region the copy's key (given); here the backup's key, which the restore keeps.
            "KmsKeyId": p.get("kms_key_id"),
        }
        settings["kms"] = (
            p.get("kms_key_id") or (self.point.get("snapshot") or {}).get("KmsKeyId") or source.get("KmsKeyId")
        )
        return {k: v for k, v in settings.items() if v is not None}

    def new_writer_settings(self, writer):
        source, same_region = self.source, self.source_region == self.region
        serverless = bool(source.get("ServerlessV2ScalingConfiguration"))
        writer = writer or {}
        settings = {
            "DBInstanceClass": self.p.get("instance_class")
            or writer.get("DBInstanceClass")
            or ("db.serverless" if serverless else None),
            "Engine": source.get("Engine"),
            "DBParameterGroupName": (
                next((g["DBParameterGroupName"] for g in writer.get("DBParameterGroups") or []), None)
                if same_region
                else None
            ),
        }
        if not settings["DBInstanceClass"]:
            raise PreconditionFailed(
                f"instance_class: {self.p['source']} has no writer to take the class from; give instance_class "
                "(nothing was changed)"
            )
        return {k: v for k, v in settings.items() if v is not None}

    def adopted_writer_settings(self):
        """An interrupted run made the cluster, not its writer: the writer as the cluster's tags recorded it."""
        tags = _tags(self.cluster)
        return {
            "DBInstanceClass": self.p.get("instance_class")
            or tags.get("stackops:restore-writer-class")
            or "db.serverless",
            "Engine": self.cluster.get("Engine"),
        }

    def restore(self):
        point, settings = self.point, dict(self.settings)
        settings.pop("kms", None)
        if not self.changes.add(self.describe_point() + " (an Aurora cluster)"):
            return
        tags = self.restore_tags()
        tags.append({"Key": "stackops:restore-writer-class", "Value": self.writer_settings["DBInstanceClass"]})
        if point["kind"] == "snapshot":
            # The copy in this region, or the source's snapshot in its (and this) region.
            snapshot = self.copy or point["snapshot"]

            def call():
                return self.rds.restore_db_cluster_from_snapshot(
                    DBClusterIdentifier=self.target,
                    SnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"],
                    Engine=snapshot.get("Engine") or self.source.get("Engine"),
                    EngineVersion=snapshot.get("EngineVersion") or self.source.get("EngineVersion"),
                    Tags=tags,
                    **settings,
                )["DBCluster"]
        else:
            when = (
                {"UseLatestRestorableTime": True}
                if point["restore_time"] is None
                else {"RestoreToTime": point["restore_time"]}
            )

            def call():
                return self.rds.restore_db_cluster_to_point_in_time(
                    SourceDBClusterIdentifier=self.p["source"],
                    DBClusterIdentifier=self.target,
                    RestoreType="full-copy",
                    Tags=tags,
                    **when,
                    **settings,
                )["DBCluster"]

        self.cluster = create_once(
            call, lambda: c.read_cluster(self.rds, self.target), f"restore {self.target}", self.warnings
        )

    def wait(self):
        self.cluster = c.wait_cluster(self.rds, self.target, self.remaining())

    def make_second_step(self):
        """The writer: a restored cluster has no instance until one is created in it, once it is available."""
        settings = self.writer_settings
        if self.writer is None and self.changes.add(
            f"create writer {self.writer_name} ({settings['DBInstanceClass']}) in {self.target}"
        ):
            self.writer = create_once(
                lambda: self.rds.create_db_instance(
                    DBInstanceIdentifier=self.writer_name,
                    DBClusterIdentifier=self.target,
                    PubliclyAccessible=False,
                    Tags=self.tags(**{c.TAG_ROLE: "restore-writer", c.TAG_RESTORED_FROM: self.p["source"]}),
                    **settings,
                )["DBInstance"],
                lambda: c.read_instance(self.rds, self.writer_name),
                f"writer {self.writer_name}",
                self.warnings,
            )
        if self.check_mode or not self.p["wait"]:
            return
        self.writer = c.wait_instance(self.rds, self.writer_name, self.remaining())
        # The cluster as it is with its writer in it (its members, its endpoint answering).
        self.cluster = c.read_cluster(self.rds, self.target) or self.cluster

    def verify(self):
        """The cluster answers (available, an endpoint and port, its writer in it) with the settings it was asked for."""
        cluster, problems = self.cluster, []
        if not cluster.get("Endpoint") or not cluster.get("Port"):
            problems.append("it has no endpoint")
        writers = [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers") or [] if m.get("IsClusterWriter")]
        if writers != [self.writer_name]:
            problems.append(f"its writer is {writers or 'missing'}, not {self.writer_name}")
        problems += self.mismatches(
            self.settings,
            cluster.get("DBSubnetGroup"),
            [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups") or []],
            [cluster.get("DBClusterParameterGroup")],
            cluster.get("KmsKeyId"),
        )
        if problems:
            raise PlatformError(f"restored cluster {self.target} is not as asked: " + "; ".join(problems))

    def repoint(self):
        cluster = self.cluster
        self.secret = repoint_secret(
            self.sm,
            self.p,
            self.changes,
            cluster["Endpoint"],
            cluster.get("ReaderEndpoint") or cluster["Endpoint"],
            cluster["Port"],
            (cluster.get("MasterUserSecret") or {}).get("SecretArn"),
        )

    # -- absent -------------------------------------------------------------------------------------------------

    def remove(self):
        """Delete what a restore made into ``target``: its instances, the cluster (no final snapshot), the copy."""
        with self.phases.phase("preflight"):
            found = c.read_cluster(self.rds, self.target)
            if found is not None:
                if _tags(found).get(c.TAG_RESTORED_FROM) != self.p["source"]:
                    raise PreconditionFailed(
                        f"target: {self.target} is not a restore of {self.p['source']}; it is not deleted (nothing was changed)"
                    )
                if found.get("DeletionProtection"):
                    raise PreconditionFailed(f"target: {self.target} has deletion protection; turn it off first")
            members = [m["DBInstanceIdentifier"] for m in (found or {}).get("DBClusterMembers") or []]
            copies = [
                s for s in paginate(self.rds, "describe_db_cluster_snapshots", "DBClusterSnapshots", SnapshotType="manual")
                if c.cluster_snapshot_tags(self.rds, s).get(c.TAG_RESTORE_TARGET) == self.target
            ]  # fmt: skip
        with self.phases.phase("delete"):
            for member in members:
                instance = c.read_instance(self.rds, member)
                if instance is not None and instance.get("DBInstanceStatus") != "deleting":
                    if self.changes.add(f"delete {member} (writer of the restore {self.target})"):
                        self.rds.delete_db_instance(DBInstanceIdentifier=member, SkipFinalSnapshot=True, aws_retry=True)
            if found is not None and found.get("Status") != "deleting":
                if self.changes.add(
                    f"delete cluster {self.target} (restored from {self.p['source']}, no final snapshot)"
                ):
                    self.rds.delete_db_cluster(
                        DBClusterIdentifier=self.target,
                        SkipFinalSnapshot=True,
                        DeleteAutomatedBackups=True,
                        aws_retry=True,
                    )
            for snapshot in copies:
                name = snapshot["DBClusterSnapshotIdentifier"]
                if self.changes.add(f"delete cluster snapshot copy {name}"):
                    self.rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=name, aws_retry=True)
        if found is not None and not self.check_mode and self.p["wait"]:
            with self.phases.phase("wait"):
                for member in members:
                    c.wait_instance_gone(self.rds, member, self.remaining())
                c.wait_cluster_gone(self.rds, self.target, self.remaining())

    def result(self):
        cluster = self.cluster or {}
        return {
            "identifier": self.target,
            "arn": cluster.get("DBClusterArn"),
            "status": cluster.get("Status") or ("absent" if self.p["state"] == "absent" else None),
            "endpoint": cluster.get("Endpoint"),
            "reader_endpoint": cluster.get("ReaderEndpoint"),
            "port": cluster.get("Port"),
            "availability_zone": (self.writer or {}).get("AvailabilityZone"),
            "writer": self.writer_name if self.writer else None,
            "copy": (self.copy or {}).get("DBClusterSnapshotIdentifier"),
            "subnet_group": cluster.get("DBSubnetGroup"),
            "security_group_ids": sorted(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups") or []),
            "parameter_group": cluster.get("DBClusterParameterGroup"),
            "kms_key_id": cluster.get("KmsKeyId"),
            "master_user_secret_arn": (cluster.get("MasterUserSecret") or {}).get("SecretArn"),
            **self.measures(),
        }
