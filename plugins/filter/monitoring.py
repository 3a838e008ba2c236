# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the monitoring and backups roles: spec errors, the resources to watch, Prometheus rules."""

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._backups.spec import validate as validate_backups
from ansible_collections.stackops.platform.plugins.module_utils._monitoring.spec import validate as validate_monitoring


def monitoring_spec_errors(spec, prefix="monitoring_"):
    """Every rule the monitoring spec breaks, as messages naming the role variables."""
    renamed = {"kms_key_id": "kms_key", "log_kms_key_id": "log_kms_key"}
    errors = validate_monitoring(dict(spec), prefix=prefix)
    for option, variable in renamed.items():
        errors = [e.replace(f"{prefix}{option}", f"{prefix}{variable}") for e in errors]
    return errors


def backups_spec_errors(spec, region, prefix="backups_"):
    """Every rule the backups spec breaks, as messages naming the role variables."""
    renamed = {"kms_key_id": "kms_key", "copy_kms_key_id": "copy_kms_key"}
    errors = validate_backups(dict(spec), region, prefix=prefix)
    for option, variable in renamed.items():
        errors = [e.replace(f"{prefix}{option}", f"{prefix}{variable}") for e in errors]
    return errors


def _arn_suffix(arn, marker):
    return arn.split(marker, 1)[1] if arn and marker in arn else None


def monitoring_targets(tiers, ecs=None, database=None, cache=None, search=None, eks=None, inventory=None):
    """The ``targets`` option of monitoring_platform from what the earlier tiers made.

    Each argument is the tier's fact (``cluster_ecs``, ``database``, ``cache``, ``search``, ``cluster_eks``) or
    its ``_info`` module's result; ``inventory`` carries what facts do not say (service minimums, instance
    classes, storage, max_connections from the parameter group).
    """
    inventory = inventory or {}
    tiers = set(tiers or [])
    targets = {}
    if ecs and ("ecs" in tiers or "alb" in tiers):
        cluster = ecs.get("cluster_name") or (ecs.get("cluster") or {}).get("name")
        services = ecs.get("services") or []
        names = sorted(services)  # a list (the fact) or a dict by name (ecs_platform_info)
        minimums = {s.get("name"): s.get("min_tasks", 1) for s in inventory.get("cluster_services") or []}
        if cluster and "ecs" in tiers:
            targets["ecs"] = {
                "cluster": cluster,
                "services": {
                    n: {"min_tasks": int(minimums.get(n, minimums.get(n.removeprefix(f"{cluster}-"), 1)))}
                    for n in names
                },
            }
        lb = ecs.get("load_balancer") or {}
        suffix = _arn_suffix(lb.get("arn"), ":loadbalancer/")
        if suffix and "alb" in tiers:
            targets["alb"] = {
                "load_balancer": suffix,
                "target_groups": {
                    service: arn.rsplit(":", 1)[-1]
                    for service, arn in sorted((lb.get("target_groups") or {}).items())
                    if arn
                },
            }
    if eks and "eks" in tiers:
        name = eks.get("name") or (eks.get("cluster") or {}).get("name")
        if name:
            targets["eks"] = {"cluster": name}
    if database and "database" in tiers:
        instances = {}
        configured = (inventory.get("database_parameters") or {}).get("max_connections")
        if database.get("instances"):  # database_postgres_info
            for ident, found in database["instances"].items():
                role = found.get("role") or "primary"
                if role == "reader" or found.get("cluster"):
                    role = "reader"
                instances[ident] = {
                    "role": role,
                    "instance_class": found.get("instance_class"),
                    "allocated_storage": found.get("allocated_storage"),
                    "max_connections": configured,
                }
        elif database.get("identifier"):  # the database fact
            instances[database["identifier"]] = {
                # the DR host's fact is its cross-region replica (it names the source it replicates)
                "role": "dr" if database.get("source_arn") else "primary",
                "instance_class": inventory.get("database_instance_class"),
                "allocated_storage": inventory.get("database_allocated_storage"),
                "max_connections": configured,
            }
            classes = {r.get("name"): r.get("instance_class") for r in inventory.get("database_read_replicas") or []}
            for ident in sorted(database.get("replicas") or {}):
                short = ident.removeprefix(f"{database['identifier']}-")
                instances[ident] = {
                    "role": "replica",
                    "instance_class": classes.get(short) or inventory.get("database_instance_class"),
                    "allocated_storage": inventory.get("database_allocated_storage"),
                    "max_connections": configured,
                }
        if instances:
            targets["database"] = {"instances": instances}
    if cache and "cache" in tiers and (cache.get("replication_group_id") or cache.get("arn")):
        targets["cache"] = {
            "replication_group": cache.get("replication_group_id"),
            "nodes": {m["id"]: {"role": m.get("role") or "replica"} for m in cache.get("members") or []},
        }
    if search and "search" in tiers and search.get("domain_name") and (search.get("arn") or search.get("endpoint")):
        targets["search"] = {"domain": search["domain_name"], "volume_size": inventory.get("search_volume_size")}
    return targets


