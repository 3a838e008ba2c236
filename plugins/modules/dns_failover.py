#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dns_failover
short_description: Make a Route 53 failover pair answer its SECONDARY (the DR region) and keep it there
version_added: 0.2.0
description:
  - Reads the failover pair the edge tier makes for O(record_name) (PRIMARY to the primary region's load balancer with
    a health check, SECONDARY to the DR region's), checks the PRIMARY's health check (GetHealthCheckStatus, how many
    Route 53 checkers see the primary region's endpoint healthy), then points the PRIMARY record at the SECONDARY's
    target without the health check, so that Route 53 answers the DR region whatever the primary region's endpoint
    does (after a region failover the primary region's database is stale). Waits until the change is C(INSYNC) and
    reads the pair back.
  - A pair already pointing at the DR region reports ok and changes nothing. Converging the edge tier again
    (C(playbooks/edge.yml)) puts the primary region back, which is the failback.
  - Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  zone:
    description: The public hosted zone (C(edge_zone)).
    type: str
    required: true
  record_name:
    description: The failover pair's name (C(edge_api_domain)).
    type: str
    required: true
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Answer api.example.com from the DR region
  stackops.platform.dns_failover:
    zone: example.com
    record_name: api.example.com
"""

RETURN = r"""
dns:
  description: The pair before and after.
  returned: always
  type: dict
  contains:
    record_name:
      description: The record's name.
      type: str
    primary_target:
      description: Where the PRIMARY record points (after the change).
      type: str
    secondary_target:
      description: Where the SECONDARY record points (the DR region's load balancer).
      type: str
    serving_before:
      description: Which region Route 53 answered before (primary, or secondary when the health check failed or the pair was pinned).
      type: str
    serving:
      description: Which region Route 53 answers now.
      type: str
    health_check:
      description: The PRIMARY's health check (id, endpoint, checkers_healthy, checkers, inverted, healthy).
      type: dict
    already_done:
      description: Whether the pair already answered the DR region.
      type: bool
changes:
  description: What changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
phases:
  description: The procedure's timeline.
  returned: always
  type: list
  elements: dict
duration_s:
  description: How long it took, in seconds.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._failover.dns import DnsFailover
from ansible_collections.stackops.platform.plugins.module_utils._failover.spec import dns_errors
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            zone=dict(type="str", required=True), record_name=dict(type="str", required=True), **WAIT_ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    run_reconciler(
        module,
        lambda region: DnsFailover(module.params, clients(module, {"route53": "route53"}), module.check_mode),
        f"DNS failover of {module.params['record_name']}",
        "dns",
        validate=lambda params, region: dns_errors(params),
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
