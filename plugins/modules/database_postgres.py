#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: database_postgres
short_description: Converge a PostgreSQL database tier (RDS instance or Aurora cluster) in one run
version_added: 0.1.0
description:
  - Reconciles the database of one environment in one region. With O(engine=postgres), an RDS instance
    C(<name>-db) and its read replicas C(<name>-db-<replica>); with O(engine=aurora-postgresql), an Aurora
    cluster C(<name>-db) with a writer C(<name>-db-1) and readers (provisioned, or Serverless v2 with
    O(serverless_v2)). With O(primary_region), a cross-region read replica C(<name>-db-dr) of the primary region's
    instance, encrypted with this region's key, in this region's subnet group (the DR host of an inventory). For
    an Aurora cluster the DR copy is an Aurora global database C(<name>-db-global), which the primary cluster joins, and
    a secondary cluster C(<name>-db-dr) with a reader C(<name>-db-dr-1) is created in this region; which member
    writes is left as it is (a switchover or failover with M(stackops.platform.rds_global_cluster) moves it).
  - A parameter group C(<name>-<family>) holds O(parameters); sizes and times may carry units (C(8GB), C(64MB),
    C(30s)) and are converted to the unit RDS stores. Names are checked against a table of PostgreSQL parameters;
    O(parameters_unchecked) lets others through.
  - The master password is managed by Secrets Manager (C(ManageMasterUserPassword)), encrypted with
    O(master_user_secret_kms_key_id); it never passes through the inventory or the output.
  - Settings RDS applies at the next maintenance window (instance class, storage, engine version, Multi-AZ) wait
    for it unless O(apply_immediately); pending values count as done, so a second run changes nothing, and the
    change list and C(--diff) say what is pending.
  - The spec is validated before any API call; errors name the option. Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of every resource, conventionally C(<platform>-<environment>).
    type: str
    required: true
  state:
    description:
      - C(absent) deletes the tier's instances (replicas first) and cluster, with a final snapshot
        C(<name>-db-final-<time>) of the primary unless O(final_snapshot=false). Deletion protection must be off.
    type: str
    choices: [present, absent]
    default: present
  engine:
    description: C(postgres) (an RDS instance) or C(aurora-postgresql) (an Aurora cluster).
    type: str
    choices: [postgres, aurora-postgresql]
    default: postgres
  engine_version:
    description: C(16) (any 16.x; AWS picks the minor) or C(16.4). Major versions 15, 16, 17.
    type: str
    required: true
  instance_class:
    description: The instance class (C(db.r6g.xlarge)); ignored for Serverless v2 (C(db.serverless)).
    type: str
  serverless_v2:
    description: Aurora Serverless v2 (instances C(db.serverless)).
    type: bool
    default: false
  serverless_v2_min_capacity:
    description: Minimum ACU, 0 or 0.5 to 256 in steps of 0.5.
    type: float
  serverless_v2_max_capacity:
    description: Maximum ACU, 1 to 256 in steps of 0.5.
    type: float
  allocated_storage:
    description: Storage in GiB (RDS instance), 20 to 65536. RDS grows storage, never shrinks it.
    type: int
    default: 20
  max_allocated_storage:
    description: Storage autoscaling limit in GiB; 0 or unset for no autoscaling.
    type: int
  storage_type:
    description: Storage type.
    type: str
    choices: [gp2, gp3, io1, io2]
    default: gp3
  iops:
    description: Provisioned IOPS (io1, io2, or gp3 from 400 GiB).
    type: int
  storage_throughput:
    description: gp3 throughput in MiB/s (from 400 GiB).
    type: int
  multi_az:
    description: A standby in another AZ (RDS), or a reader in another AZ (Aurora, when O(read_replicas) is empty).
    type: bool
    default: true
  protected:
    description: The environment is protected; then O(multi_az=false) needs O(allow_single_az).
    type: bool
    default: false
  allow_single_az:
    description: Accept a single-AZ database in a protected environment.
    type: bool
    default: false
  availability_zones:
    description: AZs for the Aurora writer and implicit reader (first, second).
    type: list
    elements: str
    default: []
  read_replicas:
    description: Read replicas (RDS) or reader instances (Aurora).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Short name; the identifier is C(<name>-db-<replica name>). Default C(replica<n>).
        type: str
      instance_class:
        description: Defaults to O(instance_class).
        type: str
      availability_zone:
        description: The replica's AZ (in this region).
        type: str
  purge_replicas:
    description: Delete replicas tagged as this tier's that are not in O(read_replicas) (otherwise reported).
    type: bool
    default: false
  db_name:
    description: Name of the database created with the instance.
    type: str
  master_username:
    description: The master user.
    type: str
    default: postgres
  port:
    description: The port.
    type: int
    default: 5432
  parameters:
    description: PostgreSQL parameters, by name. Units (C(kB), C(MB), C(GB), C(ms), C(s), C(min)) are converted.
    type: dict
    default: {}
  parameters_unchecked:
    description: Parameter names to pass as given, without checking them against the table.
    type: list
    elements: str
    default: []
  kms_key_id:
    description: KMS key (ARN) for storage and Performance Insights (the security tier's C(data) key).
    type: str
  master_user_secret_kms_key_id:
    description: KMS key (ARN) of the master password secret (the security tier's C(secrets) key).
    type: str
  performance_insights:
    description: Performance Insights.
    type: bool
    default: true
  performance_insights_retention_days:
    description: 7, a multiple of 31 up to 713, or 731.
    type: int
    default: 7
  monitoring_interval:
    description: Enhanced monitoring interval in seconds (0 for none; 1, 5, 10, 15, 30, 60).
    type: int
    default: 60
  monitoring_role_arn:
    description: Role for enhanced monitoring; by default C(<name>-rds-monitoring-<region>) is created with AmazonRDSEnhancedMonitoringRole.
    type: str
  cloudwatch_logs_exports:
    description: Logs to export to CloudWatch Logs (C(postgresql), C(upgrade); Aurora C(postgresql), C(instance)).
    type: list
    elements: str
    default: [postgresql]
  backup_retention_days:
    description: Automated backup retention, 0 (1 for Aurora, replicas and protected environments) to 35.
    type: int
    default: 7
  backup_window:
    description: Daily backup window C(hh24:mi-hh24:mi) UTC.
    type: str
  maintenance_window:
    description: Weekly maintenance window C(ddd:hh24:mi-ddd:hh24:mi) UTC.
    type: str
  deletion_protection:
    description: Deletion protection.
    type: bool
    default: false
  final_snapshot:
    description: Take a final snapshot when O(state=absent) deletes the primary or cluster.
    type: bool
    default: true
  iam_authentication:
    description: IAM database authentication.
    type: bool
    default: false
  auto_minor_version_upgrade:
    description: Minor upgrades in the maintenance window.
    type: bool
    default: true
  apply_immediately:
    description: Apply changes that would wait for the maintenance window now (may mean downtime).
    type: bool
    default: false
  subnet_group_name:
    description: DB subnet group (the network tier's).
    type: str
  security_group_ids:
    description: Security groups (the security tier's C(database) group).
    type: list
    elements: str
    default: []
  primary_region:
    description: Converge the DR replica C(<name>-db-dr) of C(<name>-db) in this region instead of the primary.
    type: str
  dr_instance_class:
    description: Instance class of the DR replica; defaults to O(instance_class).
    type: str
  dr_multi_az:
    description: Multi-AZ for the DR replica.
    type: bool
    default: false
notes:
  - Tags that other systems add (C(aws:*)) are never purged.
  - Parameter changes of static parameters take effect at the next reboot; the module warns, it never reboots.
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge seed 001's prod database
  stackops.platform.database_postgres:
    name: moneytrack-prod
    platform: moneytrack
    environment: prod
    region: us-east-1
    engine_version: "15"
    instance_class: db.r6g.xlarge
    allocated_storage: 500
    storage_type: gp3
    iops: 12000
    storage_throughput: 500
    max_allocated_storage: 2000
    multi_az: true
    protected: true
    read_replicas:
      - {name: replica1, instance_class: db.r6g.large, availability_zone: us-east-1a}
      - {name: replica2, instance_class: db.r6g.large, availability_zone: us-east-1b}
    parameters:
      max_connections: 500
      shared_buffers: 8GB
      work_mem: 64MB
      shared_preload_libraries: pg_stat_statements
    backup_retention_days: 30
    backup_window: "03:00-04:00"
    maintenance_window: "sun:05:00-sun:06:00"
    deletion_protection: true
    kms_key_id: "{{ security_kms_keys.data.arn }}"
    master_user_secret_kms_key_id: "{{ security_kms_keys.secrets.arn }}"
    subnet_group_name: "{{ vpc_network.db_subnet_group }}"
    security_group_ids: ["{{ security_group_ids.database }}"]
  register: database
"""

RETURN = r"""
database:
  description: The tier as later tiers read it (the C(database) fact). In check mode, resources not yet created have null values.
  returned: always
  type: dict
  contains:
    engine: {description: postgres or aurora-postgresql., type: str}
    identifier: {description: The instance (RDS) or the writer instance (Aurora) or the DR replica., type: str}
    cluster_identifier: {description: "The Aurora cluster, or null.", type: str}
    arn: {description: ARN of the instance (RDS) or cluster (Aurora)., type: str}
    endpoint: {description: The writer endpoint., type: str}
    reader_endpoint: {description: "The Aurora reader endpoint, or null.", type: str}
    port: {description: The port., type: int}
    master_user_secret_arn: {description: The Secrets Manager secret RDS keeps the master password in., type: str}
    parameter_group_name: {description: The parameter group (DB cluster parameter group for Aurora)., type: str}
    replicas: {description: "Read replicas (readers) by identifier: arn, endpoint, availability_zone, instance_class.", type: dict}
    pending_modifications: {description: "Settings waiting for the maintenance window, by identifier.", type: dict}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create parameter group moneytrack-prod-postgres15 (postgres15)", "create RDS instance moneytrack-prod-db (...)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._database.reconcile import DatabaseReconciler
from ansible_collections.stackops.platform.plugins.module_utils._database.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        engine=dict(type="str", choices=["postgres", "aurora-postgresql"], default="postgres"),
        engine_version=dict(type="str", required=True),
        instance_class=dict(type="str"),
        serverless_v2=dict(type="bool", default=False),
        serverless_v2_min_capacity=dict(type="float"),
        serverless_v2_max_capacity=dict(type="float"),
        allocated_storage=dict(type="int", default=20),
        max_allocated_storage=dict(type="int"),
        storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2"], default="gp3"),
        iops=dict(type="int"),
        storage_throughput=dict(type="int"),
        multi_az=dict(type="bool", default=True),
        protected=dict(type="bool", default=False),
        allow_single_az=dict(type="bool", default=False),
        availability_zones=dict(type="list", elements="str", default=[]),
        read_replicas=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str"),
                instance_class=dict(type="str"),
                availability_zone=dict(type="str"),
            ),
        ),
        purge_replicas=dict(type="bool", default=False),
        db_name=dict(type="str"),
        master_username=dict(type="str", default="postgres"),
        port=dict(type="int", default=5432),
        parameters=dict(type="dict", default={}),
        parameters_unchecked=dict(type="list", elements="str", default=[]),
        kms_key_id=dict(type="str", no_log=False),
        master_user_secret_kms_key_id=dict(type="str", no_log=False),
        performance_insights=dict(type="bool", default=True),
        performance_insights_retention_days=dict(type="int", default=7),
        monitoring_interval=dict(type="int", default=60),
        monitoring_role_arn=dict(type="str"),
        cloudwatch_logs_exports=dict(type="list", elements="str", default=["postgresql"]),
        backup_retention_days=dict(type="int", default=7),
        backup_window=dict(type="str"),
        maintenance_window=dict(type="str"),
        deletion_protection=dict(type="bool", default=False),
        final_snapshot=dict(type="bool", default=True),
        iam_authentication=dict(type="bool", default=False),
        auto_minor_version_upgrade=dict(type="bool", default=True),
        apply_immediately=dict(type="bool", default=False),
        subnet_group_name=dict(type="str"),
        security_group_ids=dict(type="list", elements="str", default=[]),
        primary_region=dict(type="str"),
        dr_instance_class=dict(type="str"),
        dr_multi_az=dict(type="bool", default=False),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        services = {"rds": "rds", "iam": "iam"}
        if module.params.get("primary_region"):
            services["rds_primary"] = ("rds", module.params["primary_region"])
        return DatabaseReconciler(module.params, region, platform_clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        "database",
        "database",
        validate=lambda params, region: (
            validate(params, region, prefix=params["variable_prefix"]) if params["state"] == "present" else []
        ),
    )


if __name__ == "__main__":
    main()
