"""The emulator's ElastiCache behaviours (what moto 5.2 lacks), driven with boto3 as a module would."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError


def _subnet_group(emulator):
    ec2 = emulator.boto3_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("abc")
    ]
    emulator.boto3_client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="cache", CacheSubnetGroupDescription="cache", SubnetIds=subnets
    )


def _group(emulator, **extra):
    _subnet_group(emulator)
    ec = emulator.boto3_client("elasticache")
    params = dict(
        ReplicationGroupId="rg",
        ReplicationGroupDescription="rg",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.r6g.large",
        NumCacheClusters=3,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheSubnetGroupName="cache",
        SecurityGroupIds=["sg-0123456789abcdef0"],
        ClusterMode="disabled",
    )
    params.update(extra)
    ec.create_replication_group(**params)
    return ec


def _available(ec):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        group = ec.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]
        if group["Status"] == "available":
            return group
        time.sleep(0.2)
    raise AssertionError("the group never became available")


def test_num_cache_clusters_spread_over_the_subnet_groups_azs(emulator):
    ec = _group(emulator)
    assert ec.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]["Status"] == "creating"
    group = _available(ec)
    members = group["NodeGroups"][0]["NodeGroupMembers"]
    assert [m["CurrentRole"] for m in members] == ["primary", "replica", "replica"]
    assert [m["PreferredAvailabilityZone"] for m in members] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert group["NodeGroups"][0]["ReaderEndpoint"]["Address"].startswith("replica.rg.")
    clusters = ec.describe_cache_clusters()["CacheClusters"]
    assert sorted(c["CacheClusterId"] for c in clusters) == ["rg-001", "rg-002", "rg-003"]
    assert {c["EngineVersion"] for c in clusters} == {"7.1"}
    assert clusters[0]["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]


def test_auth_token_needs_transit_encryption(emulator):
    with pytest.raises(ClientError, match="encryption-in-transit"):
        _group(emulator, AuthToken="a" * 32)


def test_replica_count_up_and_down_and_busy_groups_refuse_changes(emulator):
    ec = _group(emulator)
    _available(ec)
    ec.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=4, ApplyImmediately=True)
    with pytest.raises(ClientError, match="InvalidReplicationGroupState"):
        ec.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=1, ApplyImmediately=True)
    assert len(_available(ec)["MemberClusters"]) == 5
    with pytest.raises(ClientError, match="Multi-AZ and automatic failover need at least one replica"):
        ec.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=0, ApplyImmediately=True)
    ec.decrease_replica_count(ReplicationGroupId="rg", NewReplicaCount=1, ApplyImmediately=True)
    assert _available(ec)["MemberClusters"] == ["rg-001", "rg-002"]
    assert len(ec.describe_cache_clusters()["CacheClusters"]) == 2


def test_modify_applies_what_moto_ignores_and_refuses_a_downgrade(emulator):
    ec = _group(emulator)
    _available(ec)
    with pytest.raises(ClientError, match="downgrades are not supported"):
        ec.modify_replication_group(ReplicationGroupId="rg", EngineVersion="7.0", ApplyImmediately=True)
    ec.modify_replication_group(
        ReplicationGroupId="rg",
        SecurityGroupIds=["sg-0fedcba9876543210"],
        PreferredMaintenanceWindow="mon:01:00-mon:02:00",
        SnapshotWindow="04:00-05:00",
        NotificationTopicArn="arn:aws:sns:us-east-1:123456789012:events",
        ApplyImmediately=True,
    )
    group = _available(ec)
    assert group["SnapshotWindow"] == "04:00-05:00"
    node = ec.describe_cache_clusters(CacheClusterId="rg-001")["CacheClusters"][0]
    assert node["PreferredMaintenanceWindow"] == "mon:01:00-mon:02:00"
    assert node["SecurityGroups"][0]["SecurityGroupId"] == "sg-0fedcba9876543210"
    assert node["NotificationConfiguration"]["TopicArn"].endswith(":events")


def test_parameter_groups_keep_user_values_and_reset_them(emulator):
    ec = emulator.boto3_client("elasticache")
    ec.create_cache_parameter_group(
        CacheParameterGroupName="pg",
        CacheParameterGroupFamily="redis7",
        Description="pg",
        Tags=[{"Key": "a", "Value": "b"}],
    )
    ec.modify_cache_parameter_group(
        CacheParameterGroupName="pg",
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "timeout", "ParameterValue": "300"},
        ],
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName="pg", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {
        "maxmemory-policy": "allkeys-lru",
        "timeout": "300",
    }
    with pytest.raises(ClientError, match="Unknown parameter"):
        ec.modify_cache_parameter_group(
            CacheParameterGroupName="pg", ParameterNameValues=[{"ParameterName": "no-such", "ParameterValue": "1"}]
        )
    ec.reset_cache_parameter_group(CacheParameterGroupName="pg", ParameterNameValues=[{"ParameterName": "timeout"}])
    user = ec.describe_cache_parameters(CacheParameterGroupName="pg", Source="user")["Parameters"]
    assert [p["ParameterName"] for p in user] == ["maxmemory-policy"]
    arn = ec.describe_cache_parameter_groups(CacheParameterGroupName="pg")["CacheParameterGroups"][0]["ARN"]
    assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "a", "Value": "b"}]
    with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
        ec.describe_cache_parameter_groups(CacheParameterGroupName="missing")
    names = [b["name"] for b in emulator.behaviours()]
    assert {"elasticache-parameter-groups", "elasticache-replica-count", "elasticache-status-transitions"} <= set(names)
