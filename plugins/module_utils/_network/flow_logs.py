# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPC flow logs to CloudWatch Logs: the log group, the delivery role and the flow log itself."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import ReconcileError
from ..platform import client_token
from ..platform import partition_for
from ..platform import tag_changes
from ..platform import tag_specifications
from . import state as st


class FlowLogs:
    def __init__(self, owner):
        self.o = owner

    def _ours(self):
        return [f for f in self.o.state.flow_logs if st.is_managed(f, self.o.identity)]

    def before(self, sym):
        flow_log = next(iter(self._ours()), None)
        if not flow_log:
            return {"flow_logs": None}
        return {
            "flow_logs": {
                "traffic_type": flow_log["TrafficType"],
                "retention_days": (self.o.state.log_group or {}).get("retentionInDays"),
                "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
            }
        }

    def converge(self):
        o = self.o
        want = o.desired["flow_logs"]
        managed = self._ours()
        if not want:
            for flow_log in managed:
                self._delete_later(flow_log["FlowLogId"], "")
            if o.state.role:
                o.defer(f"delete IAM role {o.names.flow_log_role}", self._delete_role)
            return
        role_arn = self._role()
        self._log_group(want)
        desired = {
            "LogGroupName": o.names.flow_log_group,
            "TrafficType": want["traffic_type"],
            "MaxAggregationInterval": want["max_aggregation_interval"],
            "DeliverLogsPermissionArn": role_arn,
        }
        tags = o.tags(f"{o.names.base}-flow-logs")
        matching = [f for f in managed if all(f.get(k) == v for k, v in desired.items())]
        for flow_log in managed:
            if flow_log not in matching[:1]:
                # Flow logs cannot be modified: a changed one is replaced (the new one is created first).
                self._delete_later(flow_log["FlowLogId"], " (replaced)")
        if matching:
            o.ensure_ec2_tags(matching[0]["FlowLogId"], "flow log", st.tags_of(matching[0]), tags)
            return
        if o.changes.add(f"create flow log ({want['traffic_type']}) to {o.names.flow_log_group}"):
            result = o.ec2.create_flow_logs(
                ResourceIds=[o.state.vpc_id],
                ResourceType="VPC",
                LogDestinationType="cloud-watch-logs",
                ClientToken=client_token(),
                TagSpecifications=tag_specifications("vpc-flow-log", tags),
                **desired,
                aws_retry=True,
            )
            if result.get("Unsuccessful"):
                raise ReconcileError(f"flow log creation failed: {result['Unsuccessful']}")

    def teardown(self):
        o = self.o
        state = o.state
        for flow_log in self._ours():
            self._delete_later(flow_log["FlowLogId"], "")
        if state.role and o.managed_tags(st.tags_of(state.role)):
            o.defer(f"delete IAM role {o.names.flow_log_role}", self._delete_role, stage=1)
        if state.log_group and o.managed_tags(state.log_group_tags):
            group_name = o.names.flow_log_group
            o.defer(
                f"delete log group {group_name}",
                lambda: o.logs.delete_log_group(logGroupName=group_name, aws_retry=True),
                stage=1,
            )

    def _delete_later(self, flow_log_id, why):
        ec2 = self.o.ec2
        self.o.defer(
            f"delete flow log {flow_log_id}{why}",
            lambda: ec2.delete_flow_logs(FlowLogIds=[flow_log_id], aws_retry=True),
        )

    def _policies(self):
        o = self.o
        partition = partition_for(o.region)
        account = o.state.account_id or "*"
        group_arn = f"arn:{partition}:logs:{o.region}:{account}:log-group:{o.names.flow_log_group}"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{o.region}:{account}:vpc-flow-log/*"},
                    },
                }
            ],
        }
        permissions = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                    ],
                    "Resource": [group_arn, f"{group_arn}:*"],
                }
            ],
        }
        return trust, permissions

    def _role(self):
        o = self.o
        role = o.state.role
        name = o.names.flow_log_role
        trust, permissions = self._policies()
        tags = o.tags(name)
        if role is None:
            if not o.changes.add(f"create IAM role {name} for flow log delivery"):
                return None
            role = o.iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description=f"VPC flow logs of {o.names.base} in {o.region} to CloudWatch Logs",
                Tags=ansible_dict_to_boto3_tag_list(tags),
                aws_retry=True,
            )["Role"]
        else:
            current_trust = role.get("AssumeRolePolicyDocument")
            if isinstance(current_trust, str):
                current_trust = json.loads(current_trust)
            if canonical(current_trust) != canonical(trust) and o.changes.add(f"IAM role {name}: update trust policy"):
                o.iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust), aws_retry=True)
            to_set, to_unset = tag_changes(st.tags_of(role), tags, o.p["purge_tags"])
            if to_set and o.changes.add(f"tag IAM role {name}: set {', '.join(sorted(to_set))}"):
                o.iam.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)
            if to_unset and o.changes.add(f"tag IAM role {name}: remove {', '.join(sorted(to_unset))}"):
                o.iam.untag_role(RoleName=name, TagKeys=to_unset, aws_retry=True)
        if canonical(o.state.role_policy) != canonical(permissions) and o.changes.add(
            f"IAM role {name}: set policy {o.names.flow_log_policy}"
        ):
            o.iam.put_role_policy(
                RoleName=name,
                PolicyName=o.names.flow_log_policy,
                PolicyDocument=json.dumps(permissions),
                aws_retry=True,
            )
        return role["Arn"]

    def _delete_role(self):
        o = self.o
        name = o.names.flow_log_role
        if o.state.role_policy is not None:
            o.iam.delete_role_policy(RoleName=name, PolicyName=o.names.flow_log_policy, aws_retry=True)
        o.iam.delete_role(RoleName=name, aws_retry=True)

    def _log_group(self, want):
        o = self.o
        group = o.state.log_group
        name = o.names.flow_log_group
        tags = o.tags()
        kms = o.p.get("flow_logs_kms_key_arn")
        if group is None:
            if not o.changes.add(f"create log group {name} (retention {want['retention_days']} days)"):
                return
            params = {"logGroupName": name, "tags": tags}
            if kms:
                params["kmsKeyId"] = kms
            o.logs.create_log_group(**params, aws_retry=True)
            o.logs.put_retention_policy(logGroupName=name, retentionInDays=want["retention_days"], aws_retry=True)
            return
        if group.get("retentionInDays") != want["retention_days"] and o.changes.add(
            f"log group {name}: retention {group.get('retentionInDays')} → {want['retention_days']} days"
        ):
            o.logs.put_retention_policy(logGroupName=name, retentionInDays=want["retention_days"], aws_retry=True)
        if kms and group.get("kmsKeyId") != kms and o.changes.add(f"log group {name}: encrypt with {kms}"):
            o.logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)
        arn = group["arn"].removesuffix(":*")
        to_set, to_unset = tag_changes(o.state.log_group_tags, tags, o.p["purge_tags"])
        if to_set and o.changes.add(f"tag log group {name}: set {', '.join(sorted(to_set))}"):
            o.logs.tag_resource(resourceArn=arn, tags=to_set, aws_retry=True)
        if to_unset and o.changes.add(f"tag log group {name}: remove {', '.join(sorted(to_unset))}"):
            o.logs.untag_resource(resourceArn=arn, tagKeys=to_unset, aws_retry=True)


def canonical(document):
    """A policy document in a comparable form: JSON with sorted keys, single statements as lists."""
    if document is None:
        return None

    def normal(value):
        if isinstance(value, dict):
            return {k: normal(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [normal(v) for v in value]
            return items[0] if len(items) == 1 else sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
        return value

    return json.dumps(normal(document), sort_keys=True)
