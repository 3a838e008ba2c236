# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What on-call looks at first when a service misbehaves, read in a handful of calls (never a write):

- the last error lines of its log group (FilterLogEvents with a filter pattern, newest last);
- the load balancer's 5xx counts and the target group's p95 response time (one GetMetricData for every metric);
- the database's connections and the cache's evictions, the database and cache found by the platform's tags.
"""

from __future__ import annotations

import datetime

from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate

PERIOD = 60


def _now():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017


class Diagnosis:
    def __init__(self, params, clients):
        self.p = params
        self.c = clients
        self.end = _now()
        self.start = self.end - datetime.timedelta(minutes=params["minutes"])
        self.found = {}

    def read(self):
        result = {
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat(), "minutes": self.p["minutes"]}
        }
        result["errors"] = self.log_lines()
        queries, labels = [], {}
        self.load_balancer_queries(queries, labels)
        self.database_queries(queries, labels)
        self.cache_queries(queries, labels)
        values = self.metrics(queries)
        result["metrics"] = {labels[k]: v for k, v in values.items()}
        result["resources"] = self.found
        return True, result

    # -- logs ----------------------------------------------------------------------------------------------------

    def log_lines(self):
        group = self.p.get("log_group")
        if not group:
            return {"log_group": None, "lines": [], "note": "no log group"}
        logs = self.c["logs"]
        events = []
        params = dict(
            logGroupName=group,
            startTime=int(self.start.timestamp() * 1000),
            endTime=int(self.end.timestamp() * 1000),
            filterPattern=self.p["filter_pattern"],
            aws_retry=True,
        )
        answer = not_found(lambda: logs.filter_log_events(**params), "ResourceNotFoundException")
        if answer is None:
            return {"log_group": group, "lines": [], "note": f"log group {group} does not exist"}
        pages = 0
        while True:
            events.extend(answer.get("events", []))
            token = answer.get("nextToken")
            pages += 1
            if not token or pages >= 20:
                break
            answer = logs.filter_log_events(nextToken=token, **params)
        events.sort(key=lambda e: e.get("timestamp", 0))
        last = events[-self.p["lines"] :]
        return {
            "log_group": group,
            "filter_pattern": self.p["filter_pattern"],
            "matched": len(events),
            "lines": [
                {
                    "at": datetime.datetime.fromtimestamp(e["timestamp"] / 1000, datetime.timezone.utc).isoformat(),  # noqa: UP017
                    "stream": e.get("logStreamName"),
                    "message": str(e.get("message", "")).rstrip()[:500],
                }
                for e in last
            ],
        }

    # -- metrics ---------------------------------------------------------------------------------------------------

    def load_balancer_queries(self, queries, labels):
        arns = self.p.get("target_group_arns") or []
        if not arns:
            return
        groups = self.c["elbv2"].describe_target_groups(TargetGroupArns=arns[:1], aws_retry=True)["TargetGroups"]
        if not groups or not groups[0].get("LoadBalancerArns"):
            return
        group = groups[0]
        target = group["TargetGroupArn"].split(":", 5)[5]  # targetgroup/name/id
        balancer = group["LoadBalancerArns"][0].split(":loadbalancer/", 1)[1]  # app/name/id
        self.found["target_group"] = target
        self.found["load_balancer"] = balancer
        lb = [{"Name": "LoadBalancer", "Value": balancer}]
        tg = [*lb, {"Name": "TargetGroup", "Value": target}]
        self._query(queries, labels, "alb_target_5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg, "Sum")
        self._query(queries, labels, "alb_elb_5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum")
        self._query(queries, labels, "alb_requests", "AWS/ApplicationELB", "RequestCount", tg, "Sum")
        self._query(queries, labels, "alb_p95_latency_s", "AWS/ApplicationELB", "TargetResponseTime", tg, "p95")

    def _identity(self, component):
        return identity_tags(self.p["platform"], self.p["environment"], component)

    def database_queries(self, queries, labels):
        rds = self.c["rds"]
        wanted = self._identity("database")
        for instance in paginate(rds, "describe_db_instances", "DBInstances"):
            tags = {t["Key"]: t["Value"] for t in instance.get("TagList") or []}
            if all(tags.get(k) == v for k, v in wanted.items()):
                name = instance["DBInstanceIdentifier"]
                self.found.setdefault("databases", []).append(name)
                dims = [{"Name": "DBInstanceIdentifier", "Value": name}]
                self._query(
                    queries, labels, f"db_connections.{name}", "AWS/RDS", "DatabaseConnections", dims, "Maximum"
                )

    def cache_queries(self, queries, labels):
        cache = self.c["elasticache"]
        wanted = self._identity("cache")
        for group in paginate(cache, "describe_replication_groups", "ReplicationGroups"):
            tags = cache.list_tags_for_resource(ResourceName=group["ARN"], aws_retry=True).get("TagList", [])
            tags = {t["Key"]: t["Value"] for t in tags}
            if not all(tags.get(k) == v for k, v in wanted.items()):
                continue
            self.found.setdefault("caches", []).append(group["ReplicationGroupId"])
            for member in group.get("MemberClusters") or []:
                dims = [{"Name": "CacheClusterId", "Value": member}]
                self._query(queries, labels, f"cache_evictions.{member}", "AWS/ElastiCache", "Evictions", dims, "Sum")

    @staticmethod
    def _query(queries, labels, label, namespace, metric, dimensions, stat):
        key = f"m{len(queries)}"
        labels[key] = label
        queries.append(
            {
                "Id": key,
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
                    "Period": PERIOD,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
        )

    def metrics(self, queries):
        """{query id: the window's value} - a sum for counts, the worst minute for p95 and maxima; None: no data."""
        found = {}
        cloudwatch = self.c["cloudwatch"]
        for start in range(0, len(queries), 500):  # GetMetricData takes 500 queries
            batch = queries[start : start + 500]
            stats = {q["Id"]: q["MetricStat"]["Stat"] for q in batch}
            answer = cloudwatch.get_metric_data(
                MetricDataQueries=batch, StartTime=self.start, EndTime=self.end, aws_retry=True
            )
            for item in answer.get("MetricDataResults", []):
                values = item.get("Values") or []
                if not values:
                    found[item["Id"]] = None
                elif stats[item["Id"]] == "Sum":
                    found[item["Id"]] = round(sum(values), 3)
                else:
                    found[item["Id"]] = round(max(values), 3)
            for query in batch:
                found.setdefault(query["Id"], None)
        return found
