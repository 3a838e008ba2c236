# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tasks' IAM roles (execution: pull, logs, the services' secrets; task: what the application may call)
and the services' log groups."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from .. import iam_policies
from ..platform import create_log_group
from ..platform import create_role
from ..platform import sync_tags
from .spec import EXECUTION_POLICY_ARN
from .spec import TASK_INLINE_POLICY
from .spec import assume_role_policy
from .spec import execution_role_policy
from .spec import secret_key_of

EXECUTION_INLINE_POLICY = "read-service-secrets"


class Roles:
    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        iam = o.c["iam"]
        trust = assume_role_policy(o.account, o.region, o.partition)
        secrets = sorted(
            {
                v if str(v).startswith("arn:") else o.secret_arns.get(secret_key_of(v), v)
                for s in o.services
                for v in s["secrets"].values()
            }
        )
        secrets = [arn for arn in secrets if str(arn).startswith("arn:")]
        wanted = {
            o.names.execution_role: (
                [EXECUTION_POLICY_ARN.format(partition=o.partition)],
                {EXECUTION_INLINE_POLICY: execution_role_policy(secrets, o.kms_keys if secrets else [])},
                "ECS task execution: pull images, write logs, read the services' secrets",
            ),
            o.names.task_role: (
                [],
                {
                    TASK_INLINE_POLICY: (
                        {"Version": "2012-10-17", "Statement": o.p["task_role_policy_statements"]}
                        if o.p.get("task_role_policy_statements")
                        else None
                    )
                },
                "ECS tasks: what the application may call",
            ),
        }
        for name, (managed, inline, description) in wanted.items():
            role = o.roles.get(name)
            tags = o.tags(name)
            if role is None:
                if o.changes.add(f"create IAM role {name}"):
                    create_role(
                        iam,
                        dict(
                            RoleName=name,
                            AssumeRolePolicyDocument=json.dumps(trust),
                            Description=description,
                            Tags=ansible_dict_to_boto3_tag_list(tags),
                        ),
                        o.warnings,
                    )
                role = {"trust": trust, "attached": [], "inline": {}, "tagMap": tags}
            elif role["trust"] != trust and o.changes.add(
                f"IAM role {name}: set the trust policy (ECS tasks of this account)"
            ):
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust), aws_retry=True)
            for arn in managed:
                if arn not in role["attached"] and o.changes.add(f"IAM role {name}: attach {arn.rsplit('/', 1)[-1]}"):
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
            for policy_name, document in inline.items():
                current = role["inline"].get(policy_name)
                if document is None:
                    if current is not None and o.changes.add(
                        f"IAM role {name}: remove the inline policy {policy_name}"
                    ):
                        iam.delete_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)
                elif current != document and o.changes.add(f"IAM role {name}: set the inline policy {policy_name}"):
                    iam.put_role_policy(
                        RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document), aws_retry=True
                    )
            if name == o.names.task_role:
                iam_policies.converge(
                    iam,
                    o.changes,
                    name,
                    o.p.get("task_role_policies") or [],
                    {k: v for k, v in role["inline"].items() if k != TASK_INLINE_POLICY},
                    role["attached"],
                    o.partition,
                    o.account,
                    tags,
                )
            if role is o.roles.get(name):  # one just created has its tags
                sync_tags(o.changes, iam, "iam_role", name, f"IAM role {name}", role.get("tagMap"), tags, o.purge_tags)


class LogGroups:
    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        logs = o.c["logs"]
        retention = o.p.get("log_retention_days") or 90
        kms = o.p.get("log_kms_key_arn")
        for service in o.services:
            name = o.names.log_group(service["name"])
            group = o.log_groups.get(name)
            if group is None:
                if o.changes.add(f"create log group {name} (retention {retention} days)"):
                    params = {"logGroupName": name, "tags": o.tags(name)}
                    if kms:
                        params["kmsKeyId"] = kms
                    create_log_group(logs, params, o.warnings)
                    logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
                continue
            if group.get("retentionInDays") != retention and o.changes.add(
                f"log group {name}: retention {retention} days"
            ):
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
            if kms and group.get("kmsKeyId") != kms and o.changes.add(f"log group {name}: encrypt with {kms}"):
                logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)
