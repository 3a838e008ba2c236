"""The cache tier converged on the emulator, read back from the API with boto3.

The read-back, idempotence and in-place change tests share one converged environment (module scope, in file
order); the tests after them (check mode, bad input, inventories) start from an emptied emulator.
"""

from __future__ import annotations

import pytest
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

PRIMARY = "local-use1"
# network, security, cache and search in site.yml's order (not the cluster and database tiers)
TIERS = "tests/integration/cache_search_tiers.yml"
GROUP = "demo-local-cache"
SECRET = "local/demo/cache/auth-token"


def group(emulator, region="us-east-1"):
    return emulator.boto3_client("elasticache", region).describe_replication_groups(ReplicationGroupId=GROUP)[
        "ReplicationGroups"
    ][0]


def nodes(emulator):
    clusters = emulator.boto3_client("elasticache").describe_cache_clusters()["CacheClusters"]
    return {c["CacheClusterId"]: c for c in clusters if c.get("ReplicationGroupId") == GROUP}


def user_parameters(emulator, name="demo-local-cache-redis7"):
    found = emulator.boto3_client("elasticache").describe_cache_parameters(CacheParameterGroupName=name, Source="user")
    return {p["ParameterName"]: p["ParameterValue"] for p in found["Parameters"]}


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


# -- one converged environment (module scope) ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converged(module_emulator):
    """network, security, cache and search of local on the primary region, at -vvv with --diff; the text
    output is kept for the secret test."""
    module_emulator.reset()
    run = run_playbook(
        module_emulator,
        TIERS,
        limit=PRIMARY,
        verbosity=3,
        diff=True,
        callback="default",
    )
    output = run.output["raw"] + run.stderr
    assert run.rc == 0, output[-3000:]
    return output


def test_replication_group_read_back(module_emulator, converged):
    found = group(module_emulator)
    assert found["Status"] == "available"
    assert found["ClusterEnabled"] is False and found["CacheNodeType"] == "cache.r6g.large"
    assert found["MultiAZ"] == "enabled" and found["AutomaticFailover"] == "enabled"
    assert found["TransitEncryptionEnabled"] and found["AtRestEncryptionEnabled"] and found["AuthTokenEnabled"]
    assert found["SnapshotRetentionLimit"] == 7 and found["SnapshotWindow"] == "05:00-06:00"
    members = found["NodeGroups"][0]["NodeGroupMembers"]
    assert [m["CurrentRole"] for m in members] == ["primary", "replica", "replica"]
    assert {m["PreferredAvailabilityZone"] for m in members} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert found["NodeGroups"][0]["ReaderEndpoint"]["Address"].startswith("replica.")
    kms = module_emulator.boto3_client("kms")
    data_key = kms.describe_key(KeyId="alias/demo-local-data")["KeyMetadata"]["Arn"]
    assert found["KmsKeyId"] == data_key
    [slow] = found["LogDeliveryConfigurations"]
    assert slow["LogType"] == "slow-log" and slow["DestinationType"] == "cloudwatch-logs"
    assert slow["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"] == f"/aws/elasticache/{GROUP}/slow-log"
    tags = {
        t["Key"]: t["Value"]
        for t in module_emulator.boto3_client("elasticache").list_tags_for_resource(ResourceName=found["ARN"])[
            "TagList"
        ]
    }
    assert tags["stackops:component"] == "cache" and tags["owner"] == "platform-team" and tags["Name"] == GROUP


