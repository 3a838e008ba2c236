#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: security_baseline
short_description: Converge a whole security tier (security groups, KMS keys, secrets, WAF) in one run
version_added: 0.1.0
description:
  - Reconciles the security tier of one environment in one region with one read per resource type where AWS
    has a batched read, then the writes. Four sections, each managed only when given
    (O(groups), O(kms_keys), O(secrets), O(waf)).
  - B(Security groups) in the network's VPC. Rules name other groups of the spec by name; rules not in the
    spec are revoked (including the allow-all egress AWS puts on a new group); C(--diff) shows the rules of
    every group before and after.
  - B(KMS keys), one customer managed key per purpose with the alias C(alias/<name>-<purpose>), automatic
    rotation on, and a key policy letting the account administer the key, the listed service principals use
    it (CloudWatch Logs with the C(kms:EncryptionContext:aws:logs:arn) condition AWS documents), and the
    account's principals use it through the listed services (C(kms:ViaService)). A key is found by its alias,
    or by its tags when the alias is missing; a purpose never gets a second key; a key pending deletion or
    disabled stops the run with a message saying how to recover it.
  - B(Secrets Manager) secrets named C(<secrets_prefix><name>), encrypted with a key of O(kms_keys).
    C(generate) secrets get a random value once and are never overwritten; C(value) secrets are kept equal to
    the inventory's (vaulted) value; C(external) secrets are created empty for someone else to fill. A
    rotation schedule is set where a rotation function is given. Values never appear in the result, the
    diff or the change list.
  - B(WAF), a C(REGIONAL) web ACL for the load balancer and, with O(waf_cloudfront), a C(CLOUDFRONT) one in
    us-east-1, with a rate-based rule, an optional geo allow or block list, AWS managed rule groups, and
    logging to CloudWatch Logs. Associating the ACL with a load balancer is the cluster tier's job.
  - Resources are found by the tags C(stackops:platform), C(stackops:environment) and
    C(stackops:component=security). The spec is validated before any API call; errors name the option.
  - Check mode makes no write call and lists what would change, also when the network does not exist yet.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of every resource, conventionally C(<platform>-<environment>).
    type: str
    required: true
  vpc_id:
    description:
      - The VPC of the security groups. By default the VPC of the network tier, found by its tags
        (C(stackops:component=network)).
    type: str
  groups:
    description:
      - The security groups, by name (C(alb), C(app), C(database), C(cache), C(search), C(bastion) are the ones
        later tiers look up). The AWS name is C(<name>-<group name>).
      - Ingress from C(0.0.0.0/0) or C(::/0) needs O(groups[].allow_public). C(database) and C(cache) take no
        egress rules.
      - Omit to leave security groups alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: The group's name in the spec.
        type: str
        required: true
      description:
        description: The group's description (AWS cannot change it after creation).
        type: str
      allow_public:
        description: Allow ingress from anywhere (C(0.0.0.0/0), C(::/0)); the load balancer's group only.
        type: bool
        default: false
      ingress:
        description: Inbound rules.
        type: list
        elements: dict
        default: []
        suboptions:
          protocol:
            description: C(tcp) (default), C(udp), C(icmp) or C(all).
            type: str
            choices: [tcp, udp, icmp, all]
          ports:
            description: A port (C(443)) or a range (C(1024-65535)); for C(tcp) and C(udp) only.
            type: raw
          group:
            description: Another group of the spec by name, or C(self).
            type: str
          group_id:
            description: A security group outside the spec, by id.
            type: str
          cidr:
            description: An IPv4 CIDR block.
            type: str
          ipv6_cidr:
            description: An IPv6 CIDR block.
            type: str
          prefix_list_id:
            description: A managed prefix list id.
            type: str
          description:
            description: The rule's description.
            type: str
      egress:
        description: Outbound rules (same keys as O(groups[].ingress)). An empty list means no egress at all.
        type: list
        elements: dict
        default: []
        suboptions:
          protocol:
            description: C(tcp) (default), C(udp), C(icmp) or C(all).
            type: str
            choices: [tcp, udp, icmp, all]
          ports:
            description: A port (C(443)) or a range (C(1024-65535)); for C(tcp) and C(udp) only.
            type: raw
          group:
            description: Another group of the spec by name, or C(self).
            type: str
          group_id:
            description: A security group outside the spec, by id.
            type: str
          cidr:
            description: An IPv4 CIDR block.
            type: str
          ipv6_cidr:
            description: An IPv6 CIDR block.
            type: str
          prefix_list_id:
            description: A managed prefix list id.
            type: str
          description:
            description: The rule's description.
            type: str
  purge_groups:
    description: Delete groups tagged as this tier's that are not in O(groups). Off by default (they are reported).
    type: bool
    default: false
  kms_keys:
    description: Customer managed keys, one per purpose. Omit to leave keys alone.
    type: list
    elements: dict
    suboptions:
      purpose:
        description: The purpose (C(data), C(logs), C(secrets), C(backups), ...); the alias is C(alias/<name>-<purpose>).
        type: str
        required: true
      description:
        description: The key's description.
        type: str
      services:
        description:
          - Service principals that use the key themselves, by short name. C(logs) becomes
            C(logs.<region>.amazonaws.com) with the encryption-context condition; others become
            C(<service>.amazonaws.com) with C(aws:SourceAccount).
        type: list
        elements: str
        default: []
      via_services:
        description: Services through which the account's principals use the key (C(rds), C(elasticache), C(s3), C(secretsmanager), ...).
        type: list
        elements: str
        default: []
      rotation:
        description: Automatic rotation. Always on; C(false) is refused.
        type: bool
        default: true
  secrets_prefix:
    description: Prefix of every secret's name. Defaults to C(<environment>/<platform>/) (seed 001's naming).
    type: str
  secrets_kms_key:
    description:
      - The key of secrets that do not name one, as a purpose of O(kms_keys) or a key ARN. Empty for the AWS
        managed key C(aws/secretsmanager).
    type: str
  secrets:
    description: The environment's secrets. Omit to leave secrets alone.
    type: list
    elements: dict
    suboptions:
      key:
        description: The secret's key in the C(security_secrets) fact (C(jwt_secret)).
        type: str
        required: true
      name:
        description: The name after O(secrets_prefix). Defaults to the key with C(-) for C(_).
        type: str
      description:
        description: The secret's description.
        type: str
      source:
        description:
          - C(generate) (default), a random value made once and never overwritten; C(value), the O(secrets[].value)
            given (from a vaulted variable), updated when it changes; C(external), created without a value for
            someone else to set, and never touched.
        type: str
        choices: [generate, value, external]
      value:
        description: The value, for C(source=value). Never logged or returned.
        type: str
      length:
        description: Length of a generated value, 16 to 4096. Default 32.
        type: int
      charset:
        description: Characters of a generated value. C(alphanumeric) (default), C(hex), or C(ascii) (printable, without space and C(/@"'\)).
        type: str
        choices: [alphanumeric, hex, ascii]
      exclude_characters:
        description: Characters a generated value never holds.
        type: str
      username:
        description: Make the generated value a JSON document C({"username", "password"}) (what RDS rotation functions read).
        type: str
      kms_key:
        description: The key, as a purpose of O(kms_keys) or an ARN; empty for C(aws/secretsmanager). Defaults to O(secrets_kms_key).
        type: str
      rotation_days:
        description: Rotate every this many days (1-1000). Needs O(secrets[].rotation_lambda_arn).
        type: int
      rotation_lambda_arn:
        description: The rotation function. The first rotation happens on the schedule, not at once.
        type: str
  purge_secrets:
    description: Delete secrets tagged as this tier's that are not in O(secrets) (recoverable for O(secrets_recovery_window_days)).
    type: bool
    default: false
  secrets_recovery_window_days:
    description: Recovery window of secrets that O(purge_secrets) deletes.
    type: int
    default: 30
  waf:
    description: Manage the WAF web ACL(s). Off leaves WAF alone.
    type: bool
    default: false
  waf_managed_rule_groups:
    description:
      - AWS managed rule groups, in priority order.
      - Default C(AWSManagedRulesCommonRuleSet), C(AWSManagedRulesKnownBadInputsRuleSet), C(AWSManagedRulesSQLiRuleSet).
    type: list
    elements: str
  waf_rate_limit:
    description: Requests per O(waf_rate_window_seconds) per IP before the rate rule blocks; 10 to 2,000,000,000 (AWS WAF's range); 0 for no rate rule.
    type: int
    default: 2000
  waf_rate_window_seconds:
    description: The rate rule's evaluation window.
    type: int
    default: 300
    choices: [60, 120, 300, 600]
  waf_geo_allow:
    description: Block every country but these (ISO 3166-1 alpha-2 codes).
    type: list
    elements: str
    default: []
  waf_geo_block:
    description: Block these countries (ISO 3166-1 alpha-2 codes). Not with O(waf_geo_allow).
    type: list
    elements: str
    default: []
  waf_default_action:
    description: What the web ACL does with requests no rule blocks.
    type: str
    default: allow
    choices: [allow, block]
  waf_logging:
    description: Log to the CloudWatch Logs group C(aws-waf-logs-<name>) (C(aws-waf-logs-<name>-cloudfront) in us-east-1).
    type: bool
    default: true
  waf_log_retention_days:
    description: Retention of the WAF log groups.
    type: int
    default: 90
  waf_log_kms_key:
    description: Key of the WAF log groups, as a purpose of O(kms_keys) or an ARN; empty for none. A key of another region than the log group's is not used.
    type: str
  waf_cloudfront:
    description: Also keep a C(CLOUDFRONT) web ACL (in us-east-1) for a CloudFront distribution. Off leaves one that exists alone.
    type: bool
    default: false
notes:
  - Tags that other systems add (C(aws:*), ...) are never purged.
  - Keys are never scheduled for deletion by this module, and groups and secrets only with O(purge_groups) and O(purge_secrets).
  - AWS cannot change a security group's description; a different description is reported as a warning.
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the prod security tier (seed 001)
  stackops.platform.security_baseline:
    name: moneytrack-prod
    platform: moneytrack
    environment: prod
    region: us-east-1
    groups: "{{ 3000 | stackops.platform.security_group_plan(app_self=true) }}"
    kms_keys:
      - {purpose: data, via_services: [rds, elasticache, s3]}
      - {purpose: logs, services: [logs]}
      - {purpose: secrets, via_services: [secretsmanager]}
      - {purpose: backups, via_services: [backup, rds, s3]}
    secrets_kms_key: secrets
    secrets:
      - {key: database_app_password, name: database/app-password, username: app}
      - {key: jwt_secret, length: 64}
      - {key: encryption_key, charset: hex, length: 64}
      - {key: openai_api_key, source: value, value: "{{ vault_openai_api_key }}"}
      - {key: plaid_secret, source: external}
    waf: true
    waf_rate_limit: 2000
    waf_geo_allow: [US, CA, GB]
    waf_log_kms_key: logs
  register: security

- name: Later tiers take ids from the result
  ansible.builtin.debug:
    msg: "{{ security.security.security_group_ids.database }}"
"""

RETURN = r"""
security:
  description:
    - The tier as later tiers read it (the facts the C(security) role sets). In check mode, resources not yet
      created have null ids.
  returned: always
  type: dict
  contains:
    security_group_ids: {description: Group ids by name., type: dict, sample: {alb: sg-0a1b2c3d, database: sg-1b2c3d4e}}
    security_kms_keys: {description: "Keys by purpose: arn, id, alias.", type: dict}
    security_secrets: {description: "Secrets by key: arn, name. Never values.", type: dict}
    security_waf_web_acl_arn: {description: The REGIONAL web ACL's ARN., type: str}
    security_waf_cloudfront_web_acl_arn: {description: The CLOUDFRONT web ACL's ARN (null when there is none)., type: str}
changes:
  description: What changed (in check mode, what would change), in order. Never secret values.
  returned: always
  type: list
  elements: str
  sample: ["create security group moneytrack-prod-alb", "create KMS key alias/moneytrack-prod-data (rotation on)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._security.reconcile import SecurityReconciler
from ansible_collections.stackops.platform.plugins.module_utils._security.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils._security.state import CLOUDFRONT_REGION
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler

RULE_OPTIONS = dict(
    protocol=dict(type="str", choices=["tcp", "udp", "icmp", "all"]),
    ports=dict(type="raw"),
    group=dict(type="str"),
    group_id=dict(type="str"),
    cidr=dict(type="str"),
    ipv6_cidr=dict(type="str"),
    prefix_list_id=dict(type="str"),
    description=dict(type="str"),
)


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        vpc_id=dict(type="str"),
        groups=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str"),
                allow_public=dict(type="bool", default=False),
                ingress=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
                egress=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
            ),
        ),
        purge_groups=dict(type="bool", default=False),
        kms_keys=dict(
            type="list",
            elements="dict",
            no_log=False,
            options=dict(
                purpose=dict(type="str", required=True),
                description=dict(type="str"),
                services=dict(type="list", elements="str", default=[]),
                via_services=dict(type="list", elements="str", default=[]),
                rotation=dict(type="bool", default=True),
            ),
        ),
        secrets_prefix=dict(type="str", no_log=False),
        secrets_kms_key=dict(type="str", no_log=False),
        secrets=dict(
            type="list",
            elements="dict",
            no_log=False,
            options=dict(
                key=dict(type="str", required=True, no_log=False),
                name=dict(type="str"),
                description=dict(type="str"),
                source=dict(type="str", choices=["generate", "value", "external"]),
                value=dict(type="str", no_log=True),
                length=dict(type="int"),
                charset=dict(type="str", choices=["alphanumeric", "hex", "ascii"]),
                exclude_characters=dict(type="str"),
                username=dict(type="str"),
                kms_key=dict(type="str", no_log=False),
                rotation_days=dict(type="int"),
                rotation_lambda_arn=dict(type="str"),
            ),
        ),
        purge_secrets=dict(type="bool", default=False),
        secrets_recovery_window_days=dict(type="int", default=30, no_log=False),
        waf=dict(type="bool", default=False),
        waf_managed_rule_groups=dict(type="list", elements="str"),
        waf_rate_limit=dict(type="int", default=2000),
        waf_rate_window_seconds=dict(type="int", default=300, choices=[60, 120, 300, 600]),
        waf_geo_allow=dict(type="list", elements="str", default=[]),
        waf_geo_block=dict(type="list", elements="str", default=[]),
        waf_default_action=dict(type="str", default="allow", choices=["allow", "block"]),
        waf_logging=dict(type="bool", default=True),
        waf_log_retention_days=dict(type="int", default=90),
        waf_log_kms_key=dict(type="str", no_log=False),
        waf_cloudfront=dict(type="bool", default=False),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
    )
    # amazon.aws.tags documents no default for tags: without them, a resource's user tags are left alone.
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        services = {service: service for service in ("sts", "ec2", "kms", "secretsmanager", "wafv2", "logs")}
        services.update(wafv2_cloudfront=("wafv2", CLOUDFRONT_REGION), logs_cloudfront=("logs", CLOUDFRONT_REGION))
        return SecurityReconciler(module.params, region, platform_clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        "security",
        "security",
        validate=lambda params, region: validate(params, region, prefix=params["variable_prefix"]),
    )


if __name__ == "__main__":
    main()
