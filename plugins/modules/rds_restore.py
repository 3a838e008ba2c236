#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_restore
short_description: Restore an RDS instance or an Aurora cluster from a snapshot or to a point in time into a new identifier
version_added: 0.2.0
description:
  - Preflight (the source and the restore point exist; the target is free or a restore of this source), then
    RestoreDBInstanceFromDBSnapshot or RestoreDBInstanceToPointInTime into O(target), a bounded wait until it
    is C(available), and a check that it has an endpoint and the subnet group, security groups, parameter
    group and KMS key it was given. Returns the phases, the measured duration and the age of the data restored
    (C(data_age_s), how much a recovery from that point would lose).
  - The new instance gets the source's subnet group, security groups, parameter group, KMS key, class, Multi-AZ
    and deletion protection unless given. With a managed master password on the source, RDS manages a new one
    for the restored instance.
  - With O(source_region) other than the module's region (a DR drill), the latest (or given) snapshot is copied
    into this region with O(kms_key_id), then restored with O(subnet_group) and O(security_group_ids), which
    are required there.
  - O(repoint_secret) puts the restored instance's endpoint in the connection secret of the security tier
    (C(host), C(reader_host), C(port), C(master_secret_arn)); services read it when their tasks or pods start.
  - The instance is tagged C(stackops:restored-from) (the source) and C(stackops:restore-point). A rerun after
    an interruption finds it and waits for it, so it never restores twice. O(state=absent) deletes what a restore
    made into O(target) (the instance, without a final snapshot, and the snapshot copy) and refuses anything else.
  - When O(source) names an Aurora DB cluster, the cluster is restored (RestoreDBClusterFromSnapshot from a cluster
    snapshot, or RestoreDBClusterToPointInTime) into the cluster O(target) with the source's subnet group, security
    groups, cluster parameter group, KMS key, port and Serverless v2 capacity; an Aurora restore makes no instance,
    so the writer C(<target>-1) is then created in it (the source writer's class and parameter group, or
    O(instance_class)). In another region the cluster snapshot is copied there first with O(kms_key_id).
    O(state=absent) deletes the cluster's instances, the cluster and the copy. An instance of an Aurora cluster
    given as O(source) is refused (restore its cluster).
  - Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  source:
    description: The instance, or the Aurora cluster, whose backups are restored.
    type: str
    required: true
  source_region:
    description: The source's region, when it is not the module's region (a DR drill).
    type: str
  target:
    description: The new instance's (or Aurora cluster's) identifier; an Aurora restore's writer is C(<target>-1).
    type: str
    required: true
  snapshot:
    description: A snapshot identifier or ARN of the source, or C(latest) (its newest available snapshot, automated or manual).
    type: str
  restore_time:
    description: A point in time (ISO 8601, UTC when no offset) or C(latest) (the latest restorable time).
    type: str
  state:
    description: C(present) restores; C(absent) deletes what a restore made into O(target).
    type: str
    choices: [present, absent]
    default: present
  instance_class:
    description: The new instance's class (Aurora, its writer's); default the source's (writer's).
    type: str
  multi_az:
    description: Multi-AZ for the new instance; default the source's. An Aurora restore has its writer only.
    type: bool
  deletion_protection:
    description: Deletion protection for the new instance; default the source's.
    type: bool
  subnet_group:
    description: The DB subnet group; default the source's (required in another region).
    type: str
  security_group_ids:
    description: The VPC security groups; default the source's (required in another region).
    type: list
    elements: str
  parameter_group:
    description: >-
      The DB parameter group (Aurora, the DB cluster parameter group); default the source's in its region, the
      engine's default elsewhere.
    type: str
  kms_key_id:
    description: The KMS key of the copy in another region (required there; in the source's region the backup's key is kept).
    type: str
  repoint_secret:
    description: The key of a connection secret of the security tier (C(database_connection)) to point at the new instance.
    type: str
  tags:
    description: More tags for the new instance.
    type: dict
    default: {}
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Restore last night's state into a new instance and repoint the services
  stackops.platform.rds_restore:
    platform: moneytrack
    environment: prod
    source: moneytrack-prod-db
    target: moneytrack-prod-db-restored
    restore_time: "2026-12-05T03:00:00Z"
    repoint_secret: database_connection

