"""A replication group's nodes: NumCacheClusters honoured, nodes spread over AZs, one cache cluster per node.

AWS (CreateReplicationGroup): with cluster mode disabled, ``NumCacheClusters`` is the number of nodes
(primary + replicas, 1-6), or ``ReplicasPerNodeGroup`` + 1; Multi-AZ places the nodes in different AZs of
the subnet group; the group has a primary endpoint and a reader endpoint
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_NodeGroup.html). Each node is a cache
cluster that DescribeCacheClusters lists with its ``ReplicationGroupId``, engine version, parameter group,
security groups and maintenance window, which DescribeReplicationGroups does not show
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheCluster.html).

moto 5.2 ignores NumCacheClusters (one node), puts every replica in one AZ, gives no reader endpoint, and
lists no cache clusters for a replication group. This behaviour lets moto create the group, then shapes its
nodes as AWS does and keeps a cache cluster per node.
"""

from __future__ import annotations

from . import _elasticache as ec


class ElastiCacheReplicationGroupMembers:
    name = "elasticache-replication-group-members"
    summary = (
        "CreateReplicationGroup honours NumCacheClusters and spreads nodes over AZs; DescribeCacheClusters lists them"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache" or call.operation not in ("CreateReplicationGroup", "DeleteReplicationGroup"):
            return forward(request)
        params = ec.params_of(request)
        if call.operation == "DeleteReplicationGroup":
            response = forward(request)
            if response.ok:
                backend = ec.backend(call.region)
                group = backend.replication_groups.pop(params.get("ReplicationGroupId"), None)
                if group is not None:
                    group.node_groups = []
                    ec.sync_clusters(backend, group)
            return response
        if params.get("AuthToken") and params.get("TransitEncryptionEnabled", "false").lower() != "true":
            return ec.error(
                request,
                "InvalidParameterValue",
                "The AUTH token is only supported when encryption-in-transit is enabled",
            )
        num_clusters = params.get("NumCacheClusters")
        if num_clusters and not params.get("ReplicasPerNodeGroup"):
            if not 1 <= int(num_clusters) <= 6:
                return ec.error(request, "InvalidParameterValue", "NumCacheClusters must be between 1 and 6")
        response = forward(request)
        if not response.ok:
            return response
        backend = ec.backend(call.region)
        group = backend.replication_groups[params["ReplicationGroupId"]]
        if params.get("ReplicasPerNodeGroup"):
            replicas = int(params["ReplicasPerNodeGroup"])
        elif num_clusters:
            replicas = int(num_clusters) - 1
        else:
            replicas = ec.replicas_of(group)
        group.pending_modified_values = None
        ec.set_members(group, replicas, ec.subnet_group_azs(backend, group.cache_subnet_group_name))
        ec.sync_clusters(backend, group)
        return ec.serialize("CreateReplicationGroup", {"ReplicationGroup": group})
