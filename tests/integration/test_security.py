"""The security tier converged on the emulator, read back from the API with boto3."""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import case_host
from conftest import run_bad_inputs
from conftest import run_playbook

from ansible_collections.stackops.platform.plugins.module_utils._security import spec as sp

ROOT = Path(__file__).resolve().parents[2]
STACK = "tests/integration/playbooks/security_stack.yml"  # network + security, not the later tiers
PRIMARY = "local-use1"
IDENTITY = [
    {"Name": "tag:stackops:platform", "Values": ["demo"]},
    {"Name": "tag:stackops:environment", "Values": ["local"]},
    {"Name": "tag:stackops:component", "Values": ["security"]},
]
FACTS = (
    "security_group_ids",
    "security_kms_keys",
    "security_secrets",
    "security_waf_web_acl_arn",
    "security_waf_cloudfront_web_acl_arn",
)


# -- reading back -----------------------------------------------------------------------------------------------------


def _rules(permissions, name_of):
    found = set()
    for p in permissions:
        ports = "all" if p["IpProtocol"] == "-1" else f"{p['IpProtocol']} {p.get('FromPort')}-{p.get('ToPort')}"
        for r in p.get("IpRanges", []):
            found.add((ports, r["CidrIp"]))
        for r in p.get("Ipv6Ranges", []):
            found.add((ports, r["CidrIpv6"]))
        for r in p.get("UserIdGroupPairs", []):
            found.add((ports, name_of.get(r["GroupId"], r["GroupId"])))
    return found


def groups(emulator, region="us-east-1"):
    """{name: {"id", "vpc", "ingress": {(ports, source)}, "egress": {...}, "raw"}} of the tier's groups."""
    ec2 = emulator.boto3_client("ec2", region)
    found = ec2.describe_security_groups(Filters=IDENTITY)["SecurityGroups"]
    name_of = {g["GroupId"]: {t["Key"]: t["Value"] for t in g["Tags"]}["stackops:security-group"] for g in found}
    return {
        name_of[g["GroupId"]]: {
            "id": g["GroupId"],
            "vpc": g["VpcId"],
            "ingress": _rules(g["IpPermissions"], name_of),
            "egress": _rules(g["IpPermissionsEgress"], name_of),
            "raw": g,
        }
        for g in found
    }


def keys(emulator, region="us-east-1"):
    kms = emulator.boto3_client("kms", region)
    found = {}
    for alias in kms.list_aliases()["Aliases"]:
        if alias["AliasName"].startswith("alias/demo-local-"):
            key_id = alias["TargetKeyId"]
            found[alias["AliasName"].removeprefix("alias/demo-local-")] = {
                "id": key_id,
                "metadata": kms.describe_key(KeyId=key_id)["KeyMetadata"],
                "rotation": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
                "policy": json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
                "tags": {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]},
            }
    return found


