#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: security_info
short_description: Find an environment's security tier (groups, KMS keys, secrets, WAF ACLs) by its tags
version_added: 0.1.0
description:
  - Reads what M(stackops.platform.security_baseline) manages, by the tags C(stackops:platform),
    C(stackops:environment) and C(stackops:component=security), and returns the facts the C(security) role
    sets for later tiers, under the same names.
  - Security groups come from one C(DescribeSecurityGroups) by tags; KMS keys from their aliases
    C(alias/<name>-<purpose>) checked against their tags; secrets from one C(ListSecrets) by tags; the web ACLs
    by name in the region (C(REGIONAL)) and in us-east-1 (C(CLOUDFRONT)), checked against their tags.
  - Makes read calls only and never reads a secret's value. Tier playbooks run alone and runbooks use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the tier's resources. Defaults to C(<platform>-<environment>).
    type: str
  vpc_id:
    description: Look for security groups in this VPC only. By default, every group carrying the tags.
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod security tier
  stackops.platform.security_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: security

- name: Use the database group and the data key
  ansible.builtin.debug:
    msg: "{{ security.security_group_ids.database }} {{ security.security_kms_keys.data.arn }}"
"""

RETURN = r"""
exists:
  description: Whether any resource of the tier was found.
  returned: always
  type: bool
security_group_ids:
  description: Security group ids by group name (alb, app, database, cache, search, bastion; only those that exist).
  returned: always
  type: dict
  sample: {alb: sg-0a1b2c3d, app: sg-1b2c3d4e, database: sg-2c3d4e5f}
security_group_rules:
  description: How many ingress and egress rules each group has (for status reports).
  returned: always
  type: dict
  sample: {alb: {ingress: 2, egress: 1}, database: {ingress: 1, egress: 0}}
security_kms_keys:
  description: Customer managed keys by purpose, with C(arn), C(id) and C(alias). Keys pending deletion or disabled are left out.
  returned: always
  type: dict
  sample: {data: {arn: "arn:aws:kms:us-east-1:123456789012:key/0a1b...", id: "0a1b...", alias: alias/moneytrack-prod-data}}
security_secrets:
  description: Secrets by key, with C(arn) and C(name). Never their values.
  returned: always
  type: dict
  sample: {jwt_secret: {arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/moneytrack/jwt-secret-AbCdEf", name: prod/moneytrack/jwt-secret}}
security_waf_web_acl_arn:
  description: ARN of the REGIONAL web ACL (for the ALB), or null.
  returned: always
  type: str
security_waf_cloudfront_web_acl_arn:
  description: ARN of the CLOUDFRONT web ACL (in us-east-1), or null.
  returned: always
  type: str
"""

from ansible_collections.stackops.platform.plugins.module_utils._security import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, None, "security tier", name=dict(type="str"), vpc_id=dict(type="str"))


if __name__ == "__main__":
    main()
