#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: database_postgres_info
short_description: Find the database tier of an environment by its tags
version_added: 0.1.0
description:
  - Reads the RDS instances and Aurora clusters tagged C(stackops:platform), C(stackops:environment) and
    C(stackops:component=database) in one region (one DescribeDBInstances and one DescribeDBClusters call) and
    returns them in the shape M(stackops.platform.database_postgres) returns, for status pages and runbooks.
author:
  - stackops platform engineers (@stackops)
options: {}
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the prod database
  stackops.platform.database_postgres_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found
"""

RETURN = r"""
exists:
  description: Whether any instance or cluster of the tier was found.
  returned: always
  type: bool
database:
  description: The primary (or DR replica, or cluster) with endpoint, port, ARN, master secret, parameter group, replicas and pending changes.
  returned: always
  type: dict
instances:
  description: "Every instance of the tier by identifier: role, class, status, AZ, Multi-AZ, storage, endpoint, pending changes."
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._database import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._database import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import identity_tags


def _instance(instance):
    return {
        "role": st.tags_of(instance).get(st.TAG_ROLE),
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
            k: v for k, v in (instance.get("PendingModifiedValues") or {}).items() if k in sp.DEFERRED
        },
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(platform=dict(type="str", required=True), environment=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    identity = identity_tags(module.params["platform"], module.params["environment"], st.COMPONENT)
    rds = platform_clients(module, {"rds": "rds"})["rds"]
    try:
        instances = {i: inst for i, inst in st.read_instances(rds).items() if st.is_managed(st.tags_of(inst), identity)}
        clusters = [
            c for c in st.paginate(rds, "describe_db_clusters", "DBClusters") if st.is_managed(st.tags_of(c), identity)
        ]
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg="could not read the database tier")
    found = {i: _instance(inst) for i, inst in sorted(instances.items())}
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
    module.exit_json(changed=False, exists=bool(found or clusters), database=database, instances=found)


if __name__ == "__main__":
    main()