def secret_value(emulator, name, region="us-east-1"):
    try:
        return emulator.boto3_client("secretsmanager", region).get_secret_value(SecretId=name)["SecretString"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def secrets(emulator, region="us-east-1"):
    sm = emulator.boto3_client("secretsmanager", region)
    return {s["Name"]: s for s in sm.list_secrets(Filters=[{"Key": "name", "Values": ["local/demo/"]}])["SecretList"]}


def web_acl(emulator, name, scope="REGIONAL", region="us-east-1"):
    waf = emulator.boto3_client("wafv2", region)
    summary = next((a for a in waf.list_web_acls(Scope=scope)["WebACLs"] if a["Name"] == name), None)
    if summary is None:
        return None
    acl = waf.get_web_acl(Name=name, Scope=scope, Id=summary["Id"])["WebACL"]
    try:
        acl["logging"] = waf.get_logging_configuration(ResourceArn=summary["ARN"])["LoggingConfiguration"]
    except ClientError:
        acl["logging"] = None
    return acl


def rule_set(group):
    return {direction: group[direction] for direction in ("ingress", "egress")}


# -- fixtures -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def converged(emulator, playbook):
    """network + security converged for a test that changes them."""
    run = playbook(STACK, limit=PRIMARY)
    assert run.rc == 0, run.messages()
    return run


@pytest.fixture(scope="module")
def stack(module_emulator):
    """network + security converged once, for the tests that only read them: (emulator, run)."""
    run = run_playbook(module_emulator, STACK, limit=PRIMARY)
    assert run.rc == 0, run.messages()
    return module_emulator, run


# -- converge, read back ----------------------------------------------------------------------------------------------------


def test_groups_are_least_privilege(stack):
    emulator, _run = stack
    found = groups(emulator)
    assert set(found) == {"alb", "app", "database", "cache", "search", "bastion"}  # search: local runs the search tier
    vpc = emulator.boto3_client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:stackops:component", "Values": ["network"]}]
    )
    assert {g["vpc"] for g in found.values()} == {vpc["Vpcs"][0]["VpcId"]}
    assert rule_set(found["alb"]) == {
        "ingress": {("tcp 443-443", "0.0.0.0/0"), ("tcp 80-80", "0.0.0.0/0")},
        "egress": {("tcp 3000-3000", "app")},
    }
    assert rule_set(found["app"]) == {
        "ingress": {("tcp 3000-3000", "alb"), ("all", "app"), ("tcp 22-22", "bastion")},
        "egress": {("all", "0.0.0.0/0")},
    }
    assert rule_set(found["database"]) == {"ingress": {("tcp 5432-5432", "app")}, "egress": set()}
    assert rule_set(found["cache"]) == {"ingress": {("tcp 6379-6379", "app")}, "egress": set()}
    assert rule_set(found["bastion"]) == {
        "ingress": {("tcp 22-22", "203.0.113.0/24")},
        "egress": {("tcp 22-22", "app")},
    }
    public = {name for name, g in found.items() for rule in g["ingress"] if rule[1] in ("0.0.0.0/0", "::/0")}
    assert public == {"alb"}
    tags = {t["Key"]: t["Value"] for t in found["database"]["raw"]["Tags"]}
    assert tags["Name"] == "demo-local-database" and tags["owner"] == "platform-team"


