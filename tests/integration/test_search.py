"""The search tier (seed 002's OpenSearch domain) converged on the emulator, read back with boto3.

The read-back, idempotence and in-place tests share one converged environment (module scope, in file order).
Check mode on an empty account is covered with the cache tier (tests/integration/test_cache.py), where
the tiers playbook plans both.
"""

from __future__ import annotations

import pytest
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

PRIMARY = "local-use1"
# network, security, cache and search in site.yml's order (not the cluster and database tiers)
TIERS = "tests/integration/cache_search_tiers.yml"
DOMAIN = "demo-local-search"
SECRET = "local/demo/search/master-user"
ALONE = {"cache_enabled": False}  # without the cache tier: these tests are about search


def domain(emulator):
    return emulator.boto3_client("opensearch").describe_domain(DomainName=DOMAIN)["DomainStatus"]


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


@pytest.fixture(scope="module")
def converged(module_emulator):
    module_emulator.reset()
    run = run_playbook(
        module_emulator, TIERS, limit=PRIMARY, extra_vars=ALONE, verbosity=3, diff=True, callback="default"
    )
    output = run.output["raw"] + run.stderr
    assert run.rc == 0, output[-3000:]
    return output


def test_domain_read_back(module_emulator, converged):
    found = domain(module_emulator)
    assert found["EngineVersion"] == "OpenSearch_2.11"
    cluster = found["ClusterConfig"]
    assert (cluster["InstanceType"], cluster["InstanceCount"]) == ("r6g.large.search", 3)
    assert cluster["ZoneAwarenessEnabled"] and cluster["ZoneAwarenessConfig"]["AvailabilityZoneCount"] == 3
    assert found["EBSOptions"] == {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 100}
    kms = module_emulator.boto3_client("kms")
    assert found["EncryptionAtRestOptions"] == {
        "Enabled": True,
        "KmsKeyId": kms.describe_key(KeyId="alias/demo-local-data")["KeyMetadata"]["Arn"],
    }
    assert found["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert found["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert found["DomainEndpointOptions"]["TLSSecurityPolicy"] == "Policy-Min-TLS-1-2-2019-07"
    assert found["SnapshotOptions"]["AutomatedSnapshotStartHour"] == 3
    assert found["AdvancedSecurityOptions"]["Enabled"] is True
    ec2 = module_emulator.boto3_client("ec2")
    database = ec2.describe_subnets(Filters=[{"Name": "tag:stackops:tier", "Values": ["database"]}])["Subnets"]
    assert {s["CidrBlock"] for s in database} == {"10.2.20.0/24", "10.2.21.0/24", "10.2.22.0/24"}
    assert sorted(found["VPCOptions"]["SubnetIds"]) == sorted(s["SubnetId"] for s in database)
    search_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["demo-local-search"]}])
    assert found["VPCOptions"]["SecurityGroupIds"] == [search_sg["SecurityGroups"][0]["GroupId"]]
    tags = {
        t["Key"]: t["Value"] for t in module_emulator.boto3_client("opensearch").list_tags(ARN=found["ARN"])["TagList"]
    }
    assert tags["stackops:component"] == "search" and tags["Name"] == DOMAIN and tags["owner"] == "platform-team"


def test_master_password_kept_in_secrets_manager_and_never_shown(module_emulator, converged):
    password = module_emulator.boto3_client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
    assert len(password) == 32
    assert any(c.isupper() for c in password) and any(c.isdigit() for c in password)
    assert "Converge the OpenSearch domain" in converged and "ESTABLISH LOCAL CONNECTION" in converged
    assert password not in converged


