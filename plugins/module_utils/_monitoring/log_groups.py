# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Log groups (KMS key, retention) and the tier's metric filters on them; filters of the tier that left the
spec are deleted last."""

from __future__ import annotations

from . import spec as sp


def group_view(group, filters):
    return {
        "retention_days": group.get("retentionInDays"),
        "kms_key": group.get("kmsKeyId"),
        "metric_filters": sorted(filters),
    }


class LogGroups:
    def __init__(self, owner):
        self.o = owner

    def converge(self):
        o = self.o
        logs = o.clients["logs"]
        for group in o.p.get("log_groups") or []:
            name = group["name"]
            kms = group.get("kms_key_id") or o.p.get("log_kms_key_id")
            current = o.log_groups.get(name)
            if current is None:
                if o.changes.add(f"create log group {name}" + (" (encrypted)" if kms else "")):
                    params = dict(logGroupName=name, tags=o.tags(name))
                    if kms:
                        params["kmsKeyId"] = kms
                    try:
                        logs.create_log_group(aws_retry=True, **params)
                    except logs.exceptions.ResourceAlreadyExistsException:
                        pass  # created by an earlier attempt whose response was lost
                current = {}
            elif kms and current.get("kmsKeyId") != kms:
                if o.changes.add(f"log group {name}: encrypt with {kms}"):
                    logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)
            retention = group.get("retention_days")
            if retention and current.get("retentionInDays") != retention:
                if o.changes.add(
                    f"log group {name}: retention {current.get('retentionInDays') or 'never expire'} to {retention} days"
                ):
                    logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
            self._metric_filters(logs, group)

    def _metric_filters(self, logs, group):
        o = self.o
        name = group["name"]
        namespace = sp.namespace_of(o.p)
        filters = o.filters.get(name, {})
        wanted = {}
        for metric_filter in group.get("metric_filters") or []:
            filter_name = f"{o.name}-{metric_filter['name']}"
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
            if not same and o.changes.add(
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
            if filter_name.startswith(f"{o.name}-") and filter_name not in wanted:
                o.defer(
                    f"delete metric filter {filter_name} from {name}",
                    lambda g=name, f=filter_name: logs.delete_metric_filter(
                        logGroupName=g, filterName=f, aws_retry=True
                    ),
                )