def test_kms_keys_one_per_purpose_with_rotation_and_policy(stack):
    emulator, _run = stack
    found = keys(emulator)
    assert set(found) == {"data", "logs", "secrets", "backups"}
    for purpose, key in found.items():
        assert key["rotation"] is True
        assert key["metadata"]["KeyState"] == "Enabled" and key["metadata"]["KeyManager"] == "CUSTOMER"
        assert key["tags"]["stackops:kms-purpose"] == purpose
        assert key["policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    logs = next(s for s in found["logs"]["policy"]["Statement"] if s["Sid"] == "AllowLogs")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert (
        logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        == "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )
    via = found["data"]["policy"]["Statement"][-1]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == ["elasticache.us-east-1.amazonaws.com", "rds.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]


def test_secrets_encrypted_with_the_secrets_key(stack):
    emulator, _run = stack
    found = secrets(emulator)
    assert set(found) == {
        f"local/demo/{n}"
        for n in (
            "database/app-password",
            "jwt-secret",
            "encryption-key",
            "plaid-secret",
            "openai-api-key",
            "telegram-bot-token",
            "database-connection",  # filled by the database tier
            "cache-connection",  # filled by the cache tier
        )
    }
    secrets_key = keys(emulator)["secrets"]["id"]
    assert {s["KmsKeyId"].rsplit("/", 1)[-1] for s in found.values()} == {secrets_key}
    jwt = secret_value(emulator, "local/demo/jwt-secret")
    assert len(jwt) == 64 and jwt.isalnum()
    key = secret_value(emulator, "local/demo/encryption-key")
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")
    assert len(secret_value(emulator, "local/demo/database/app-password")) == 32
    # One truth for the master password: RDS manages it in its own secret (the database tier's master_user_secret_arn).
    assert "local/demo/database/master-password" not in found
    assert secret_value(emulator, "local/demo/plaid-secret") is None  # external: created empty, set by hand


def test_waf_regional_and_cloudfront_with_logging(stack):
    emulator, _run = stack
    acl = web_acl(emulator, "demo-local-waf")
    assert [r["Name"] for r in acl["Rules"]] == ["rate-limit", "geo-allow", *sp.DEFAULT_MANAGED_RULE_GROUPS]
    assert acl["Rules"][0]["Statement"]["RateBasedStatement"]["Limit"] == 2000
    assert acl["Rules"][0]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    codes = acl["Rules"][1]["Statement"]["NotStatement"]["Statement"]["GeoMatchStatement"]["CountryCodes"]
    assert {"US", "CA", "GB", "DE"} <= set(codes) and "UK" not in codes
    assert acl["logging"]["LogDestinationConfigs"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-demo-local"
    ]
    group = emulator.boto3_client("logs").describe_log_groups(logGroupNamePrefix="aws-waf-logs-demo-local")["logGroups"]
    regional = next(g for g in group if g["logGroupName"] == "aws-waf-logs-demo-local")
    assert regional["retentionInDays"] == 90
    assert regional["kmsKeyId"] == keys(emulator)["logs"]["metadata"]["Arn"]
    cloudfront = web_acl(emulator, "demo-local-waf-cloudfront", scope="CLOUDFRONT")
    assert cloudfront["ARN"].startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/")
    assert cloudfront["logging"]["LogDestinationConfigs"][0].endswith(":log-group:aws-waf-logs-demo-local-cloudfront")


def test_facts_match_what_security_info_discovers(stack):
    emulator, converged = stack
    converge = converged.result("Converge the security tier", PRIMARY)["security"]
    status = run_playbook(emulator, "playbooks/status.yml", limit=PRIMARY)
    assert status.rc == 0, status.messages()
    found = status.result("Read the security tier", PRIMARY)
    assert {k: found[k] for k in FACTS} == {k: converge[k] for k in FACTS}
    assert converge["security_group_ids"]["database"] == groups(emulator)["database"]["id"]
    assert converge["security_kms_keys"]["data"]["alias"] == "alias/demo-local-data"
    assert set(converge["security_secrets"]["jwt_secret"]) == {"arn", "name"}
    assert found["security_group_rules"]["alb"] == {"ingress": 2, "egress": 1}


def test_second_converge_changes_nothing_and_writes_nothing(stack):
    emulator, _run = stack
    emulator.clear_calls()
    run = run_playbook(emulator, "playbooks/security.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    assert run.changed() == 0
    assert emulator.writes() == []
    assert run.result("Converge the security tier", PRIMARY)["changes"] == []


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook("site.yml", limit=PRIMARY, check=True, diff=True)  # every tier plans on an empty account
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    result = run.result("Converge the security tier", PRIMARY)
    assert "create security group demo-local-alb" in result["changes"]
    assert "create KMS key alias/demo-local-secrets (rotation on)" in result["changes"]
    assert any(c.startswith("create WAF web ACL demo-local-waf (REGIONAL)") for c in result["changes"])
    after = result["diff"]["after"]
    assert after["security_groups"]["database"] == {
        "ingress": {"tcp 5432 from app": "PostgreSQL from the application"},
        "egress": {},
    }
    assert after["secrets"]["local/demo/jwt-secret"]["value"] == "<generated once>"
    assert result["security"]["security_group_ids"]["alb"] is None
    assert groups(emulator) == {}


def test_check_mode_with_the_network_only(emulator, playbook):
    network = playbook("playbooks/network.yml", limit=PRIMARY)
    assert network.rc == 0, network.messages()
    emulator.clear_calls()
    run = playbook("playbooks/security.yml", limit=PRIMARY, check=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    assert "create security group demo-local-app" in run.result("Converge the security tier", PRIMARY)["changes"]


def test_security_alone_without_a_network_fails_before_writing(emulator, playbook):
    run = playbook("playbooks/security.yml", limit=PRIMARY)
    assert run.rc != 0
    assert "converge playbooks/network.yml first" in run.messages()
    assert "security_vpc_id: no VPC of the network tier" in run.messages()  # the variable the user can set
    assert emulator.writes() == []


# -- drift ---------------------------------------------------------------------------------------------------------------------


def test_rules_not_in_the_spec_are_revoked_and_the_diff_shows_them(emulator, playbook, converged):
    ec2 = emulator.boto3_client("ec2")
    found = groups(emulator)
    ec2.authorize_security_group_ingress(
        GroupId=found["database"]["id"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.authorize_security_group_egress(
        GroupId=found["cache"]["id"], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    run = playbook("playbooks/security.yml", limit=PRIMARY, diff=True)
    assert run.rc == 0, run.messages()
    result = run.result("Converge the security tier", PRIMARY)
    assert "security group database: revoke ingress tcp 5432 from 0.0.0.0/0" in result["changes"]
    assert "security group cache: revoke egress all to 0.0.0.0/0" in result["changes"]
    assert "tcp 5432 from 0.0.0.0/0" in result["diff"]["before"]["security_groups"]["database"]["ingress"]
    assert "tcp 5432 from 0.0.0.0/0" not in result["diff"]["after"]["security_groups"]["database"]["ingress"]
    after = groups(emulator)
    assert rule_set(after["database"]) == {"ingress": {("tcp 5432-5432", "app")}, "egress": set()}
    assert after["cache"]["egress"] == set()


def test_a_changed_rule_description_is_updated_in_place(emulator, playbook, converged):
    plan = sp.derive_groups(
        app_port=3000, search=False, bastion_cidrs=["203.0.113.0/24"], app_self=True, app_egress_all=True
    )
    database = next(g for g in plan if g["name"] == "database")
    database["ingress"][0]["description"] = "PostgreSQL from the EKS nodes"
    before = groups(emulator)["database"]["id"]
    run = playbook("playbooks/security.yml", limit=PRIMARY, extra_vars={"security_groups": plan})
    assert run.rc == 0, run.messages()
    assert run.result("Converge the security tier", PRIMARY)["changes"] == [
        "security group database: update the description of ingress tcp 5432 from app"
    ]
    raw = groups(emulator)["database"]["raw"]
    assert raw["GroupId"] == before
    assert raw["IpPermissions"][0]["UserIdGroupPairs"][0]["Description"] == "PostgreSQL from the EKS nodes"
    emulator.clear_calls()
    again = playbook("playbooks/security.yml", limit=PRIMARY, extra_vars={"security_groups": plan})
    assert again.changed() == 0 and emulator.writes() == []


def test_a_key_pending_deletion_stops_the_run_before_any_write(emulator, playbook, converged):
    kms = emulator.boto3_client("kms")
    data = keys(emulator)["data"]["id"]
    kms.schedule_key_deletion(KeyId=data, PendingWindowInDays=7)
    emulator.clear_calls()
    run = playbook("playbooks/security.yml", limit=PRIMARY)
    assert run.rc != 0
    message = run.messages()
    assert "security_kms_keys[0] (data): the key alias/demo-local-data" in message and "is pending deletion" in message
    assert f"aws kms cancel-key-deletion --key-id {data}" in message
    assert emulator.writes() == []


def test_a_lost_alias_is_restored_and_no_second_key_is_made(emulator, playbook, converged):
    kms = emulator.boto3_client("kms")
    data = keys(emulator)["data"]["id"]
    kms.delete_alias(AliasName="alias/demo-local-data")
    run = playbook("playbooks/security.yml", limit=PRIMARY)
    assert run.rc == 0, run.messages()
    assert keys(emulator)["data"]["id"] == data
    tagged = [
        k["KeyId"]
        for k in kms.list_keys()["Keys"]
        if {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]}.get(
            "stackops:kms-purpose"
        )
        == "data"
    ]
    assert tagged == [data]


# -- secrets ----------------------------------------------------------------------------------------------------------------------


def test_generated_values_are_never_overwritten(emulator, playbook, converged):
    before = {n: secret_value(emulator, n) for n in ("local/demo/jwt-secret", "local/demo/database/app-password")}
    longer = [
        {"key": "database_app_password", "name": "database/app-password", "length": 48, "charset": "ascii"},
        {"key": "jwt_secret", "length": 128},
        {"key": "encryption_key", "charset": "hex", "length": 64},
        {"key": "plaid_secret", "source": "external"},
        {"key": "openai_api_key", "source": "external"},
        {"key": "telegram_bot_token", "source": "external"},
    ]
    emulator.clear_calls()
    run = playbook("playbooks/security.yml", limit=PRIMARY, extra_vars={"security_secrets": longer})
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and emulator.writes() == []
    assert {n: secret_value(emulator, n) for n in before} == before


def _vault_inventory(tmp_path, value, password="vault-password-for-tests"):
    from ansible.parsing.vault import VaultLib
    from ansible.parsing.vault import VaultSecret

    inventory = tmp_path / "local"
    if not inventory.exists():
        shutil.copytree(ROOT / "inventories" / "local", inventory)
    password_file = tmp_path / "vault-password"
    password_file.write_text(password)
    encrypted = VaultLib([("default", VaultSecret(password.encode()))]).encrypt(value).decode()
    (inventory / "group_vars" / "all" / "vault.yml").write_text(
        "---\nvault_openai_api_key: !vault |\n" + "".join(f"  {line}\n" for line in encrypted.splitlines())
    )
    (inventory / "group_vars" / "all" / "zz_secrets.yml").write_text(
        "---\n"
        "security_secrets:\n"
        "  - {key: database_app_password, name: database/app-password}\n"
        "  - {key: jwt_secret, length: 64}\n"
        "  - {key: openai_api_key, source: value, value: '{{ vault_openai_api_key }}'}\n"
        "  - {key: plaid_secret, source: external}\n"
    )
    return str(inventory), {"ANSIBLE_VAULT_PASSWORD_FILE": str(password_file)}


def test_no_secret_value_appears_in_output_even_at_vvv(emulator, playbook, tmp_path):
    vaulted = "sk-vaulted-OPENAI-key-7f3a9c21e8"
    inventory, env = _vault_inventory(tmp_path, vaulted)
    run = playbook(STACK, inventory=inventory, limit=PRIMARY, env=env, verbosity=3, diff=True, callback="default")
    output = run.output["raw"] + run.stderr
    assert run.rc == 0, output[-3000:]
    assert "Converge the security tier" in output and "ESTABLISH LOCAL CONNECTION" in output  # really -vvv
    generated = [
        secret_value(emulator, "local/demo/jwt-secret"),
        secret_value(emulator, "local/demo/database/app-password"),
    ]
    assert all(generated) and secret_value(emulator, "local/demo/openai-api-key") == vaulted
    for value in [*generated, vaulted]:
        assert value not in output

    # The vaulted value changes: AWS gets the new one, the output shows neither.
    rotated = "sk-vaulted-OPENAI-key-NEW-0b5d44"
    inventory, env = _vault_inventory(tmp_path, rotated)
    again = playbook(
        "playbooks/security.yml",
        inventory=inventory,
        limit=PRIMARY,
        env=env,
        verbosity=3,
        diff=True,
        callback="default",
    )
    output = again.output["raw"] + again.stderr
    assert again.rc == 0, output[-3000:]
    assert "set the value of secret local/demo/openai-api-key from the inventory" in output
    assert secret_value(emulator, "local/demo/openai-api-key") == rotated
    for value in [*generated, vaulted, rotated]:
        assert value not in output
    assert [
        secret_value(emulator, n) for n in ("local/demo/jwt-secret", "local/demo/database/app-password")
    ] == generated


def _stand_in_rotation_function(emulator):
    """moto invokes the rotation function; without Docker it needs its simple Lambda backend (test setup only)."""
    request = urllib.request.Request(
        f"{emulator.url}/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()
    role = emulator.boto3_client("iam").create_role(RoleName="rotation", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return emulator.boto3_client("lambda").create_function(
        FunctionName="stand-in-rotation",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]


def test_rotation_schedule_with_a_rotation_function(emulator, playbook, converged):
    arn = _stand_in_rotation_function(emulator)
    before = secret_value(emulator, "local/demo/database/app-password")
    spec = [
        {
            "key": "database_app_password",
            "name": "database/app-password",
            "rotation_days": 90,
            "rotation_lambda_arn": arn,
        },
        {"key": "jwt_secret", "length": 64},
        {"key": "encryption_key", "charset": "hex", "length": 64},
        {"key": "plaid_secret", "source": "external"},
        {"key": "openai_api_key", "source": "external"},
        {"key": "telegram_bot_token", "source": "external"},
    ]
    run = playbook("playbooks/security.yml", limit=PRIMARY, extra_vars={"security_secrets": spec})
    assert run.rc == 0, run.messages()
    described = emulator.boto3_client("secretsmanager").describe_secret(SecretId="local/demo/database/app-password")
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == arn
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 90
    assert secret_value(emulator, "local/demo/database/app-password") == before  # scheduled, not rotated now
    emulator.clear_calls()
    again = playbook("playbooks/security.yml", limit=PRIMARY, extra_vars={"security_secrets": spec})
    assert again.changed() == 0 and emulator.writes() == []
    off = playbook("playbooks/security.yml", limit=PRIMARY)
    assert (
        "turn off the rotation of secret local/demo/database/app-password"
        in off.result("Converge the security tier", PRIMARY)["changes"]
    )
    described = emulator.boto3_client("secretsmanager").describe_secret(SecretId="local/demo/database/app-password")
    assert described["RotationEnabled"] is False


# -- bad input: rejected before any API call -----------------------------------------------------------------------------------


def _plan(change):
    plan = sp.derive_groups(
        app_port=3000, search=False, bastion_cidrs=["203.0.113.0/24"], app_self=True, app_egress_all=True
    )
    change({g["name"]: g for g in plan})
    return {"security_groups": plan}


BAD_INPUT = {
    "rule names an unknown group": (
        _plan(lambda g: g["app"]["ingress"].append({"ports": 9090, "group": "monitoring"})),
        "security_groups[1].ingress[3].group: 'monitoring' is not a group in this spec",
    ),
    "port out of range": (
        _plan(lambda g: g["alb"]["ingress"].append({"ports": 65536, "cidr": "0.0.0.0/0"})),
        "security_groups[0].ingress[2].ports: 65536 is out of range: ports are 0-65535",
    ),
    "database open to the internet": (
        _plan(lambda g: g["database"]["ingress"].append({"ports": 5432, "cidr": "0.0.0.0/0"})),
        "security_groups[2].ingress[1].cidr: 0.0.0.0/0 opens the database group to the internet",
    ),
    "egress on the cache": (
        _plan(lambda g: g["cache"].update(egress=[{"protocol": "all", "cidr": "0.0.0.0/0"}])),
        "security_groups[3].egress: the cache group takes no egress rules",
    ),
    "duplicate group names": (
        _plan(lambda g: g["bastion"].update(name="app")),
        "security_groups[4].name: app is defined twice",
    ),
    "rate limit below AWS's minimum": (
        {"security_waf_rate_limit": 9},
        "security_waf_rate_limit: 9 requests per window per IP is outside what AWS WAF accepts (10 to 2,000,000,000)",
    ),
    "unknown country code": (
        {"security_waf_geo_allow": ["US", "EU"]},
        "security_waf_geo_allow[1]: 'EU' is not an ISO 3166-1 alpha-2 country code WAF accepts",
    ),
    "secret uses an undefined key purpose": (
        {"security_secrets": [{"key": "jwt_secret", "kms_key": "tokens"}]},
        "security_secrets[0].kms_key: key purpose 'tokens' is not defined in security_kms_keys",
    ),
    "generated secret too short": (
        {"security_secrets": [{"key": "jwt_secret", "length": 12}]},
        "security_secrets[0].length: 12 must be a whole number from 16 to 4096",
    ),
    "rotation schedule without a function": (
        {"security_secrets": [{"key": "database_app_password", "rotation_days": 90}]},
        "security_secrets[0].rotation_days: a rotation schedule needs the rotation function",
    ),
    "WAF log retention CloudWatch refuses": (
        {"security_waf_log_retention_days": 100},
        "security_waf_log_retention_days: 100 is not a retention CloudWatch Logs accepts",
    ),
    "key purpose twice": (
        {"security_kms_keys": [{"purpose": "data"}, {"purpose": "data"}, {"purpose": "secrets"}, {"purpose": "logs"}]},
        "security_kms_keys[1].purpose: data is defined twice",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Every case as a host of its own (local-use1's variables, the case's on top): one run checks them all."""
    cases = {case: extra_vars for case, (extra_vars, _message) in BAD_INPUT.items()}
    return run_bad_inputs("playbooks/security.yml", cases, tmp_path_factory.mktemp("bad-input"))


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_before_any_call(bad_input_run, case):
    run, _calls = bad_input_run
    assert run.failed(case_host(case)) == 1
    assert BAD_INPUT[case][1] in run.messages(case_host(case))


# -- every inventory ---------------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("inventory", ["dev", "staging", "prod"])
def test_every_inventory_converges_and_reconverges_without_writes(emulator, playbook, inventory):
    run = playbook("site.yml", inventory=f"inventories/{inventory}")
    assert run.rc == 0, run.messages()
    regions = ["us-east-1", "us-west-2"] if inventory == "prod" else ["us-east-1"]
    for region in regions:
        sm = emulator.boto3_client("secretsmanager", region)
        names = {s["Name"] for s in sm.list_secrets()["SecretList"]}
        assert f"{inventory}/money-tracking/database/app-password" in names
        assert f"{inventory}/money-tracking/database/master-password" not in names  # RDS manages that one
        assert f"{inventory}/money-tracking/telegram-bot-token" in names
        ec2 = emulator.boto3_client("ec2", region)
        sg = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [f"moneytrack-{inventory}-database"]}]
        )
        assert len(sg["SecurityGroups"]) == 1 and sg["SecurityGroups"][0]["IpPermissionsEgress"] == []
        waf = emulator.boto3_client("wafv2", region).list_web_acls(Scope="REGIONAL")["WebACLs"]
        assert [a["Name"] for a in waf] == [f"moneytrack-{inventory}-waf"]
    emulator.clear_calls()
    again = playbook("site.yml", inventory=f"inventories/{inventory}")
    assert again.rc == 0, again.messages()
    assert again.changed() == 0, (again.changed_tasks(), [r.get("changes") for r in again.results("Apply the")])
    assert emulator.writes() == []
