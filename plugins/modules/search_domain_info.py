#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: search_domain_info
short_description: Find an environment's OpenSearch domain and return its endpoint
version_added: 0.1.0
description:
  - Reads the domain that M(stackops.platform.search_domain) manages, checks that it carries the tags
    C(stackops:platform), C(stackops:environment) and C(stackops:component=search), and returns the same
    RV(search) structure. Read calls only; the master password is never read.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The domain name. Defaults to C(<platform>-<environment>-search).
    type: str
  master_user_secret_name:
    description: The master password's secret. Defaults to C(<environment>/<platform>/search/master-user).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod search domain
  stackops.platform.search_domain_info:
    platform: brandmon
    environment: prod
    region: us-east-1
  register: found
"""

RETURN = r"""
exists:
  description: Whether the domain exists and carries the environment's tags.
  returned: always
  type: bool
search:
  description: As M(stackops.platform.search_domain) returns it.
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._search import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(
        state, "search", "search domain", name=dict(type="str"), master_user_secret_name=dict(type="str", no_log=False)
    )


if __name__ == "__main__":
    main()
