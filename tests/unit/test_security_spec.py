"""The security spec: validation messages, the default group plan, key policies and WAF rules (pure Python)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.stackops.platform.plugins.module_utils._security import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._security.reconcile import _subset
from ansible_collections.stackops.platform.plugins.module_utils._security.reconcile import generate_value
from ansible_collections.stackops.platform.plugins.module_utils._security.state import permission_rules

KEYS = [
    {"purpose": "data", "via_services": ["rds", "elasticache", "s3"]},
    {"purpose": "logs", "services": ["logs"]},
    {"purpose": "secrets", "via_services": ["secretsmanager"]},
    {"purpose": "backups", "via_services": ["backup", "rds", "s3"]},
]


def valid():
    return {
        "name": "moneytrack-prod",
        "groups": sp.derive_groups(app_port=3000, bastion_cidrs=["203.0.113.0/24"]),
        "kms_keys": copy.deepcopy(KEYS),
        "secrets_prefix": "prod/money-tracking/",
        "secrets_kms_key": "secrets",
        "secrets": [
            {"key": "database_master_password", "name": "database/master-password"},
            {"key": "jwt_secret", "length": 64},
            {"key": "encryption_key", "charset": "hex", "length": 64},
            {"key": "openai_api_key", "source": "value", "value": "sk-not-shown"},
            {"key": "plaid_secret", "source": "external"},
        ],
        "waf": True,
        "waf_rate_limit": 2000,
        "waf_geo_allow": ["US", "CA", "GB"],
        "waf_log_kms_key": "logs",
        "waf_log_retention_days": 90,
    }


def errors_of(change):
    spec = valid()
    change(spec)
    return sp.validate(spec, "us-east-1", prefix="security_")


def test_the_valid_spec_passes():
    assert sp.validate(valid(), "us-east-1", prefix="security_") == []


BAD = {
    "unknown group": (
        lambda s: s["groups"][1]["ingress"].append({"ports": 80, "group": "albb"}),
        "security_groups[1].ingress[2].group: 'albb' is not a group in this spec",
    ),
    "port out of range": (
        lambda s: s["groups"][0]["ingress"].append({"ports": 70000, "cidr": "0.0.0.0/0"}),
        "security_groups[0].ingress[2].ports: 70000 is out of range: ports are 0-65535",
    ),
    "backwards range": (
        lambda s: s["groups"][0]["ingress"].append({"ports": "9000-8000", "cidr": "10.0.0.0/8"}),
        "the range starts after it ends",
    ),
    "public database": (
        lambda s: s["groups"][2]["ingress"].append({"ports": 5432, "cidr": "0.0.0.0/0"}),
        "security_groups[2].ingress[1].cidr: 0.0.0.0/0 opens the database group to the internet",
    ),
    "public ipv6 on cache": (
        lambda s: s["groups"][3]["ingress"].append({"ports": 6379, "ipv6_cidr": "::/0"}),
        "opens the cache group to the internet",
    ),
    "duplicate group": (lambda s: s["groups"].append({"name": "app"}), "security_groups[6].name: app is defined twice"),
    "egress on database": (
        lambda s: s["groups"][2].update(egress=[{"ports": 443, "cidr": "0.0.0.0/0"}]),
        "security_groups[2].egress: the database group takes no egress rules",
    ),
    "two sources": (
        lambda s: s["groups"][1]["ingress"].append({"ports": 80, "group": "alb", "cidr": "10.0.0.0/8"}),
        "give exactly one of group, group_id, cidr, ipv6_cidr, prefix_list_id (got group, cidr)",
    ),
    "bad cidr": (
        lambda s: s["groups"][5]["ingress"].append({"ports": 22, "cidr": "10.0.0.1/8"}),
        "security_groups[5].ingress[1].cidr: '10.0.0.1/8' is not a valid IPv4 CIDR block",
    ),
    "same rule twice": (
        lambda s: s["groups"][0]["ingress"].append({"ports": "443", "cidr": "0.0.0.0/0"}),
        "security_groups[0].ingress[2]: the same rule as security_groups[0].ingress[0]",
    ),
    "rate limit below the minimum": (
        lambda s: s.update(waf_rate_limit=5),
        "security_waf_rate_limit: 5 requests per window per IP is outside what AWS WAF accepts (10 to 2,000,000,000)",
    ),
    "unknown country": (
        lambda s: s.update(waf_geo_allow=["US", "UK"]),
        "security_waf_geo_allow[1]: 'UK' is not an ISO 3166-1 alpha-2 country code WAF accepts (the United Kingdom is GB)",
    ),
    "allow and block": (lambda s: s.update(waf_geo_block=["RU"]), "give an allow list or a block list"),
    "secret key purpose not defined": (
        lambda s: s["secrets"][1].update(kms_key="tokens"),
        "security_secrets[1].kms_key: key purpose 'tokens' is not defined in security_kms_keys (data, logs, secrets, backups)",
    ),
    "default secrets key not defined": (
        lambda s: s.update(kms_keys=[k for k in s["kms_keys"] if k["purpose"] != "secrets"]),
        "security_secrets_kms_key: key purpose 'secrets' is not defined in security_kms_keys",
    ),
    "short secret": (
        lambda s: s["secrets"][1].update(length=8),
        "security_secrets[1].length: 8 must be a whole number from 16 to 4096",
    ),
    "rotation without a function": (
        lambda s: s["secrets"][0].update(rotation_days=90),
        "security_secrets[0].rotation_days: a rotation schedule needs the rotation function",
    ),
    "rotation of an inventory value": (
        lambda s: s["secrets"][3].update(
            rotation_days=30, rotation_lambda_arn="arn:aws:lambda:us-east-1:123456789012:function:rotate"
        ),
        "a secret whose value comes from the inventory cannot rotate",
    ),
    "bad lambda arn": (
        lambda s: s["secrets"][0].update(rotation_days=30, rotation_lambda_arn="rotate-me"),
        "security_secrets[0].rotation_lambda_arn: 'rotate-me' is not a Lambda function ARN",
    ),
    "value without source value": (
        lambda s: s["secrets"][1].update(value="x"),
        "security_secrets[1].value: a value is given but source is generate",
    ),
    "source value without a value": (
        lambda s: s["secrets"][3].update(value=""),
        "security_secrets[3].value: source is value, so a value is needed",
    ),
    "duplicate secret key": (
        lambda s: s["secrets"].append({"key": "jwt_secret", "name": "jwt2"}),
        "security_secrets[5].key: jwt_secret is defined twice",
    ),
    "duplicate purpose": (
        lambda s: s["kms_keys"].append({"purpose": "data"}),
        "security_kms_keys[4].purpose: data is defined twice",
    ),
    "rotation off": (
        lambda s: s["kms_keys"][0].update(rotation=False),
        "security_kms_keys[0].rotation: automatic rotation stays on",
    ),
    "service given as a principal": (
        lambda s: s["kms_keys"][1].update(services=["logs.amazonaws.com"]),
        "security_kms_keys[1].services[0]: give the service name (logs), not logs.amazonaws.com",
    ),
    "unknown managed rule group": (
        lambda s: s.update(waf_managed_rule_groups=["AWSManagedRulesXSSRuleSet"]),
        "security_waf_managed_rule_groups[0]: 'AWSManagedRulesXSSRuleSet' is not an AWS managed rule group",
    ),
    "log retention": (
        lambda s: s.update(waf_log_retention_days=45),
        "security_waf_log_retention_days: 45 is not a retention",
    ),
    "reserved tag": (
        lambda s: s.update(tags={"aws:owner": "me"}),
        "security_tags: key 'aws:owner' uses the aws: prefix",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_rejected_naming_the_variable(case):
    change, message = BAD[case]
    errors = errors_of(change)
    assert any(message in e for e in errors), errors


def test_no_message_ever_holds_a_secret_value():
    spec = valid()
    spec["secrets"][3]["value"] = "sk-THE-VALUE-0123456789"
    spec["secrets"][3]["rotation_days"] = 5
    spec["secrets"][3]["length"] = 3
    errors = sp.validate(spec, "us-east-1", prefix="security_")
    assert errors and not any("THE-VALUE" in e for e in errors)


def test_default_plan_is_least_privilege():
    groups = {g["name"]: g for g in sp.derive_groups(app_port=8000)}
    assert set(groups) == {"alb", "app", "database", "cache", "search"}
    public = [(n, r) for n, g in groups.items() for r in g["ingress"] if r.get("cidr") == "0.0.0.0/0"]
    assert sorted(r["ports"] for n, r in public) == [80, 443] and {n for n, r in public} == {"alb"}
    assert groups["app"]["ingress"] == [{"ports": 8000, "group": "alb", "description": "From the load balancer"}]
    assert [(r["ports"], r["group"]) for r in groups["database"]["ingress"]] == [(5432, "app")]
    assert [(r["ports"], r["group"]) for r in groups["cache"]["ingress"]] == [(6379, "app")]
    assert groups["database"]["egress"] == [] and groups["cache"]["egress"] == []
    assert sp.validate({"groups": list(groups.values())}) == []


def test_bastion_plan():
    groups = {g["name"]: g for g in sp.derive_groups(app_port=3000, bastion_cidrs=["203.0.113.0/24"], search=False)}
    assert [(r["ports"], r["cidr"]) for r in groups["bastion"]["ingress"]] == [(22, "203.0.113.0/24")]
    assert {"ports": 22, "group": "bastion", "description": "SSH from the bastion"} in groups["app"]["ingress"]
    assert "search" not in groups


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ({"ports": 443, "cidr": "0.0.0.0/0"}, ("tcp", 443, 443, "cidr", "0.0.0.0/0")),
        ({"ports": "1024-65535", "protocol": "udp", "cidr": "10.0.0.0/8"}, ("udp", 1024, 65535, "cidr", "10.0.0.0/8")),
        ({"protocol": "all", "group": "self"}, ("-1", -1, -1, "group", "app")),
        ({"protocol": "icmp", "cidr": "10.0.0.0/8"}, ("icmp", -1, -1, "cidr", "10.0.0.0/8")),
    ],
)
def test_rule_keys(rule, key):
    assert sp.rule_key("app", rule) == key


def test_rules_read_back_from_aws_match_the_spec_keys():
    permissions = [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "d"}],
        },
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}, {"GroupId": "sg-9"}]},
        {"IpProtocol": "6", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": "pl-12345678"}]},
    ]
    assert permission_rules(permissions, {"sg-1": "app"}) == {
        ("tcp", 443, 443, "cidr", "0.0.0.0/0"): "d",
        ("-1", -1, -1, "group", "app"): None,
        ("-1", -1, -1, "group_id", "sg-9"): None,
        ("tcp", 22, 22, "prefix_list_id", "pl-12345678"): None,
    }


def test_logs_key_policy_has_the_documented_condition():
    policy = sp.key_policy({"purpose": "logs", "services": ["logs"]}, "123456789012", "us-east-1")
    root, logs = policy["Statement"]
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and root["Action"] == "kms:*"
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}
    }
    json.dumps(policy)  # a document KMS accepts as JSON


def test_via_service_statement():
    policy = sp.key_policy(KEYS[0], "123456789012", "eu-west-1")
    via = policy["Statement"][-1]
    assert via["Condition"]["StringEquals"] == {
        "kms:CallerAccount": "123456789012",
        "kms:ViaService": [
            "elasticache.eu-west-1.amazonaws.com",
            "rds.eu-west-1.amazonaws.com",
            "s3.eu-west-1.amazonaws.com",
        ],
    }


def test_waf_rules_in_priority_order():
    rules = sp.waf_rules({"waf_rate_limit": 2000, "waf_geo_allow": ["US", "CA"]}, "acl")
    assert [r["Name"] for r in rules] == ["rate-limit", "geo-allow", *sp.DEFAULT_MANAGED_RULE_GROUPS]
    assert rules[0]["Statement"]["RateBasedStatement"] == {
        "Limit": 2000,
        "EvaluationWindowSec": 300,
        "AggregateKeyType": "IP",
    }
    assert rules[1]["Statement"]["NotStatement"]["Statement"]["GeoMatchStatement"]["CountryCodes"] == ["CA", "US"]
    assert [r["Priority"] for r in rules] == sorted({r["Priority"] for r in rules})
    assert sp.waf_rules({"waf_rate_limit": 0, "waf_managed_rule_groups": []}, "acl") == []


def test_country_codes_are_botocores():
    import botocore.session

    model = botocore.session.get_session().get_service_model("wafv2")
    assert set(model.shape_for("CountryCode").enum) == sp.COUNTRY_CODES
    assert model.shape_for("RateLimit").metadata["min"] == sp.MIN_RATE_LIMIT


def test_subset_ignores_fields_aws_adds_but_not_missing_rules():
    desired = sp.waf_rules({"waf_rate_limit": 100}, "acl")
    current = copy.deepcopy(desired)
    current[1]["Statement"]["ManagedRuleGroupStatement"]["Version"] = "Version_1.0"
    assert _subset(desired, current)
    assert not _subset(desired, current[:-1])


@pytest.mark.parametrize(
    ("secret", "check"),
    [
        ({"length": 40}, lambda v: len(v) == 40 and v.isalnum()),
        ({"charset": "hex", "length": 64}, lambda v: len(v) == 64 and set(v) <= set("0123456789abcdef")),
        ({"charset": "ascii", "exclude_characters": "$%"}, lambda v: len(v) == 32 and not set(v) & set("$%/@\"' ")),
        (
            {"username": "postgres"},
            lambda v: json.loads(v)["username"] == "postgres" and len(json.loads(v)["password"]) == 32,
        ),
    ],
)
def test_generated_values(secret, check):
    first, second = generate_value(secret), generate_value(secret)
    assert check(first) and first != second
