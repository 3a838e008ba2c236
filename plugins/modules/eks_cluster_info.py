#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eks_cluster_info
short_description: Read an environment's EKS cluster, node groups, add-ons and OIDC provider
version_added: 0.1.0
description:
  - Reads the cluster that M(stackops.platform.eks_cluster) manages (named C(<platform>-<environment>) unless
    O(name) is given) and returns the same RV(cluster) structure, plus the node groups and add-ons as they are.
  - Makes read calls only. Runbooks and tier playbooks run alone use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name. Defaults to C(<platform>-<environment>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod cluster
  stackops.platform.eks_cluster_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Its endpoint
  ansible.builtin.debug:
    msg: "{{ found.cluster.endpoint }} (Kubernetes {{ found.cluster.version }})"
  when: found.exists
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: As M(stackops.platform.eks_cluster) returns it (name, arn, endpoint, version, oidc provider, node groups, role ARNs).
  returned: always
  type: dict
node_groups:
  description: Node groups by name (instance types, capacity type, sizes, labels, taints, version, status).
  returned: always
  type: dict
addons:
  description: Add-on versions by name.
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._eks import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, None, "EKS cluster", name=dict(type="str"))


if __name__ == "__main__":
    main()
