# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The security spec: validation, the default least-privilege group plan, key policies, WAF rules.

Pure Python, no AWS calls. Shared by the ``security_baseline`` module (which validates its options before
any API call) and the ``security_spec_errors`` / ``security_group_plan`` filters (which the ``security``
role runs before the module, so that messages name the role variables: ``security_groups[2].ingress[0]``).

Secret values are never put into a message: validation says which value is wrong, never what it is.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ..aws_rules import LOG_RETENTION_DAYS
from ..aws_rules import reserved_tag_errors

# -- security groups ------------------------------------------------------------------------------------------

PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1"}
# The contract's groups (COMMON.md): later tiers look these names up in `security_group_ids`.
CONTRACT_GROUPS = ("alb", "app", "database", "cache", "search", "bastion")
# Data stores never open connections (seed 000 §6.1 and seed 001 "Network Security": "Outbound: None").
NO_EGRESS_GROUPS = ("database", "cache")
SOURCES = ("group", "group_id", "cidr", "ipv6_cidr", "prefix_list_id")
ANYWHERE = ("0.0.0.0/0", "::/0")

# -- KMS ----------------------------------------------------------------------------------------------------------

# What a service principal may do with a key (AWS KMS default key policy for services, and the CloudWatch Logs
# statement from https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
SERVICE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
LOGS_ACTIONS = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
# What principals of the account may do through an AWS service (the statement AWS managed keys such as
# aws/rds carry: kms:CallerAccount + kms:ViaService).
VIA_SERVICE_ACTIONS = [
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ListGrants",
    "kms:ReEncrypt*",
]

# -- Secrets Manager ----------------------------------------------------------------------------------------------

SECRET_SOURCES = ("generate", "value", "external")
CHARSETS = {
    "alphanumeric": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "hex": "0123456789abcdef",
    # Printable ASCII without space and the characters RDS refuses in a master password (/ @ " ').
    "ascii": "".join(chr(c) for c in range(33, 127) if chr(c) not in "/@\"'\\"),
}
MIN_SECRET_LENGTH, MAX_SECRET_LENGTH = 16, 4096
# RotateSecret: RotationRules.AutomaticallyAfterDays is 1-1000.
MIN_ROTATION_DAYS, MAX_ROTATION_DAYS = 1, 1000
_LAMBDA_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$"
)
_KMS_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$"
)
_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")

# -- WAF ----------------------------------------------------------------------------------------------------------

# AWS WAF's lowest rate limit is 10 requests per evaluation window, the highest 2,000,000,000; the window is
# 60, 120, 300 (default) or 600 s: https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
# (botocore's wafv2 model agrees: RateLimit min 10, max 2000000000).
MIN_RATE_LIMIT, MAX_RATE_LIMIT = 10, 2_000_000_000
RATE_WINDOWS = (60, 120, 300, 600)
# AWS managed rule groups that need no ManagedRuleGroupConfigs (Bot Control, ATP and ACFP do, and cost extra).
# Seed 001's "XSS" is in the core rule set (its CrossSiteScripting_* rules): there is no separate XSS group.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesAdminProtectionRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesWindowsRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)
# Seed 001's list: the common rule set, known bad inputs, SQL injection.
DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
# The country codes a WAF GeoMatchStatement accepts (ISO 3166-1 alpha-2, plus XK): botocore's wafv2 CountryCode enum.
COUNTRY_CODES = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
""".split()
)
# Codes people write that WAF does not accept, and what they mean.
COUNTRY_HINTS = {
    "UK": "the United Kingdom is GB",
    "EU": "list the member states (AT, BE, ... SE)",
    "EL": "Greece is GR",
}

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_SECRET_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DESCRIPTION_RE = re.compile(r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]*")
_SERVICE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")


class SpecError(ValueError):
    """Raised by derivation helpers; ``str()`` names the variable and the rule."""


# -- names ----------------------------------------------------------------------------------------------------------


class Names:
    """Resource names derived from the tier's base name (``<platform>-<environment>``)."""

    def __init__(self, base):
        self.base = base
        self.waf_acl = f"{base}-waf"
        self.waf_cloudfront_acl = f"{base}-waf-cloudfront"
        # AWS WAF only logs to a log group whose name starts with aws-waf-logs-.
        self.waf_log_group = f"aws-waf-logs-{base}"
        self.waf_cloudfront_log_group = f"aws-waf-logs-{base}-cloudfront"

    def group(self, key):
        return f"{self.base}-{key}"

    def alias(self, purpose):
        return f"alias/{self.base}-{purpose}"


