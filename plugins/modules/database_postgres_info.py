#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: database_postgres_info
short_description: Find the database tier of an environment by its tags
version_added: 0.1.0
description:
  - Reads the RDS instances and Aurora clusters tagged C(stackops:platform), C(stackops:environment) and
    C(stackops:component=database) in one region (one DescribeDBInstances and one DescribeDBClusters call) and
    returns them in the shape M(stackops.platform.database_postgres) returns, for status pages and runbooks.
author:
  - stackops platform engineers (@stackops)
options: {}
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the prod database
  stackops.platform.database_postgres_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found
"""

RETURN = r"""
exists:
  description: Whether any instance or cluster of the tier was found.
  returned: always
  type: bool
database:
  description: The primary (or DR replica, or cluster) with endpoint, port, ARN, master secret, parameter group, replicas and pending changes.
  returned: always
  type: dict
instances:
  description: "Every instance of the tier by identifier: role, class, status, AZ, Multi-AZ, storage, endpoint, pending changes."
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._database import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, None, "database tier")


if __name__ == "__main__":
    main()
