# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the database tier as it is: one describe per resource type, instances found by name and tags.

RDS cannot filter DescribeDBInstances by tag, but every instance carries its TagList: one paginated call reads
every instance of the region, and the tier's are picked out here.
"""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

COMPONENT = "database"
TAG_ROLE = "stackops:database-role"  # primary, replica, writer, reader, dr
MONITORING_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
MONITORING_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def tags_of(resource):
    return boto3_tag_list_to_ansible_dict(resource.get("TagList") or resource.get("Tags") or [])


def is_managed(tags, identity):
    return all(tags.get(k) == v for k, v in identity.items())


def paginate(client, operation, key, **params):
    items = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


def not_found(call, *codes):
    try:
        return call()
    except ClientError as error:  # pylint: disable=duplicate-except
        if is_boto3_error_code(list(codes), error):
            return None
        raise


class DatabaseState:
    """What exists now: raw describe results, indexed by identifier."""

    def __init__(self):
        self.instances = {}  # identifier -> DescribeDBInstances entry (every instance of the region)
        self.cluster = None  # DescribeDBClusters entry of the tier's cluster
        self.parameter_group = None  # DescribeDB(Cluster)ParameterGroups entry
        self.parameters = {}  # name -> {"ParameterValue", "ApplyMethod"} set by the user (Source=user)
        self.role = None  # the enhanced monitoring role (GetRole), None when missing
        self.role_policies = []  # ARNs of the managed policies attached to it
        self.source = None  # DR: the primary region's instance


def read_instances(rds):
    return {i["DBInstanceIdentifier"]: i for i in paginate(rds, "describe_db_instances", "DBInstances")}


def read_instance(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"],
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
    )
    return found[0] if found else None


def read_cluster(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)["DBClusters"],
        "DBClusterNotFoundFault",
        "DBClusterNotFound",
    )
    return found[0] if found else None


def read_parameter_group(rds, name, cluster=False):
    """(group, {name: parameter}) of a DB (or DB cluster) parameter group; (None, {}) when it does not exist."""
    if cluster:
        groups = not_found(
            lambda: rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name, aws_retry=True)[
                "DBClusterParameterGroups"
            ],
            "DBParameterGroupNotFound",
            "DBParameterGroupNotFoundFault",
        )
        if not groups:
            return None, {}
        found = paginate(
            rds, "describe_db_cluster_parameters", "Parameters", DBClusterParameterGroupName=name, Source="user"
        )
    else:
        groups = not_found(
            lambda: rds.describe_db_parameter_groups(DBParameterGroupName=name, aws_retry=True)["DBParameterGroups"],
            "DBParameterGroupNotFound",
            "DBParameterGroupNotFoundFault",
        )
        if not groups:
            return None, {}
        found = paginate(rds, "describe_db_parameters", "Parameters", DBParameterGroupName=name, Source="user")
    return groups[0], {p["ParameterName"]: p for p in found if p.get("ParameterValue") is not None}


def read_role(iam, name):
    role = not_found(lambda: iam.get_role(RoleName=name, aws_retry=True)["Role"], "NoSuchEntity")
    if role is None:
        return None, []
    attached = iam.list_attached_role_policies(RoleName=name, aws_retry=True)["AttachedPolicies"]
    return role, [p["PolicyArn"] for p in attached]