# The seeds' Prometheus alerts (seed 001: error rate > 5 % 5 m, p95 > 1 s 10 m, service down 2 m, memory > 90 %,
# DB pool > 90 %; seed 002: Celery queue > 1000, replication lag > 30 s).
PROMETHEUS_RULES = (
    ("HighErrorRate", "critical", "5m",
     'sum(rate(http_requests_total{{status=~"5.."}}[5m])) / sum(rate(http_requests_total[5m])) > {error_rate}',
     "More than {error_rate_pct} % of requests fail"),
    ("HighLatency", "warning", "10m",
     "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le)) > {p95_latency_seconds}",
     "p95 latency above {p95_latency_seconds} s"),
    ("ServiceDown", "critical", "2m", "up == 0", "{{{{ $labels.job }}}} is down"),
    ("HighMemory", "warning", "5m",
     "container_memory_working_set_bytes / container_spec_memory_limit_bytes > {memory_ratio}",
     "A container uses more than {memory_pct} % of its memory limit"),
    ("DatabasePoolExhausted", "critical", "5m",
     "pgbouncer_pools_client_active_connections / pgbouncer_config_max_client_connections > {db_pool_ratio}",
     "The database connection pool is more than {db_pool_pct} % used"),
    ("CeleryQueueBacklog", "warning", "10m", "sum(celery_queue_length) > {celery_queue_length}",
     "More than {celery_queue_length} tasks wait in Celery's queues"),
    ("ReplicationLag", "critical", "5m", "pg_replication_lag_seconds > {replication_lag_seconds}",
     "A replica lags more than {replication_lag_seconds} s"),
)  # fmt: skip
PROMETHEUS_DEFAULTS = {
    "error_rate": 0.05,
    "p95_latency_seconds": 1,
    "memory_ratio": 0.9,
    "db_pool_ratio": 0.9,
    "celery_queue_length": 1000,
    "replication_lag_seconds": 30,
}


def monitoring_prometheus_rules(thresholds, name, namespace, disabled=None):
    """The seeds' alert rules as one PrometheusRule object (monitoring.coreos.com/v1)."""
    values = dict(PROMETHEUS_DEFAULTS)
    values.update(thresholds or {})
    values.update(
        error_rate_pct=round(values["error_rate"] * 100, 1),
        memory_pct=round(values["memory_ratio"] * 100),
        db_pool_pct=round(values["db_pool_ratio"] * 100),
    )
    rules = []
    for alert, severity, duration, expression, summary in PROMETHEUS_RULES:
        if alert in (disabled or []):
            continue
        rules.append(
            {
                "alert": alert,
                "expr": expression.format(**values),
                "for": duration,
                "labels": {"severity": severity},
                "annotations": {"summary": summary.format(**values)},
            }
        )
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"{name}-alerts", "namespace": namespace, "labels": {"app.kubernetes.io/part-of": name}},
        "spec": {"groups": [{"name": f"{name}.rules", "rules": rules}]},
    }


def monitoring_alarm_list(spec, topic_arns):
    """The spec's alarms as amazon.aws.cloudwatch_metric_alarm options (what a playbook without our module loops over)."""
    from ansible_collections.stackops.platform.plugins.module_utils._monitoring.spec import desired_alarms

    alarms, billing, _notes = desired_alarms(dict(spec), topic_arns)
    found = []
    for alarm in [*alarms.values(), *billing.values()]:
        entry = {
            "name": alarm["AlarmName"],
            "description": alarm["AlarmDescription"],
            "comparison": alarm["ComparisonOperator"],
            "threshold": alarm["Threshold"],
            "evaluation_periods": alarm["EvaluationPeriods"],
            "datapoints_to_alarm": alarm["DatapointsToAlarm"],
            "treat_missing_data": alarm["TreatMissingData"],
            "alarm_actions": alarm["AlarmActions"],
            "ok_actions": alarm["OKActions"],
        }
        if alarm.get("Metrics"):
            entry["metrics"] = [
                {
                    "id": m["Id"],
                    "return_data": m["ReturnData"],
                    **({"expression": m["Expression"], "label": m["Label"]} if m.get("Expression") else {}),
                    **(
                        {
                            "metric_stat": {
                                "metric": {
                                    "namespace": m["MetricStat"]["Metric"]["Namespace"],
                                    "metric_name": m["MetricStat"]["Metric"]["MetricName"],
                                    "dimensions": [
                                        {"name": d["Name"], "value": d["Value"]}
                                        for d in m["MetricStat"]["Metric"]["Dimensions"]
                                    ],
                                },
                                "period": m["MetricStat"]["Period"],
                                "stat": m["MetricStat"]["Stat"],
                            }
                        }
                        if m.get("MetricStat")
                        else {}
                    ),
                }
                for m in alarm["Metrics"]
            ]
        else:
            entry.update(
                metric_name=alarm["MetricName"],
                namespace=alarm["Namespace"],
                period=alarm["Period"],
                dimensions={d["Name"]: d["Value"] for d in alarm["Dimensions"]},
            )
            if alarm.get("ExtendedStatistic"):
                entry["extended_statistic"] = alarm["ExtendedStatistic"]
            else:
                entry["statistic"] = alarm["Statistic"]
        found.append(entry)
    return found


class FilterModule:
    def filters(self):
        return {
            "monitoring_spec_errors": monitoring_spec_errors,
            "backups_spec_errors": backups_spec_errors,
            "monitoring_targets": monitoring_targets,
            "monitoring_prometheus_rules": monitoring_prometheus_rules,
            "monitoring_alarm_list": monitoring_alarm_list,
        }
