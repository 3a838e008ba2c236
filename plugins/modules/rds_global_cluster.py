#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_global_cluster
short_description: Switch over or fail over an Aurora global database to another region, and wait until it writes there
version_added: 0.2.0
description:
  - B(switchover) (both regions healthy; no data lost) calls SwitchoverGlobalCluster after checking that the
    primary and the target cluster are C(available). B(failover) (the primary region is gone) calls
    FailoverGlobalCluster with C(AllowDataLoss) and reads nothing in the primary's region. Both wait (bounded by
    O(wait_timeout)) until the global database is C(available) again, its C(FailoverState) empty and the target
    the writer, then check the target cluster is C(available). B(status) only reads.
  - Idempotent by intent, so a rerun after an interruption never moves the writer twice - a target that already
    writes is reported ok (not changed), an operation towards it still in progress is waited for, and with
    O(expected_writer) the module refuses to act when the writer is neither that cluster nor the target.
  - Call it in the target's region (the primary's may be gone). Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  global_cluster:
    description: The global database's identifier (the database tier names it C(<name>-db-global)).
    type: str
    required: true
  action:
    description: What to do.
    type: str
    choices: [switchover, failover, status]
    required: true
  target_cluster:
    description: The secondary cluster that becomes the writer (its ARN, or its identifier).
    type: str
  expected_writer:
    description: The cluster the caller expects to move away from (ARN or identifier).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The primary region is gone - fail over to the DR region
  stackops.platform.rds_global_cluster:
    region: us-west-2
    global_cluster: eloquent-prod-db-global
    action: failover
    target_cluster: eloquent-prod-db-dr
    expected_writer: eloquent-prod-db
"""

RETURN = r"""
global_cluster:
  description: The global database after the procedure.
  returned: always
  type: dict
  contains:
    identifier: {description: "Its identifier.", type: str}
    arn: {description: "Its ARN.", type: str}
    status: {description: "Its status.", type: str}
    action: {description: "The action.", type: str}
    outcome: {description: "moved, moved (was in progress), already the writer, planned (check mode) or unchanged (status).", type: str}
    previous_writer: {description: "The writer cluster's ARN before.", type: str}
    writer: {description: "The writer cluster's ARN now.", type: str}
    target: {description: "The target cluster's ARN.", type: str}
    data_loss_allowed: {description: "True for a failover.", type: bool}
    endpoint: {description: "The target cluster's (writer) endpoint.", type: str}
    members: {description: "Each member's ARN and whether it writes.", type: list, elements: dict}
changes:
  description: What changed (in check mode, what would change).
  returned: always
  type: list
  elements: str
phases:
  description: The procedure's timeline (phase, start, end, duration_s, outcome).
  returned: always
  type: list
  elements: dict
duration_s:
  description: The whole procedure's duration in seconds.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._restore.global_cluster import GlobalClusterProcedure
from ansible_collections.stackops.platform.plugins.module_utils._restore.global_cluster import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    argument_spec = dict(
        global_cluster=dict(type="str", required=True),
        action=dict(type="str", choices=["switchover", "failover", "status"], required=True),
        target_cluster=dict(type="str"),
        expected_writer=dict(type="str"),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    def make(region):
        found = clients(module, {"rds": "rds"})
        cache = {region: found["rds"]}

        def cluster_client(where):
            where = where or region
            if where not in cache:
                cache[where] = clients(module, {"rds": ("rds", where)})["rds"]
            return cache[where]

        return GlobalClusterProcedure(
            module.params, {"rds": found["rds"], "cluster": cluster_client}, module.check_mode
        )

    run_reconciler(
        module,
        make,
        f"{module.params['action']} of {module.params['global_cluster']}",
        "global_cluster",
        validate=validate,
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
