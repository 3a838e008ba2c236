# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the monitoring tier in one pass: read everything, then write only what differs.

Order: SNS topics (alarms name them) and their subscriptions → log groups and metric filters → metric
alarms (one paged DescribeAlarms by the tier's prefix; PutMetricAlarm only for alarms that differ;
alarms of the prefix that left the spec are deleted last) → billing alarms in us-east-1 → the dashboard
(PutDashboard only when its body differs). In check mode nothing after the reads runs; topics not yet
created have ``None`` ARNs.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st


class MonitoringReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = dict(params)
        self.region = region
        self.clients = clients
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.name = params["name"]
        self.partition = partition_for(region)
        self.account = None
        self.topics = {}  # name -> current topic
        self.topic_arns = {}  # name -> ARN (None: created in check mode)
        self.billing_topic_arns = {}
        self.alarms = {}
        self.billing_alarms = {}
        self.log_groups = {}
        self.filters = {}
        self.dashboard = None
        self.desired = {}
        self.desired_billing = {}
        self.notes = []
        self.subscriptions = []
        self.before_snapshot = {}
        self._deferred = []

    @property
    def check_mode(self):
        return self.changes.check_mode

    def tags(self, name=None):
        return resource_tags(self.identity, self.p.get("tags"), name=name)

    def topic_name(self, topic):
        return f"{self.name}-{topic}"

    @property
    def billing_elsewhere(self):
        return bool(self.p.get("billing_thresholds")) and self.region != sp.BILLING_REGION

    def dashboard_name(self):
        return self.p.get("dashboard_name") or f"{self.name}-{self.region}"

    # -- read --------------------------------------------------------------------------------------------------------

    def read(self):
        self.account = st.read_account(self.clients["sts"])
        targets = dict(self.p.get("targets") or {})
        if targets.get("search"):
            targets["search"] = dict(targets["search"], account_id=self.account)
        self.p["targets"] = targets
        names = {self.topic_name(t["name"]) for t in self.p["topics"]}
        self.topics = st.read_topics(self.clients["sns"], names)
        self.log_groups = st.read_log_groups(self.clients["logs"], [g["name"] for g in self.p.get("log_groups") or []])
        self.filters = {name: st.read_metric_filters(self.clients["logs"], name) for name in self.log_groups}
        prefix = sp.alarm_prefix(self.name)
        self.alarms = st.read_alarms(self.clients["cloudwatch"], prefix)
        if self.billing_elsewhere:
            self.billing_alarms = st.read_alarms(self.clients["cloudwatch_billing"], prefix + "billing-")
            billing_topic = self.topic_name("billing")
            found = st.read_topics(self.clients["sns_billing"], {billing_topic})
            self.billing_topic_arns = {"_current": found.get(billing_topic)}
        if self.p.get("dashboard"):
            self.dashboard = st.read_dashboard(self.clients["cloudwatch"], self.dashboard_name())
        self.before_snapshot = {
            "topics": {n: self._topic_view(t) for n, t in sorted(self.topics.items())},
            "log_groups": {n: self._group_view(g, self.filters.get(n, {})) for n, g in sorted(self.log_groups.items())},
            "alarms": {n: sp.describe_alarm(a) for n, a in sorted({**self.alarms, **self.billing_alarms}.items())},
            "dashboard": _sections(self.dashboard),
        }

    @staticmethod
    def _topic_view(topic):
        return {
            "kms_key": topic["attributes"].get("KmsMasterKeyId"),
            "subscriptions": sorted(f"{s['Protocol']}:{s['Endpoint']}" for s in topic.get("subscriptions") or []),
        }

    @staticmethod
    def _group_view(group, filters):
        return {
            "retention_days": group.get("retentionInDays"),
            "kms_key": group.get("kmsKeyId"),
            "metric_filters": sorted(filters),
        }

    # -- converge ------------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.converge_topics()
        self.converge_log_groups()
        self.desired, self.desired_billing, self.notes = sp.desired_alarms(
            dict(self.p, _billing_topic_arns=self.billing_topic_arns or None), self.topic_arns, self.region
        )
        self.warnings += self.notes
        if not self.billing_elsewhere:
            self.desired.update(self.desired_billing)
        self.converge_alarms(self.clients["cloudwatch"], self.alarms, self.desired)
        if self.billing_elsewhere:
            self.converge_alarms(self.clients["cloudwatch_billing"], self.billing_alarms, self.desired_billing)
        if self.p.get("dashboard"):
            self.converge_dashboard()
        for sentence, action in self._deferred:
            if self.changes.add(sentence):
                action()

    def _topic_arn(self, name, region=None):
        return f"arn:{self.partition}:sns:{region or self.region}:{self.account}:{name}"

    def converge_topics(self):
        kms = self.p.get("kms_key_id")
        for topic in self.p["topics"]:
            name = self.topic_name(topic["name"])
            current = self.topics.get(name)
            arn = self._ensure_topic(self.clients["sns"], name, current, kms)
            self.topic_arns[topic["name"]] = arn
            self._subscriptions(self.clients["sns"], topic["name"], arn, current, topic.get("subscriptions") or [])
        if self.billing_elsewhere:
            # Alarm actions must be in the alarm's region: billing alarms notify a topic of their own in us-east-1.
            name = self.topic_name("billing")
            current = self.billing_topic_arns.get("_current")
            # The key of another region cannot encrypt this topic: SNS's AWS managed key there.
            arn = self._ensure_topic(self.clients["sns_billing"], name, current, "alias/aws/sns", sp.BILLING_REGION)
            subs = [s for t in self.p["topics"] if t["name"] == "critical" for s in t.get("subscriptions") or []]
            self._subscriptions(self.clients["sns_billing"], "billing", arn, current, subs)
            self.billing_topic_arns = {"critical": arn, "warning": arn}

    def _ensure_topic(self, sns, name, current, kms, region=None):
        if current is None:
            arn = self._topic_arn(name, region)
            if self.changes.add(f"create SNS topic {name}" + (" (encrypted)" if kms else "")):
                attributes = {"KmsMasterKeyId": kms} if kms else {}
                # CreateTopic is idempotent by name: a retry after a lost response returns the same topic.
                arn = sns.create_topic(
                    Name=name,
                    Attributes=attributes,
                    Tags=ansible_dict_to_boto3_tag_list(self.tags(name)),
                    aws_retry=True,
                )["TopicArn"]
            return arn
        arn = current["arn"]
        if (kms or "") != (current["attributes"].get("KmsMasterKeyId") or "") and self.changes.add(
            f"SNS topic {name}: encryption key {current['attributes'].get('KmsMasterKeyId') or 'none'} to {kms or 'none'}"
        ):
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=kms or "", aws_retry=True
            )
        return arn

    def _subscriptions(self, sns, topic, arn, current, wanted):
        existing = {(s["Protocol"], s["Endpoint"]): s for s in (current or {}).get("subscriptions") or []}
        wanted_keys = {(s["protocol"], s["endpoint"]) for s in wanted}
        for protocol, endpoint in sorted(wanted_keys):
            found = existing.get((protocol, endpoint))
            if found is not None:
                pending = found["SubscriptionArn"] == st.PENDING
                self.subscriptions.append(
                    dict(
                        topic=topic, protocol=protocol, endpoint=endpoint, status="pending" if pending else "confirmed"
                    )
                )
                if pending:
                    self.warnings.append(
                        f"topics.{topic}: the {protocol} subscription {endpoint} is pending confirmation "
                        "(the recipient must confirm it; it is not created again)"
                    )
                continue
            self.subscriptions.append(dict(topic=topic, protocol=protocol, endpoint=endpoint, status="pending"))
            if self.changes.add(f"subscribe {protocol}:{endpoint} to {self.topic_name(topic)}"):
                # Subscribe is idempotent for the same topic, protocol and endpoint.
                sns.subscribe(
                    TopicArn=arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=False, aws_retry=True
                )
        for key, sub in sorted(existing.items()):
            if key in wanted_keys:
                continue
            if sub["SubscriptionArn"] == st.PENDING:
                self.warnings.append(
                    f"topics.{topic}: {key[0]}:{key[1]} is pending confirmation and not in the spec; "
                    "SNS deletes unconfirmed subscriptions after three days"
                )
                continue
            self._deferred.append(
                (
                    f"unsubscribe {key[0]}:{key[1]} from {self.topic_name(topic)}",
                    lambda sub=sub: sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"], aws_retry=True),
                )
            )

    def converge_log_groups(self):
        logs = self.clients["logs"]
        namespace = sp.namespace_of(self.p)
        for group in self.p.get("log_groups") or []:
            name = group["name"]
            kms = group.get("kms_key_id") or self.p.get("log_kms_key_id")
            current = self.log_groups.get(name)
            if current is None:
                if self.changes.add(f"create log group {name}" + (" (encrypted)" if kms else "")):
                    params = dict(logGroupName=name, tags=self.tags(name))
                    if kms:
                        params["kmsKeyId"] = kms
                    try:
                        logs.create_log_group(aws_retry=True, **params)
                    except logs.exceptions.ResourceAlreadyExistsException:
                        pass  # created by an earlier attempt whose response was lost
                current = {}
            elif kms and current.get("kmsKeyId") != kms:
                if self.changes.add(f"log group {name}: encrypt with {kms}"):
                    logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)
            retention = group.get("retention_days")
            if retention and current.get("retentionInDays") != retention:
                if self.changes.add(
                    f"log group {name}: retention {current.get('retentionInDays') or 'never expire'} to {retention} days"
                ):
                    logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
            filters = self.filters.get(name, {})
            wanted = {}
            for metric_filter in group.get("metric_filters") or []:
                filter_name = f"{self.name}-{metric_filter['name']}"
                wanted[filter_name] = metric_filter
                transformation = {
                    "metricName": metric_filter["metric_name"],
                    "metricNamespace": metric_filter.get("metric_namespace") or namespace,
                    "metricValue": str(metric_filter.get("metric_value") or "1"),
                    "defaultValue": 0.0,
                }
                existing = filters.get(filter_name)
                same = (
                    existing is not None
                    and existing.get("filterPattern") == metric_filter["pattern"]
                    and [{k: t.get(k) for k in transformation} for t in existing.get("metricTransformations") or []]
                    == [transformation]
                )
                if not same and self.changes.add(
                    f"{'create' if existing is None else 'update'} metric filter {filter_name} on {name}"
                ):
                    logs.put_metric_filter(
                        logGroupName=name,
                        filterName=filter_name,
                        filterPattern=metric_filter["pattern"],
                        metricTransformations=[transformation],
                        aws_retry=True,
                    )
            for filter_name in sorted(filters):
                if filter_name.startswith(f"{self.name}-") and filter_name not in wanted:
                    self._deferred.append(
                        (
                            f"delete metric filter {filter_name} from {name}",
                            lambda g=name, f=filter_name: logs.delete_metric_filter(
                                logGroupName=g, filterName=f, aws_retry=True
                            ),
                        )
                    )

    def converge_alarms(self, cloudwatch, current, desired):
        for name, alarm in sorted(desired.items()):
            found = current.get(name)
            if found is not None and sp.comparable(found) == sp.comparable(alarm):
                continue
            if found is None:
                sentence = f"create alarm {name}: {sp.describe_alarm(alarm)}"
            else:
                sentence = f"update alarm {name}: {sp.describe_alarm(found)} to {sp.describe_alarm(alarm)}"
            if self.changes.add(sentence):
                params = dict(alarm)
                if found is None:
                    params["Tags"] = ansible_dict_to_boto3_tag_list(self.tags(name))
                cloudwatch.put_metric_alarm(aws_retry=True, **params)
        gone = sorted(set(current) - set(desired))
        if gone:
            # DeleteAlarms takes up to 100 names per call.
            for start in range(0, len(gone), 100):
                batch = gone[start : start + 100]
                self._deferred.append(
                    (
                        f"delete alarms no longer in the spec: {', '.join(batch)}",
                        lambda batch=batch: cloudwatch.delete_alarms(AlarmNames=batch, aws_retry=True),
                    )
                )

    def converge_dashboard(self):
        body = sp.dashboard_body(self.p, self.region)
        current = json.loads(self.dashboard) if self.dashboard else None
        if current == json.loads(sp.dashboard_json(body)):
            return
        name = self.dashboard_name()
        verb = "create" if current is None else "update"
        if self.changes.add(
            f"{verb} dashboard {name} (sections: {', '.join(_sections(sp.dashboard_json(body))) or 'none'})"
        ):
            self.clients["cloudwatch"].put_dashboard(
                DashboardName=name, DashboardBody=sp.dashboard_json(body), aws_retry=True
            )

    # -- result ------------------------------------------------------------------------------------------------------

    def after(self):
        all_desired = {**self.desired, **self.desired_billing}
        return {
            "topics": {
                self.topic_name(t["name"]): {
                    "kms_key": self.p.get("kms_key_id"),
                    "subscriptions": sorted(f"{s['protocol']}:{s['endpoint']}" for s in t.get("subscriptions") or []),
                }
                for t in self.p["topics"]
            },
            "log_groups": {
                g["name"]: {
                    "retention_days": g.get("retention_days"),
                    "kms_key": g.get("kms_key_id") or self.p.get("log_kms_key_id"),
                    "metric_filters": sorted(f"{self.name}-{f['name']}" for f in g.get("metric_filters") or []),
                }
                for g in self.p.get("log_groups") or []
            },
            "alarms": {n: sp.describe_alarm(a) for n, a in sorted(all_desired.items())},
            "dashboard": _sections(sp.dashboard_json(sp.dashboard_body(self.p, self.region)))
            if self.p.get("dashboard")
            else [],
        }

    def result(self):
        severities = {}
        for alarm in {**self.desired, **self.desired_billing}.values():
            severity = alarm["AlarmDescription"][1:].split("]", 1)[0]
            severities[severity] = severities.get(severity, 0) + 1
        return {
            "topics": dict(self.topic_arns),
            "subscriptions": self.subscriptions,
            "log_groups": [g["name"] for g in self.p.get("log_groups") or []],
            "alarms": sorted(self.desired),
            "billing_alarms": sorted(self.desired_billing),
            "billing_region": sp.BILLING_REGION if self.desired_billing else None,
            "alarm_count": len(self.desired) + (len(self.desired_billing) if self.billing_elsewhere else 0),
            "alarms_by_severity": severities,
            "dashboard": self.dashboard_name() if self.p.get("dashboard") else None,
        }


def _sections(body):
    if not body:
        return []
    try:
        widgets = json.loads(body).get("widgets") or []
    except ValueError:
        return []
    return [w["properties"]["markdown"].lstrip("# ") for w in widgets if w.get("type") == "text"]