def test_second_converge_changes_nothing_and_writes_nothing(module_emulator, converged):
    module_emulator.clear_calls()
    run = run_playbook(module_emulator, "playbooks/search.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and writes(module_emulator) == []
    fact = run.result("Converge the OpenSearch domain", PRIMARY)["search"]
    found = domain(module_emulator)
    assert fact["arn"] == found["ARN"] and fact["endpoint"] == found["Endpoints"]["vpc"]
    assert fact["master_user_secret_arn"].split(":secret:")[1].startswith(SECRET)
    assert module_emulator.calls()["by_operation"].get("secretsmanager:GetSecretValue") is None


def test_nodes_volumes_and_engine_change_in_place(module_emulator, converged):
    spec = {"search_instance_count": 6, "search_volume_size": 200, "search_engine_version": "OpenSearch_2.13"}
    arn = domain(module_emulator)["ARN"]
    run = run_playbook(module_emulator, "playbooks/search.yml", limit=PRIMARY, extra_vars=spec, diff=True)
    assert run.rc == 0, run.messages()
    result = run.result("Converge the OpenSearch domain", PRIMARY)
    assert result["diff"]["before"]["domain"]["instances"] == "3 x r6g.large.search"
    assert result["diff"]["after"]["domain"]["instances"] == "6 x r6g.large.search"
    assert result["changes"][-1] == f"upgrade OpenSearch domain {DOMAIN} from OpenSearch_2.11 to OpenSearch_2.13"
    found = domain(module_emulator)
    assert found["ARN"] == arn and found["EngineVersion"] == "OpenSearch_2.13"
    assert not found["Processing"] and not found["UpgradeProcessing"]
    assert found["ClusterConfig"]["InstanceCount"] == 6 and found["EBSOptions"]["VolumeSize"] == 200
    ops = module_emulator.calls()["by_operation"]
    assert ops["es:UpdateDomainConfig"] == 1 and ops["es:UpgradeDomain"] == 1
    module_emulator.clear_calls()
    again = run_playbook(module_emulator, "playbooks/search.yml", limit=PRIMARY, extra_vars=spec)
    assert again.rc == 0 and again.changed() == 0 and writes(module_emulator) == []


def test_what_aws_cannot_do_in_place_is_refused_before_any_write(module_emulator, converged):
    module_emulator.clear_calls()
    spec = {
        "search_engine_version": "OpenSearch_1.3",
        "search_node_to_node_encryption": False,
        "search_fine_grained_access_control": False,
    }
    run = run_playbook(module_emulator, "playbooks/search.yml", limit=PRIMARY, extra_vars=spec)
    assert run.rc != 0
    message = run.messages()
    assert "cannot change the domain in place" in message
    # Each names the role variable the user set, not the module's option.
    assert "search_engine_version: OpenSearch_1.3 is lower than the running OpenSearch_2.1" in message
    assert "search_fine_grained_access_control: AWS cannot turn fine-grained access control off" in message
    assert "search_node_to_node_encryption: AWS cannot turn node-to-node encryption off" in message
    assert writes(module_emulator) == []


BAD_INPUT = {
    "instance count not a multiple of the AZ count": (
        {"search_instance_count": 4},
        "search_instance_count: 4 data nodes do not spread evenly over 3 AZs",
    ),
    "EBS size out of range": (
        {"search_volume_size": 2048},
        "search_volume_size: 2048 GiB is out of range for r6g.large.search (10 to 1024 GiB per node)",
    ),
    "unknown engine version": (
        {"search_engine_version": "OpenSearch_2.12"},
        "search_engine_version: 'OpenSearch_2.12' is not an engine version OpenSearch Service offers",
    ),
    "fine-grained access control without HTTPS": (
        {"search_enforce_https": False},
        "search_fine_grained_access_control: needs search_enforce_https on",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own (local-use1's variables, the case's on top): one run checks them all."""
    cases = {case: extra_vars for case, (extra_vars, _message) in BAD_INPUT.items()}
    return run_bad_inputs("playbooks/search.yml", cases, tmp_path_factory.mktemp("bad-input"))


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, _calls = bad_input_run
    assert run.failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in run.messages(case_host(case))
