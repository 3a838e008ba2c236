# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the monitoring tier in one pass: read everything, then write only what differs.

Order: SNS topics (alarms name them) and their subscriptions → log groups and metric filters → metric
alarms (one paged DescribeAlarms by the tier's prefix; PutMetricAlarm only for alarms that differ;
alarms of the prefix that left the spec are deleted last) → billing alarms in us-east-1 → the dashboard
(PutDashboard only when its body differs). In check mode nothing after the reads runs; topics not yet
created have ``None`` ARNs.

The reconciler reads everything and holds the state, works out the desired alarms, and builds the diff and the
result; its parts converge: ``topics.py`` (topics and subscriptions), ``log_groups.py`` (log groups and metric
filters), ``alarms.py``, ``dashboard.py``.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st
from .alarms import Alarms
from .dashboard import Dashboard
from .dashboard import sections
from .log_groups import LogGroups
from .log_groups import group_view
from .topics import Topics
from .topics import topic_view


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
        self.topic_part = Topics(self)
        self.log_group_part = LogGroups(self)
        self.alarm_part = Alarms(self)
        self.dashboard_part = Dashboard(self)

    @property
    def check_mode(self):
        return self.changes.check_mode

    def defer(self, sentence, action):
        """A deletion, run after every create and update (in check mode, only its sentence)."""
        self._deferred.append((sentence, action))

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
            "topics": {n: topic_view(t) for n, t in sorted(self.topics.items())},
            "log_groups": {n: group_view(g, self.filters.get(n, {})) for n, g in sorted(self.log_groups.items())},
            "alarms": {n: sp.describe_alarm(a) for n, a in sorted({**self.alarms, **self.billing_alarms}.items())},
            "dashboard": sections(self.dashboard),
        }

    # -- converge ------------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.topic_part.converge()
        self.log_group_part.converge()
        self.desired, self.desired_billing, self.notes = sp.desired_alarms(
            dict(self.p, _billing_topic_arns=self.billing_topic_arns or None), self.topic_arns, self.region
        )
        self.warnings += self.notes
        if not self.billing_elsewhere:
            self.desired.update(self.desired_billing)
        self.alarm_part.converge(self.clients["cloudwatch"], self.alarms, self.desired)
        if self.billing_elsewhere:
            self.alarm_part.converge(self.clients["cloudwatch_billing"], self.billing_alarms, self.desired_billing)
        if self.p.get("dashboard"):
            self.dashboard_part.converge()
        for sentence, action in self._deferred:
            if self.changes.add(sentence):
                action()

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
            "dashboard": sections(sp.dashboard_json(sp.dashboard_body(self.p, self.region)))
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
