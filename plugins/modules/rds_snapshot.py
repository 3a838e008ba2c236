#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_snapshot
short_description: Take a manual snapshot of an RDS instance, tagged with who and why, waited for and verified
version_added: 0.2.0
description:
  - Preflight (the instance exists and is C(available)), then CreateDBSnapshot, then a bounded wait until the
    snapshot is C(available), then a check that it is a snapshot of that instance with its engine version,
    storage size, encryption and KMS key. Returns the phases and the measured duration.
  - The snapshot is tagged with the identity tags, C(stackops:snapshot-reason) (O(reason)) and
    C(stackops:snapshot-by) (O(requested_by)). A rerun after an interruption finds the snapshot of the same
    reason still C(creating) and waits for it instead of taking a second one; with O(snapshot_identifier) an
    existing snapshot of that name is adopted.
  - Check mode makes no write call and says what would be snapshotted.
author:
  - stackops platform engineers (@stackops)
options:
  instance:
    description: The RDS instance identifier.
    type: str
    required: true
  snapshot_identifier:
    description: The snapshot's identifier; default C(<instance>-<UTC YYYYmmdd-HHMMSS>).
    type: str
  reason:
    description: Why the snapshot is taken (tag C(stackops:snapshot-reason)); a tag value.
    type: str
    required: true
  requested_by:
    description: Who asked for it (tag C(stackops:snapshot-by)).
    type: str
  tags:
    description: More tags for the snapshot.
    type: dict
    default: {}
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Snapshot before the release
  stackops.platform.rds_snapshot:
    platform: moneytrack
    environment: prod
    instance: moneytrack-prod-db
    reason: before release 1.4.3
    requested_by: alice
"""

RETURN = r"""
snapshot:
  description: The snapshot.
  returned: always
  type: dict
  contains:
    identifier: {description: "The snapshot identifier.", type: str}
    arn: {description: "Its ARN.", type: str}
    instance: {description: "The instance it is of.", type: str}
    status: {description: "C(available) once waited for.", type: str}
    created: {description: "When RDS took it (ISO 8601).", type: str}
    encrypted: {description: "Whether it is encrypted.", type: bool}
    kms_key_id: {description: "Its KMS key.", type: str}
    allocated_storage: {description: "Storage size in GiB.", type: int}
    engine_version: {description: "The engine version.", type: str}
    reason: {description: "Why it was taken.", type: str}
    requested_by: {description: "Who asked for it.", type: str}
    adopted: {description: "True when a snapshot of the same reason (or name) already existed and was waited for.", type: bool}
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

from ansible_collections.stackops.platform.plugins.module_utils._restore.snapshot import SnapshotProcedure
from ansible_collections.stackops.platform.plugins.module_utils._restore.snapshot import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    argument_spec = dict(
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
        instance=dict(type="str", required=True),
        snapshot_identifier=dict(type="str"),
        reason=dict(type="str", required=True),
        requested_by=dict(type="str"),
        tags=dict(type="dict", default={}),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_reconciler(
        module,
        lambda region: SnapshotProcedure(module.params, clients(module, {"rds": "rds"})["rds"], module.check_mode),
        f"snapshot of {module.params['instance']}",
        "snapshot",
        validate=validate,
        action=lambda procedure: procedure.run(),
    )


if __name__ == "__main__":
    main()
