# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cache spec: validation and derived names for an ElastiCache (Redis OSS 7 / Valkey) replication group.

Pure Python, no AWS calls. The ``cache_replication_group`` module validates its options with ``validate``
before any API call; the ``cache_spec_errors`` filter runs the same rules with the role's prefix
(``cache_replicas_per_shard``) in the role's assert. Rules follow the ElastiCache User Guide and API
reference (CreateReplicationGroup, "Replicas", "Minimizing downtime with Multi-AZ", "Redis OSS 7 parameter
changes", "Supported node types"); each message names the variable and the rule.
"""

from __future__ import annotations

import re

from ..aws_rules import LOG_RETENTION_DAYS
from ..aws_rules import reserved_tag_errors
from ..windows import daily_window_errors
from ..windows import maintenance_window_errors
from ..windows import overlap_errors

ENGINES = ("redis", "valkey")
# Engine versions ElastiCache offers for Redis OSS 7 and Valkey, and their parameter group family.
ENGINE_VERSIONS = {
    "redis": {"7.0": "redis7", "7.1": "redis7"},
    "valkey": {"7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8"},
}
MAX_REPLICAS_PER_SHARD = 5  # "up to 5 read replicas" per shard (node group)
MAX_SHARDS = 500  # cluster mode enabled: 1-500 node groups
MAX_SNAPSHOT_RETENTION = 35  # SnapshotRetentionLimit: at most 35 days
# Node types ElastiCache supports (current generation), as family -> sizes.
NODE_TYPES = {
    "t3": ("micro", "small", "medium"),
    "t4g": ("micro", "small", "medium"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "m7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r6gd": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "c7gn": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
}
# The modifiable parameters of the redis7 family (ElastiCache User Guide, "Redis OSS 7 parameter changes" and
# the 6.x/5.x/4.x/2.8 parameters the family inherits). valkey7 / valkey8 take the same names.
# ``cluster-enabled`` is not here: the module sets it from ``cluster_mode``.
REDIS7_PARAMETERS = frozenset(
    """
acl-pubsub-default activedefrag active-defrag-cycle-max active-defrag-cycle-min active-defrag-ignore-bytes
active-defrag-max-scan-fields active-defrag-threshold-lower active-defrag-threshold-upper activerehashing
appendfsync appendonly client-output-buffer-limit-normal-hard-limit client-output-buffer-limit-normal-soft-limit
client-output-buffer-limit-normal-soft-seconds client-output-buffer-limit-pubsub-hard-limit
client-output-buffer-limit-pubsub-soft-limit client-output-buffer-limit-pubsub-soft-seconds
client-output-buffer-limit-replica-hard-limit client-output-buffer-limit-replica-soft-limit
client-output-buffer-limit-replica-soft-seconds close-on-replica-write cluster-allow-pubsubshard-when-down
cluster-allow-reads-when-down cluster-require-full-coverage databases hash-max-listpack-entries
hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes lazyfree-lazy-eviction
lazyfree-lazy-expire lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time
lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size lua-time-limit
maxmemory-policy maxmemory-samples min-replicas-max-lag min-replicas-to-write notify-keyspace-events
proto-max-bulk-len replica-lazy-flush reserved-memory-percent set-max-intset-entries slowlog-log-slower-than
slowlog-max-len stream-node-max-bytes stream-node-max-entries tcp-keepalive timeout tracking-table-max-keys
zset-max-listpack-entries zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value
""".split()
)
FAMILY_PARAMETERS = {"redis7": REDIS7_PARAMETERS, "valkey7": REDIS7_PARAMETERS, "valkey8": REDIS7_PARAMETERS}
MAXMEMORY_POLICIES = (
    "volatile-lru",
    "allkeys-lru",
    "volatile-lfu",
    "allkeys-lfu",
    "volatile-random",
    "allkeys-random",
    "volatile-ttl",
    "noeviction",
)
_NAME_RE = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$")  # ReplicationGroupId: 1-40, no "--", no trailing "-"
_NODE_TYPE_RE = re.compile(r"^cache\.([a-z0-9]+)\.([a-z0-9]+)$")
_KMS_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/mrk-[0-9a-f]{32}$"
)
_SG_RE = re.compile(r"^sg-[0-9a-f]{8,17}$")
_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")


class Names:
    """Names derived from the replication group id."""

    def __init__(self, name, family):
        self.replication_group = name
        self.parameter_group = f"{name}-{family}"
        self.topic = f"{name}-events"
        self.slow_log_group = f"/aws/elasticache/{name}/slow-log"


def family_of(engine, version):
    return ENGINE_VERSIONS.get(engine, {}).get(str(version))


def major(version):
    return tuple(int(part) for part in str(version).split(".")[:2] if part.isdigit())


def node_type_errors(where, value):
    match = _NODE_TYPE_RE.match(str(value))
    if not match or match.group(2) not in NODE_TYPES.get(match.group(1), ()):
        families = ", ".join(f"cache.{f}.*" for f in NODE_TYPES)
        return [f"{where}: {value!r} is not an ElastiCache node type ({families}; e.g. cache.r6g.large)"]
    return []


def parameter_errors(where, parameters, family):
    errors = []
    if not isinstance(parameters, dict):
        return [f"{where}: must be a mapping of parameter names to values"]
    known = FAMILY_PARAMETERS.get(family)
    for name, value in parameters.items():
        if name == "cluster-enabled":
            errors.append(f"{where}.cluster-enabled: set by the cache's cluster mode, not by hand")
        elif known is not None and name not in known:
            errors.append(f"{where}.{name}: not a modifiable parameter of the {family} family")
        elif name == "maxmemory-policy" and value not in MAXMEMORY_POLICIES:
            errors.append(f"{where}.maxmemory-policy: {value!r} is not one of {', '.join(MAXMEMORY_POLICIES)}")
        elif isinstance(value, (dict, list)) or value is None:
            errors.append(f"{where}.{name}: must be a string or a number")
    return errors


def validate(spec, prefix=""):
    """Every rule ``spec`` breaks (module option names), with ``prefix`` before each variable's name."""

    def var(name):
        return f"{prefix}{name}"

    errors = []
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        errors.append(
            f"{var('name')}: {name!r} must be 2-40 lowercase letters, digits or single hyphens, starting with a letter "
            "and not ending with a hyphen (ElastiCache replication group ids)"
        )
    engine = spec.get("engine") or "redis"
    version = str(spec.get("engine_version") or "")
    family = None
    if engine not in ENGINES:
        errors.append(f"{var('engine')}: {engine!r} is not one of {', '.join(ENGINES)}")
    else:
        family = family_of(engine, version)
        if family is None:
            known = ", ".join(ENGINE_VERSIONS[engine])
            errors.append(
                f"{var('engine_version')}: {version!r} is not a {engine} engine version ElastiCache offers ({known})"
            )
    errors += node_type_errors(var("node_type"), spec.get("node_type"))

    cluster = spec.get("cluster_mode") or "disabled"
    shards = spec.get("num_shards", 1)
    replicas = spec.get("replicas_per_shard", 0)
    if cluster not in ("enabled", "disabled"):
        errors.append(f"{var('cluster_mode')}: {cluster!r} is not enabled or disabled")
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= MAX_SHARDS:
        errors.append(f"{var('num_shards')}: {shards!r} must be 1 to {MAX_SHARDS} shards")
    elif cluster == "disabled" and shards > 1:
        errors.append(
            f"{var('num_shards')}: {shards} shards need cluster_mode enabled; with cluster mode disabled there is one shard"
        )
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 0 <= replicas <= MAX_REPLICAS_PER_SHARD:
        errors.append(
            f"{var('replicas_per_shard')}: {replicas!r} must be 0 to {MAX_REPLICAS_PER_SHARD} (ElastiCache's limit per shard)"
        )
        replicas = None
    multi_az = bool(spec.get("multi_az"))
    failover = bool(spec.get("automatic_failover"))
    if replicas == 0 and multi_az:
        errors.append(
            f"{var('multi_az')}: Multi-AZ needs at least one replica per shard ({var('replicas_per_shard')} is 0)"
        )
    if replicas == 0 and failover:
        errors.append(
            f"{var('automatic_failover')}: automatic failover needs at least one replica per shard ({var('replicas_per_shard')} is 0)"
        )
    if multi_az and not failover:
        errors.append(f"{var('multi_az')}: Multi-AZ needs {var('automatic_failover')} on")
    if cluster == "enabled" and not failover:
        errors.append(f"{var('automatic_failover')}: cluster mode enabled needs automatic failover on")

    errors += parameter_errors(var("parameters"), spec.get("parameters") or {}, family)

    retention = spec.get("snapshot_retention_days", 0)
    if not isinstance(retention, int) or isinstance(retention, bool) or not 0 <= retention <= MAX_SNAPSHOT_RETENTION:
        errors.append(
            f"{var('snapshot_retention_days')}: {retention!r} must be 0 to {MAX_SNAPSHOT_RETENTION} days (0 turns snapshots off)"
        )
    window_errors = []
    if spec.get("snapshot_window"):
        window_errors += daily_window_errors(var("snapshot_window"), spec["snapshot_window"])
    if spec.get("maintenance_window"):
        window_errors += maintenance_window_errors(var("maintenance_window"), spec["maintenance_window"])
    errors += window_errors
    if not window_errors and spec.get("snapshot_window") and spec.get("maintenance_window"):
        errors += overlap_errors(
            var("snapshot_window"), spec["snapshot_window"], var("maintenance_window"), spec["maintenance_window"]
        )

    if spec.get("auth_token") and not spec.get("transit_encryption"):
        errors.append(
            f"{var('auth_token')}: an AUTH token needs {var('transit_encryption')} on (ElastiCache refuses it over plain TCP)"
        )
    secret = spec.get("auth_token_secret_name")
    if spec.get("auth_token") and (not isinstance(secret, str) or not _SECRET_NAME_RE.match(secret)):
        errors.append(
            f"{var('auth_token_secret_name')}: {secret!r} is not a Secrets Manager name (letters, digits, /_+=.@-)"
        )
    kms = spec.get("kms_key_id")
    if kms and not spec.get("at_rest_encryption"):
        errors.append(f"{var('kms_key_id')}: a KMS key needs {var('at_rest_encryption')} on")
    if kms and not _KMS_ARN_RE.match(str(kms)):
        errors.append(f"{var('kms_key_id')}: {kms!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    port = spec.get("port", 6379)
    if not isinstance(port, int) or isinstance(port, bool) or not 1024 <= port <= 65535:
        errors.append(f"{var('port')}: {port!r} must be 1024 to 65535")
    for index, group in enumerate(spec.get("security_group_ids") or []):
        if not _SG_RE.match(str(group)):
            errors.append(f"{var('security_group_ids')}[{index}]: {group!r} is not a security group id (sg-...)")
    if spec.get("slow_log") and spec.get("slow_log_retention_days") not in LOG_RETENTION_DAYS:
        errors.append(
            f"{var('slow_log_retention_days')}: {spec.get('slow_log_retention_days')!r} is not a retention CloudWatch Logs accepts"
        )
    errors.extend(reserved_tag_errors(spec.get("tags"), var("tags")))
    return errors


def _parameter_value(value):
    """YAML turns ``yes``/``no`` into booleans; Redis parameters spell them ``yes``/``no``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def desired_parameters(spec):
    """The parameter group's values: the user's plus ``cluster-enabled`` from the cluster mode."""
    values = {str(k): _parameter_value(v) for k, v in (spec.get("parameters") or {}).items()}
    values["cluster-enabled"] = "yes" if spec.get("cluster_mode") == "enabled" else "no"
    return dict(sorted(values.items()))
