#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: backup_platform
short_description: Converge an environment's AWS Backup vault, plans, selections and copies in one run
version_added: 0.2.0
description:
  - Converges the backups of one regional deployment - an AWS Backup vault encrypted with the backups KMS key
    (locked in compliance or governance mode with O(vault_lock)), a vault in O(copy_region) that every rule
    copies to, backup plans (C(<name>-<plan>)) with their rules' schedules, retention, cold storage and
    continuous backup (point-in-time restore), a selection per plan assigning the resources that carry the
    platform's tags, the IAM role AWS Backup uses (C(<name>-backup)), and a restore testing plan.
  - Plans whose rules differ are updated in place; selections, which AWS cannot change, are replaced. Plans
    named C(<name>-*) that left the spec are deleted with their selections. Vaults are never deleted.
  - The spec is validated before any API call; every message names the option. Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the vault, plans and role, usually C(<platform>-<environment>).
    type: str
    required: true
  vault_name:
    description: The vault's name. Defaults to O(name).
    type: str
  kms_key_id:
    description: KMS key (ARN or alias) encrypting the vault (the security tier's C(backups) key). AWS cannot change it later.
    type: str
  vault_lock:
    description:
      - Lock the vault - C(mode) (C(compliance) or C(governance)), C(min_retention_days), C(max_retention_days) and,
        in compliance mode, C(changeable_for_days) (at least 3) after which nobody can change or remove the lock.
    type: dict
  copy_region:
    description: Region of the vault every rule copies its recovery points to (disaster recovery). Not the module's region.
    type: str
  copy_vault_name:
    description: Name of that vault. Defaults to O(vault_name).
    type: str
  copy_kms_key_id:
    description: KMS key (ARN or alias, in O(copy_region)) encrypting the copy vault when it is created.
    type: str
  plans:
    description:
      - Backup plans, each C(name), C(rules) and optional C(selection_tags) (the tags of the resources it protects;
        C(stackops:platform) and C(stackops:environment) of this environment by default).
      - Each rule - C(name), C(schedule) (C(cron(...)) in UTC), C(start_window_minutes) (60), C(completion_window_minutes)
        (180), C(delete_after_days), C(cold_storage_after_days), C(continuous) (point-in-time restore, kept at most 35
        days), C(copy) (copy to O(copy_region), true), C(copy_delete_after_days), C(copy_cold_storage_after_days).
    type: list
    elements: dict
    required: true
  role_name:
    description: The IAM role AWS Backup assumes. Defaults to C(<name>-backup).
    type: str
  restore_testing:
    description: A restore testing plan - C(schedule) (cron), C(start_window_hours) (24), C(selection_window_days) (7).
    type: dict
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 000's backups (daily 35 d, weekly 60 d, monthly 1 y), copied to us-west-2
  stackops.platform.backup_platform:
    name: bank-prod
    platform: bank
    environment: prod
    kms_key_id: alias/bank-prod-backups
    copy_region: us-west-2
    copy_kms_key_id: alias/bank-prod-backups
    vault_lock: {mode: compliance, min_retention_days: 7, max_retention_days: 400, changeable_for_days: 3}
    plans:
      - name: standard
        rules:
          - {name: daily, schedule: "cron(0 3 * * ? *)", delete_after_days: 35}
          - {name: weekly, schedule: "cron(0 4 ? * SUN *)", delete_after_days: 60}
          - {name: monthly, schedule: "cron(0 5 1 * ? *)", delete_after_days: 365, copy: false}
    restore_testing: {schedule: "cron(0 6 1 * ? *)"}
"""

RETURN = r"""
backups:
  description: What the tier made (the C(backups) fact).
  returned: always
  type: dict
  contains:
    vault_name: {description: The vault's name., type: str}
    vault_arn: {description: Its ARN., type: str}
    copy_vault_arn: {description: "The DR vault's ARN, or null.", type: str}
    role_arn: {description: The IAM role AWS Backup uses., type: str}
    plans: {description: Plan id by plan name (null in check mode before creation)., type: dict}
    restore_testing_plan: {description: "The restore testing plan's name, or null.", type: str}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._backups.reconcile import BackupsReconciler
from ansible_collections.stackops.platform.plugins.module_utils._backups.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        vault_name=dict(type="str"),
        kms_key_id=dict(type="str", no_log=False),
        vault_lock=dict(type="dict"),
        copy_region=dict(type="str"),
        copy_vault_name=dict(type="str"),
        copy_kms_key_id=dict(type="str", no_log=False),
        plans=dict(type="list", elements="dict", required=True),
        role_name=dict(type="str"),
        restore_testing=dict(type="dict"),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        services = {"sts": "sts", "iam": "iam", "backup": "backup", "kms": "kms"}
        if module.params["copy_region"]:
            services.update(
                backup_copy=("backup", module.params["copy_region"]), kms_copy=("kms", module.params["copy_region"])
            )
        return BackupsReconciler(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(
        module,
        make,
        "backups",
        "backups",
        validate=lambda params, region: validate(params, region, prefix=params["variable_prefix"]),
    )


if __name__ == "__main__":
    main()
