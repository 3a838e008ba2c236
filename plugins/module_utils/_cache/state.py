# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read a cache tier as it is: the replication group, one of its nodes, its tags, its parameter group, the
auth token's secret (described, never read unless a write needs the value), the SNS topic and the slow-log
group. About eight read calls in all; nothing here writes.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate

COMPONENT = "cache"


class CacheState:
    def __init__(self):
        self.group = None  # DescribeReplicationGroups entry
        self.node = None  # DescribeCacheClusters entry of one member (engine version, parameter group, ...)
        self.tags = {}
        self.parameter_group = None  # DescribeCacheParameterGroups entry
        self.parameters = {}  # user-set values of our parameter group
        self.secret = None  # DescribeSecret (no value)
        self.topic_arn = None
        self.log_group = None


def read_group(elasticache, group_id):
    found = not_found(
        lambda: elasticache.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True),
        "ReplicationGroupNotFoundFault",
    )
    return found["ReplicationGroups"][0] if found and found["ReplicationGroups"] else None


def read_node(elasticache, group):
    members = group.get("MemberClusters") or []
    if not members:
        return None
    found = not_found(
        lambda: elasticache.describe_cache_clusters(CacheClusterId=members[0], aws_retry=True), "CacheClusterNotFound"
    )
    return found["CacheClusters"][0] if found and found["CacheClusters"] else None


def read_tags(elasticache, arn):
    return boto3_tag_list_to_ansible_dict(
        elasticache.list_tags_for_resource(ResourceName=arn, aws_retry=True).get("TagList", [])
    )


def read_parameter_group(elasticache, name):
    found = not_found(
        lambda: elasticache.describe_cache_parameter_groups(CacheParameterGroupName=name, aws_retry=True),
        "CacheParameterGroupNotFound",
    )
    if not found or not found["CacheParameterGroups"]:
        return None, {}
    parameters = paginate(
        elasticache, "describe_cache_parameters", "Parameters", CacheParameterGroupName=name, Source="user"
    )
    return found["CacheParameterGroups"][0], {p["ParameterName"]: p.get("ParameterValue", "") for p in parameters}


def read_secret(secretsmanager, name):
    found = not_found(
        lambda: secretsmanager.describe_secret(SecretId=name, aws_retry=True), "ResourceNotFoundException"
    )
    return found


def read_secret_value(secretsmanager, arn):
    return secretsmanager.get_secret_value(SecretId=arn, aws_retry=True)["SecretString"]


def read_topic(sns, name):
    for topic in paginate(sns, "list_topics", "Topics"):
        if topic["TopicArn"].rsplit(":", 1)[-1] == name:
            return topic["TopicArn"]
    return None


def read_log_group(logs, name):
    for group in paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name):
        if group["logGroupName"] == name:
            return group
    return None


def endpoints(group):
    """Primary, reader and configuration endpoints and the port of a replication group."""
    if not group:
        return {"primary_endpoint": None, "reader_endpoint": None, "configuration_endpoint": None, "port": None}
    node_groups = group.get("NodeGroups") or [{}]
    primary = node_groups[0].get("PrimaryEndpoint") or {}
    reader = node_groups[0].get("ReaderEndpoint") or {}
    configuration = group.get("ConfigurationEndpoint") or {}
    return {
        "primary_endpoint": primary.get("Address") if not configuration else None,
        "reader_endpoint": reader.get("Address") if not configuration else None,
        "configuration_endpoint": configuration.get("Address"),
        "port": configuration.get("Port") or primary.get("Port"),
    }


def replicas_per_shard(group):
    node_groups = group.get("NodeGroups") or []
    if not node_groups:
        return 0
    return max(len(n.get("NodeGroupMembers") or []) for n in node_groups) - 1


def members(group):
    found = []
    for node_group in (group or {}).get("NodeGroups") or []:
        for member in node_group.get("NodeGroupMembers") or []:
            found.append(
                {
                    "id": member["CacheClusterId"],
                    "shard": node_group.get("NodeGroupId"),
                    "az": member.get("PreferredAvailabilityZone"),
                    "role": member.get("CurrentRole"),
                }
            )
    return found


# -- what cache_replication_group_info returns --------------------------------------------------------------------------

INFO_SERVICES = {"elasticache": "elasticache", "secretsmanager": "secretsmanager"}


def info(clients, params, region):  # pylint: disable=unused-argument
    """``(exists, cache)``: the replication group if it carries the environment's tags, and its facts."""
    name = params["name"] or f"{params['platform']}-{params['environment']}-cache"
    secret_name = params["auth_token_secret_name"] or f"{params['environment']}/{params['platform']}/cache/auth-token"
    identity = identity_tags(params["platform"], params["environment"], COMPONENT)
    group = read_group(clients["elasticache"], name)
    tags = read_tags(clients["elasticache"], group["ARN"]) if group else {}
    if group and any(tags.get(k) != v for k, v in identity.items()):
        group = None
    node = read_node(clients["elasticache"], group) if group else None
    secret = read_secret(clients["secretsmanager"], secret_name) if group and group.get("AuthTokenEnabled") else None
    cache = {
        "replication_group_id": name,
        "arn": group["ARN"] if group else None,
        "status": group.get("Status") if group else None,
        "auth_secret_arn": secret["ARN"] if secret else None,
        "parameter_group": ((node or {}).get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
        "notification_topic_arn": ((node or {}).get("NotificationConfiguration") or {}).get("TopicArn"),
        "members": members(group),
        "engine": (group or {}).get("Engine"),
        "engine_version": (node or {}).get("EngineVersion"),
        "node_type": (group or {}).get("CacheNodeType"),
        "cluster_mode": ("enabled" if group.get("ClusterEnabled") else "disabled") if group else None,
        "num_shards": len(group.get("NodeGroups") or []) if group else 0,
        "replicas_per_shard": replicas_per_shard(group) if group else 0,
        "multi_az": (group or {}).get("MultiAZ") == "enabled",
        "transit_encryption": bool((group or {}).get("TransitEncryptionEnabled")),
        "at_rest_encryption": bool((group or {}).get("AtRestEncryptionEnabled")),
    }
    cache.update(endpoints(group))
    return group is not None, cache
