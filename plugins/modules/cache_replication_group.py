#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cache_replication_group
short_description: Converge an ElastiCache (Redis OSS 7 or Valkey) replication group and what it needs
version_added: 0.1.0
description:
  - Converges one ElastiCache replication group, cluster mode enabled or disabled, with its own parameter group
    (created from the spec, family C(redis7), C(valkey7) or C(valkey8), named C(<name>-<family>)), an AUTH token
    generated once and kept in Secrets Manager, encryption in transit and at rest (a KMS key), Multi-AZ with
    automatic failover, snapshots, a maintenance window, an SNS notification topic (C(<name>-events)) and
    slow-log delivery to CloudWatch Logs (C(/aws/elasticache/<name>/slow-log)).
  - Changes AWS makes in place are made in place and waited for (O(wait_timeout)) - replica count up or down
    (IncreaseReplicaCount / DecreaseReplicaCount), node type, engine version upgrade, parameters, security
    groups, windows, snapshot retention, notification topic, slow log, Multi-AZ and failover, the AUTH token
    when none is set. What AWS cannot do in place (cluster mode off, a lower engine version, encryption off or
    on, another KMS key, port or subnet group, resharding) is refused with a message after the reads and
    before any write.
  - The spec is validated before any API call; every message names the option.
  - The AUTH token never appears in the result, the diff, the change list or a warning. It is read from
    Secrets Manager only when a write needs it; a secret that exists is never overwritten.
  - Check mode makes no write call and lists what would change.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The replication group id (1-40 lowercase letters, digits and hyphens); prefixes the parameter group, topic and log group.
    type: str
    required: true
  description:
    description: The replication group's description. Defaults to C(<platform> <environment> cache).
    type: str
  engine:
    description: The engine.
    type: str
    default: redis
    choices: [redis, valkey]
  engine_version:
    description: The engine version (C(7.0), C(7.1) for Redis OSS; C(7.2), C(8.0), C(8.1) for Valkey). Only upgrades are made in place.
    type: str
    default: "7.1"
  node_type:
    description: The node type (C(cache.r6g.large), ...). Changed in place (a scale up or down).
    type: str
    required: true
  cluster_mode:
    description: Cluster mode. C(enabled) shards the keyspace over O(num_shards) shards; C(disabled) has one shard.
    type: str
    default: disabled
    choices: [enabled, disabled]
  num_shards:
    description: Shards (node groups), 1-500; 1 with cluster mode disabled.
    type: int
    default: 1
  replicas_per_shard:
    description: Read replicas per shard, 0-5. Changed in place.
    type: int
    default: 2
  multi_az:
    description: Multi-AZ (needs a replica and O(automatic_failover)).
    type: bool
    default: true
  automatic_failover:
    description: Automatic failover to a replica (needs a replica; always on with cluster mode enabled).
    type: bool
    default: true
  port:
    description: The port.
    type: int
    default: 6379
  parameters:
    description:
      - Parameters of the group's own parameter group, by name (C(maxmemory-policy), C(timeout), ...); only
        modifiable parameters of the family are accepted. C(cluster-enabled) is set from O(cluster_mode).
        Parameters removed from here are reset to their defaults.
    type: dict
    default: {}
  subnet_group:
    description:
      - The cache subnet group (the network tier's C(cache_subnet_group)). Needed to create the group; check mode
        plans without it.
    type: str
  security_group_ids:
    description: The VPC security groups of the nodes (the security tier's C(cache) group).
    type: list
    elements: str
    default: []
  auth_token:
    description: Protect the group with an AUTH token, generated once and kept in Secrets Manager (needs O(transit_encryption)).
    type: bool
    default: true
  auth_token_secret_name:
    description: Name of the Secrets Manager secret holding the AUTH token. Required with O(auth_token).
    type: str
  auth_token_secret_kms_key:
    description: KMS key (ARN or alias) of the secret. The AWS managed key C(aws/secretsmanager) when omitted.
    type: str
  transit_encryption:
    description: Encryption in transit (TLS).
    type: bool
    default: true
  at_rest_encryption:
    description: Encryption at rest. Chosen at creation only.
    type: bool
    default: true
  kms_key_id:
    description: ARN of the customer managed KMS key for encryption at rest (the security tier's C(data) key). The AWS managed key when omitted.
    type: str
  snapshot_retention_days:
    description: Days automatic snapshots are kept, 0-35 (0 turns them off).
    type: int
    default: 7
  snapshot_window:
    description: Daily snapshot window, C(hh24:mi-hh24:mi) in UTC, at least 30 minutes, apart from O(maintenance_window).
    type: str
  maintenance_window:
    description: Weekly maintenance window, C(ddd:hh24:mi-ddd:hh24:mi) in UTC, at least 30 minutes.
    type: str
  notifications:
    description: Send the group's events to an SNS topic C(<name>-events), created when missing.
    type: bool
    default: true
  slow_log:
    description: Deliver the slow log (JSON) to the CloudWatch Logs group C(/aws/elasticache/<name>/slow-log), created when missing.
    type: bool
    default: true
  slow_log_retention_days:
    description: Retention of the slow-log group (a value CloudWatch Logs accepts).
    type: int
    default: 30
  apply_immediately:
    description: Apply modifications now rather than in the next maintenance window. Replica count changes are always immediate.
    type: bool
    default: true
notes:
  - The parameter group, topic, secret and log group are tagged when created; the replication group's tags are kept equal to O(tags) (with O(purge_tags)).
  - Nothing is ever deleted by this module.
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
- name: Seed 001's prod cache (Redis 7.0, cluster mode, 3 shards x 1 replica)
  stackops.platform.cache_replication_group:
    name: moneytrack-prod-cache
    platform: moneytrack
    environment: prod
    engine_version: "7.0"
    node_type: cache.r6g.large
    cluster_mode: enabled
    num_shards: 3
    replicas_per_shard: 1
    subnet_group: "{{ vpc_network.cache_subnet_group }}"
    security_group_ids: ["{{ security_group_ids.cache }}"]
    auth_token_secret_name: prod/moneytrack/cache/auth-token
    kms_key_id: "{{ security_kms_keys.data.arn }}"
    snapshot_retention_days: 7
    snapshot_window: "02:00-03:00"
    maintenance_window: "sun:03:00-sun:04:00"
    parameters:
      maxmemory-policy: allkeys-lru
  register: cache
"""

RETURN = r"""
cache:
  description: The replication group as later tiers read it (the C(cache) fact). Null ids in check mode for what does not exist yet.
  returned: always
  type: dict
  contains:
    replication_group_id: {description: The replication group id., type: str}
    arn: {description: Its ARN., type: str}
    status: {description: Its status., type: str}
    primary_endpoint: {description: Primary endpoint (cluster mode disabled)., type: str}
    reader_endpoint: {description: Reader endpoint (cluster mode disabled)., type: str}
    configuration_endpoint: {description: Configuration endpoint (cluster mode enabled)., type: str}
    port: {description: The port., type: int}
    auth_secret_arn: {description: ARN of the secret holding the AUTH token (never the token)., type: str}
    parameter_group: {description: The parameter group's name., type: str}
    notification_topic_arn: {description: The SNS topic's ARN., type: str}
    slow_log_group: {description: The slow-log group's name., type: str}
    members: {description: "Nodes: id, shard, az, role.", type: list, elements: dict}
changes:
  description: What changed (in check mode, what would change), in order. Never the AUTH token.
  returned: always
  type: list
  elements: str
  sample: ["create parameter group demo-local-cache-redis7 (redis7)", "replication group demo-local-cache: add replicas, 2 to 3 per shard"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._cache.reconcile import CacheReconciler
from ansible_collections.stackops.platform.plugins.module_utils._cache.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        engine=dict(type="str", default="redis", choices=["redis", "valkey"]),
        engine_version=dict(type="str", default="7.1"),
        node_type=dict(type="str", required=True),
        cluster_mode=dict(type="str", default="disabled", choices=["enabled", "disabled"]),
        num_shards=dict(type="int", default=1),
        replicas_per_shard=dict(type="int", default=2),
        multi_az=dict(type="bool", default=True),
        automatic_failover=dict(type="bool", default=True),
        port=dict(type="int", default=6379),
        parameters=dict(type="dict", default={}),
        subnet_group=dict(type="str"),
        security_group_ids=dict(type="list", elements="str", default=[]),
        auth_token=dict(type="bool", default=True, no_log=False),
        auth_token_secret_name=dict(type="str", no_log=False),
        auth_token_secret_kms_key=dict(type="str", no_log=False),
        transit_encryption=dict(type="bool", default=True),
        at_rest_encryption=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        snapshot_retention_days=dict(type="int", default=7),
        snapshot_window=dict(type="str"),
        maintenance_window=dict(type="str"),
        notifications=dict(type="bool", default=True),
        slow_log=dict(type="bool", default=True),
        slow_log_retention_days=dict(type="int", default=30),
        apply_immediately=dict(type="bool", default=True),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("auth_token", True, ["auth_token_secret_name"])],
    )
    services = {"elasticache": "elasticache", "secretsmanager": "secretsmanager", "sns": "sns", "logs": "logs"}
    run_reconciler(
        module,
        lambda _region: CacheReconciler(module.params, platform_clients(module, services), module.check_mode),
        "cache",
        "cache",
        validate=lambda params, _region: validate(params, prefix=params["variable_prefix"]),
    )


if __name__ == "__main__":
    main()
