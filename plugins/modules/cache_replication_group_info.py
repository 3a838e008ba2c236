#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cache_replication_group_info
short_description: Find an environment's cache (ElastiCache replication group) and return its endpoints
version_added: 0.1.0
description:
  - Reads the replication group that M(stackops.platform.cache_replication_group) manages, checks that it carries
    the tags C(stackops:platform), C(stackops:environment) and C(stackops:component=cache), and returns the same
    RV(cache) structure (endpoints, port, ARN, the AUTH token secret's ARN - never the token).
  - Makes read calls only. Tier playbooks, status reports and runbooks use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The replication group id. Defaults to C(<platform>-<environment>-cache).
    type: str
  auth_token_secret_name:
    description: The AUTH token's secret. Defaults to C(<environment>/<platform>/cache/auth-token).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod cache
  stackops.platform.cache_replication_group_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Show its endpoint
  ansible.builtin.debug:
    msg: "{{ found.cache.configuration_endpoint or found.cache.primary_endpoint }}:{{ found.cache.port }}"
"""

RETURN = r"""
exists:
  description: Whether the replication group exists and carries the environment's tags.
  returned: always
  type: bool
cache:
  description: As M(stackops.platform.cache_replication_group) returns it, plus the engine, version, node type and counts.
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._cache import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, "cache", "cache", name=dict(type="str"), auth_token_secret_name=dict(type="str", no_log=False))


if __name__ == "__main__":
    main()
