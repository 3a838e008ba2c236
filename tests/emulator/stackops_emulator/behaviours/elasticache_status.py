"""Replication groups pass through ``creating`` / ``modifying`` before they are ``available`` again.

AWS: a new replication group is ``creating`` until its nodes are up; ModifyReplicationGroup (with
ApplyImmediately), IncreaseReplicaCount and DecreaseReplicaCount put it in ``modifying`` until the change is
done; only an ``available`` group accepts the next modification (InvalidReplicationGroupState otherwise).
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ReplicationGroup.html (Status:
"creating, available, modifying, deleting, create-failed, snapshotting") and
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.Modify.html

moto answers every write with ``available`` at once, so a module's bounded wait is never exercised. This
behaviour shows the transitional status for a short while (``STACKOPS_EMULATOR_ELASTICACHE_SECONDS``,
default 0.5 s, and at least one describe) after each such write, refuses a second modification meanwhile, then reports ``available``.
"""

from __future__ import annotations

import os
import threading
import time

from . import _elasticache as ec

WRITES = {
    "CreateReplicationGroup": "creating",
    "ModifyReplicationGroup": "modifying",
    "IncreaseReplicaCount": "modifying",
    "DecreaseReplicaCount": "modifying",
}
GUARDED = ("ModifyReplicationGroup", "IncreaseReplicaCount", "DecreaseReplicaCount")
READS = ("DescribeReplicationGroups", "DescribeCacheClusters")


class ElastiCacheStatusTransitions:
    name = "elasticache-status-transitions"
    summary = "Replication groups are creating/modifying for a moment after a write, then available"
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ReplicationGroup.html"

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = {}  # (region, group id) -> [status, monotonic deadline, seen by a describe]

    def reset(self):
        with self.lock:
            self.pending.clear()

    @staticmethod
    def seconds():
        return float(os.environ.get("STACKOPS_EMULATOR_ELASTICACHE_SECONDS", "0.5"))

    def _settle(self, region, seen=False):
        """Groups whose change is done become available. A change lasts its time and until one describe has
        shown it (so that a client's wait always sees it, however slow the machine)."""
        now = time.monotonic()
        with self.lock:
            due = [key for key, entry in self.pending.items() if key[0] == region and entry[2] and entry[1] <= now]
            for key in due:
                del self.pending[key]
            if seen:
                for key, entry in self.pending.items():
                    if key[0] == region:
                        entry[2] = True
        backend = ec.backend(region)
        with self.lock:
            waiting = {key[1] for key in self.pending if key[0] == region}
        for group_id, group in backend.replication_groups.items():
            if group.status in ("creating", "modifying") and group_id not in waiting:
                group.status = "available"
                for node in group.node_groups:
                    node["status"] = "available"
                group.pending_modified_values = None
                ec.sync_clusters(backend, group)

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache":
            return forward(request)
        if call.operation in READS:
            self._settle(call.region, seen=True)
            return forward(request)
        if call.operation in GUARDED:
            self._settle(call.region)
            group_id = ec.params_of(request).get("ReplicationGroupId")
            group = ec.backend(call.region).replication_groups.get(group_id)
            if group is not None and group.status != "available":
                return ec.error(
                    request,
                    "InvalidReplicationGroupState",
                    f"Replication group {group_id} is not in available state (it is {group.status}).",
                )
        response = forward(request)
        status = WRITES.get(call.operation)
        if status and response.ok:
            group_id = ec.params_of(request).get("ReplicationGroupId")
            group = ec.backend(call.region).replication_groups.get(group_id)
            if group is not None:
                group.status = status
                with self.lock:
                    self.pending[(call.region, group_id)] = [status, time.monotonic() + self.seconds(), False]
                ec.sync_clusters(ec.backend(call.region), group, status=status)
        return response
