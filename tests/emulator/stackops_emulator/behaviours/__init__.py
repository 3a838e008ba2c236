"""Behaviours the emulator adds on top of moto, each matching the AWS documentation it names.

A behaviour is a callable ``behaviour(request, forward) -> Response`` with ``name``, ``summary``,
``documented_by`` and ``reset()``. It may answer a request itself, change it, or pass it on with
``forward(request)``. Order matters: the first behaviour sees the request first.
"""

from .backup_jobs import BackupJobs
from .cloudwatch_alarms import CloudWatchAlarms
from .ec2_client_token import Ec2ClientTokenIdempotency
from .ec2_nat_gateway_delete import Ec2NatGatewayDeleteDisassociates
from .ec2_sg_rule_description import Ec2SecurityGroupRuleDescription
from .ecs_service_deployments import EcsServiceDeployments
from .eks_addons import EksAddons
from .eks_kube_endpoint import EksKubeEndpoint
from .eks_updates import EksUpdates
from .elasticache_delete_subnet_group import ElastiCacheDeleteCacheSubnetGroup
from .elasticache_modify_replication_group import ElastiCacheModifyReplicationGroup
from .elasticache_parameter_groups import ElastiCacheParameterGroups
from .elasticache_replica_count import ElastiCacheReplicaCount
from .elasticache_replication_group_members import ElastiCacheReplicationGroupMembers
from .elasticache_status import ElastiCacheStatusTransitions
from .opensearch_domain_processing import OpenSearchDomainProcessing
from .rds_adjacent_windows import RdsAdjacentWindows
from .rds_cross_region_replica import RdsCrossRegionReplica
from .rds_pending_modifications import RdsPendingModifications
from .rds_performance_insights import RdsPerformanceInsights


def all_behaviours():
    return [
        Ec2ClientTokenIdempotency(),
        Ec2SecurityGroupRuleDescription(),
        Ec2NatGatewayDeleteDisassociates(),
        RdsPerformanceInsights(),
        RdsPendingModifications(),
        RdsCrossRegionReplica(),
        RdsAdjacentWindows(),
        # ElastiCache: the status transitions see a request first (they refuse writes to a busy group).
        ElastiCacheStatusTransitions(),
        ElastiCacheParameterGroups(),
        ElastiCacheReplicationGroupMembers(),
        ElastiCacheModifyReplicationGroup(),
        ElastiCacheReplicaCount(),
        EcsServiceDeployments(),
        *eks_behaviours(),
        ElastiCacheDeleteCacheSubnetGroup(),
        OpenSearchDomainProcessing(),
        CloudWatchAlarms(),
        BackupJobs(),
    ]


def eks_behaviours():
    return [EksAddons(), EksUpdates(), EksKubeEndpoint()]
