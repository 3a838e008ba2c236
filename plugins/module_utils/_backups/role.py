# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM role AWS Backup assumes to back up and restore, with the two AWS managed policies attached."""

from __future__ import annotations

import json

from . import spec as sp
from . import state as st

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class BackupRole:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        o.role = st.read_role(o.clients["iam"], o.role_name)

    def converge(self):
        o = self.o
        iam = o.clients["iam"]
        policies = [
            sp.BACKUP_POLICY.format(partition=o.partition),
            sp.RESTORE_POLICY.format(partition=o.partition),
        ]
        o.role_arn = f"arn:{o.partition}:iam::{o.account}:role/{o.role_name}"
        attached = []
        if o.role is None:
            if o.changes.add(f"create IAM role {o.role_name} (assumed by AWS Backup)"):
                try:
                    o.role_arn = iam.create_role(
                        RoleName=o.role_name,
                        AssumeRolePolicyDocument=json.dumps(TRUST),
                        Description="AWS Backup backs up and restores the platform's resources with this role",
                        Tags=[{"Key": k, "Value": v} for k, v in o.tags(o.role_name).items()],
                        aws_retry=True,
                    )["Role"]["Arn"]
                except iam.exceptions.EntityAlreadyExistsException:
                    pass  # made by an earlier attempt whose response was lost, or by the other region's run
        else:
            o.role_arn = o.role["Arn"]
            attached = o.role["attached"]
        for policy in policies:
            if policy not in attached and o.changes.add(f"attach {policy.rsplit('/', 1)[-1]} to {o.role_name}"):
                iam.attach_role_policy(RoleName=o.role_name, PolicyArn=policy, aws_retry=True)
