# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Aurora restore's snapshot: the one asked for (or the source's newest), copied into this region when the
restore happens in another one (a DR drill), encrypted with that region's key."""

from __future__ import annotations

from ..platform import PreconditionFailed
from ..platform import create_once
from . import common as c


class ClusterSnapshots:
    """Mixed into ClusterRestore: reads ``p``, ``rds``, ``rds_source``, ``point``; sets ``copy``."""

    def find_snapshot(self):
        name, source = self.p["snapshot"], self.p["source"]
        if name == "latest":
            found = [s for s in c.paginate_cluster_snapshots(self.rds_source, source) if s.get("Status") == "available"]
            if not found:
                raise PreconditionFailed(
                    f"snapshot: {source} has no available cluster snapshot in {self.source_region} (nothing was changed)"
                )
            snapshot = found[0]
        else:
            snapshot = c.read_cluster_snapshot(self.rds_source, name)
            if snapshot is None:
                raise PreconditionFailed(
                    f"snapshot: no cluster snapshot {name} in {self.source_region} (nothing was changed)"
                )
            if snapshot.get("DBClusterIdentifier") != source:
                raise PreconditionFailed(
                    f"snapshot: {name} is a snapshot of {snapshot.get('DBClusterIdentifier')}, not of {source} "
                    "(nothing was changed)"
                )
            if snapshot.get("Status") != "available":
                raise PreconditionFailed(
                    f"snapshot: {name} is {snapshot.get('Status')}, not available (nothing was changed)"
                )
        return {
            "kind": "snapshot",
            "snapshot": snapshot,
            "restore_point": snapshot["DBClusterSnapshotIdentifier"],
            "data_created": c.iso(snapshot.get("SnapshotCreateTime")),
        }

    def copy_snapshot(self):
        """The cluster snapshot in this region, encrypted with this region's key: an interrupted run's, or a new copy."""
        snapshot = self.point["snapshot"]
        name = f"{self.target}-source"
        found = c.read_cluster_snapshot(self.rds, name)
        if found is not None:
            if c.cluster_snapshot_tags(self.rds, found).get(c.TAG_RESTORE_TARGET) != self.target:
                raise PreconditionFailed(
                    f"target: cluster snapshot {name} exists in {self.region} and is not this restore's copy"
                )
            self.copy = found
        elif self.changes.add(
            f"copy cluster snapshot {snapshot['DBClusterSnapshotIdentifier']} from {self.source_region} to "
            f"{self.region} as {name}"
        ):
            self.copy = create_once(
                lambda: self.rds.copy_db_cluster_snapshot(
                    SourceDBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotArn"],
                    TargetDBClusterSnapshotIdentifier=name,
                    SourceRegion=self.source_region,
                    KmsKeyId=self.p["kms_key_id"],
                    Tags=self.tags(**{c.TAG_RESTORE_TARGET: self.target}),
                )["DBClusterSnapshot"],
                lambda: c.read_cluster_snapshot(self.rds, name),
                f"cluster snapshot copy {name}",
                self.warnings,
            )
        if self.copy is not None and not self.check_mode:
            self.copy = c.wait_cluster_snapshot(self.rds, name, self.remaining())
