# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore an RDS instance or an Aurora cluster into a new identifier: preflight -> (copy) -> restore ->
(writer) -> bounded wait -> verify -> (repoint) -> result with durations and the age of the data restored.

From a snapshot (``latest``: the newest of the source, automated or manual) or to a point in time. What
``source`` names picks the kind: an Aurora cluster is restored as a cluster (instance.py and cluster.py hold
the two). The restored resource is tagged with its source, so a rerun after an interruption finds it and waits
for it instead of restoring twice, and ``state: absent`` deletes only what a restore made.
"""

from __future__ import annotations

from ..platform import PreconditionFailed
from . import common as c
from .cluster import ClusterRestore
from .instance import InstanceRestore


def validate(params, region):
    errors = []
    target, source = params.get("target") or "", params.get("source") or ""
    for key, value in (("source", source), ("target", target)):
        if not c.IDENTIFIER_RE.match(value):
            errors.append(
                f"{key}: {value!r} is not an RDS instance identifier or cluster identifier (1-63 letters, digits, "
                "hyphens; a letter first, no -- and no hyphen last)"
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
    """The instance or the Aurora cluster restore, by what ``source`` names (to delete: what ``target`` is).

    An instance that is a member of an Aurora cluster is refused: its data is the cluster's, restored as one.
    """

    def __init__(self, params, region, clients, check_mode):
        self.args = (params, region, clients, check_mode)
        self.p = params
        self.impl = InstanceRestore(*self.args)

    def __getattr__(self, name):
        # changes, warnings, phases, result(), extra_result(): the chosen restore's.
        return getattr(self.__dict__["impl"], name)

    def run(self):
        started = c.now()
        if self.is_cluster():
            self.impl = ClusterRestore(*self.args)
        self.impl.started = started
        return self.impl.run()

    def is_cluster(self):
        impl, p = self.impl, self.p
        source = c.read_cluster(impl.rds_source, p["source"])
        if source is not None:
            return True
        if p["state"] == "absent":
            return c.read_cluster(impl.rds, p["target"]) is not None
        member = c.read_instance(impl.rds_source, p["source"])
        if member is not None and member.get("DBClusterIdentifier"):
            raise PreconditionFailed(
                f"source: {p['source']} is an instance of the Aurora cluster {member['DBClusterIdentifier']}; restore "
                f"the cluster (source: {member['DBClusterIdentifier']}) (nothing was changed)"
            )
        return False
