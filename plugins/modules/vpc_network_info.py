#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: vpc_network_info
short_description: Find an environment's network by its tags and return its IDs
version_added: 0.1.0
description:
  - Reads the network that M(stackops.platform.vpc_network) manages, by the tags C(stackops:platform),
    C(stackops:environment) and C(stackops:component=network), and returns the same RV(network) structure.
  - Makes read calls only. Tier playbooks and runbooks use it so they never need the network converged
    in the same run.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the network's resources. Defaults to C(<platform>-<environment>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod network
  stackops.platform.vpc_network_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Fail when there is none
  ansible.builtin.assert:
    that: found.exists
    fail_msg: converge the network first (playbooks/network.yml)
"""

RETURN = r"""
exists:
  description: Whether a VPC with the tags exists.
  returned: always
  type: bool
network:
  description: As M(stackops.platform.vpc_network) returns it (subnet ids by tier and AZ, route tables, NAT gateways, ...).
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._network import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, "network", "network", name=dict(type="str"))


if __name__ == "__main__":
    main()
