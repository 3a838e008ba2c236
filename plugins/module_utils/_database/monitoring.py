# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM role RDS enhanced monitoring uses: the one given, or one made and kept here."""

from __future__ import annotations

import json

from ..platform import create_role
from ..platform import partition_for
from . import state as st


class MonitoringRole:
    """Makes the role when it is missing and attaches AWS's monitoring policy to it."""

    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        if not o.p["monitoring_interval"]:
            return None
        if o.p.get("monitoring_role_arn"):
            return o.p["monitoring_role_arn"]
        name = o.names.monitoring_role
        policy = st.MONITORING_POLICY.format(partition=partition_for(o.region))
        role = o.state.role
        if role is None:
            if o.changes.add(f"create IAM role {name} (RDS enhanced monitoring)"):
                o.new_role = True
                role = create_role(
                    o.iam,
                    dict(
                        RoleName=name,
                        AssumeRolePolicyDocument=json.dumps(st.MONITORING_TRUST),
                        Description="RDS enhanced monitoring (stackops)",
                        Tags=[{"Key": k, "Value": v} for k, v in o.tags("monitoring", name).items()],
                    ),
                    o.warnings,
                )["Role"]
            o.state.role_policies = []
        if policy not in o.state.role_policies:
            if o.changes.add(f"attach AmazonRDSEnhancedMonitoringRole to IAM role {name}"):
                o.iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        return role["Arn"] if role else None
