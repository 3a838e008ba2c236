"""The cache spec: every rule, the derived parameter group values, the filter's variable names (pure Python)."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.filter.cache import cache_spec_errors
from ansible_collections.stackops.platform.plugins.module_utils._cache import spec as sp


def valid(**changes):
    spec = {
        "name": "moneytrack-prod-cache",
        "engine": "redis",
        "engine_version": "7.0",
        "node_type": "cache.r6g.large",
        "cluster_mode": "enabled",
        "num_shards": 3,
        "replicas_per_shard": 1,
        "multi_az": True,
        "automatic_failover": True,
        "port": 6379,
        "parameters": {"maxmemory-policy": "allkeys-lru", "appendonly": True},
        "security_group_ids": ["sg-0123456789abcdef0"],
        "auth_token": True,
        "auth_token_secret_name": "prod/moneytrack/cache/auth-token",
        "transit_encryption": True,
        "at_rest_encryption": True,
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "snapshot_retention_days": 7,
        "snapshot_window": "02:00-03:00",
        "maintenance_window": "sun:03:00-sun:04:00",
        "slow_log": True,
        "slow_log_retention_days": 30,
        "tags": {"owner": "platform"},
    }
    spec.update(changes)
    return spec


def test_seed_001_production_cache_is_valid():
    assert sp.validate(valid()) == []


def test_valkey_8_is_valid_and_has_its_family():
    assert sp.validate(valid(engine="valkey", engine_version="8.0")) == []
    assert sp.family_of("valkey", "8.0") == "valkey8"
    assert sp.family_of("redis", "7.1") == "redis7"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replicas_per_shard": 6}, "replicas_per_shard: 6 must be 0 to 5"),
        ({"replicas_per_shard": 0}, "multi_az: Multi-AZ needs at least one replica per shard"),
        (
            {"replicas_per_shard": 0, "multi_az": False},
            "automatic_failover: automatic failover needs at least one replica",
        ),
        (
            {"multi_az": True, "automatic_failover": False, "cluster_mode": "disabled", "num_shards": 1},
            "multi_az: Multi-AZ needs automatic_failover on",
        ),
        (
            {"automatic_failover": False, "multi_az": False},
            "automatic_failover: cluster mode enabled needs automatic failover on",
        ),
        ({"num_shards": 501}, "num_shards: 501 must be 1 to 500 shards"),
        ({"num_shards": 0}, "num_shards: 0 must be 1 to 500 shards"),
        ({"cluster_mode": "disabled"}, "num_shards: 3 shards need cluster_mode enabled"),
        (
            {"parameters": {"maxmemory-polcy": "x"}},
            "parameters.maxmemory-polcy: not a modifiable parameter of the redis7 family",
        ),
        ({"parameters": {"cluster-enabled": "yes"}}, "parameters.cluster-enabled: set by the cache's cluster mode"),
        ({"parameters": {"maxmemory-policy": "lru"}}, "parameters.maxmemory-policy: 'lru' is not one of"),
        ({"node_type": "cache.r6g.huge"}, "node_type: 'cache.r6g.huge' is not an ElastiCache node type"),
        ({"node_type": "r6g.large"}, "node_type: 'r6g.large' is not an ElastiCache node type"),
        ({"snapshot_retention_days": 36}, "snapshot_retention_days: 36 must be 0 to 35 days"),
        ({"snapshot_window": "2am"}, "snapshot_window: '2am' is not a daily window"),
        (
            {"maintenance_window": "sun:03:00-sun:03:15"},
            "maintenance_window: 'sun:03:00-sun:03:15' lasts less than 30 minutes",
        ),
        ({"snapshot_window": "03:30-04:30"}, "snapshot_window: '03:30-04:30' overlaps maintenance_window"),
        ({"transit_encryption": False}, "auth_token: an AUTH token needs transit_encryption on"),
        ({"at_rest_encryption": False}, "kms_key_id: a KMS key needs at_rest_encryption on"),
        ({"kms_key_id": "alias/data"}, "kms_key_id: 'alias/data' is not a KMS key ARN"),
        (
            {"engine_version": "7.2"},
            "engine_version: '7.2' is not a redis engine version ElastiCache offers (7.0, 7.1)",
        ),
        ({"engine_version": "6.2"}, "engine_version: '6.2' is not a redis engine version"),
        ({"engine": "memcached"}, "engine: 'memcached' is not one of redis, valkey"),
        ({"name": "Prod_Cache"}, "name: 'Prod_Cache' must be 2-40 lowercase letters"),
        ({"name": "prod--cache"}, "name: 'prod--cache' must be 2-40"),
        ({"port": 80}, "port: 80 must be 1024 to 65535"),
        ({"security_group_ids": ["default"]}, "security_group_ids[0]: 'default' is not a security group id"),
        ({"slow_log_retention_days": 10}, "slow_log_retention_days: 10 is not a retention CloudWatch Logs accepts"),
        ({"tags": {"aws:owner": "x"}}, "tags: key 'aws:owner' uses the aws: prefix"),
    ],
)
def test_each_rule_names_the_variable(changes, message):
    errors = sp.validate(valid(**changes))
    assert any(message in e for e in errors), errors


def test_every_problem_is_reported_at_once():
    errors = sp.validate(valid(replicas_per_shard=9, node_type="x", snapshot_retention_days=40))
    assert len(errors) == 3


def test_the_filter_names_role_variables():
    errors = cache_spec_errors(valid(replicas_per_shard=6, kms_key_id="nope"))
    assert any(e.startswith("cache_replicas_per_shard: 6") for e in errors)
    assert any(e.startswith("cache_kms_key: 'nope'") for e in errors)


def test_parameter_values_spell_booleans_as_redis_does_and_set_cluster_mode():
    assert sp.desired_parameters(valid()) == {
        "appendonly": "yes",
        "cluster-enabled": "yes",
        "maxmemory-policy": "allkeys-lru",
    }
    assert sp.desired_parameters(valid(cluster_mode="disabled", parameters={"timeout": 300})) == {
        "cluster-enabled": "no",
        "timeout": "300",
    }


def test_names_derive_from_the_group_id():
    names = sp.Names("demo-local-cache", "redis7")
    assert names.parameter_group == "demo-local-cache-redis7"
    assert names.topic == "demo-local-cache-events"
    assert names.slow_log_group == "/aws/elasticache/demo-local-cache/slow-log"
