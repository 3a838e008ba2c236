# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monitoring tier's rules and layout, pure Python (no AWS call).

``validate(params)`` returns every broken rule as a message naming the option (with a prefix, the role's
variable). ``desired_alarms(params, topics)`` turns the tiers the inventory has (``targets``: the resources
earlier tiers made) into CloudWatch metric alarms with the seeds' thresholds, after the user's overrides
(``alarms``: a key set to false removes that alarm, a dict changes its threshold, period, ...).
``dashboard_body(params)`` builds the environment's dashboard from the same targets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field

from ..aws_rules import LOG_RETENTION_DAYS

TIERS = ("alb", "ecs", "eks", "database", "cache", "search", "billing", "logs")
SEVERITIES = ("critical", "warning")
COMPARISONS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
PROTOCOLS = ("email", "email-json", "https", "http", "sms", "sqs", "lambda")
BILLING_REGION = "us-east-1"  # AWS/Billing EstimatedCharges is published in us-east-1 only
OVERRIDE_KEYS = {
    "threshold",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "severity",
    "comparison",
    "treat_missing_data",
    "enabled",
}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
LOG_GROUP_RE = re.compile(r"^[\w#/.\-]{1,512}$")
METRIC_NAME_RE = re.compile(r"^[^:*$]{1,255}$")


@dataclass(frozen=True)
class AlarmKind:
    """One alarm of the catalogue: what it watches and the seeds' defaults.

    ``per`` says what the alarm is repeated for (a target group, a service, a DB instance, a cache node...).
    ``unit`` describes the threshold as the user gives it: ``percent_of_max`` and ``percent_of_storage`` are
    turned into the metric's own unit (connections, bytes, megabytes) from the target's size.
    """

    tier: str
    per: str
    namespace: str
    metric: str
    stat: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison: str
    severity: str
    description: str
    unit: str = "absolute"
    treat_missing_data: str = "missing"
    math: str | None = None  # metric math over m1 (``metric``) and m2 (``denominator``)
    denominator: str | None = None
    extra: dict = field(default_factory=dict)


