"""Helpers the ElastiCache behaviours share: moto's backend objects, query parameters, responses.

Not a behaviour itself. The behaviours keep moto's replication group objects as the single source of truth
and add what moto lacks (member cache clusters, reader endpoints, pending changes), so that moto's own
DescribeReplicationGroups and DescribeCacheClusters show the result.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from ..protocols import Response
from ..protocols import error_response

ACCOUNT = "123456789012"  # moto's default account: the emulator's credentials map to it


def params_of(request):
    """The query-protocol parameters of a request, as a flat dict (``Tags.Tag.1.Key``...)."""
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


def indexed(params, prefix):
    """``prefix.N.field`` (or ``prefix.N``) parameters as a list of dicts (or values), in index order."""
    found = {}
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)(?:\.(.+))?$")
    for key, value in params.items():
        match = pattern.match(key)
        if match:
            index, field = int(match.group(1)), match.group(2)
            if field is None:
                found[index] = value
            else:
                found.setdefault(index, {})[field] = value
    return [found[i] for i in sorted(found)]


def backend(region):
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[ACCOUNT][region]


def serialize(operation, result, status=200):
    """moto's own serializer for the ElastiCache query protocol: ``result`` is a dict (PascalCase keys) or
    moto model objects, as moto's responses return them."""
    from moto import settings
    from moto.core.serialize import XFormedAttributePicker
    from moto.core.serialize import get_serializer_class
    from moto.core.utils import get_service_model

    model = get_service_model("elasticache")
    serializer = get_serializer_class("elasticache", "query")(
        operation_model=model.operation_model(operation),
        pretty_print=settings.PRETTIFY_RESPONSES,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    serialized = serializer.serialize(result)
    headers = [(k, str(v)) for k, v in serialized["headers"].items() if k.lower() != "content-length"]
    body = serialized["body"].encode() if isinstance(serialized["body"], str) else serialized["body"]
    return Response(status, headers + [("Content-Length", str(len(body)))], body)


def error(request, code, message, status=400):
    return error_response(request.call, status, code, message)


def subnet_group_azs(elasticache, name):
    """The AZs of a cache subnet group's subnets (from moto's EC2 backend), sorted; empty when unknown."""
    group = elasticache.cache_subnet_groups.get(name) if name else None
    if group is None:
        return []
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[ACCOUNT][elasticache.region_name]
    azs = set()
    for subnet_id in getattr(group, "subnet_ids", []) or []:
        try:
            azs.add(ec2.get_subnet(subnet_id).availability_zone)
        except Exception:
            continue
    return sorted(azs)


def domain_of(group):
    """``<id>.<random>.<region>.cache.amazonaws.com`` from the group's first endpoint."""
    node = group.node_groups[0]
    address = (node.get("primary_endpoint") or {}).get("address") or getattr(group, "configuration_endpoint", {}).get(
        "address", ""
    )
    return address.split(".", 1)[1] if "." in address else f"{group.replication_group_id}.emulator.cache.amazonaws.com"


def set_members(group, replicas, azs):
    """Rebuild every shard's members: one primary and ``replicas`` replicas, spread over ``azs`` (AWS spreads
    a replication group's nodes over the subnet group's AZs when Multi-AZ is on)."""
    azs = azs or ["us-east-1a", "us-east-1b", "us-east-1c"]
    domain = domain_of(group)
    clustered = getattr(group, "cluster_mode", "disabled") == "enabled"
    members = []
    for shard_index, node in enumerate(group.node_groups):
        count = replicas + 1
        current = node.get("node_group_members", [])
        # Keep the members that stay (their ids and roles); add or drop replicas at the end.
        kept = current[:count]
        for position in range(len(kept), count):
            cluster_id = (
                f"{group.replication_group_id}-{node['node_group_id']}-{position + 1:0>3}"
                if clustered
                else f"{group.replication_group_id}-{position + 1:0>3}"
            )
            member = {
                "cache_cluster_id": cluster_id,
                "cache_node_id": "0001",
                "preferred_availability_zone": azs[(shard_index + position) % len(azs)],
            }
            if not clustered:
                member["read_endpoint"] = {"address": f"{cluster_id}.{domain}", "port": group.port}
                member["current_role"] = "primary" if position == 0 else "replica"
            kept.append(member)
        for position, member in enumerate(kept):
            member["preferred_availability_zone"] = azs[(shard_index + position) % len(azs)]
        node["node_group_members"] = kept
        if not clustered:
            node["reader_endpoint"] = {"address": f"replica.{domain}", "port": group.port}
        members += [m["cache_cluster_id"] for m in kept]
    group.member_clusters = members
    if getattr(group, "snapshot_retention_limit", 0):
        group.snapshotting_cluster_id = members[1] if len(members) > 1 else members[0]
    else:
        group.snapshotting_cluster_id = None


def replicas_of(group):
    return len(group.node_groups[0].get("node_group_members", [])) - 1


def sync_clusters(elasticache, group, status="available"):
    """Keep one moto CacheCluster per member node, carrying what DescribeCacheClusters shows for a replication
    group's nodes: engine version, parameter group, security groups, subnet group, maintenance window,
    notification topic (these are per cache cluster in the ElastiCache API, not per replication group)."""
    from moto.elasticache.models import CacheCluster

    wanted = {}
    for node in group.node_groups:
        for member in node.get("node_group_members", []):
            wanted[member["cache_cluster_id"]] = member
    for cluster_id, cluster in list(elasticache.cache_clusters.items()):
        if getattr(cluster, "replication_group_id", None) == group.replication_group_id and cluster_id not in wanted:
            del elasticache.cache_clusters[cluster_id]
    for cluster_id, member in wanted.items():
        cluster = elasticache.cache_clusters.get(cluster_id)
        if cluster is None:
            cluster = CacheCluster(
                account_id=ACCOUNT,
                region_name=elasticache.region_name,
                cache_cluster_id=cluster_id,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode="single-az",
                preferred_availability_zone=member.get("preferred_availability_zone"),
                num_cache_nodes=1,
                engine=group.engine,
                engine_version=group.engine_version,
                cache_parameter_group_name=group.cache_parameter_group_name,
                cache_subnet_group_name=group.cache_subnet_group_name,
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type="ipv4",
                ip_discovery="ipv4",
                snapshot_name=None,
                preferred_maintenance_window=group.preferred_maintenance_window,
                port=group.port,
                notification_topic_arn=group.notification_topic_arn,
                auto_minor_version_upgrade=True,
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=group.snapshot_window,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=group.security_group_ids,
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            elasticache.cache_clusters[cluster_id] = cluster
        cluster.preferred_availability_zone = member.get("preferred_availability_zone")
        cluster.cache_node_type = group.cache_node_type
        cluster.engine = group.engine
        cluster.engine_version = group.engine_version
        cluster.cache_subnet_group_name = group.cache_subnet_group_name
        cluster.preferred_maintenance_window = group.preferred_maintenance_window
        cluster.snapshot_retention_limit = group.snapshot_retention_limit
        cluster.snapshot_window = group.snapshot_window
        cluster.transit_encryption_enabled = group.transit_encryption_enabled
        cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
        cluster.auth_token_enabled = group.auth_token_enabled
        cluster.cache_cluster_status = status
        cluster.cache_parameter_group = (
            {"CacheParameterGroupName": group.cache_parameter_group_name, "ParameterApplyStatus": "in-sync"}
            if group.cache_parameter_group_name
            else None
        )
        cluster.security_groups = [{"SecurityGroupId": g, "Status": "active"} for g in group.security_group_ids or []]
        cluster.notification_configuration = (
            {"TopicArn": group.notification_topic_arn, "TopicStatus": "active"}
            if group.notification_topic_arn
            else None
        )
        cluster.replication_group_log_delivery_enabled = bool(group.log_delivery_configurations)
