"""IncreaseReplicaCount and DecreaseReplicaCount change the number of replicas online.

AWS: "Dynamically increases the number of replicas in a Redis OSS (cluster mode disabled) replication group
or the number of replica nodes in one or more node groups (shards)"; ``NewReplicaCount`` is 1-5 to increase,
0-5 to decrease, and must be above (below) the current count; a group with Multi-AZ or automatic failover
keeps at least one replica
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_IncreaseReplicaCount.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DecreaseReplicaCount.html).

moto 5.2 does not implement either (HTML 500). This behaviour answers them from moto's group object.
"""

from __future__ import annotations

from . import _elasticache as ec


class ElastiCacheReplicaCount:
    name = "elasticache-replica-count"
    summary = "IncreaseReplicaCount / DecreaseReplicaCount add or remove replicas of every shard"
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_IncreaseReplicaCount.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache" or call.operation not in ("IncreaseReplicaCount", "DecreaseReplicaCount"):
            return forward(request)
        params = ec.params_of(request)
        backend = ec.backend(call.region)
        group_id = params.get("ReplicationGroupId")
        group = backend.replication_groups.get(group_id)
        if group is None:
            return ec.error(
                request, "ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", status=404
            )
        if params.get("ApplyImmediately", "").lower() != "true":
            return ec.error(request, "InvalidParameterValue", "ApplyImmediately must be true")
        configured = ec.indexed(params, "ReplicaConfiguration.ConfigureShard")
        if configured:
            counts = {int(c.get("NewReplicaCount", 0)) for c in configured}
            if len(counts) != 1:
                return ec.error(request, "InvalidParameterValue", "the emulator changes every shard to the same count")
            new = counts.pop()
        elif params.get("NewReplicaCount") is not None:
            new = int(params["NewReplicaCount"])
        else:
            return ec.error(
                request, "InvalidParameterValue", "Either NewReplicaCount or ReplicaConfiguration is required"
            )
        current = ec.replicas_of(group)
        increase = call.operation == "IncreaseReplicaCount"
        if increase and not (1 <= new <= 5 and new > current):
            return ec.error(
                request,
                "InvalidParameterValue",
                f"NewReplicaCount {new} must be above the current {current} and at most 5",
            )
        if not increase and not (0 <= new < current):
            return ec.error(
                request, "InvalidParameterValue", f"NewReplicaCount {new} must be below the current {current}"
            )
        if not increase and new < 1 and "enabled" in (group.multi_az, group.automatic_failover):
            return ec.error(
                request,
                "InvalidParameterCombination",
                "Multi-AZ and automatic failover need at least one replica: turn them off before removing the last one",
            )
        ec.set_members(group, new, ec.subnet_group_azs(backend, group.cache_subnet_group_name))
        ec.sync_clusters(backend, group)
        return ec.serialize(call.operation, {"ReplicationGroup": group})
