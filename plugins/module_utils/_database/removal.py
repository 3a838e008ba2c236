# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""``state: absent``: the tier's instances deleted (replicas first, then the primary with its final snapshot),
then the Aurora cluster; nothing with deletion protection."""

from __future__ import annotations

import time

from ..platform import ReconcileError
from . import state as st


class Removal:
    """Deletes what the tier made, in an order RDS accepts."""

    def __init__(self, owner):
        self.o = owner

    def converge(self):
        """Delete the tier's instances (replicas first), the cluster, with a final snapshot of the primary."""
        o = self.o
        snapshot = f"{o.names.primary}-final-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        managed = {i: inst for i, inst in o.state.instances.items() if st.is_managed(st.tags_of(inst), o.identity)}
        order = sorted(managed, key=lambda i: (st.tags_of(managed[i]).get(st.TAG_ROLE) in ("primary", "writer"), i))
        for identifier in order:
            instance = managed[identifier]
            if instance.get("DBInstanceStatus") == "deleting":
                continue
            role = st.tags_of(instance).get(st.TAG_ROLE)
            if instance.get("DeletionProtection"):
                raise ReconcileError(
                    f"{identifier} has deletion protection; set {o.var('deletion_protection')}: false and converge before "
                    f"{o.var('state')}: absent"
                )
            final = role == "primary" and o.p["final_snapshot"]
            if o.changes.add(f"delete {identifier}" + (f" (final snapshot {snapshot})" if final else "")):
                kwargs = {"FinalDBSnapshotIdentifier": snapshot} if final else {"SkipFinalSnapshot": True}
                o.rds.delete_db_instance(DBInstanceIdentifier=identifier, aws_retry=True, **kwargs)
        cluster = o.state.cluster
        if cluster is not None:
            if cluster.get("DeletionProtection"):
                raise ReconcileError(f"{cluster['DBClusterIdentifier']} has deletion protection; turn it off first")
            final = o.p["final_snapshot"]
            if o.changes.add(
                f"delete Aurora cluster {cluster['DBClusterIdentifier']}"
                + (f" (final snapshot {snapshot})" if final else "")
            ):
                kwargs = {"FinalDBSnapshotIdentifier": snapshot} if final else {"SkipFinalSnapshot": True}
                o.rds.delete_db_cluster(DBClusterIdentifier=cluster["DBClusterIdentifier"], aws_retry=True, **kwargs)
