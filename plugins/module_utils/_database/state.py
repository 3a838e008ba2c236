# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the database tier as it is: one describe per resource type, instances found by name and tags.

RDS cannot filter DescribeDBInstances by tag, but every instance carries its TagList: one paginated call reads
every instance of the region, and the tier's are picked out here.
"""

from __future__ import annotations

from ..platform import identity_tags
from ..platform import is_managed
from ..platform import not_found
from ..platform import paginate
from ..platform import tags_of
from .spec import DEFERRED

COMPONENT = "database"
TAG_ROLE = "stackops:database-role"  # primary, replica, writer, reader, dr
MONITORING_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
MONITORING_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


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


# -- what database_postgres_info returns ------------------------------------------------------------------------------

INFO_SERVICES = {"rds": "rds"}


def instance_summary(instance):
    """One instance of the tier as ``database_postgres_info`` lists it."""
    return {
        "role": tags_of(instance).get(TAG_ROLE),
        "arn": instance.get("DBInstanceArn"),
        "status": instance.get("DBInstanceStatus"),
        "instance_class": instance.get("DBInstanceClass"),
        "engine_version": instance.get("EngineVersion"),
        "availability_zone": instance.get("AvailabilityZone"),
        "multi_az": instance.get("MultiAZ"),
        "storage_type": instance.get("StorageType"),
        "allocated_storage": instance.get("AllocatedStorage"),
        "iops": instance.get("Iops"),
        "endpoint": (instance.get("Endpoint") or {}).get("Address"),
        "port": (instance.get("Endpoint") or {}).get("Port"),
        "source": instance.get("ReadReplicaSourceDBInstanceIdentifier"),
        "cluster": instance.get("DBClusterIdentifier"),
        "parameter_group": next((g["DBParameterGroupName"] for g in instance.get("DBParameterGroups") or []), None),
        "performance_insights": bool(instance.get("PerformanceInsightsEnabled")),
        "monitoring_interval": instance.get("MonitoringInterval"),
        "pending_modifications": {
            k: v for k, v in (instance.get("PendingModifiedValues") or {}).items() if k in DEFERRED
        },
    }


def info(clients, params, region):  # pylint: disable=unused-argument
    """``(exists, facts)``: the tier's primary (or DR replica, or Aurora cluster) and every instance, by tags."""
    identity = identity_tags(params["platform"], params["environment"], COMPONENT)
    rds = clients["rds"]
    instances = {i: inst for i, inst in read_instances(rds).items() if is_managed(tags_of(inst), identity)}
    clusters = [c for c in paginate(rds, "describe_db_clusters", "DBClusters") if is_managed(tags_of(c), identity)]
    found = {i: instance_summary(inst) for i, inst in sorted(instances.items())}
    database = {}
    if clusters:
        cluster = clusters[0]
        database = {
            "engine": "aurora-postgresql",
            "cluster_identifier": cluster["DBClusterIdentifier"],
            "arn": cluster.get("DBClusterArn"),
            "endpoint": cluster.get("Endpoint"),
            "reader_endpoint": cluster.get("ReaderEndpoint"),
            "port": cluster.get("Port"),
            "engine_version": cluster.get("EngineVersion"),
            "serverless_v2": cluster.get("ServerlessV2ScalingConfiguration"),
            "master_user_secret_arn": (cluster.get("MasterUserSecret") or {}).get("SecretArn"),
            "parameter_group_name": cluster.get("DBClusterParameterGroup"),
            "replicas": {i: v for i, v in found.items() if v["role"] == "reader"},
        }
    else:
        primary = next((i for i, v in found.items() if v["role"] in ("primary", "dr")), None)
        if primary:
            raw = instances[primary]
            database = {
                "engine": "postgres",
                "identifier": primary,
                "arn": raw.get("DBInstanceArn"),
                "endpoint": found[primary]["endpoint"],
                "port": found[primary]["port"],
                "engine_version": raw.get("EngineVersion"),
                "master_user_secret_arn": (raw.get("MasterUserSecret") or {}).get("SecretArn"),
                "parameter_group_name": found[primary]["parameter_group"],
                "replicas": {i: v for i, v in found.items() if v["role"] == "replica"},
                "pending_modifications": {
                    i: v["pending_modifications"] for i, v in found.items() if v["pending_modifications"]
                },
            }
    return bool(found or clusters), {"database": database, "instances": found}
