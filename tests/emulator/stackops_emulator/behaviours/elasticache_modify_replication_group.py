"""ModifyReplicationGroup applies every setting it takes, as AWS does with ApplyImmediately.

AWS: ModifyReplicationGroup changes a group's node type, engine version, parameter group, security groups,
maintenance and snapshot windows, snapshot retention, notification topic, AUTH token (with
AuthTokenUpdateStrategy SET/ROTATE, transit encryption required), log delivery, Multi-AZ and automatic
failover (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html).
It refuses Multi-AZ or automatic failover on a group without replicas ("Multi-AZ ... requires at least one
read replica", https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html), a lower engine
version ("you cannot downgrade", Clusters.Upgrading in the User Guide), and an AUTH token without
encryption in transit.

moto 5.2 applies only the description, engine, node type, failover, Multi-AZ and snapshot retention. This
behaviour lets moto act, then applies the rest to the group and to its nodes' cache clusters.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from . import _elasticache as ec


def _version(text):
    return tuple(int(p) for p in str(text).split(".") if p.isdigit())


class ElastiCacheModifyReplicationGroup:
    name = "elasticache-modify-replication-group"
    summary = (
        "ModifyReplicationGroup applies engine version, parameter group, security groups, windows, topic, AUTH, logs"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache" or call.operation != "ModifyReplicationGroup":
            return forward(request)
        params = ec.params_of(request)
        backend = ec.backend(call.region)
        group = backend.replication_groups.get(params.get("ReplicationGroupId"))
        if group is None:
            return forward(request)  # moto answers ReplicationGroupNotFoundFault
        replicas = ec.replicas_of(group)
        for option, what in (("MultiAZEnabled", "Multi-AZ"), ("AutomaticFailoverEnabled", "Automatic failover")):
            if params.get(option, "").lower() == "true" and replicas < 1:
                return ec.error(
                    request, "InvalidParameterCombination", f"{what} requires at least one read replica per shard"
                )
        version = params.get("EngineVersion")
        if version and group.engine_version and _version(version) < _version(group.engine_version):
            return ec.error(
                request,
                "InvalidParameterCombination",
                f"Cannot modify engine version from {group.engine_version} to {version}: downgrades are not supported",
            )
        token = params.get("AuthToken")
        transit = params.get("TransitEncryptionEnabled", str(bool(group.transit_encryption_enabled))).lower() == "true"
        if token and not transit:
            return ec.error(
                request,
                "InvalidParameterValue",
                "The AUTH token is only supported when encryption-in-transit is enabled",
            )
        response = forward(request)
        if not response.ok:
            return response
        if version:
            group.engine_version = version
        if params.get("Engine"):
            group.engine = params["Engine"]
        if params.get("CacheParameterGroupName"):
            group.cache_parameter_group_name = params["CacheParameterGroupName"]
        security_groups = ec.indexed(params, "SecurityGroupIds.SecurityGroupId")
        if security_groups:
            group.security_group_ids = security_groups
        if params.get("PreferredMaintenanceWindow"):
            group.preferred_maintenance_window = params["PreferredMaintenanceWindow"]
        if params.get("SnapshotWindow"):
            group.snapshot_window = params["SnapshotWindow"]
        if "NotificationTopicArn" in params:
            group.notification_topic_arn = params["NotificationTopicArn"] or None
        if params.get("NotificationTopicStatus") == "inactive":
            group.notification_topic_arn = None
        if token:
            group.auth_token_enabled = True
            group.auth_token_last_modified_date = datetime.now(UTC)
        if params.get("AuthTokenUpdateStrategy") == "DELETE":
            group.auth_token_enabled = False
        if "TransitEncryptionEnabled" in params:
            group.transit_encryption_enabled = transit
        deliveries = ec.indexed(params, "LogDeliveryConfigurations.LogDeliveryConfigurationRequest")
        if deliveries:
            current = {c["LogType"]: c for c in group.log_delivery_configurations or []}
            for item in deliveries:
                log_type = item.get("LogType")
                if item.get("Enabled", "true").lower() == "false":
                    current.pop(log_type, None)
                    continue
                current[log_type] = {
                    "LogType": log_type,
                    "DestinationType": item.get("DestinationType"),
                    "DestinationDetails": {
                        "CloudWatchLogsDetails": {
                            "LogGroup": item.get("DestinationDetails.CloudWatchLogsDetails.LogGroup")
                        }
                    }
                    if item.get("DestinationType") == "cloudwatch-logs"
                    else {
                        "KinesisFirehoseDetails": {
                            "DeliveryStream": item.get("DestinationDetails.KinesisFirehoseDetails.DeliveryStream")
                        }
                    },
                    "LogFormat": item.get("LogFormat"),
                    "Status": "active",
                }
            group.log_delivery_configurations = list(current.values())
        if group.snapshot_retention_limit and not group.snapshotting_cluster_id:
            group.snapshotting_cluster_id = group.member_clusters[-1]
        if not group.snapshot_retention_limit:
            group.snapshotting_cluster_id = None
        ec.sync_clusters(backend, group)
        return ec.serialize("ModifyReplicationGroup", {"ReplicationGroup": group})
