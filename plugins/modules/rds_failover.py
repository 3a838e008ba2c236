#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_failover
short_description: Fail over a Multi-AZ RDS instance or an Aurora cluster, or promote a read replica, and verify it
version_added: 0.2.0
description:
  - B(failover) of an RDS instance (O(db_instance_identifier)) reboots it with C(ForceFailover) after checking that
    Multi-AZ is on and the instance is available, then waits until it is available with its primary in the other
    Availability Zone. Returns the old and new AZ, the endpoint (unchanged, a DNS name that now points at the new
    primary) and the measured time.
  - B(failover) of an Aurora cluster (O(db_cluster_identifier)) fails over to O(target_instance) or, without it, to
    the best reader (lowest promotion tier, then one outside the writer's AZ), and waits until that reader writes.
  - B(promote) turns the read replica O(db_instance_identifier) into a standalone instance (in the module's region;
    for a cross-region replica, the DR region) and waits until it is available and no longer a replica.
  - Idempotent by intent. With O(expected_primary_az) (or O(expected_writer)), a primary that is already elsewhere
    means the failover happened, so the module reports ok and does nothing. Without them, the target carries the
    intent while a failover runs (tags C(stackops:failover-from), C(stackops:failover-state), C(stackops:failover-at)),
    so a rerun after an interrupted run waits for the failover it started instead of starting a second one; a
    failover that started less than O(wait_timeout) seconds ago and is done counts as the rerun's own (state
    O(expected_primary_az) to fail over again). A standalone instance is already promoted; one being promoted is
    waited for.
  - Check mode makes no write call and returns what would happen (the preflight checks run).
author:
  - stackops platform engineers (@stackops)
options:
  action:
    description: What to do.
    type: str
    choices: [failover, promote]
    default: failover
  db_instance_identifier:
    description: The RDS instance to fail over (Multi-AZ), or the read replica to promote.
    type: str
  db_cluster_identifier:
    description: The Aurora cluster to fail over (O(action=failover) only).
    type: str
  target_instance:
    description: For an Aurora cluster, the reader to make the writer (default the best reader).
    type: str
  expected_primary_az:
    description:
      - For an instance, the AZ its primary is expected to be in now. When it is already in another AZ the
        failover is considered done and nothing happens.
    type: str
  expected_writer:
    description: For an Aurora cluster, the writer expected now. When another instance writes, nothing happens.
    type: str
  backup_retention_days:
    description: For O(action=promote), the automated backup retention of the promoted instance (default the replica's, at least 1).
    type: int
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Force a Multi-AZ failover of the prod database (seed 002's "reboot --force-failover, verify")
  stackops.platform.rds_failover:
    db_instance_identifier: moneytrack-prod-db
    expected_primary_az: us-east-1a
    wait_timeout: 1200
  register: moved

- name: Fail the Aurora cluster over to its best reader
  stackops.platform.rds_failover:
    db_cluster_identifier: eloquent-prod-db

- name: Promote the cross-region replica in the DR region
  stackops.platform.rds_failover:
    action: promote
    db_instance_identifier: moneytrack-prod-db-dr
    region: us-west-2
    backup_retention_days: 30
"""

RETURN = r"""
failover:
  description: What happened (or would happen, in check mode).
  returned: always
  type: dict
  contains:
    action:
      description: failover or promote.
      type: str
    kind:
      description: multi_az, aurora or read_replica.
      type: str
    old_az:
      description: The primary's (or the writer's) AZ before.
      type: str
    new_az:
      description: The primary's (or the writer's) AZ after.
      type: str
    old_writer:
      description: Aurora, the writer before.
      type: str
    new_writer:
      description: Aurora, the writer after.
      type: str
    source:
      description: For a promotion, the instance it replicated (an ARN for a cross-region replica).
      type: str
    endpoint:
      description: The endpoint address (the instance's, or the cluster's writer endpoint).
      type: str
    failed_over:
      description: Whether this run started a failover (for a promotion, C(promoted) says whether it promoted).
      type: bool
    already_done:
      description: Whether the failover or promotion had happened before this run.
      type: bool
    aws_seconds:
      description: Seconds from the call until AWS reported it done (the wait).
      type: float
    events:
      description: RDS events about the target since the failover began (at, message).
      type: list
      elements: dict
  sample:
    action: failover
    kind: multi_az
    db_instance_identifier: demo-local-db
    old_az: us-east-1a
    new_az: us-east-1b
    endpoint: demo-local-db.abc.us-east-1.rds.amazonaws.com
    failed_over: true
    already_done: false
    aws_seconds: 41.2
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

from ansible_collections.stackops.platform.plugins.module_utils._failover.rds import RdsFailover
from ansible_collections.stackops.platform.plugins.module_utils._failover.spec import rds_errors
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    return dict(
        action=dict(type="str", choices=["failover", "promote"], default="failover"),
        db_instance_identifier=dict(type="str"),
        db_cluster_identifier=dict(type="str"),
        target_instance=dict(type="str"),
        expected_primary_az=dict(type="str"),
        expected_writer=dict(type="str"),
        backup_retention_days=dict(type="int"),
        **WAIT_ARGUMENT_SPEC,
    )


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    target = module.params.get("db_cluster_identifier") or module.params.get("db_instance_identifier")
    run_reconciler(
        module,
        lambda region: RdsFailover(module.params, clients(module, {"rds": "rds"}), region, module.check_mode),
        f"RDS {module.params['action']} of {target}",
        "failover",
        validate=lambda params, region: rds_errors(params),
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