- name: Restore an Aurora cluster to the latest restorable time (the writer moneytrack-prod-db-pitr-1 is created in it)
  stackops.platform.rds_restore:
    platform: moneytrack
    environment: prod
    source: moneytrack-prod-db
    target: moneytrack-prod-db-pitr
    restore_time: latest

- name: DR drill - the latest snapshot, restored in the DR region
  stackops.platform.rds_restore:
    platform: moneytrack
    environment: prod
    region: us-west-2
    source: moneytrack-prod-db
    source_region: us-east-1
    target: moneytrack-prod-db-drill
    snapshot: latest
    subnet_group: moneytrack-prod-db
    security_group_ids: [sg-0123456789abcdef0]
    kms_key_id: alias/moneytrack-prod-data
    multi_az: false
"""

RETURN = r"""
restore:
  description: The restored instance and where its data comes from.
  returned: always
  type: dict
  contains:
    identifier: {description: "The new instance (or Aurora cluster).", type: str}
    engine_kind: {description: "C(instance) or C(cluster) (Aurora).", type: str}
    writer: {description: "Aurora, the writer instance created in the restored cluster.", type: str}
    reader_endpoint: {description: "Aurora, the cluster's reader endpoint (an instance, its endpoint).", type: str}
    arn: {description: "Its ARN.", type: str}
    status: {description: "C(available) once waited for (C(absent) after O(state=absent)).", type: str}
    endpoint: {description: "Its endpoint address.", type: str}
    port: {description: "Its port.", type: int}
    source: {description: "The source instance.", type: str}
    source_region: {description: "The source's region.", type: str}
    restore_point: {description: "The snapshot restored, the time restored to, or C(latest).", type: str}
    data_time: {description: "The time of the data restored (ISO 8601).", type: str}
    data_age_s: {description: "How old that data was when the restore started, in seconds.", type: float}
    copy: {description: "The snapshot (Aurora, cluster snapshot) copy made in this region, if any.", type: str}
    subnet_group: {description: "Its subnet group.", type: str}
    security_group_ids: {description: "Its security groups.", type: list, elements: str}
    parameter_group: {description: "Its parameter group (Aurora, its cluster parameter group).", type: str}
    kms_key_id: {description: "Its KMS key.", type: str}
    master_user_secret_arn: {description: "The RDS-managed secret with its master password.", type: str}
    adopted: {description: "True when the target was already a restore of the source (nothing restored again).", type: bool}
secret:
  description: The connection secret repointed (key, arn, from_host, to_host), or null.
  returned: always
  type: dict
changes:
  description: What changed (in check mode, what would change).
  returned: always
  type: list
  elements: str
phases:
  description: The procedure's timeline (phase, start, end, duration_s, outcome).
  returned: always
  type: list
  elements: dict
duration_s:
  description: The whole procedure's duration in seconds.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._restore.restore import RestoreProcedure
from ansible_collections.stackops.platform.plugins.module_utils._restore.restore import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    argument_spec = dict(
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
        source=dict(type="str", required=True),
        source_region=dict(type="str"),
        target=dict(type="str", required=True),
        snapshot=dict(type="str"),
        restore_time=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        instance_class=dict(type="str"),
        multi_az=dict(type="bool"),
        deletion_protection=dict(type="bool"),
        subnet_group=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        parameter_group=dict(type="str"),
        kms_key_id=dict(type="str", no_log=False),
        repoint_secret=dict(type="str", no_log=False),
        tags=dict(type="dict", default={}),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    def make(region):
        services = {"rds": "rds"}
        source_region = module.params.get("source_region")
        if source_region and source_region != region:
            services["rds_source"] = ("rds", source_region)
        if module.params.get("repoint_secret"):
            services["secretsmanager"] = "secretsmanager"
        return RestoreProcedure(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        f"restore of {module.params['source']} into {module.params['target']}",
        "restore",
        validate=validate,
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
