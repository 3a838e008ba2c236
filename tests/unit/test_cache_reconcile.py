"""The cache reconciler driven directly (no ansible-playbook) against the emulator: the AUTH token's paths
that the playbook tests do not reach (a token set on a group that had none, a lost secret rotated)."""

from __future__ import annotations

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.stackops.platform.plugins.module_utils._cache.reconcile import CacheReconciler
from ansible_collections.stackops.platform.plugins.module_utils._cache.reconcile import ReconcileError

SECRET = "test/demo/cache/auth-token"


def _clients(emulator):
    decorator = AWSRetry.jittered_backoff(retries=2, delay=0.1)
    return {
        name: RetryingBotoClientWrapper(emulator.boto3_client(name), decorator)
        for name in ("elasticache", "secretsmanager", "sns", "logs")
    }


def _params(**changes):
    params = dict(
        name="demo-test-cache",
        description=None,
        engine="redis",
        engine_version="7.1",
        node_type="cache.t4g.small",
        cluster_mode="disabled",
        num_shards=1,
        replicas_per_shard=1,
        multi_az=True,
        automatic_failover=True,
        port=6379,
        parameters={},
        subnet_group="cache",
        security_group_ids=[],
        auth_token=True,
        auth_token_secret_name=SECRET,
        auth_token_secret_kms_key=None,
        transit_encryption=True,
        at_rest_encryption=True,
        kms_key_id=None,
        snapshot_retention_days=1,
        snapshot_window=None,
        maintenance_window=None,
        notifications=False,
        slow_log=False,
        slow_log_retention_days=30,
        apply_immediately=True,
        platform="demo",
        environment="test",
        tags={},
        purge_tags=True,
        wait=True,
        wait_timeout=30,
    )
    params.update(changes)
    return params


def _converge(emulator, check_mode=False, **changes):
    reconciler = CacheReconciler(_params(**changes), _clients(emulator), check_mode)
    reconciler.converge()
    return reconciler


@pytest.fixture
def subnet_group(emulator):
    ec2 = emulator.boto3_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.70.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    emulator.boto3_client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="cache", CacheSubnetGroupDescription="cache", SubnetIds=subnets
    )
    return emulator


def _group(emulator):
    return emulator.boto3_client("elasticache").describe_replication_groups(ReplicationGroupId="demo-test-cache")[
        "ReplicationGroups"
    ][0]


def test_create_then_nothing_to_do(subnet_group):
    emulator = subnet_group
    first = _converge(emulator)
    assert first.changes.items[-1].startswith("create replication group demo-test-cache")
    result = first.result()
    assert result["primary_endpoint"].startswith("master.") and len(result["members"]) == 2
    emulator.clear_calls()
    again = _converge(emulator)
    assert again.changes.items == [] and emulator.writes() == []


def test_a_token_is_set_on_a_group_that_had_none(subnet_group):
    emulator = subnet_group
    _converge(emulator, auth_token=False)
    assert _group(emulator)["AuthTokenEnabled"] is False
    reconciler = _converge(emulator)
    assert reconciler.changes.items == [
        f"create secret {SECRET} with a generated AUTH token",
        "modify replication group demo-test-cache: AUTH token set",
    ]
    assert _group(emulator)["AuthTokenEnabled"] is True
    assert all(len(item) < 200 for item in reconciler.changes.items)


def test_a_lost_secret_gets_a_new_token_rotated_in(subnet_group):
    emulator = subnet_group
    _converge(emulator)
    sm = emulator.boto3_client("secretsmanager")
    old = sm.get_secret_value(SecretId=SECRET)["SecretString"]
    sm.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    emulator.clear_calls()
    reconciler = _converge(emulator)
    assert reconciler.changes.items[0].endswith("(the secret was lost: the group's token is rotated to it)")
    assert "modify replication group demo-test-cache: AUTH token rotated to the one in Secrets Manager" in (
        reconciler.changes.items
    )
    new = sm.get_secret_value(SecretId=SECRET)["SecretString"]
    assert new != old and len(new) == 64
    assert [w["operation"] for w in emulator.writes()] == ["CreateSecret", "ModifyReplicationGroup"]


def test_removing_the_token_is_refused_before_any_write(subnet_group):
    emulator = subnet_group
    _converge(emulator)
    emulator.clear_calls()
    with pytest.raises(ReconcileError, match="auth_token: removing the AUTH token is refused"):
        _converge(emulator, auth_token=False)
    assert emulator.writes() == []


def test_check_mode_on_a_group_that_exists_writes_nothing(subnet_group):
    emulator = subnet_group
    _converge(emulator)
    emulator.clear_calls()
    reconciler = _converge(emulator, check_mode=True, replicas_per_shard=3, node_type="cache.t4g.medium")
    assert "replication group demo-test-cache: add replicas, 1 to 3 per shard" in reconciler.changes.items
    assert emulator.writes() == []
    assert reconciler.after()["replication_group"]["node_type"] == "cache.t4g.medium"


def test_removing_every_replica_turns_multi_az_off_first_and_adding_one_turns_it_on_after(subnet_group):
    emulator = subnet_group
    _converge(emulator, replicas_per_shard=2)
    emulator.clear_calls()
    _converge(emulator, replicas_per_shard=0, multi_az=False, automatic_failover=False)
    writes = [w["operation"] for w in emulator.writes()]
    assert writes == ["ModifyReplicationGroup", "DecreaseReplicaCount"]
    group = _group(emulator)
    assert (group["MultiAZ"], group["AutomaticFailover"]) == ("disabled", "disabled")
    assert len(group["NodeGroups"][0]["NodeGroupMembers"]) == 1
    emulator.clear_calls()
    _converge(emulator, replicas_per_shard=1)
    assert [w["operation"] for w in emulator.writes()] == ["IncreaseReplicaCount", "ModifyReplicationGroup"]
    group = _group(emulator)
    assert group["MultiAZ"] == "enabled" and len(group["NodeGroups"][0]["NodeGroupMembers"]) == 2