# The seeds' thresholds (seed 000: 5xx > 1 % for 2 min, p95 > 1 s for 5 min, connections > 80 % for 5 min,
# CPU < 70 %, memory < 80 %, evictions 0, replication lag < 1 s; seed 002: replica lag 30 s).
CATALOGUE = {
    "alb_5xx_rate": AlarmKind(
        "alb", "load_balancer", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 60, 2, 1.0,
        "GreaterThanThreshold", "critical", "5xx responses above {threshold} % of requests for {minutes} min",
        math="100 * FILL(m1, 0) / m2", denominator="RequestCount", treat_missing_data="notBreaching",
    ),
    "alb_p95_latency": AlarmKind(
        "alb", "load_balancer", "AWS/ApplicationELB", "TargetResponseTime", "p95", 60, 5, 1.0,
        "GreaterThanThreshold", "warning", "p95 target response time above {threshold} s for {minutes} min",
        treat_missing_data="notBreaching",
    ),
    "alb_unhealthy_targets": AlarmKind(
        "alb", "target_group", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60, 2, 0.0,
        "GreaterThanThreshold", "critical", "unhealthy targets in {resource} for {minutes} min",
    ),
    "ecs_cpu": AlarmKind(
        "ecs", "service", "AWS/ECS", "CPUUtilization", "Average", 60, 5, 70.0,
        "GreaterThanThreshold", "warning", "service {resource} CPU above {threshold} % for {minutes} min",
    ),
    "ecs_memory": AlarmKind(
        "ecs", "service", "AWS/ECS", "MemoryUtilization", "Average", 60, 5, 80.0,
        "GreaterThanThreshold", "warning", "service {resource} memory above {threshold} % for {minutes} min",
    ),
    "ecs_running_tasks": AlarmKind(
        "ecs", "service", "ECS/ContainerInsights", "RunningTaskCount", "Minimum", 60, 2, 0.0,
        "LessThanThreshold", "critical", "service {resource} runs fewer tasks than its minimum ({threshold})",
        unit="min_tasks", treat_missing_data="breaching",
    ),
    "eks_node_cpu": AlarmKind(
        "eks", "cluster", "ContainerInsights", "node_cpu_utilization", "Average", 60, 5, 80.0,
        "GreaterThanThreshold", "warning", "node CPU above {threshold} % for {minutes} min",
    ),
    "eks_node_memory": AlarmKind(
        "eks", "cluster", "ContainerInsights", "node_memory_utilization", "Average", 60, 5, 80.0,
        "GreaterThanThreshold", "warning", "node memory above {threshold} % for {minutes} min",
    ),
    "rds_cpu": AlarmKind(
        "database", "instance", "AWS/RDS", "CPUUtilization", "Average", 60, 5, 80.0,
        "GreaterThanThreshold", "warning", "{resource} CPU above {threshold} % for {minutes} min",
    ),
    "rds_connections": AlarmKind(
        "database", "instance", "AWS/RDS", "DatabaseConnections", "Average", 60, 5, 80.0,
        "GreaterThanThreshold", "critical", "{resource} connections above {threshold} % of max_connections for {minutes} min",
        unit="percent_of_max",
    ),
    "rds_replica_lag": AlarmKind(
        "database", "replica", "AWS/RDS", "ReplicaLag", "Maximum", 60, 2, 30.0,
        "GreaterThanThreshold", "critical", "{resource} replica lag above {threshold} s for {minutes} min",
    ),
    "rds_free_storage": AlarmKind(
        "database", "instance", "AWS/RDS", "FreeStorageSpace", "Minimum", 300, 1, 10.0,
        "LessThanThreshold", "warning", "{resource} free storage below {threshold} % of its allocation",
        unit="percent_of_storage",
    ),
    "cache_memory": AlarmKind(
        "cache", "node", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", 60, 5, 85.0,
        "GreaterThanThreshold", "warning", "{resource} memory above {threshold} % for {minutes} min",
    ),
    "cache_evictions": AlarmKind(
        "cache", "node", "AWS/ElastiCache", "Evictions", "Sum", 60, 1, 0.0,
        "GreaterThanThreshold", "warning", "{resource} evicted keys", treat_missing_data="notBreaching",
    ),
    "cache_cpu": AlarmKind(
        "cache", "node", "AWS/ElastiCache", "EngineCPUUtilization", "Average", 60, 5, 90.0,
        "GreaterThanThreshold", "warning", "{resource} engine CPU above {threshold} % for {minutes} min",
    ),
    "cache_replication_lag": AlarmKind(
        "cache", "replica_node", "AWS/ElastiCache", "ReplicationLag", "Maximum", 60, 2, 1.0,
        "GreaterThanThreshold", "critical", "{resource} replication lag above {threshold} s for {minutes} min",
    ),
    "search_red": AlarmKind(
        "search", "domain", "AWS/ES", "ClusterStatus.red", "Maximum", 60, 1, 1.0,
        "GreaterThanOrEqualToThreshold", "critical", "OpenSearch cluster status red",
    ),
    "search_yellow": AlarmKind(
        "search", "domain", "AWS/ES", "ClusterStatus.yellow", "Maximum", 60, 5, 1.0,
        "GreaterThanOrEqualToThreshold", "warning", "OpenSearch cluster status yellow for {minutes} min",
    ),
    "search_free_storage": AlarmKind(
        "search", "domain", "AWS/ES", "FreeStorageSpace", "Minimum", 300, 1, 20.0,
        "LessThanThreshold", "warning", "OpenSearch free storage below {threshold} % of its volumes",
        unit="percent_of_storage",
    ),
}  # fmt: skip
# Memory of RDS instance classes (GiB), for PostgreSQL's default max_connections:
# LEAST({DBInstanceClassMemory/9531392}, 5000) (RDS for PostgreSQL, "Maximum number of database connections").
_FAMILY_MEMORY = {
    "t3": {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32},
    "t4g": {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32},
    "m5": None,
    "m6g": None,
    "m6i": None,
    "m7g": None,
    "r5": "r",
    "r6g": "r",
    "r6i": "r",
    "r7g": "r",
}
_SIZES = {
    "large": 1,
    "xlarge": 2,
    "2xlarge": 4,
    "4xlarge": 8,
    "8xlarge": 16,
    "12xlarge": 24,
    "16xlarge": 32,
    "24xlarge": 48,
}


def instance_memory_gib(instance_class):
    """Memory of an RDS instance class (db.r6g.xlarge -> 32), or None when unknown."""
    match = re.match(r"^db\.([a-z0-9]+)\.([a-z0-9]+)$", str(instance_class or ""))
    if not match or match.group(1) not in _FAMILY_MEMORY:
        return None
    family, size = match.groups()
    table = _FAMILY_MEMORY[family]
    if isinstance(table, dict):
        return table.get(size)
    if size not in _SIZES:
        return None
    return _SIZES[size] * (16 if table == "r" else 8)


