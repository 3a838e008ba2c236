#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: service_diagnose_info
short_description: The last error lines, 5xx, p95 latency, database connections and cache evictions around a service
version_added: 0.2.0
description:
  - Read only. The last O(lines) log lines matching O(filter_pattern) in O(log_group) over the last O(minutes)
    (FilterLogEvents); the load balancer's target and ELB 5xx counts, request count and the target group's p95
    response time (from the first of O(target_group_arns)); the connections of the platform's RDS instances and the
    evictions of its ElastiCache nodes (found by the C(stackops:*) tags) - every metric in one GetMetricData call.
  - A metric with no data points in the window is returned as null.
author:
  - stackops platform engineers (@stackops)
options:
  log_group:
    description: The service's CloudWatch Logs group (the P(stackops.platform.service#lookup) lookup returns it).
    type: str
  filter_pattern:
    description: A CloudWatch Logs filter pattern.
    type: str
    default: ERROR
  lines:
    description: How many of the newest matching lines to return.
    type: int
    default: 20
  minutes:
    description: The window, ending now.
    type: int
    default: 15
  target_group_arns:
    description: The service's target groups (the lookup's C(target_group_arns)).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: What is wrong with api?
  stackops.platform.service_diagnose_info:
    platform: banking-llm
    environment: prod
    log_group: /aws/ecs/banking-llm-prod/api
    filter_pattern: '?ERROR ?Exception'
    target_group_arns: "{{ api.target_group_arns }}"
  register: diagnosis
"""

RETURN = r"""
diagnosis:
  description: What was found.
  returned: always
  type: dict
  contains:
    window:
      description: start, end (ISO 8601) and minutes.
      type: dict
    errors:
      description: log_group, filter_pattern, matched (count), lines (at, stream, message), oldest first.
      type: dict
    metrics:
      description: >-
        alb_target_5xx, alb_elb_5xx, alb_requests (sums), alb_p95_latency_s (the worst minute),
        db_connections.<instance> (maximum), cache_evictions.<node> (sum); null without data.
      type: dict
    resources:
      description: The load balancer, target group, databases and caches the metrics are about.
      type: dict
exists:
  description: Always true.
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._runbooks.diagnose import Diagnosis
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_info

SERVICES = {k: k for k in ("logs", "cloudwatch", "elbv2", "rds", "elasticache")}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            log_group=dict(type="str"),
            filter_pattern=dict(type="str", default="ERROR"),
            lines=dict(type="int", default=20),
            minutes=dict(type="int", default=15),
            target_group_arns=dict(type="list", elements="str", default=[]),
            **INFO_ARGUMENT_SPEC,
        ),
        supports_check_mode=True,
    )
    for name, low, high in (("lines", 1, 1000), ("minutes", 1, 1440)):
        if not low <= module.params[name] <= high:
            module.fail_json(msg=f"{name}: {module.params[name]} is out of range ({low} to {high})")
    run_info(
        module, lambda region: Diagnosis(module.params, clients(module, SERVICES)).read(), "diagnosis", "diagnosis"
    )


if __name__ == "__main__":
    main()