def test_nodes_carry_the_earlier_tiers_and_the_spec(module_emulator, converged):
    ec2 = module_emulator.boto3_client("ec2")
    cache_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["demo-local-cache"]}])
    [node] = list(nodes(module_emulator).values())[:1]
    assert node["EngineVersion"] == "7.1" and node["CacheSubnetGroupName"] == "demo-local"
    assert [g["SecurityGroupId"] for g in node["SecurityGroups"]] == [cache_sg["SecurityGroups"][0]["GroupId"]]
    assert node["CacheParameterGroup"]["CacheParameterGroupName"] == "demo-local-cache-redis7"
    assert node["PreferredMaintenanceWindow"] == "sun:03:00-sun:04:00"
    topic = node["NotificationConfiguration"]["TopicArn"]
    assert topic.endswith(":demo-local-cache-events")
    assert user_parameters(module_emulator) == {
        "cluster-enabled": "no",
        "maxmemory-policy": "allkeys-lru",
        "notify-keyspace-events": "Ex",
    }
    logs = module_emulator.boto3_client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/elasticache/{GROUP}")
    assert logs["logGroups"][0]["retentionInDays"] == 30


def test_auth_token_kept_in_secrets_manager_and_never_shown(module_emulator, converged):
    sm = module_emulator.boto3_client("secretsmanager")
    token = sm.get_secret_value(SecretId=SECRET)["SecretString"]
    assert len(token) == 64 and token.isalnum()
    secrets_key = module_emulator.boto3_client("kms").describe_key(KeyId="alias/demo-local-secrets")["KeyMetadata"]
    assert sm.describe_secret(SecretId=SECRET)["KmsKeyId"] in (secrets_key["Arn"], secrets_key["KeyId"])
    assert "Converge the cache replication group" in converged and "ESTABLISH LOCAL CONNECTION" in converged
    assert token not in converged