def max_connections(instance_class, configured=None):
    """max_connections of a PostgreSQL instance: the parameter group's value, else RDS's default formula."""
    if configured not in (None, ""):
        return int(configured)
    memory = instance_memory_gib(instance_class)
    if memory is None:
        return None
    return min(memory * 1024**3 // 9531392, 5000)


# -- validation ---------------------------------------------------------------------------------------------------------


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def period_errors(where, period, evaluation_periods):
    """CloudWatch's rules for an alarm's period (PutMetricAlarm, Period and EvaluationPeriods)."""
    errors = []
    if not isinstance(period, int) or isinstance(period, bool):
        return [f"{where}.period: {period!r} must be an integer number of seconds"]
    if period not in (10, 20, 30) and (period < 60 or period % 60):
        errors.append(f"{where}.period: {period} s is not a period CloudWatch accepts (10, 20, 30 or a multiple of 60)")
        return errors
    if not isinstance(evaluation_periods, int) or isinstance(evaluation_periods, bool) or evaluation_periods < 1:
        errors.append(
            f"{where}.evaluation_periods: {evaluation_periods!r} must be a whole number of periods, at least 1"
        )
        return errors
    total = period * evaluation_periods
    if total > 604800:
        errors.append(
            f"{where}.evaluation_periods: {evaluation_periods} x {period} s is longer than CloudWatch's 7 days"
        )
    elif period < 3600 and total > 86400:
        errors.append(
            f"{where}.evaluation_periods: {evaluation_periods} x {period} s is longer than one day, "
            "CloudWatch's limit for periods under an hour"
        )
    return errors


def _override_errors(where, key, override, tiers, catalogue_entry):
    if override is False or override is None:
        return []
    if not isinstance(override, dict):
        return [f"{where}: must be a dict of settings (threshold, period, ...) or false to remove the alarm"]
    errors = []
    for unknown in sorted(set(override) - OVERRIDE_KEYS):
        errors.append(f"{where}.{unknown}: unknown setting (known: {', '.join(sorted(OVERRIDE_KEYS))})")
    if "threshold" in override and not _is_number(override["threshold"]):
        errors.append(f"{where}.threshold: {override['threshold']!r} must be a number")
    if "severity" in override and override["severity"] not in SEVERITIES:
        errors.append(f"{where}.severity: {override['severity']!r} must be one of {', '.join(SEVERITIES)}")
    if "comparison" in override and override["comparison"] not in COMPARISONS:
        errors.append(f"{where}.comparison: {override['comparison']!r} must be one of {', '.join(COMPARISONS)}")
    if "treat_missing_data" in override and override["treat_missing_data"] not in TREAT_MISSING:
        errors.append(f"{where}.treat_missing_data: must be one of {', '.join(TREAT_MISSING)}")
    if "enabled" in override and not isinstance(override["enabled"], bool):
        errors.append(f"{where}.enabled: {override['enabled']!r} must be true or false")
    period = override.get("period", catalogue_entry.period if catalogue_entry else 60)
    evaluations = override.get("evaluation_periods", catalogue_entry.evaluation_periods if catalogue_entry else 1)
    if "period" in override or "evaluation_periods" in override:
        errors += period_errors(where, period, evaluations)
    datapoints = override.get("datapoints_to_alarm")
    if datapoints is not None and (
        not isinstance(datapoints, int) or isinstance(datapoints, bool) or not 1 <= datapoints <= evaluations
    ):
        errors.append(f"{where}.datapoints_to_alarm: {datapoints!r} must be 1 to evaluation_periods ({evaluations})")
    return errors


def validate(params, prefix=""):
    """Every rule the spec breaks, as messages naming ``prefix + option``."""
    p = params
    errors = []
    name = p.get("name") or ""
    if not NAME_RE.match(name):
        errors.append(f"{prefix}name: {name!r} must be 1-63 lowercase letters, digits and hyphens")
    tiers = p.get("tiers") or []
    for i, tier in enumerate(tiers):
        if tier not in TIERS:
            errors.append(f"{prefix}tiers[{i}]: {tier!r} is not a tier (known: {', '.join(TIERS)})")
    targets = p.get("targets") or {}
    for tier in sorted(targets):
        if tier not in TIERS:
            errors.append(f"{prefix}targets.{tier}: not a tier (known: {', '.join(TIERS)})")
        elif targets[tier] and tier not in tiers:
            errors.append(
                f"{prefix}targets.{tier}: the inventory has no {tier} tier ({prefix}tiers: {', '.join(tiers) or 'none'})"
            )
    # Topics and subscriptions.
    topics = p.get("topics") or []
    seen = set()
    for i, topic in enumerate(topics):
        where = f"{prefix}topics[{i}]"
        topic_name = topic.get("name")
        if not topic_name or not re.match(r"^[A-Za-z0-9_-]{1,40}$", str(topic_name)):
            errors.append(f"{where}.name: {topic_name!r} must be 1-40 letters, digits, hyphens or underscores")
        if topic_name in seen:
            errors.append(f"{where}.name: {topic_name!r} is listed twice")
        seen.add(topic_name)
        for j, sub in enumerate(topic.get("subscriptions") or []):
            errors += _subscription_errors(f"{where}.subscriptions[{j}]", sub)
    for severity in SEVERITIES:
        if severity not in seen:
            errors.append(f"{prefix}topics: needs a topic named {severity!r} (alarms of that severity notify it)")
    # Log groups and their metric filters.
    for i, group in enumerate(p.get("log_groups") or []):
        errors += _log_group_errors(f"{prefix}log_groups[{i}]", group, prefix)
    # Alarm overrides.
    overrides = p.get("alarms") or {}
    if not isinstance(overrides, dict):
        errors.append(f"{prefix}alarms: must be a dict of alarm keys")
        overrides = {}
    for key in sorted(overrides):
        where = f"{prefix}alarms.{key}"
        kind = CATALOGUE.get(key)
        if kind is None and not str(key).startswith("billing_") and not _is_filter_alarm(key, p):
            errors.append(f"{where}: not an alarm of the catalogue (known: {', '.join(sorted(CATALOGUE))})")
            continue
        tier = kind.tier if kind else ("billing" if str(key).startswith("billing_") else "logs")
        if tier not in tiers and overrides[key] not in (False, None) and not _disabled(overrides[key]):
            errors.append(
                f"{where}: an alarm on the {tier} tier, which the inventory does not have "
                f"({prefix}tiers: {', '.join(tiers) or 'none'})"
            )
            continue
        errors += _override_errors(where, key, overrides[key], tiers, kind)
    # Billing.
    thresholds = p.get("billing_thresholds") or []
    for i, amount in enumerate(thresholds):
        if not _is_number(amount) or amount <= 0:
            errors.append(f"{prefix}billing_thresholds[{i}]: {amount!r} must be a positive amount")
    if len(set(map(str, thresholds))) != len(thresholds):
        errors.append(f"{prefix}billing_thresholds: an amount is listed twice")
    if thresholds and "billing" not in tiers:
        errors.append(f"{prefix}billing_thresholds: billing alarms need 'billing' in {prefix}tiers")
    if not re.match(r"^[A-Z]{3}$", str(p.get("billing_currency") or "USD")):
        errors.append(f"{prefix}billing_currency: {p.get('billing_currency')!r} must be a 3-letter currency code")
    # Targets the alarms need.
    errors += _target_errors(targets, prefix)
    return errors


def _disabled(override):
    return isinstance(override, dict) and override.get("enabled") is False


def _is_filter_alarm(key, params):
    return any(
        f"logs_{f.get('name')}" == key for g in params.get("log_groups") or [] for f in g.get("metric_filters") or []
    )


def _subscription_errors(where, sub):
    errors = []
    protocol, endpoint = sub.get("protocol"), str(sub.get("endpoint") or "")
    if protocol not in PROTOCOLS:
        return [f"{where}.protocol: {protocol!r} must be one of {', '.join(PROTOCOLS)}"]
    if protocol.startswith("email") and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", endpoint):
        errors.append(f"{where}.endpoint: {endpoint!r} is not an email address")
    elif protocol in ("https", "http") and not endpoint.startswith(f"{protocol}://"):
        errors.append(f"{where}.endpoint: {endpoint!r} must be a {protocol}:// URL")
    elif protocol in ("sqs", "lambda") and not endpoint.startswith("arn:"):
        errors.append(f"{where}.endpoint: {endpoint!r} must be an ARN")
    elif protocol == "sms" and not re.match(r"^\+[0-9]{6,15}$", endpoint):
        errors.append(f"{where}.endpoint: {endpoint!r} must be a phone number in E.164 form (+15555550100)")
    return errors


def _log_group_errors(where, group, prefix):
    errors = []
    name = str(group.get("name") or "")
    if not LOG_GROUP_RE.match(name):
        errors.append(f"{where}.name: {name!r} is not a CloudWatch Logs group name (1-512 of a-z A-Z 0-9 _ - / . #)")
    retention = group.get("retention_days")
    if retention is not None and retention not in LOG_RETENTION_DAYS:
        errors.append(
            f"{where}.retention_days: {retention!r} is not a retention CloudWatch Logs accepts "
            f"({', '.join(map(str, LOG_RETENTION_DAYS))})"
        )
    names = set()
    for j, metric_filter in enumerate(group.get("metric_filters") or []):
        fwhere = f"{where}.metric_filters[{j}]"
        fname = str(metric_filter.get("name") or "")
        if not re.match(r"^[a-z0-9][a-z0-9_-]{0,62}$", fname):
            errors.append(f"{fwhere}.name: {fname!r} must be lowercase letters, digits, - and _")
        if fname in names:
            errors.append(f"{fwhere}.name: {fname!r} is listed twice")
        names.add(fname)
        if not str(metric_filter.get("pattern") or "").strip():
            errors.append(f"{fwhere}.pattern: a filter pattern is required")
        if not METRIC_NAME_RE.match(str(metric_filter.get("metric_name") or "")):
            errors.append(f"{fwhere}.metric_name: {metric_filter.get('metric_name')!r} is not a metric name")
        alarm = metric_filter.get("alarm")
        if alarm:
            errors += _override_errors(f"{fwhere}.alarm", fname, alarm, (), None)
    return errors


_TARGET_NEEDS = {
    "alb": ("load_balancer",),
    "ecs": ("cluster",),
    "eks": ("cluster",),
    "database": ("instances",),
    "cache": ("replication_group",),
    "search": ("domain",),
}


def _target_errors(targets, prefix):
    errors = []
    for tier, needs in _TARGET_NEEDS.items():
        target = targets.get(tier)
        if not target:
            continue
        if not isinstance(target, dict):
            errors.append(f"{prefix}targets.{tier}: must be a dict")
            continue
        for need in needs:
            if not target.get(need):
                errors.append(f"{prefix}targets.{tier}.{need}: required to watch the {tier} tier")
    alb = targets.get("alb") or {}
    if isinstance(alb, dict) and alb.get("load_balancer") and not str(alb["load_balancer"]).startswith("app/"):
        errors.append(
            f"{prefix}targets.alb.load_balancer: {alb['load_balancer']!r} must be the ALB's ARN suffix (app/<name>/<id>)"
        )
    for sid, service in ((targets.get("ecs") or {}).get("services") or {}).items():
        minimum = (service or {}).get("min_tasks", 1)
        if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
            errors.append(f"{prefix}targets.ecs.services.{sid}.min_tasks: {minimum!r} must be a whole number")
    return errors


# -- desired alarms ------------------------------------------------------------------------------------------------------


def alarm_prefix(name):
    return f"{name}-alarm-"


def _settings(kind, override):
    settings = dict(
        threshold=kind.threshold,
        period=kind.period,
        evaluation_periods=kind.evaluation_periods,
        datapoints_to_alarm=None,
        severity=kind.severity,
        comparison=kind.comparison,
        treat_missing_data=kind.treat_missing_data,
    )
    if isinstance(override, dict):
        settings.update({k: v for k, v in override.items() if k != "enabled" and v is not None})
    return settings


def _resources(kind, targets):
    """(label, dimensions, size) for each resource the alarm kind watches; size feeds unit conversions."""
    per = kind.per
    if kind.tier == "alb":
        alb = targets.get("alb") or {}
        lb = alb.get("load_balancer")
        if per == "load_balancer":
            return [("", [("LoadBalancer", lb)], None)] if lb else []
        return [
            (service, [("LoadBalancer", lb), ("TargetGroup", tg)], None)
            for service, tg in sorted((alb.get("target_groups") or {}).items())
            if tg
        ]
    if kind.tier == "ecs":
        ecs = targets.get("ecs") or {}
        return [
            (service, [("ClusterName", ecs["cluster"]), ("ServiceName", spec.get("name") or service)], spec)
            for service, spec in sorted((ecs.get("services") or {}).items())
        ]
    if kind.tier == "eks":
        eks = targets.get("eks") or {}
        return [("", [("ClusterName", eks["cluster"])], None)] if eks.get("cluster") else []
    if kind.tier == "database":
        instances = (targets.get("database") or {}).get("instances") or {}
        return [
            (ident, [("DBInstanceIdentifier", ident)], spec)
            for ident, spec in sorted(instances.items())
            if per == "instance" or (spec or {}).get("role") in ("replica", "dr", "reader")
        ]
    if kind.tier == "cache":
        nodes = (targets.get("cache") or {}).get("nodes") or {}
        return [
            (node, [("CacheClusterId", node)], spec)
            for node, spec in sorted(nodes.items())
            if per == "node" or (spec or {}).get("role") == "replica"
        ]
    if kind.tier == "search":
        search = targets.get("search") or {}
        if not search.get("domain"):
            return []
        return [("", [("DomainName", search["domain"]), ("ClientId", str(search.get("account_id") or ""))], search)]
    return []


def _threshold(kind, settings, size):
    value = float(settings["threshold"])
    if kind.unit == "min_tasks":
        # The service's own minimum unless the user gave a number.
        return float((size or {}).get("min_tasks", 1)) if settings["threshold"] == kind.threshold else value
    if kind.unit == "percent_of_max":
        maximum = max_connections((size or {}).get("instance_class"), (size or {}).get("max_connections"))
        return None if maximum is None else round(maximum * value / 100.0, 1)
    if kind.unit == "percent_of_storage":
        if kind.tier == "database":
            gib = (size or {}).get("allocated_storage")
            return None if not gib else round(gib * 1024**3 * value / 100.0)
        # OpenSearch reports FreeStorageSpace per node, in megabytes.
        gib = (size or {}).get("volume_size")
        return None if not gib else round(gib * 1024 * value / 100.0, 1)
    return value


def desired_alarms(params, topic_arns, region=None):
    """{alarm name: PutMetricAlarm arguments} for the spec; ``topic_arns`` maps severity to topic ARN.

    Returns (alarms, billing_alarms, notes): billing alarms go to us-east-1; notes say which alarms could not
    be derived (a DB instance class whose memory is unknown, ...).
    """
    name = params["name"]
    prefix = alarm_prefix(name)
    tiers = set(params.get("tiers") or [])
    targets = params.get("targets") or {}
    overrides = params.get("alarms") or {}
    alarms, billing, notes = {}, {}, []
    for key, kind in CATALOGUE.items():
        override = overrides.get(key)
        if kind.tier not in tiers or override is False or _disabled(override):
            continue
        settings = _settings(kind, override)
        for label, dimensions, size in _resources(kind, targets):
            alarm_name = prefix + key.replace("_", "-") + (f"-{label}" if label else "")
            threshold = _threshold(kind, settings, size)
            if threshold is None:
                notes.append(f"{alarm_name}: not created, the size it is relative to is unknown")
                continue
            alarms[alarm_name] = _alarm(alarm_name, kind, settings, dimensions, threshold, label, topic_arns)
    for group in params.get("log_groups") or []:
        for metric_filter in group.get("metric_filters") or []:
            key = f"logs_{metric_filter['name']}"
            override = overrides.get(key, metric_filter.get("alarm"))
            if not metric_filter.get("alarm") and key not in overrides:
                continue
            if override is False or _disabled(override):
                continue
            kind = AlarmKind(
                "logs", "", metric_filter.get("metric_namespace") or namespace_of(params), metric_filter["metric_name"],
                "Sum", 60, 1, 0.0, "GreaterThanThreshold", "warning",
                f"{metric_filter['metric_name']} in {group['name']} above {{threshold}} per {{minutes}} min",
                treat_missing_data="notBreaching",
            )  # fmt: skip
            settings = _settings(kind, override if isinstance(override, dict) else {})
            alarm_name = prefix + key.replace("_", "-")
            alarms[alarm_name] = _alarm(alarm_name, kind, settings, [], float(settings["threshold"]), "", topic_arns)
    thresholds = sorted(params.get("billing_thresholds") or [])
    currency = params.get("billing_currency") or "USD"
    for i, amount in enumerate(thresholds):
        key = f"billing_{_amount(amount)}"
        override = overrides.get(key)
        if override is False or _disabled(override):
            continue
        severity = "critical" if i == len(thresholds) - 1 else "warning"
        kind = AlarmKind(
            "billing", "", "AWS/Billing", "EstimatedCharges", "Maximum", 21600, 1, float(amount),
            "GreaterThanThreshold", severity, f"estimated charges above {{threshold}} {currency} this month",
        )  # fmt: skip
        settings = _settings(kind, override)
        alarm_name = prefix + key.replace("_", "-")
        billing_topics = params.get("_billing_topic_arns") or topic_arns
        billing[alarm_name] = _alarm(
            alarm_name, kind, settings, [("Currency", currency)], float(settings["threshold"]), "", billing_topics
        )
    return alarms, billing, notes


def namespace_of(params):
    return params.get("metric_namespace") or f"{params.get('platform', 'stackops')}/{params.get('environment', 'env')}"


def _amount(amount):
    return str(int(amount)) if float(amount).is_integer() else str(amount).replace(".", "_")


def _alarm(alarm_name, kind, settings, dimensions, threshold, label, topic_arns):
    minutes = settings["period"] * settings["evaluation_periods"] // 60
    shown = settings["threshold"]
    description = kind.description.format(threshold=shown, minutes=minutes, resource=label or "the tier")
    topic = topic_arns.get(settings["severity"])
    actions = [topic] if topic else []
    alarm = {
        "AlarmName": alarm_name,
        "AlarmDescription": f"[{settings['severity']}] {description}",
        "ActionsEnabled": True,
        "AlarmActions": actions,
        "OKActions": actions,
        "InsufficientDataActions": [],
        "EvaluationPeriods": settings["evaluation_periods"],
        "DatapointsToAlarm": settings["datapoints_to_alarm"] or settings["evaluation_periods"],
        "Threshold": float(threshold),
        "ComparisonOperator": settings["comparison"],
        "TreatMissingData": settings["treat_missing_data"],
    }
    dims = [{"Name": n, "Value": v} for n, v in dimensions]
    if kind.math:
        alarm["Metrics"] = [
            {"Id": "e1", "Expression": kind.math, "Label": kind.metric + " rate", "ReturnData": True},
            _metric_query("m1", kind.namespace, kind.metric, dims, settings["period"], kind.stat),
            _metric_query("m2", kind.namespace, kind.denominator, dims, settings["period"], kind.stat),
        ]
    else:
        alarm.update(Namespace=kind.namespace, MetricName=kind.metric, Dimensions=dims, Period=settings["period"])
        if re.match(r"^p\d", kind.stat):
            alarm["ExtendedStatistic"] = kind.stat
        else:
            alarm["Statistic"] = kind.stat
    return alarm


def _metric_query(query_id, namespace, metric, dimensions, period, stat):
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": False,
    }