def default_secrets_prefix(platform, environment):
    """Seed 001 names secrets ``prod/money-tracking/jwt-secret``: ``<environment>/<platform>/``."""
    return f"{environment}/{platform}/"


def secret_name(prefix, secret):
    return prefix + (secret.get("name") or str(secret["key"]).replace("_", "-"))


# -- ports and rules --------------------------------------------------------------------------------------------------


def parse_ports(value):
    """``443`` or ``"443"`` → (443, 443); ``"1024-65535"`` → (1024, 65535). Raises SpecError (no variable name)."""
    if isinstance(value, bool):
        raise SpecError(f"{value!r} is not a port")
    if isinstance(value, int):
        low = high = value
    elif isinstance(value, str) and re.fullmatch(r"\d{1,5}", value.strip()):
        low = high = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\d{1,5}\s*-\s*\d{1,5}", value.strip()):
        low, high = (int(part) for part in value.split("-"))
    else:
        raise SpecError(f"{value!r} is not a port (443) or a port range (1024-65535)")
    for port in (low, high):
        if not 0 <= port <= 65535:
            raise SpecError(f"{port} is out of range: ports are 0-65535")
    if low > high:
        raise SpecError(f"{value!r}: the range starts after it ends")
    return low, high


def rule_key(group, rule):
    """The identity of a rule: (protocol, from, to, source kind, source). ``self`` is the group's own name.

    ``rule`` must be valid (see ``validate``).
    """
    protocol = PROTOCOLS[rule.get("protocol") or "tcp"]
    if protocol == "-1":
        low, high = -1, -1
    elif rule.get("ports") in (None, ""):
        low, high = -1, -1  # icmp: every type and code
    else:
        low, high = parse_ports(rule["ports"])
    for kind in SOURCES:
        if rule.get(kind):
            source = rule[kind]
            if kind == "group" and source == "self":
                source = group
            return (protocol, low, high, kind, source)
    raise SpecError("a rule needs a source")


def describe_rule(key, direction):
    """``tcp 443 from 0.0.0.0/0``, ``all to app``: how diffs and change lists show a rule."""
    protocol, low, high, _kind, source = key
    if protocol == "-1":
        what = "all"
    elif low == -1:
        what = protocol
    elif low == high:
        what = f"{protocol} {low}"
    else:
        what = f"{protocol} {low}-{high}"
    return f"{what} {'from' if direction == 'ingress' else 'to'} {source}"


