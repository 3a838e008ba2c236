#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_platform_info
short_description: Find an environment's ECS cluster, its services, load balancer and ECR repositories
version_added: 0.1.0
description:
  - Reads the ECS side of the cluster tier by its names (C(<name>), C(<name>-alb), C(<name>/...)) with read calls
    only, for C(playbooks/status.yml) and runbooks (deploy, scale, rollback).
  - Each service with its task definition, desired, running and pending counts, and its deployments (rollout state).
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name; default C(<platform>-<environment>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.info
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Where the API runs
  stackops.platform.ecs_platform_info:
    platform: banking-llm
    environment: prod
  register: found

- name: Its running count
  ansible.builtin.debug:
    msg: "{{ found.services.api.running }} of {{ found.services.api.desired }}"
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: The cluster (C(name), C(arn), C(status), C(capacity_providers), C(container_insights)), or null.
  returned: always
  type: dict
services:
  description:
    - By service name, C(arn), C(task_definition), C(desired), C(running), C(pending), C(status) and C(deployments)
      (each C(id), C(status), C(task_definition), C(rollout_state), C(running), C(desired)).
  returned: always
  type: dict
load_balancer:
  description: C(name), C(arn), C(dns_name), C(zone_id), C(target_groups) (ARN by service name), or null.
  returned: always
  type: dict
ecr_repositories:
  description: Repository URI by short name.
  returned: always
  type: dict
"""

from ansible_collections.stackops.platform.plugins.module_utils._ecs import state
from ansible_collections.stackops.platform.plugins.module_utils.platform import info_module


def main():
    info_module(state, None, "ECS cluster", name=dict(type="str"))


if __name__ == "__main__":
    main()