def comparable(alarm):
    """The fields of an alarm that PutMetricAlarm sets, normalised, from a desired alarm or DescribeAlarms."""
    keys = (
        "AlarmDescription",
        "ActionsEnabled",
        "AlarmActions",
        "OKActions",
        "InsufficientDataActions",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
        "Namespace",
        "MetricName",
        "Period",
        "Statistic",
        "ExtendedStatistic",
    )
    found = {k: alarm.get(k) for k in keys if alarm.get(k) not in (None, [], "")}
    if "Threshold" in found:
        found["Threshold"] = float(found["Threshold"])
    for k in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        if k in found:
            found[k] = sorted(found[k])
    dims = alarm.get("Dimensions") or []
    if dims:
        found["Dimensions"] = sorted((d["Name"], d["Value"]) for d in dims)
    metrics = []
    for query in alarm.get("Metrics") or []:
        entry = {"Id": query["Id"], "ReturnData": bool(query.get("ReturnData", True))}
        if query.get("Expression"):
            entry["Expression"] = query["Expression"]
            entry["Label"] = query.get("Label")
        if query.get("MetricStat"):
            stat = query["MetricStat"]
            entry["MetricStat"] = (
                stat["Metric"].get("Namespace"),
                stat["Metric"].get("MetricName"),
                tuple(sorted((d["Name"], d["Value"]) for d in stat["Metric"].get("Dimensions") or [])),
                stat.get("Period"),
                stat.get("Stat"),
            )
        metrics.append(entry)
    if metrics:
        found["Metrics"] = sorted(metrics, key=lambda m: m["Id"])
    return found