def test_facts_match_what_the_info_module_finds(module_emulator, converged):
    run = run_playbook(module_emulator, "playbooks/status.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    found = run.result("Read the cache", PRIMARY)
    assert found["exists"] is True
    described = group(module_emulator)
    cache = found["cache"]
    assert cache["primary_endpoint"] == described["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert cache["reader_endpoint"] == described["NodeGroups"][0]["ReaderEndpoint"]["Address"]
    assert cache["port"] == 6379 and cache["configuration_endpoint"] is None
    assert cache["auth_secret_arn"].split(":secret:")[1].startswith(SECRET)
    shown = run.result("Show the cache", PRIMARY)["msg"]
    assert "(1 primary + 2 replica(s)), Multi-AZ" in shown and "AUTH token in local/demo/cache/auth-token" in shown
    search = run.result("Read the search domain", PRIMARY)  # local converges the search tier too
    described = module_emulator.boto3_client("opensearch").describe_domain(DomainName="demo-local-search")
    assert search["exists"] and search["search"]["endpoint"] == described["DomainStatus"]["Endpoints"]["vpc"]
    assert "3 x r6g.large.search, zone aware" in run.result("Show the search domain", PRIMARY)["msg"]


def test_second_converge_changes_nothing_and_writes_nothing(module_emulator, converged):
    module_emulator.clear_calls()
    run = run_playbook(module_emulator, "playbooks/cache.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and writes(module_emulator) == []
    result = run.result("Converge the cache replication group", PRIMARY)
    assert result["changes"] == []
    assert result["cache"]["replication_group_id"] == GROUP and len(result["cache"]["members"]) == 3
    calls = [f"{c['service']}:{c['operation']}" for c in module_emulator.calls()["calls"]]
    # The token is not read when nothing needs it: the one GetSecretValue is the connection secret's (endpoints,
    # no token), read by the task after the cache module, to compare its JSON.
    reads = [i for i, c in enumerate(calls) if c == "secretsmanager:GetSecretValue"]
    assert len(reads) == 1 and reads[0] > max(i for i, c in enumerate(calls) if c.startswith("elasticache:"))


CHANGED = {
    "cache_replicas_per_shard": 3,
    "cache_node_type": "cache.r6g.xlarge",
    "cache_snapshot_retention_days": 14,
    "cache_parameters": {"maxmemory-policy": "volatile-lfu", "timeout": 300},
}


def test_in_place_changes_are_made_and_waited_for(module_emulator, converged):
    before = group(module_emulator)["ARN"]
    run = run_playbook(module_emulator, "playbooks/cache.yml", limit=PRIMARY, extra_vars=CHANGED, diff=True)
    assert run.rc == 0, run.messages()
    result = run.result("Converge the cache replication group", PRIMARY)
    assert f"replication group {GROUP}: add replicas, 2 to 3 per shard" in result["changes"]
    assert any(
        c.startswith(f"modify replication group {GROUP}: node type cache.r6g.large to cache.r6g.xlarge")
        for c in result["changes"]
    )
    assert "parameter group demo-local-cache-redis7: reset notify-keyspace-events to the defaults" in result["changes"]
    assert result["diff"]["before"]["replication_group"]["replicas_per_shard"] == 2
    assert result["diff"]["after"]["replication_group"]["replicas_per_shard"] == 3
    found = group(module_emulator)
    assert found["ARN"] == before and found["Status"] == "available"
    assert len(found["NodeGroups"][0]["NodeGroupMembers"]) == 4 and len(nodes(module_emulator)) == 4
    assert found["CacheNodeType"] == "cache.r6g.xlarge" and found["SnapshotRetentionLimit"] == 14
    assert user_parameters(module_emulator) == {
        "cluster-enabled": "no",
        "maxmemory-policy": "volatile-lfu",
        "timeout": "300",
    }
    ops = module_emulator.calls()["by_operation"]
    assert ops["elasticache:IncreaseReplicaCount"] == 1
    assert ops["elasticache:DescribeReplicationGroups"] >= 3  # waited for each change
    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/cache.yml", limit=PRIMARY, extra_vars=CHANGED)
    assert again.rc == 0 and again.changed() == 0 and writes(module_emulator) == []


def test_what_aws_cannot_do_in_place_is_refused_before_any_write(module_emulator, converged):
    module_emulator.clear_calls()
    spec = {
        **CHANGED,
        "cache_cluster_mode": "enabled",
        "cache_engine_version": "7.0",
        "cache_at_rest_encryption": False,
        "cache_kms_key": "",
    }
    run = run_playbook(module_emulator, "playbooks/cache.yml", limit=PRIMARY, extra_vars=spec)
    assert run.rc != 0
    message = run.messages()
    assert "cannot change the replication group in place" in message
    # Each names the role variable the user set, not the module's option.
    assert "cache_cluster_mode: turning cluster mode on needs AWS's online migration" in message
    assert "cache_engine_version: 7.0 is lower than the running 7.1" in message
    assert "cache_at_rest_encryption: AWS chooses encryption at rest at creation only" in message
    assert writes(module_emulator) == []
    assert module_emulator.calls()["reads"] > 0  # refused after the describe


# -- from an empty account ------------------------------------------------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_cache_and_search_without_writing(emulator, playbook):
    run = playbook(TIERS, limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    result = run.result("Converge the cache replication group", PRIMARY)
    assert (
        f"create replication group {GROUP} (redis 7.1, cache.r6g.large, cluster mode disabled, 1 primary + 2 replica(s))"
        in result["changes"]
    )
    assert f"create secret {SECRET} with a generated AUTH token" in result["changes"]
    assert result["diff"]["before"] == {"replication_group": None}
    assert result["diff"]["after"]["replication_group"]["auth_token"] == "<kept in Secrets Manager>"
    assert result["cache"]["arn"] is None
    search = run.result("Converge the OpenSearch domain", PRIMARY)
    assert "create secret local/demo/search/master-user with a generated master password" in search["changes"]
    assert any(
        c.startswith("create OpenSearch domain demo-local-search (OpenSearch_2.11, 3 x r6g.large.search")
        for c in search["changes"]
    )
    assert search["diff"]["after"]["domain"]["zone_awareness"] == 3 and search["search"]["arn"] is None


BAD_INPUT = {
    "more than 5 replicas per shard": (
        {"cache_replicas_per_shard": 6},
        "cache_replicas_per_shard: 6 must be 0 to 5",
    ),
    "Multi-AZ with no replica": (
        {"cache_replicas_per_shard": 0, "cache_automatic_failover": False},
        "cache_multi_az: Multi-AZ needs at least one replica per shard",
    ),
    "automatic failover without replicas": (
        {"cache_replicas_per_shard": 0, "cache_multi_az": False},
        "cache_automatic_failover: automatic failover needs at least one replica per shard",
    ),
    "cluster mode disabled with 3 shards": (
        {"cache_num_shards": 3},
        "cache_num_shards: 3 shards need cluster_mode enabled",
    ),
    "a parameter redis7 does not know": (
        {"cache_parameters": {"maxmemory-polcy": "allkeys-lru"}},
        "cache_parameters.maxmemory-polcy: not a modifiable parameter of the redis7 family",
    ),
    "bad node type": (
        {"cache_node_type": "cache.r6g.huge"},
        "cache_node_type: 'cache.r6g.huge' is not an ElastiCache node type",
    ),
    "snapshot retention over 35 days": (
        {"cache_snapshot_retention_days": 36},
        "cache_snapshot_retention_days: 36 must be 0 to 35 days",
    ),
    "snapshot window overlapping maintenance": (
        {"cache_snapshot_window": "03:30-04:30"},
        "cache_snapshot_window: '03:30-04:30' overlaps cache_maintenance_window",
    ),
    "auth token without transit encryption": (
        {"cache_transit_encryption": False},
        "cache_auth_token: an AUTH token needs cache_transit_encryption on",
    ),
    "unknown engine version": (
        {"cache_engine_version": "7.2"},
        "cache_engine_version: '7.2' is not a redis engine version ElastiCache offers (7.0, 7.1)",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own (local-use1's variables, the case's on top): one run checks them all."""
    cases = {case: extra_vars for case, (extra_vars, _message) in BAD_INPUT.items()}
    return run_bad_inputs("playbooks/cache.yml", cases, tmp_path_factory.mktemp("bad-input"))


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, _calls = bad_input_run
    assert run.failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in run.messages(case_host(case))


# -- every inventory ------------------------------------------------------------------------------------------------------

SHAPES = {  # inventory -> (cluster mode, shards, nodes per shard), seed 001
    "dev": (False, 1, 2),
    "staging": (True, 3, 2),
    "prod": (True, 3, 2),
}


@pytest.mark.slow
def test_every_inventory_converges_and_reconverges_without_writes(emulator):
    """dev, staging and prod side by side in one emulator (their names and CIDRs differ), converged in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = dict(
            zip(
                SHAPES,
                pool.map(lambda env: run_playbook(emulator, TIERS, inventory=f"inventories/{env}"), SHAPES),
                strict=True,
            )
        )
    for env, run in runs.items():
        assert run.rc == 0, f"{env}: {run.messages()}"
        clustered, shards, nodes_per_shard = SHAPES[env]
        found = emulator.boto3_client("elasticache").describe_replication_groups(
            ReplicationGroupId=f"moneytrack-{env}-cache"
        )["ReplicationGroups"][0]
        assert found["ClusterEnabled"] is clustered and len(found["NodeGroups"]) == shards
        assert {len(n["NodeGroupMembers"]) for n in found["NodeGroups"]} == {nodes_per_shard}
        assert found["AuthTokenEnabled"] and found["TransitEncryptionEnabled"] and found["AtRestEncryptionEnabled"]
        if clustered:
            assert found["ConfigurationEndpoint"]["Address"].startswith("clustercfg.")
            assert run.result("Converge the cache replication group", f"{env}-use1")["cache"]["configuration_endpoint"]
    assert emulator.boto3_client("elasticache", "us-west-2").describe_replication_groups()["ReplicationGroups"] == []
    emulator.clear_calls()
    with ThreadPoolExecutor(max_workers=3) as pool:
        again = list(
            pool.map(lambda env: run_playbook(emulator, "playbooks/cache.yml", inventory=f"inventories/{env}"), SHAPES)
        )
    assert all(run.rc == 0 and run.changed() == 0 for run in again), [run.messages() for run in again]
    assert emulator.writes() == []
