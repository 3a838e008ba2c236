"""The monitoring tier's pure logic: alarms derived from the tiers, overrides, CloudWatch's period rules, the
dashboard, the targets built from the earlier tiers' facts, and the seeds' Prometheus rules."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.filter.monitoring import monitoring_prometheus_rules
from ansible_collections.stackops.platform.plugins.filter.monitoring import monitoring_spec_errors
from ansible_collections.stackops.platform.plugins.filter.monitoring import monitoring_targets
from ansible_collections.stackops.platform.plugins.module_utils._monitoring import spec as sp

TOPICS = {"critical": "arn:aws:sns:us-east-1:1:demo-critical", "warning": "arn:aws:sns:us-east-1:1:demo-warning"}


def params(**extra):
    base = {
        "name": "demo-local",
        "platform": "demo",
        "environment": "local",
        "topics": [{"name": "critical"}, {"name": "warning"}],
        "tiers": ["alb", "ecs", "database"],
        "targets": {
            "alb": {"load_balancer": "app/lb/1", "target_groups": {"api": "targetgroup/api/2"}},
            "ecs": {"cluster": "demo-local", "services": {"api": {"min_tasks": 3}}},
            "database": {
                "instances": {"db": {"role": "primary", "instance_class": "db.r6g.xlarge", "allocated_storage": 100}}
            },
        },
        "alarms": {},
    }
    base.update(extra)
    return base


def test_the_catalogue_follows_the_tiers_and_the_seeds():
    alarms, billing, notes = sp.desired_alarms(params(), TOPICS)
    assert sorted(alarms) == sorted(
        "demo-local-alarm-" + n
        for n in (
            "alb-5xx-rate", "alb-p95-latency", "alb-unhealthy-targets-api", "ecs-cpu-api", "ecs-memory-api",
            "ecs-running-tasks-api", "rds-cpu-db", "rds-connections-db", "rds-free-storage-db",
        )
    )  # fmt: skip
    assert billing == {} and notes == []
    connections = alarms["demo-local-alarm-rds-connections-db"]
    # no max_connections in the parameter group: RDS's default for 32 GiB, LEAST(32 GiB / 9531392, 5000) = 3604
    assert connections["Threshold"] == round(3604 * 0.8, 1)
    assert alarms["demo-local-alarm-ecs-running-tasks-api"]["Threshold"] == 3.0
    assert alarms["demo-local-alarm-alb-5xx-rate"]["AlarmActions"] == [TOPICS["critical"]]


def test_overrides_change_or_remove_one_alarm():
    alarms, _billing, _notes = sp.desired_alarms(
        params(alarms={"ecs_cpu": {"threshold": 55, "period": 300, "evaluation_periods": 2}, "rds_cpu": False}), TOPICS
    )
    cpu = alarms["demo-local-alarm-ecs-cpu-api"]
    assert (cpu["Threshold"], cpu["Period"], cpu["EvaluationPeriods"]) == (55.0, 300, 2)
    assert "demo-local-alarm-rds-cpu-db" not in alarms


def test_billing_alarms_rise_in_severity_and_use_the_billing_topics():
    p = params(tiers=["billing"], targets={}, billing_thresholds=[3000, 2000, 2500])
    _alarms, billing, _notes = sp.desired_alarms(dict(p, _billing_topic_arns={"critical": "b", "warning": "b"}), TOPICS)
    assert [billing[f"demo-local-alarm-billing-{a}"]["AlarmDescription"][:10] for a in (2000, 2500, 3000)] == [
        "[warning] ",
        "[warning] ",
        "[critical]",
    ]
    assert billing["demo-local-alarm-billing-3000"]["AlarmActions"] == ["b"]


def test_an_unknown_instance_class_is_a_note_not_a_guess():
    targets = {
        "database": {"instances": {"db": {"role": "primary", "instance_class": "db.x9.huge", "allocated_storage": 10}}}
    }
    alarms, _billing, notes = sp.desired_alarms(params(tiers=["database"], targets=targets), TOPICS)
    assert "demo-local-alarm-rds-connections-db" not in alarms
    assert notes == ["demo-local-alarm-rds-connections-db: not created, the size it is relative to is unknown"]


@pytest.mark.parametrize(
    ("period", "evaluations", "problem"),
    [
        (10, 6, None),
        (20, 1, None),
        (60, 1440, None),
        (45, 1, "10, 20, 30 or a multiple of 60"),
        (90, 1, "10, 20, 30 or a multiple of 60"),
        (60, 1441, "longer than one day"),
        (3600, 169, "longer than CloudWatch's 7 days"),
        (3600, 168, None),
    ],
)
def test_periods_cloudwatch_accepts(period, evaluations, problem):
    errors = sp.period_errors("x", period, evaluations)
    assert (errors == []) if problem is None else (problem in errors[0])


def test_comparable_ignores_what_describe_alarms_adds():
    alarm = sp.desired_alarms(params(), TOPICS)[0]["demo-local-alarm-alb-5xx-rate"]
    described = dict(alarm, AlarmArn="arn", StateValue="OK", Threshold=1, Dimensions=[], Period=None)
    assert sp.comparable(described) == sp.comparable(alarm)
    assert sp.comparable(dict(described, Threshold=2)) != sp.comparable(alarm)


def test_dashboard_sections_follow_the_tiers():
    body = sp.dashboard_body(params(), "us-east-1")
    assert [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"] == [
        "## API performance",
        "## Infrastructure",
        "## Database",
    ]
    assert sp.dashboard_json(body) == sp.dashboard_json(sp.dashboard_body(params(), "us-east-1"))  # stable


def test_validation_names_the_role_variables():
    errors = monitoring_spec_errors(
        params(tiers=["logs"], alarms={"ecs_cpu": {"threshold": 60}}, billing_thresholds=[10]), prefix="monitoring_"
    )
    assert (
        "monitoring_alarms.ecs_cpu: an alarm on the ecs tier, which the inventory does not have (monitoring_tiers: logs)"
        in errors
    )
    assert "monitoring_billing_thresholds: billing alarms need 'billing' in monitoring_tiers" in errors
    assert any(e.startswith("monitoring_targets.alb: the inventory has no alb tier") for e in errors)


def test_removing_an_alarm_of_a_missing_tier_is_allowed():
    assert monitoring_spec_errors(params(alarms={"search_red": False})) == []


def test_targets_from_the_earlier_tiers_facts():
    ecs_fact = {
        "cluster_name": "demo-local",
        "services": ["api", "worker"],
        "load_balancer": {
            "arn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-local-alb/abc",
            "target_groups": {"api": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-local-api/def"},
        },
    }
    database_fact = {"identifier": "demo-local-db", "replicas": {"demo-local-db-replica1": {}}}
    cache_fact = {
        "replication_group_id": "demo-local-cache",
        "arn": "arn",
        "members": [{"id": "n1", "role": "primary"}, {"id": "n2", "role": "replica"}],
    }
    inventory = {
        "cluster_services": [{"name": "api", "min_tasks": 2}, {"name": "worker", "min_tasks": 1}],
        "database_parameters": {"max_connections": 500},
        "database_instance_class": "db.r6g.xlarge",
        "database_allocated_storage": 500,
        "database_read_replicas": [{"name": "replica1", "instance_class": "db.r6g.large"}],
    }
    targets = monitoring_targets(
        ["alb", "ecs", "database", "cache"], ecs=ecs_fact, database=database_fact, cache=cache_fact, inventory=inventory
    )
    assert targets["alb"] == {
        "load_balancer": "app/demo-local-alb/abc",
        "target_groups": {"api": "targetgroup/demo-local-api/def"},
    }
    assert targets["ecs"] == {
        "cluster": "demo-local",
        "services": {"api": {"min_tasks": 2}, "worker": {"min_tasks": 1}},
    }
    assert targets["database"]["instances"]["demo-local-db-replica1"] == {
        "role": "replica", "instance_class": "db.r6g.large", "allocated_storage": 500, "max_connections": 500,
    }  # fmt: skip
    assert targets["cache"]["nodes"] == {"n1": {"role": "primary"}, "n2": {"role": "replica"}}
    assert monitoring_spec_errors(params(tiers=["alb", "ecs", "database", "cache"], targets=targets)) == []


def test_the_dr_hosts_database_fact_is_a_replica():
    fact = {"identifier": "demo-local-db-dr", "source_arn": "arn:aws:rds:us-east-1:1:db:demo-local-db", "replicas": {}}
    targets = monitoring_targets(["database"], database=fact, inventory={"database_instance_class": "db.r6g.large"})
    assert targets["database"]["instances"]["demo-local-db-dr"]["role"] == "dr"
    p = params(tiers=["database"], targets=targets)
    assert "demo-local-alarm-rds-replica-lag-demo-local-db-dr" in sp.desired_alarms(p, TOPICS)[0]


def test_the_seeds_prometheus_rules():
    rule = monitoring_prometheus_rules({"p95_latency_seconds": 2}, "demo-local", "monitoring", ["CeleryQueueBacklog"])
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["kind"] == "PrometheusRule"
    rules = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    assert set(rules) == {
        "HighErrorRate",
        "HighLatency",
        "ServiceDown",
        "HighMemory",
        "DatabasePoolExhausted",
        "ReplicationLag",
    }
    assert rules["HighLatency"]["expr"].endswith("> 2") and rules["HighLatency"]["for"] == "10m"
    assert rules["HighErrorRate"]["expr"].endswith("> 0.05") and rules["ServiceDown"]["for"] == "2m"
    assert rules["ServiceDown"]["annotations"]["summary"] == "{{ $labels.job }} is down"