def describe_alarm(alarm):
    """One line for diffs and change sentences: ``AWS/RDS CPUUtilization Average > 80.0 for 5 x 60 s``."""
    ops = {
        "GreaterThanThreshold": ">",
        "GreaterThanOrEqualToThreshold": ">=",
        "LessThanThreshold": "<",
        "LessThanOrEqualToThreshold": "<=",
    }
    op = ops.get(alarm.get("ComparisonOperator"), alarm.get("ComparisonOperator"))
    if alarm.get("Metrics"):
        expression = next((m.get("Expression") for m in alarm["Metrics"] if m.get("Expression")), "math")
        period = next((m["MetricStat"]["Period"] for m in alarm["Metrics"] if m.get("MetricStat")), 0)
        what = f"{expression}"
    else:
        period = alarm.get("Period")
        what = f"{alarm.get('Namespace')} {alarm.get('MetricName')} {alarm.get('Statistic') or alarm.get('ExtendedStatistic')}"
    actions = ",".join(a.rsplit(":", 1)[-1] for a in alarm.get("AlarmActions") or [])
    return f"{what} {op} {float(alarm.get('Threshold', 0)):g} for {alarm.get('EvaluationPeriods')} x {period} s -> {actions or 'no action'}"


# -- dashboard ----------------------------------------------------------------------------------------------------------


