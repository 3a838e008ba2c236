# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Admit a cluster's nodes wherever the cluster's own groups (``app``) are admitted.

The nodes of a managed node group launched without a launch template carry only the security group EKS makes
for the cluster (``resourcesVpcConfig.clusterSecurityGroupId``; AWS, sec-group-reqs and launch-templates in the
EKS user guide). Pods use their node's groups, so the database, cache and search groups, which admit ``app``,
must admit that group too. For every group of the platform in the cluster's VPC with an ingress rule from one of
the cluster's groups, the same ports are opened to the cluster security group, and rules of ours from it that
no longer match are revoked. The security tier leaves rules from EKS cluster security groups alone.
"""

from __future__ import annotations

from ..platform import identity_tags
from ..platform import paginate
from ..platform import tag_filters

DESCRIPTION = "EKS cluster {name}: its nodes (the cluster security group), as app"


def _ports(permission):
    protocol = permission["IpProtocol"]
    if protocol in ("-1", "all"):
        return ("-1", -1, -1)
    return (protocol, permission.get("FromPort", -1), permission.get("ToPort", -1))


def _permission(key, group_id, description):
    protocol, low, high = key
    permission = {"IpProtocol": protocol, "UserIdGroupPairs": [{"GroupId": group_id, "Description": description}]}
    if protocol != "-1":
        permission.update(FromPort=low, ToPort=high)
    return permission


def plan(groups, sources, cluster_group, description):
    """{group id: (adds, revokes)}: port keys to open to ``cluster_group`` and ours to close."""
    found = {}
    for group in groups:
        if group["GroupId"] in sources or group["GroupId"] == cluster_group:
            continue
        wanted, have = set(), set()
        for permission in group.get("IpPermissions", []):
            for pair in permission.get("UserIdGroupPairs", []):
                if pair["GroupId"] in sources:
                    wanted.add(_ports(permission))
                elif pair["GroupId"] == cluster_group and pair.get("Description") == description:
                    have.add(_ports(permission))
        adds, revokes = wanted - have, have - wanted
        # A rule from the cluster group someone else made (another description) already admits the nodes.
        for permission in group.get("IpPermissions", []):
            for pair in permission.get("UserIdGroupPairs", []):
                if pair["GroupId"] == cluster_group and pair.get("Description") != description:
                    adds.discard(_ports(permission))
        if adds or revokes:
            found[group["GroupId"]] = (group, sorted(adds), sorted(revokes))
    return found


def _label(group):
    tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    return tags.get("stackops:security-group") or group.get("GroupName") or group["GroupId"]


def _ports_text(keys):
    return ", ".join(
        "all traffic" if p == "-1" else f"{p} {lo}" if lo == hi else f"{p} {lo}-{hi}" for p, lo, hi in keys
    )


def converge(reconciler):
    """Called once the cluster exists (or is planned, in check mode)."""
    p = reconciler.p
    if not p.get("admit_cluster_security_group", True) or not reconciler.security_group_ids:
        return
    cluster = reconciler.state.cluster or {}
    vpc_config = cluster.get("resourcesVpcConfig") or {}
    cluster_group = vpc_config.get("clusterSecurityGroupId")
    name = p["name"]
    if not cluster_group:
        if not cluster:  # check mode before the cluster exists: EKS makes the group on create
            reconciler.changes.add(f"admit the nodes of EKS cluster {name} (its cluster security group) where app is")
        return
    ec2 = reconciler.clients["ec2"]
    filters = tag_filters(identity_tags(p["platform"], p["environment"], "security"))
    if vpc_config.get("vpcId"):
        filters.append({"Name": "vpc-id", "Values": [vpc_config["vpcId"]]})
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=filters)
    description = DESCRIPTION.format(name=name)
    for group_id, (group, adds, revokes) in plan(
        groups, set(reconciler.security_group_ids), cluster_group, description
    ).items():
        label = _label(group)
        if adds and reconciler.changes.add(
            f"security group {label}: admit the nodes of EKS cluster {name} on {_ports_text(adds)}"
        ):
            ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[_permission(k, cluster_group, description) for k in adds],
                aws_retry=True,
            )
        if revokes and reconciler.changes.add(
            f"security group {label}: stop admitting the nodes of EKS cluster {name} on {_ports_text(revokes)}"
        ):
            ec2.revoke_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[_permission(k, cluster_group, description) for k in revokes],
                aws_retry=True,
            )
    reconciler.cluster_security_group_id = cluster_group