def derive_groups(
    app_port=8000,
    database_port=5432,
    cache_port=6379,
    search_port=443,
    search=True,
    bastion_cidrs=None,
    bastion_port=22,
    app_self=False,
    app_egress_all=False,
):
    """The least-privilege group set that seeds 000/001/002 describe.

    ALB: 443 and 80 from the internet, out only to the app port. App: in only from the ALB on the app port.
    Database 5432 and cache 6379 (and search 443) only from app, with no egress at all. A bastion (when CIDRs
    are given) takes SSH from those CIDRs only and reaches the app on SSH only.
    """
    app_egress = (
        [{"protocol": "all", "cidr": "0.0.0.0/0", "description": "All outbound (seed 001: EKS nodes)"}]
        if app_egress_all
        else [{"ports": 443, "cidr": "0.0.0.0/0", "description": "HTTPS to AWS and third-party APIs"}]
    )
    if not app_egress_all:
        app_egress += [
            {"ports": database_port, "group": "database", "description": "PostgreSQL"},
            {"ports": cache_port, "group": "cache", "description": "Redis"},
        ]
        if search:
            app_egress.append({"ports": search_port, "group": "search", "description": "OpenSearch"})
    app_ingress = [{"ports": app_port, "group": "alb", "description": "From the load balancer"}]
    if app_self:
        app_ingress.append({"protocol": "all", "group": "self", "description": "Between application nodes"})
        if not app_egress_all:
            app_egress.append({"protocol": "all", "group": "self", "description": "Between application nodes"})
    groups = [
        {
            "name": "alb",
            "description": "Load balancer: HTTPS and HTTP (redirect) from the internet",
            "allow_public": True,
            "ingress": [
                {"ports": 443, "cidr": "0.0.0.0/0", "description": "HTTPS from the internet"},
                {"ports": 80, "cidr": "0.0.0.0/0", "description": "HTTP from the internet, redirected to HTTPS"},
            ],
            "egress": [{"ports": app_port, "group": "app", "description": "To the application"}],
        },
        {
            "name": "app",
            "description": "Application (ECS tasks or EKS nodes): only from the load balancer",
            "ingress": app_ingress,
            "egress": app_egress,
        },
        {
            "name": "database",
            "description": "PostgreSQL: only from the application, no egress",
            "ingress": [{"ports": database_port, "group": "app", "description": "PostgreSQL from the application"}],
            "egress": [],
        },
        {
            "name": "cache",
            "description": "Redis: only from the application, no egress",
            "ingress": [{"ports": cache_port, "group": "app", "description": "Redis from the application"}],
            "egress": [],
        },
    ]
    if search:
        groups.append(
            {
                "name": "search",
                "description": "OpenSearch: only from the application, no egress",
                "ingress": [{"ports": search_port, "group": "app", "description": "OpenSearch from the application"}],
                "egress": [],
            }
        )
    if bastion_cidrs:
        groups.append(
            {
                "name": "bastion",
                "description": "Bastion: SSH from the listed admin networks only",
                "ingress": [
                    {"ports": bastion_port, "cidr": cidr, "description": "SSH from an admin network"}
                    for cidr in bastion_cidrs
                ],
                "egress": [{"ports": bastion_port, "group": "app", "description": "SSH to the application"}],
            }
        )
        app_ingress.append({"ports": bastion_port, "group": "bastion", "description": "SSH from the bastion"})
    return groups


# -- validation -----------------------------------------------------------------------------------------------------


def _cidr(value, where, errors, version):
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        errors.append(f"{where}: {value!r} is not a valid IPv{version} CIDR block ({exc})")
        return None
    if network.version != version or "/" not in str(value):
        errors.append(
            f"{where}: {value!r} is not an IPv{version} CIDR block (e.g. {'10.0.0.0/16' if version == 4 else '2001:db8::/32'})"
        )
        return None
    return network


def _description(description, where, errors):
    """Security group and rule descriptions: at most 255 of a-z A-Z 0-9 space and ._-:/()#,@[]+=&;{}!$* (EC2)."""
    if description is not None and (len(str(description)) > 255 or not _DESCRIPTION_RE.fullmatch(str(description))):
        errors.append(f"{where}: at most 255 letters, digits, spaces and ._-:/()#,@[]+=&;{{}}!$* (what EC2 accepts)")