def dashboard_body(params, region):
    """The environment's dashboard: sections API performance, infrastructure, database, cache (and search)."""
    targets = params.get("targets") or {}
    tiers = set(params.get("tiers") or [])
    widgets, y = [], 0

    def section(title):
        nonlocal y
        widgets.append(
            {"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": f"## {title}"}}
        )
        y += 1

    def graphs(entries):
        nonlocal y
        for i, (title, metrics, stat) in enumerate(entries):
            widgets.append(
                {
                    "type": "metric",
                    "x": (i % 3) * 8,
                    "y": y + (i // 3) * 6,
                    "width": 8,
                    "height": 6,
                    "properties": {
                        "title": title,
                        "region": region,
                        "stat": stat,
                        "period": 60,
                        "view": "timeSeries",
                        "metrics": metrics,
                    },
                }
            )
        y += ((len(entries) + 2) // 3) * 6

    alb = targets.get("alb") or {}
    if "alb" in tiers and alb.get("load_balancer"):
        lb = alb["load_balancer"]
        section("API performance")
        graphs(
            [
                ("Requests", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb]], "Sum"),
                ("5xx responses", [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb]], "Sum"),
                ("p95 response time", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb]], "p95"),
            ]
        )
    infra = []
    ecs = targets.get("ecs") or {}
    if "ecs" in tiers and ecs.get("cluster"):
        services = sorted(ecs.get("services") or {})
        cpu = [["AWS/ECS", "CPUUtilization", "ClusterName", ecs["cluster"], "ServiceName", s] for s in services]
        mem = [["AWS/ECS", "MemoryUtilization", "ClusterName", ecs["cluster"], "ServiceName", s] for s in services]
        infra += [("ECS CPU %", cpu, "Average"), ("ECS memory %", mem, "Average")]
    eks = targets.get("eks") or {}
    if "eks" in tiers and eks.get("cluster"):
        infra += [
            ("Node CPU %", [["ContainerInsights", "node_cpu_utilization", "ClusterName", eks["cluster"]]], "Average"),
            (
                "Node memory %",
                [["ContainerInsights", "node_memory_utilization", "ClusterName", eks["cluster"]]],
                "Average",
            ),
        ]
    if infra:
        section("Infrastructure")
        graphs(infra)
    instances = sorted((targets.get("database") or {}).get("instances") or {})
    if "database" in tiers and instances:
        section("Database")
        graphs(
            [
                (f"RDS {metric}", [["AWS/RDS", metric, "DBInstanceIdentifier", i] for i in instances], stat)
                for metric, stat in (
                    ("CPUUtilization", "Average"),
                    ("DatabaseConnections", "Average"),
                    ("FreeStorageSpace", "Minimum"),
                    ("ReplicaLag", "Maximum"),
                )
            ]
        )
    nodes = sorted((targets.get("cache") or {}).get("nodes") or {})
    search = targets.get("search") or {}
    if ("cache" in tiers and nodes) or ("search" in tiers and search.get("domain")):
        section("Cache")
        entries = [
            (f"ElastiCache {metric}", [["AWS/ElastiCache", metric, "CacheClusterId", n] for n in nodes], stat)
            for metric, stat in (
                ("DatabaseMemoryUsagePercentage", "Average"),
                ("CacheHitRate", "Average"),
                ("Evictions", "Sum"),
                ("ReplicationLag", "Maximum"),
            )
        ] if nodes else []  # fmt: skip
        if search.get("domain"):
            dims = ["DomainName", search["domain"], "ClientId", str(search.get("account_id") or "")]
            entries.append(
                (
                    "OpenSearch status",
                    [["AWS/ES", "ClusterStatus.red", *dims], ["AWS/ES", "ClusterStatus.yellow", *dims]],
                    "Maximum",
                )
            )
        graphs(entries)
    return {"widgets": widgets}


def dashboard_json(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
