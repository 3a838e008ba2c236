#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticache_failover
short_description: Test the failover of one ElastiCache shard (TestFailover), wait for the new primary and verify it
version_added: 0.2.0
description:
  - Calls TestFailover on one node group (shard) of a replication group, so that one of its replicas becomes the
    primary, and waits until the shard has a new primary and ElastiCache reports the old primary's recovery finished
    (the "Finished recovery for cache nodes" event AWS documents as the end of the test). Returns the old and new
    primary nodes, their AZs and the events.
  - AWS's limits are checked before the call, each with what to do - at most O(daily_limit) shards (AWS allows 15)
    tested per rolling 24 hours in the region; one test at a time per replication group; automatic failover
    enabled; a replica in the shard; the group available.
  - Idempotent by intent. With O(expected_primary), a shard whose primary is already another node reports ok and
    does nothing, and a test in progress is waited for. Without it, the replication group carries the intent while
    the test runs (tags C(stackops:failover-from), C(stackops:failover-state)), so a rerun after an interrupted
    run waits for the test it started instead of starting another; a test that started less than O(wait_timeout)
    seconds ago and is done counts as the rerun's own (state O(expected_primary) to test again).
  - Check mode makes no write call; the preflight checks run.
author:
  - stackops platform engineers (@stackops)
options:
  replication_group_id:
    description: The replication group.
    type: str
    required: true
  node_group_id:
    description: The shard (node group) whose primary moves; C(0001) for a group with cluster mode disabled.
    type: str
    default: "0001"
  expected_primary:
    description: The cache node (cluster id) expected to be the shard's primary now.
    type: str
  daily_limit:
    description: How many shards may be tested per rolling 24 hours in the region (AWS's limit is 15).
    type: int
    default: 15
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - AWS designs TestFailover for testing the application's behaviour during a failover, not as an operational tool;
    in large-scale events AWS may block it.
"""

EXAMPLES = r"""
- name: Move the cache's primary to a replica (seed 002's quarterly failover test)
  stackops.platform.elasticache_failover:
    replication_group_id: brandmon-prod-cache
    expected_primary: brandmon-prod-cache-001
    wait_timeout: 900
  register: cache_moved
"""

RETURN = r"""
cache_failover:
  description: What happened (or would happen, in check mode).
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: The replication group.
      type: str
    node_group_id:
      description: The shard.
      type: str
    old_primary:
      description: The primary node before.
      type: str
    new_primary:
      description: The primary node after.
      type: str
    old_az:
      description: The old primary's AZ.
      type: str
    new_az:
      description: The new primary's AZ.
      type: str
    primary_endpoint:
      description: The shard's primary endpoint (cluster mode disabled; it keeps its name) or the configuration endpoint.
      type: str
    failed_over:
      description: Whether this run started the test failover.
      type: bool
    already_done:
      description: Whether the primary had moved before this run.
      type: bool
    tests_last_24h:
      description: Test failovers in the region in the last 24 hours, before this one.
      type: int
    aws_seconds:
      description: Seconds from the call until ElastiCache reported the recovery finished.
      type: float
    events:
      description: The events of the group and its nodes since the test began (at, source, message).
      type: list
      elements: dict
  sample:
    replication_group_id: demo-local-cache
    node_group_id: "0001"
    old_primary: demo-local-cache-001
    new_primary: demo-local-cache-002
    old_az: us-east-1a
    new_az: us-east-1b
    failed_over: true
changes:
  description: What changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
phases:
  description: The procedure's timeline (phase, start, end, duration_s, outcome).
  returned: always
  type: list
  elements: dict
duration_s:
  description: How long the procedure took, in seconds.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._failover.elasticache import CacheFailover
from ansible_collections.stackops.platform.plugins.module_utils._failover.spec import cache_errors
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    return dict(
        replication_group_id=dict(type="str", required=True),
        node_group_id=dict(type="str", default="0001"),
        expected_primary=dict(type="str"),
        daily_limit=dict(type="int", default=15),
        **WAIT_ARGUMENT_SPEC,
    )


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_reconciler(
        module,
        lambda region: CacheFailover(
            module.params, clients(module, {"elasticache": "elasticache"}), region, module.check_mode
        ),
        f"ElastiCache test failover of {module.params['replication_group_id']}",
        "cache_failover",
        validate=lambda params, region: cache_errors(params),
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
