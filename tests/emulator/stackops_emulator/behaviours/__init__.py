"""Behaviours the emulator adds on top of moto, each matching the AWS documentation it names.

A behaviour is a callable ``behaviour(request, forward) -> Response`` with ``name``, ``summary``,
``documented_by`` and ``reset()``. It may answer a request itself, change it, or pass it on with
``forward(request)``. Order matters: the first behaviour sees the request first.
"""

from .acm_dns_validation import AcmDnsValidation
from .autoscaling_policy_names import AutoscalingPolicyNames
from .backup_jobs import BackupJobs
from .client_request_token import ClientRequestTokenIdempotency
from .cloudfront_distributions import CloudFrontDistributions
from .cloudwatch_alarms import CloudWatchAlarms
from .ec2_client_token import Ec2ClientTokenIdempotency
from .ec2_nat_gateway_delete import Ec2NatGatewayDeleteDisassociates
from .ec2_sg_rule_description import Ec2SecurityGroupRuleDescription
from .ecs_service_deployments import EcsServiceDeployments
from .eks_addons import EksAddons
from .eks_cluster_security_group import EksClusterSecurityGroup
from .eks_kube_endpoint import EksKubeEndpoint
from .eks_updates import EksUpdates
from .elasticache_delete_subnet_group import ElastiCacheDeleteCacheSubnetGroup
from .elasticache_modify_replication_group import ElastiCacheModifyReplicationGroup
from .elasticache_parameter_groups import ElastiCacheParameterGroups
from .elasticache_replica_count import ElastiCacheReplicaCount
from .elasticache_replication_group_members import ElastiCacheReplicationGroupMembers
from .elasticache_status import ElastiCacheStatusTransitions
from .elasticache_test_failover import ElastiCacheTestFailover
from .elbv2_default_attributes import Elbv2DefaultAttributes
from .elbv2_idempotent_creates import Elbv2IdempotentCreates
from .opensearch_domain_processing import OpenSearchDomainProcessing
from .rds_adjacent_windows import RdsAdjacentWindows
from .rds_backup_restore import RdsBackupRestore
from .rds_cluster_restore import RdsClusterRestore
from .rds_cross_region_replica import RdsCrossRegionReplica
from .rds_failover import RdsFailover
from .rds_global_clusters import RdsGlobalClusters
from .rds_parameter_group_not_found import RdsParameterGroupNotFound
from .rds_pending_modifications import RdsPendingModifications
from .rds_performance_insights import RdsPerformanceInsights
from .rds_port_number import RdsPortNumber
from .route53_caller_reference import Route53CallerReference
from .route53_health_check_status import Route53HealthCheckStatus
from .s3_bucket_policy_conditions import S3BucketPolicyConditions
from .s3_replication import S3Replication
from .wafv2_list_resources import Wafv2ListResourcesForWebAcl


def all_behaviours():
    return [
        Ec2ClientTokenIdempotency(),
        ClientRequestTokenIdempotency(),
        Ec2SecurityGroupRuleDescription(),
        Ec2NatGatewayDeleteDisassociates(),
        Elbv2IdempotentCreates(),
        RdsPerformanceInsights(),
        RdsPortNumber(),
        RdsPendingModifications(),
        RdsCrossRegionReplica(),
        RdsAdjacentWindows(),
        RdsParameterGroupNotFound(),
        RdsFailover(),
        RdsBackupRestore(),
        RdsClusterRestore(),
        RdsGlobalClusters(),
        # ElastiCache: the status transitions see a request first (they refuse writes to a busy group).
        ElastiCacheStatusTransitions(),
        ElastiCacheParameterGroups(),
        ElastiCacheReplicationGroupMembers(),
        ElastiCacheModifyReplicationGroup(),
        ElastiCacheReplicaCount(),
        ElastiCacheTestFailover(),
        EcsServiceDeployments(),
        *eks_behaviours(),
        ElastiCacheDeleteCacheSubnetGroup(),
        OpenSearchDomainProcessing(),
        S3BucketPolicyConditions(),
        S3Replication(),
        AcmDnsValidation(),
        CloudFrontDistributions(),
        Route53CallerReference(),
        Route53HealthCheckStatus(),
        CloudWatchAlarms(),
        BackupJobs(),
        Elbv2DefaultAttributes(),
        Wafv2ListResourcesForWebAcl(),
        AutoscalingPolicyNames(),
    ]


def eks_behaviours():
    # The cluster security group sees a request first: it acts on what the others (and moto) made.
    return [EksClusterSecurityGroup(), EksAddons(), EksUpdates(), EksKubeEndpoint()]
