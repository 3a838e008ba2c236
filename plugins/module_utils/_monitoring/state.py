# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reads of the monitoring tier: one paged describe per resource type."""

from __future__ import annotations

from ..platform import not_found
from ..platform import paginate

COMPONENT = "monitoring"
PENDING = "PendingConfirmation"


def read_account(sts):
    return sts.get_caller_identity()["Account"]


def read_topics(sns, names):
    """{name: {arn, attributes, subscriptions}} for the topics of ``names`` that exist (ListTopics, paged)."""
    found = {}
    for topic in paginate(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        name = arn.rsplit(":", 1)[-1]
        if name in names:
            found[name] = {"arn": arn}
    for topic in found.values():
        topic["attributes"] = sns.get_topic_attributes(TopicArn=topic["arn"], aws_retry=True)["Attributes"]
        topic["subscriptions"] = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic["arn"])
    return found


def read_alarms(cloudwatch, prefix):
    """Every metric alarm whose name starts with ``prefix`` (DescribeAlarms pages of 100)."""
    alarms, token = [], None
    while True:
        params = dict(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"], MaxRecords=100)
        if token:
            params["NextToken"] = token
        page = cloudwatch.describe_alarms(aws_retry=True, **params)
        alarms += page.get("MetricAlarms") or []
        token = page.get("NextToken")
        if not token:
            return {a["AlarmName"]: a for a in alarms}


def read_log_groups(logs, names):
    """{name: group} for the log groups of ``names`` (one DescribeLogGroups per group, by exact name)."""
    found = {}
    for name in names:
        for group in paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name):
            if group["logGroupName"] == name:
                found[name] = group
    return found


def read_metric_filters(logs, group_name):
    return {
        f["filterName"]: f for f in paginate(logs, "describe_metric_filters", "metricFilters", logGroupName=group_name)
    }


def read_dashboard(cloudwatch, name):
    found = not_found(
        lambda: cloudwatch.get_dashboard(DashboardName=name, aws_retry=True),
        "ResourceNotFound",
        "ResourceNotFoundException",
    )
    return found.get("DashboardBody") if found else None
