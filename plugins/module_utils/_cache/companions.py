# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the replication group needs beside it: its SNS topic, its slow-log group, its parameter group."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import create_log_group
from ..platform import create_once
from ..platform import not_found
from .spec import desired_parameters

PARAMETERS_PER_CALL = 20  # ModifyCacheParameterGroup takes at most 20


class Companions:
    def __init__(self, owner):
        self.o = owner

    def topic(self):
        o = self.o
        if not o.p["notifications"] or o.topic_arn:
            return
        if o.changes.add(f"create SNS topic {o.names.topic}"):
            tags = ansible_dict_to_boto3_tag_list(o.tags(o.names.topic))
            o.topic_arn = o.clients["sns"].create_topic(Name=o.names.topic, Tags=tags, aws_retry=True)["TopicArn"]

    def log_group(self):
        o = self.o
        if not o.p["slow_log"]:
            return
        logs = o.clients["logs"]
        name, retention = o.names.slow_log_group, o.p["slow_log_retention_days"]
        group = o.state.log_group
        if group is None:
            if o.changes.add(f"create log group {name} ({retention} days)"):
                create_log_group(logs, {"logGroupName": name, "tags": o.tags(name)}, o.warnings)
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
        elif group.get("retentionInDays") != retention:
            if o.changes.add(f"log group {name}: retention {group.get('retentionInDays')} to {retention} days"):
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)

    def parameter_group(self):
        o = self.o
        name = o.names.parameter_group
        desired = desired_parameters(o.p)
        current = o.state.parameters if o.state.parameter_group else {}
        if o.state.parameter_group is None:
            if o.changes.add(f"create parameter group {name} ({o.family})"):
                create_once(
                    lambda: o.ec.create_cache_parameter_group(
                        CacheParameterGroupName=name,
                        CacheParameterGroupFamily=o.family,
                        Description=f"{o.names.replication_group} ({o.family})",
                        Tags=ansible_dict_to_boto3_tag_list(o.tags(name)),
                    ),
                    lambda: not_found(
                        lambda: o.ec.describe_cache_parameter_groups(CacheParameterGroupName=name, aws_retry=True),
                        "CacheParameterGroupNotFound",
                    ),
                    f"parameter group {name}",
                    o.warnings,
                )
        changed = {k: v for k, v in desired.items() if current.get(k) != v}
        removed = sorted(k for k in current if k not in desired)
        if changed:
            shown = ", ".join(f"{k}={v}" for k, v in changed.items())
            if o.changes.add(f"parameter group {name}: set {shown}"):
                items = [{"ParameterName": k, "ParameterValue": v} for k, v in changed.items()]
                for start in range(0, len(items), PARAMETERS_PER_CALL):
                    o.ec.modify_cache_parameter_group(
                        CacheParameterGroupName=name,
                        ParameterNameValues=items[start : start + PARAMETERS_PER_CALL],
                        aws_retry=True,
                    )
        if removed and o.changes.add(f"parameter group {name}: reset {', '.join(removed)} to the defaults"):
            for start in range(0, len(removed), PARAMETERS_PER_CALL):
                o.ec.reset_cache_parameter_group(
                    CacheParameterGroupName=name,
                    ParameterNameValues=[{"ParameterName": k} for k in removed[start : start + PARAMETERS_PER_CALL]],
                    aws_retry=True,
                )