def _validate_rule(rule, where, group, group_names, errors):
    if not isinstance(rule, dict):
        errors.append(f"{where}: must be a mapping (ports, protocol, and one of {', '.join(SOURCES)})")
        return None
    unknown = sorted(set(rule) - {"protocol", "ports", "description", *SOURCES})
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    protocol = rule.get("protocol") or "tcp"
    if protocol not in PROTOCOLS:
        errors.append(f"{where}.protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
        return None
    if protocol in ("tcp", "udp"):
        if rule.get("ports") in (None, ""):
            errors.append(f"{where}.ports: {protocol} needs a port or a range (443, 1024-65535)")
        else:
            try:
                parse_ports(rule["ports"])
            except SpecError as error:
                errors.append(f"{where}.ports: {error}")
    elif rule.get("ports") not in (None, ""):
        errors.append(f"{where}.ports: protocol {protocol} takes no ports")
    given = [kind for kind in SOURCES if rule.get(kind) not in (None, "")]
    if len(given) != 1:
        errors.append(
            f"{where}: give exactly one of {', '.join(SOURCES)} (got {', '.join(given) if given else 'none'})"
        )
        return None
    kind = given[0]
    value = rule[kind]
    if kind == "group" and value != "self" and value not in group_names:
        errors.append(
            f"{where}.group: {value!r} is not a group in this spec ({', '.join(group_names) or 'none'}, or self)"
        )
    elif kind == "group_id" and not re.fullmatch(r"sg-[0-9a-f]{8,17}", str(value)):
        errors.append(f"{where}.group_id: {value!r} is not a security group id (sg-...)")
    elif kind == "prefix_list_id" and not re.fullmatch(r"pl-[0-9a-f]{8,17}", str(value)):
        errors.append(f"{where}.prefix_list_id: {value!r} is not a prefix list id (pl-...)")
    elif kind in ("cidr", "ipv6_cidr") and _cidr(value, f"{where}.{kind}", errors, 4 if kind == "cidr" else 6) is None:
        return None
    _description(rule.get("description"), f"{where}.description", errors)
    return kind


def validate_groups(groups, prefix, errors):
    where_groups = f"{prefix}groups"
    if not isinstance(groups, list):
        errors.append(f"{where_groups}: must be a list of groups")
        return
    names = [g["name"] for g in groups if isinstance(g, dict) and isinstance(g.get("name"), str)]
    seen = {}
    for index, group in enumerate(groups):
        where = f"{where_groups}[{index}]"
        if not isinstance(group, dict):
            errors.append(f"{where}: must be a mapping with name, ingress and egress")
            continue
        unknown = sorted(set(group) - {"name", "description", "allow_public", "ingress", "egress"})
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        name = group.get("name")
        if not isinstance(name, str) or not _KEY_RE.match(name):
            errors.append(
                f"{where}.name: {name!r} must be 1-31 lowercase letters, digits or hyphens, starting with a letter"
            )
            continue
        if name in seen:
            errors.append(f"{where}.name: {name} is defined twice (first at {where_groups}[{seen[name]}])")
            continue
        seen[name] = index
        _description(group.get("description"), f"{where}.description", errors)
        public = group.get("allow_public") is True
        for direction in ("ingress", "egress"):
            rules = group.get(direction)
            if rules is None:
                rules = []
            if not isinstance(rules, list):
                errors.append(f"{where}.{direction}: must be a list of rules")
                continue
            if direction == "egress" and name in NO_EGRESS_GROUPS and rules:
                errors.append(
                    f"{where}.egress: the {name} group takes no egress rules (a data store never opens "
                    "connections; seeds 000 and 001: 'Outbound: None')"
                )
                continue
            keys = {}
            for rule_index, rule in enumerate(rules):
                rule_where = f"{where}.{direction}[{rule_index}]"
                kind = _validate_rule(rule, rule_where, name, names, errors)
                if kind is None:
                    continue
                if (
                    direction == "ingress"
                    and kind in ("cidr", "ipv6_cidr")
                    and str(rule[kind]) in ANYWHERE
                    and not public
                ):
                    errors.append(
                        f"{rule_where}.{kind}: {rule[kind]} opens the {name} group to the internet; only a group with "
                        f"allow_public: true (the load balancer) takes ingress from anywhere. Set {where}.allow_public: "
                        "true if that is really meant"
                    )
                try:
                    key = rule_key(name, rule)
                except SpecError:
                    continue
                if key in keys:
                    errors.append(f"{rule_where}: the same rule as {where}.{direction}[{keys[key]}]")
                keys.setdefault(key, rule_index)


def validate_keys(keys, prefix, errors):
    where_keys = f"{prefix}kms_keys"
    purposes = []
    if not isinstance(keys, list):
        errors.append(f"{where_keys}: must be a list of keys")
        return purposes
    for index, key in enumerate(keys):
        where = f"{where_keys}[{index}]"
        if not isinstance(key, dict):
            errors.append(f"{where}: must be a mapping with purpose (and services, via_services)")
            continue
        unknown = sorted(set(key) - {"purpose", "description", "services", "via_services", "rotation"})
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        purpose = key.get("purpose")
        if not isinstance(purpose, str) or not _KEY_RE.match(purpose):
            errors.append(
                f"{where}.purpose: {purpose!r} must be 1-31 lowercase letters, digits or hyphens, starting with a letter"
            )
            continue
        if purpose in purposes:
            errors.append(f"{where}.purpose: {purpose} is defined twice")
            continue
        purposes.append(purpose)
        for field in ("services", "via_services"):
            for service_index, service in enumerate(key.get(field) or []):
                if not isinstance(service, str) or not _SERVICE_RE.match(service):
                    errors.append(
                        f"{where}.{field}[{service_index}]: {service!r} is not a service name (logs, rds, s3)"
                    )
                elif service.endswith(".amazonaws.com"):
                    errors.append(
                        f"{where}.{field}[{service_index}]: give the service name ({service.split('.')[0]}), not {service}"
                    )
        if key.get("rotation") is False:
            errors.append(
                f"{where}.rotation: automatic rotation stays on for customer managed keys in this platform "
                "(seed 003: 'Automatic rotation of encryption keys'); remove the setting"
            )
    return purposes


def _kms_reference(value, where, purposes, errors, prefix):
    """A key given as a purpose of ``kms_keys``, a key or alias ARN, or empty (the AWS managed key)."""
    if value in (None, ""):
        return
    if isinstance(value, str) and value.startswith("arn:"):
        if not _KMS_ARN_RE.match(value):
            errors.append(f"{where}: {value!r} is not a KMS key or alias ARN")
        return
    if value not in purposes:
        errors.append(
            f"{where}: key purpose {value!r} is not defined in {prefix}kms_keys ({', '.join(purposes) or 'none'}); "
            "add it there, give a key ARN, or leave it empty for the AWS managed key"
        )


def validate_secrets(secrets, secrets_prefix, purposes, prefix, errors, default_key=None):
    where_secrets = f"{prefix}secrets"
    _kms_reference(default_key, f"{prefix}secrets_kms_key", purposes, errors, prefix)
    if secrets_prefix is not None and (
        not isinstance(secrets_prefix, str) or not _SECRET_NAME_RE.match(secrets_prefix)
    ):
        errors.append(f"{prefix}secrets_prefix: {secrets_prefix!r} may hold only letters, digits and /_+=.@-")
        secrets_prefix = ""
    if not isinstance(secrets, list):
        errors.append(f"{where_secrets}: must be a list of secrets")
        return
    keys, names = {}, {}
    for index, secret in enumerate(secrets):
        where = f"{where_secrets}[{index}]"
        if not isinstance(secret, dict):
            errors.append(f"{where}: must be a mapping with key and source")
            continue
        allowed = {
            "key",
            "name",
            "description",
            "source",
            "value",
            "length",
            "charset",
            "exclude_characters",
            "username",
            "kms_key",
            "rotation_days",
            "rotation_lambda_arn",
        }
        unknown = sorted(set(secret) - allowed)
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        key = secret.get("key")
        if not isinstance(key, str) or not _SECRET_KEY_RE.match(key):
            errors.append(
                f"{where}.key: {key!r} must be lowercase letters, digits or underscores, starting with a letter"
            )
            continue
        if key in keys:
            errors.append(f"{where}.key: {key} is defined twice (first at {where_secrets}[{keys[key]}])")
        keys.setdefault(key, index)
        name = secret.get("name")
        if name is not None and (not isinstance(name, str) or not name or not _SECRET_NAME_RE.match(name)):
            errors.append(f"{where}.name: {name!r} may hold only letters, digits and /_+=.@-")
        else:
            full = secret_name(secrets_prefix or "", secret)
            if len(full) > 512:
                errors.append(f"{where}.name: {full} is longer than the 512 characters Secrets Manager allows")
            if full in names:
                errors.append(f"{where}.name: {full} is the name of {where_secrets}[{names[full]}] too")
            names.setdefault(full, index)
        source = secret.get("source") or "generate"
        if source not in SECRET_SOURCES:
            errors.append(f"{where}.source: {source!r} is not one of {', '.join(SECRET_SOURCES)}")
            continue
        has_value = secret.get("value") not in (None, "")
        if source == "value" and not has_value:
            errors.append(f"{where}.value: source is value, so a value is needed (keep it in a vaulted variable)")
        if source != "value" and has_value:
            errors.append(
                f"{where}.value: a value is given but source is {source}; set source: value to manage it from the inventory"
            )
        if has_value and not isinstance(secret["value"], str):
            errors.append(f"{where}.value: must be a string (the value is not shown)")
        for field in ("length", "charset", "exclude_characters", "username"):
            if source != "generate" and secret.get(field) not in (None, ""):
                errors.append(f"{where}.{field}: only for generated secrets (source is {source})")
        if source == "generate":
            length = secret.get("length", 32)
            if length is None:
                length = 32
            if (
                isinstance(length, bool)
                or not isinstance(length, int)
                or not MIN_SECRET_LENGTH <= length <= MAX_SECRET_LENGTH
            ):
                errors.append(
                    f"{where}.length: {length!r} must be a whole number from {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH}"
                )
            charset = secret.get("charset") or "alphanumeric"
            if charset not in CHARSETS:
                errors.append(f"{where}.charset: {charset!r} is not one of {', '.join(CHARSETS)}")
            else:
                left = set(CHARSETS[charset]) - set(str(secret.get("exclude_characters") or ""))
                if len(left) < 10:
                    errors.append(
                        f"{where}.exclude_characters: leaves {len(left)} characters of {charset} to choose from (at least 10 needed)"
                    )
        if secret.get("kms_key") is not None:
            _kms_reference(secret["kms_key"], f"{where}.kms_key", purposes, errors, prefix)
        days, arn = secret.get("rotation_days"), secret.get("rotation_lambda_arn")
        if days not in (None, "", 0):
            if (
                isinstance(days, bool)
                or not isinstance(days, int)
                or not MIN_ROTATION_DAYS <= days <= MAX_ROTATION_DAYS
            ):
                errors.append(f"{where}.rotation_days: {days!r} must be {MIN_ROTATION_DAYS}-{MAX_ROTATION_DAYS} (days)")
            if arn in (None, ""):
                errors.append(
                    f"{where}.rotation_days: a rotation schedule needs the rotation function: set {where}.rotation_lambda_arn"
                )
            if source == "value":
                errors.append(
                    f"{where}.rotation_days: a secret whose value comes from the inventory cannot rotate (the next "
                    "converge would put the old value back); use source: generate or external"
                )
        elif arn not in (None, ""):
            errors.append(f"{where}.rotation_lambda_arn: given without {where}.rotation_days (how often to rotate)")
        if arn not in (None, "") and not _LAMBDA_ARN_RE.match(str(arn)):
            errors.append(
                f"{where}.rotation_lambda_arn: {arn!r} is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
            )


def validate_waf(spec, purposes, prefix, errors):
    def var(name):
        return f"{prefix}{name}"

    groups = spec.get("waf_managed_rule_groups")
    if groups is None:
        groups = list(DEFAULT_MANAGED_RULE_GROUPS)
    if not isinstance(groups, list):
        errors.append(f"{var('waf_managed_rule_groups')}: must be a list of AWS managed rule group names")
        groups = []
    for index, group in enumerate(groups):
        if group not in MANAGED_RULE_GROUPS:
            errors.append(
                f"{var('waf_managed_rule_groups')}[{index}]: {group!r} is not an AWS managed rule group this platform "
                f"supports ({', '.join(MANAGED_RULE_GROUPS)})"
            )
    if len(set(groups)) != len(groups):
        errors.append(f"{var('waf_managed_rule_groups')}: a rule group is listed twice")
    limit = spec.get("waf_rate_limit", 2000)
    if limit not in (None, 0):
        if isinstance(limit, bool) or not isinstance(limit, int) or not MIN_RATE_LIMIT <= limit <= MAX_RATE_LIMIT:
            errors.append(
                f"{var('waf_rate_limit')}: {limit!r} requests per window per IP is outside what AWS WAF accepts "
                f"({MIN_RATE_LIMIT} to {MAX_RATE_LIMIT:,}); 0 turns the rate rule off"
            )
    window = spec.get("waf_rate_window_seconds", 300)
    if window not in RATE_WINDOWS:
        errors.append(
            f"{var('waf_rate_window_seconds')}: {window!r} must be one of {', '.join(map(str, RATE_WINDOWS))}"
        )
    allow, block = spec.get("waf_geo_allow") or [], spec.get("waf_geo_block") or []
    for field, codes in (("waf_geo_allow", allow), ("waf_geo_block", block)):
        if not isinstance(codes, list):
            errors.append(f"{var(field)}: must be a list of country codes")
            continue
        for index, code in enumerate(codes):
            if code not in COUNTRY_CODES:
                hint = COUNTRY_HINTS.get(str(code).upper())
                errors.append(
                    f"{var(field)}[{index}]: {code!r} is not an ISO 3166-1 alpha-2 country code WAF accepts"
                    + (f" ({hint})" if hint else " (two capital letters, e.g. US, CA, GB)")
                )
        if len(set(codes)) != len(codes):
            errors.append(f"{var(field)}: a country is listed twice")
    if allow and block:
        errors.append(f"{var('waf_geo_allow')}: give an allow list or a block list ({var('waf_geo_block')}), not both")
    if spec.get("waf_default_action", "allow") not in ("allow", "block"):
        errors.append(f"{var('waf_default_action')}: {spec.get('waf_default_action')!r} must be allow or block")
    if spec.get("waf_logging", True):
        retention = spec.get("waf_log_retention_days", 90)
        if retention not in LOG_RETENTION_DAYS:
            errors.append(
                f"{var('waf_log_retention_days')}: {retention!r} is not a retention CloudWatch Logs accepts "
                f"({', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
            )
        _kms_reference(spec.get("waf_log_kms_key"), var("waf_log_kms_key"), purposes, errors, prefix)


def validate(spec, region=None, prefix=""):
    """Every rule the security spec breaks, as a list of messages (empty when valid).

    ``spec`` has the module's option names (name, groups, kms_keys, secrets, secrets_prefix, waf, waf_*).
    A section set to None is not managed and not checked. ``prefix`` is prepended to names in messages: the
    role passes ``security_`` so users read the variable they set.
    """
    errors = []
    name = spec.get("name")
    if name is not None and not _NAME_RE.match(str(name)):
        errors.append(
            f"{prefix}name: {name!r} must be 2-40 lowercase letters, digits or hyphens, starting with a letter "
            "(it prefixes every resource name)"
        )
    if region is not None and not re.match(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", str(region)):
        errors.append(f"platform_region: {region!r} is not an AWS region name (e.g. us-east-1)")
    if spec.get("groups") is not None:
        validate_groups(spec["groups"], prefix, errors)
    purposes = []
    if spec.get("kms_keys") is not None:
        purposes = validate_keys(spec["kms_keys"], prefix, errors)
    if spec.get("secrets") is not None:
        validate_secrets(
            spec["secrets"], spec.get("secrets_prefix"), purposes, prefix, errors, spec.get("secrets_kms_key")
        )
    if spec.get("waf"):
        validate_waf(spec, purposes, prefix, errors)
    errors.extend(reserved_tag_errors(spec.get("tags"), f"{prefix}tags"))
    return errors


# -- derivations the reconcilers use -----------------------------------------------------------------------------------


def key_policy(key, account, region, partition="aws"):
    """The key policy of one purpose: the account administers the key (IAM decides who), the listed service
    principals use it (CloudWatch Logs with the encryption-context condition AWS documents), and principals of
    the account use it through the listed services (kms:ViaService, as AWS managed keys do)."""
    root = f"arn:{partition}:iam::{account}:root"
    statements = [
        {
            "Sid": "EnableAccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for service in sorted(set(key.get("services") or [])):
        sid = "Allow" + "".join(part.capitalize() for part in re.split(r"[.-]", service))
        if service == "logs":
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html (step 2)
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": LOGS_ACTIONS,
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"
                        }
                    },
                }
            )
        else:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": f"{service}.amazonaws.com"},
                    "Action": SERVICE_ACTIONS,
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            )
    via = sorted(set(key.get("via_services") or []))
    if via:
        statements.append(
            {
                "Sid": "AllowUseThroughServices",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": VIA_SERVICE_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in via],
                    }
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def describe_policy(policy):
    """One line per statement for diffs: ``AllowLogs: Service logs.us-east-1.amazonaws.com may kms:Decrypt*, ... if {...}``."""
    if not isinstance(policy, dict):
        return policy
    lines = []
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal", {})
        if isinstance(principal, dict):
            principal = "; ".join(f"{kind} {value}" for kind, value in sorted(principal.items()))
        actions = statement.get("Action", [])
        actions = ", ".join(actions) if isinstance(actions, list) else actions
        line = f"{statement.get('Sid', '-')}: {statement.get('Effect')} {principal} {actions}"
        if statement.get("Condition"):
            line += " if " + json.dumps(statement["Condition"], sort_keys=True)
        lines.append(line)
    return lines


def waf_rules(spec, metric_prefix):
    """The web ACL's rules, in priority order: the rate limit, the geo rule, then the managed rule groups."""

    def visibility(metric):
        return {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": f"{metric_prefix}-{metric}",
        }

    rules = []
    limit = spec.get("waf_rate_limit", 2000)
    if limit:
        rules.append(
            {
                "Name": "rate-limit",
                "Priority": 0,
                "Action": {"Block": {}},
                "Statement": {
                    "RateBasedStatement": {
                        "Limit": limit,
                        "EvaluationWindowSec": spec.get("waf_rate_window_seconds", 300),
                        "AggregateKeyType": "IP",
                    }
                },
                "VisibilityConfig": visibility("rate-limit"),
            }
        )
    allow, block = spec.get("waf_geo_allow") or [], spec.get("waf_geo_block") or []
    if allow:
        rules.append(
            {
                "Name": "geo-allow",
                "Priority": 1,
                "Action": {"Block": {}},
                "Statement": {"NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": sorted(allow)}}}},
                "VisibilityConfig": visibility("geo-allow"),
            }
        )
    elif block:
        rules.append(
            {
                "Name": "geo-block",
                "Priority": 1,
                "Action": {"Block": {}},
                "Statement": {"GeoMatchStatement": {"CountryCodes": sorted(block)}},
                "VisibilityConfig": visibility("geo-block"),
            }
        )
    groups = spec.get("waf_managed_rule_groups")
    if groups is None:
        groups = list(DEFAULT_MANAGED_RULE_GROUPS)
    for index, group in enumerate(groups):
        rules.append(
            {
                "Name": group,
                "Priority": 10 + index,
                "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
                "VisibilityConfig": visibility(group),
            }
        )
    return rules


def describe_waf_rule(rule):
    """One line per rule for diffs: ``rate-limit: block over 2000 per 300 s per IP``."""
    statement = rule.get("Statement", {})
    if "RateBasedStatement" in statement:
        rate = statement["RateBasedStatement"]
        return (
            f"{rule['Name']}: block over {rate.get('Limit')} requests per {rate.get('EvaluationWindowSec', 300)} s "
            f"per {rate.get('AggregateKeyType', 'IP')}"
        )
    if "NotStatement" in statement:
        codes = statement["NotStatement"].get("Statement", {}).get("GeoMatchStatement", {}).get("CountryCodes", [])
        return f"{rule['Name']}: block all but {', '.join(codes)}"
    if "GeoMatchStatement" in statement:
        return f"{rule['Name']}: block {', '.join(statement['GeoMatchStatement'].get('CountryCodes', []))}"
    if "ManagedRuleGroupStatement" in statement:
        group = statement["ManagedRuleGroupStatement"]
        return f"{rule['Name']}: managed rule group {group.get('VendorName')}/{group.get('Name')}"
    return f"{rule.get('Name')}: (not managed by this collection)"
