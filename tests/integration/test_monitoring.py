"""The monitoring tier converged on the emulator, read back from the API with boto3.

Network and security (the KMS keys) are converged first; the cluster, database, cache and search tiers are
not: the tests give ``monitoring_targets`` in the shape the role derives from those tiers' facts, so the
alarms of a prod-shaped environment exist without converging it. The read-back, idempotence and override
tests share one converged environment (module scope, in file order); check mode and bad input start from an
emptied emulator.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_playbook

PRIMARY = "local-use1"
TIERS = "tests/integration/monitoring_backups_tiers.yml"
PLAYBOOK = "playbooks/monitoring.yml"
PREFIX = "demo-local-alarm-"
TARGETS = {
    "alb": {
        "load_balancer": "app/demo-local-alb/50dc6c495c0c9188",
        "target_groups": {"api": "targetgroup/demo-local-api/73e2d6bc24d8a067", "admin": "targetgroup/demo-local-admin/1a2b"},
    },
    "ecs": {"cluster": "demo-local", "services": {"api": {"min_tasks": 2}, "admin": {"min_tasks": 1}, "worker": {"min_tasks": 1}}},
    "database": {
        "instances": {
            "demo-local-db": {"role": "primary", "instance_class": "db.r6g.xlarge", "allocated_storage": 500, "max_connections": 500},
            "demo-local-db-replica1": {"role": "replica", "instance_class": "db.r6g.large", "allocated_storage": 500},
            "demo-local-db-replica2": {"role": "replica", "instance_class": "db.r6g.large", "allocated_storage": 500},
        }
    },
    "cache": {
        "replication_group": "demo-local-cache",
        "nodes": {"demo-local-cache-001": {"role": "primary"}, "demo-local-cache-002": {"role": "replica"}, "demo-local-cache-003": {"role": "replica"}},
    },
    "search": {"domain": "demo-local-search", "volume_size": 100},
}  # fmt: skip
TIERS_ON = ["alb", "ecs", "database", "cache", "search", "billing", "logs"]
EXTRA = {"monitoring_targets": TARGETS, "monitoring_tiers": TIERS_ON, "backups_enabled": False}


def alarms(emulator, region="us-east-1", prefix=PREFIX):
    pages = emulator.boto3_client("cloudwatch", region).get_paginator("describe_alarms")
    return {a["AlarmName"]: a for page in pages.paginate(AlarmNamePrefix=prefix) for a in page["MetricAlarms"]}


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


@pytest.fixture(scope="module")
def converged(emulator_session):
    emulator_session.reset()
    run = run_playbook(emulator_session, TIERS, limit=PRIMARY, extra_vars=EXTRA)
    assert run.rc == 0, run.messages()[-3000:]
    return run


def test_alarms_follow_the_seeds_thresholds_for_every_tier(emulator_session, converged):
    found = alarms(emulator_session)
    expected = {
        "alb-5xx-rate", "alb-p95-latency", "alb-unhealthy-targets-admin", "alb-unhealthy-targets-api",
        *(f"ecs-{m}-{s}" for m in ("cpu", "memory", "running-tasks") for s in ("admin", "api", "worker")),
        *(f"rds-{m}-demo-local-db{r}" for m in ("cpu", "connections", "free-storage") for r in ("", "-replica1", "-replica2")),
        "rds-replica-lag-demo-local-db-replica1", "rds-replica-lag-demo-local-db-replica2",
        *(f"cache-{m}-demo-local-cache-00{n}" for m in ("memory", "evictions", "cpu") for n in (1, 2, 3)),
        "cache-replication-lag-demo-local-cache-002", "cache-replication-lag-demo-local-cache-003",
        "search-red", "search-yellow", "search-free-storage",
        "billing-2000", "billing-2500", "billing-3000", "logs-errors", "logs-auth-failures",
    }  # fmt: skip
    assert set(found) == {PREFIX + name for name in expected}
    rate = found[PREFIX + "alb-5xx-rate"]  # seed 000: 5xx above 1 % of requests for 2 minutes, paging
    assert (
        rate["Threshold"] == 1.0
        and rate["EvaluationPeriods"] == 2
        and rate["ComparisonOperator"] == "GreaterThanThreshold"
    )
    queries = {m["Id"]: m for m in rate["Metrics"]}
    assert queries["e1"]["Expression"] == "100 * FILL(m1, 0) / m2" and queries["e1"]["ReturnData"] is True
    assert queries["m1"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert queries["m2"]["MetricStat"]["Metric"]["MetricName"] == "RequestCount"
    assert queries["m1"]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": TARGETS["alb"]["load_balancer"]}
    ]
    assert rate["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:demo-local-critical"]
    p95 = found[PREFIX + "alb-p95-latency"]  # seed 000: p95 above 1 s for 5 minutes
    assert (
        p95["ExtendedStatistic"] == "p95"
        and p95["Threshold"] == 1.0
        and p95["EvaluationPeriods"] * p95["Period"] == 300
    )
    assert p95["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:demo-local-warning"]
    # connections above 80 % of max_connections: 400 of the parameter group's 500; replicas from RDS's default
    # LEAST(DBInstanceClassMemory/9531392, 5000) for 16 GiB (1802), 80 % of it
    assert found[PREFIX + "rds-connections-demo-local-db"]["Threshold"] == 400.0
    assert found[PREFIX + "rds-connections-demo-local-db-replica1"]["Threshold"] == pytest.approx(1802 * 0.8, abs=0.1)
    assert found[PREFIX + "rds-free-storage-demo-local-db"]["Threshold"] == 500 * 1024**3 * 0.1
    assert found[PREFIX + "ecs-running-tasks-api"]["Threshold"] == 2.0
    assert found[PREFIX + "ecs-running-tasks-api"]["ComparisonOperator"] == "LessThanThreshold"
    assert found[PREFIX + "ecs-cpu-api"]["Threshold"] == 70.0 and found[PREFIX + "ecs-memory-api"]["Threshold"] == 80.0
    assert found[PREFIX + "cache-memory-demo-local-cache-001"]["Threshold"] == 85.0
    assert found[PREFIX + "cache-evictions-demo-local-cache-001"]["Threshold"] == 0.0
    assert {d["Name"]: d["Value"] for d in found[PREFIX + "search-red"]["Dimensions"]} == {
        "DomainName": "demo-local-search",
        "ClientId": "123456789012",
    }
    billing = found[PREFIX + "billing-3000"]  # seed 001: $2000 / $2500 / $3000; billing metrics live in us-east-1
    assert billing["Namespace"] == "AWS/Billing" and billing["MetricName"] == "EstimatedCharges"
    assert billing["Dimensions"] == [{"Name": "Currency", "Value": "USD"}] and billing["Threshold"] == 3000.0
    assert billing["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:demo-local-critical"]
    assert found[PREFIX + "billing-2000"]["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:demo-local-warning"]
    for alarm in found.values():
        assert alarm.get("Metrics") or alarm["Period"] in (10, 20, 30) or alarm["Period"] % 60 == 0


def test_topics_are_encrypted_with_the_security_tiers_key_and_subscribed(emulator_session, converged):
    sns = emulator_session.boto3_client("sns")
    key = emulator_session.boto3_client("kms").describe_key(KeyId="alias/demo-local-logs")["KeyMetadata"]["Arn"]
    for severity, (protocol, endpoint) in {
        "critical": ("https", "https://events.pager.example.com/v2/enqueue/demo-local"),
        "warning": ("email", "oncall@example.com"),
    }.items():
        arn = f"arn:aws:sns:us-east-1:123456789012:demo-local-{severity}"
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [(protocol, endpoint)]
        tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
        assert tags["stackops:component"] == "monitoring" and tags["owner"] == "platform-team"
    policy = json.loads(emulator_session.boto3_client("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in policy["Statement"])


def test_log_groups_with_retention_kms_and_metric_filters(emulator_session, converged):
    logs = emulator_session.boto3_client("logs")
    key = emulator_session.boto3_client("kms").describe_key(KeyId="alias/demo-local-logs")["KeyMetadata"]["Arn"]
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/demo/local/")["logGroups"]}
    assert groups["/demo/local/application"]["retentionInDays"] == 90  # seed 000
    assert groups["/demo/local/audit"]["retentionInDays"] == 3653  # compliance: 10 years
    assert {g["kmsKeyId"] for g in groups.values()} == {key}
    filters = {
        f["filterName"]: f
        for f in logs.describe_metric_filters(logGroupName="/demo/local/application")["metricFilters"]
    }
    assert set(filters) == {"demo-local-errors", "demo-local-auth_failures"}
    assert filters["demo-local-errors"]["metricTransformations"][0]["metricName"] == "ApplicationErrors"
    alarm = alarms(emulator_session)[PREFIX + "logs-errors"]  # the filter's metric feeds an alarm
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"], alarm["Period"]) == (
        "demo/local",
        "ApplicationErrors",
        10.0,
        300,
    )


def test_dashboard_has_the_seeds_sections(emulator_session, converged):
    body = json.loads(
        emulator_session.boto3_client("cloudwatch").get_dashboard(DashboardName="demo-local-us-east-1")["DashboardBody"]
    )
    sections = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert sections == ["## API performance", "## Infrastructure", "## Database", "## Cache"]
    metrics = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    assert ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", TARGETS["alb"]["load_balancer"]] in metrics


def test_second_converge_reads_only(emulator_session, converged):
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, PLAYBOOK, limit=PRIMARY, extra_vars=EXTRA)
    assert run.rc == 0 and run.changed() == 0, run.messages()
    calls = emulator_session.calls()
    assert calls["writes"] == 0, writes(emulator_session)
    # ~50 alarms in one module run: DescribeAlarms pages of 100 by the tier's prefix, never one call per alarm
    assert calls["by_operation"]["monitoring:DescribeAlarms"] == 1
    assert "monitoring:GetDashboard" in calls["by_operation"]


def test_overrides_change_and_remove_only_those_alarms(emulator_session, converged):
    before = alarms(emulator_session)
    emulator_session.clear_calls()
    overrides = {"ecs_cpu": {"threshold": 60, "evaluation_periods": 3}, "rds_free_storage": False}
    run = run_playbook(emulator_session, PLAYBOOK, limit=PRIMARY, extra_vars={**EXTRA, "monitoring_alarms": overrides})
    assert run.rc == 0, run.messages()
    assert sorted(writes(emulator_session)) == ["monitoring:DeleteAlarms"] + ["monitoring:PutMetricAlarm"] * 3
    after = alarms(emulator_session)
    assert set(before) - set(after) == {
        PREFIX + f"rds-free-storage-demo-local-db{r}" for r in ("", "-replica1", "-replica2")
    }
    assert (
        after[PREFIX + "ecs-cpu-api"]["Threshold"] == 60.0 and after[PREFIX + "ecs-cpu-api"]["EvaluationPeriods"] == 3
    )
    assert after[PREFIX + "ecs-memory-api"] == before[PREFIX + "ecs-memory-api"]


def test_billing_alarms_from_another_region_live_in_us_east_1(emulator_session, converged):
    extra = {"monitoring_name": "demo-west", "monitoring_tiers": ["billing", "logs"], "monitoring_targets": {},
             "monitoring_billing_thresholds": [500], "monitoring_log_groups": [], "backups_enabled": False}  # fmt: skip
    run = run_playbook(emulator_session, PLAYBOOK, limit="local-usw2", extra_vars=extra)
    assert run.rc == 0, run.messages()
    [billing] = alarms(emulator_session, "us-east-1", "demo-west-alarm-").values()
    assert billing["AlarmName"] == "demo-west-alarm-billing-500" and billing["Namespace"] == "AWS/Billing"
    # alarm actions must be in the alarm's region: a topic of its own in us-east-1
    assert billing["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:demo-west-billing"]
    assert alarms(emulator_session, "us-west-2", "demo-west-alarm-") == {}
    assert run_playbook(emulator_session, PLAYBOOK, limit="local-usw2", extra_vars=extra).changed() == 0


def test_check_mode_on_an_empty_account_makes_no_write(emulator):
    run = run_playbook(emulator, TIERS, limit=PRIMARY, extra_vars=EXTRA, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert writes(emulator) == []
    result = run.result("Converge alarms, topics, log groups", PRIMARY)
    assert result["changed"] and any(
        c.startswith("create alarm demo-local-alarm-alb-5xx-rate") for c in result["changes"]
    )
    assert PREFIX + "billing-3000" in result["diff"]["after"]["alarms"]


# -- bad input: refused before any API call, naming the variable and the rule --------------------------------------------

BAD_INPUT = {
    "alarm on a tier the inventory lacks": (
        {"monitoring_tiers": ["logs"], "monitoring_alarms": {"rds_cpu": {"threshold": 50}}},
        ["monitoring_alarms.rds_cpu", "the database tier, which the inventory does not have"],
    ),
    "threshold of the wrong type": (
        {"monitoring_alarms": {"ecs_cpu": {"threshold": "seventy"}}},
        ["monitoring_alarms.ecs_cpu.threshold", "must be a number"],
    ),
    "period CloudWatch refuses": (
        {"monitoring_alarms": {"alb_p95_latency": {"period": 45}}},
        ["monitoring_alarms.alb_p95_latency.period", "10, 20, 30 or a multiple of 60"],
    ),
    "evaluation longer than a day": (
        {"monitoring_alarms": {"ecs_memory": {"period": 300, "evaluation_periods": 300}}},
        ["monitoring_alarms.ecs_memory.evaluation_periods", "longer than one day"],
    ),
    "unknown alarm": ({"monitoring_alarms": {"ecs_disk": {"threshold": 1}}}, ["monitoring_alarms.ecs_disk", "not an alarm"]),
    "unknown severity": (
        {"monitoring_alarms": {"ecs_cpu": {"severity": "page"}}},
        ["monitoring_alarms.ecs_cpu.severity", "critical, warning"],
    ),
    "log retention CloudWatch refuses": (
        {"monitoring_log_groups": [{"name": "/demo/x", "retention_days": 45}]},
        ["monitoring_log_groups[0].retention_days", "not a retention CloudWatch Logs accepts"],
    ),
    "subscription that is not an email": (
        {"monitoring_topics": [{"name": "critical", "subscriptions": [{"protocol": "email", "endpoint": "oncall"}]}, {"name": "warning"}]},
        ["monitoring_topics[0].subscriptions[0].endpoint", "not an email address"],
    ),
    "no warning topic": ({"monitoring_topics": [{"name": "critical"}]}, ["monitoring_topics", "'warning'"]),
    "negative billing threshold": (
        {"monitoring_billing_thresholds": [2000, -5]},
        ["monitoring_billing_thresholds[1]", "positive amount"],
    ),
    "datapoints above the evaluation periods": (
        {"monitoring_alarms": {"rds_cpu": {"datapoints_to_alarm": 9}}},
        ["monitoring_alarms.rds_cpu.datapoints_to_alarm", "1 to evaluation_periods (5)"],
    ),
    "metric filter without a pattern": (
        {"monitoring_log_groups": [{"name": "/demo/x", "metric_filters": [{"name": "errors", "pattern": "", "metric_name": "E"}]}]},
        ["monitoring_log_groups[0].metric_filters[0].pattern", "required"],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    """Every case as one host of one inventory: one ansible-playbook run checks them all."""
    emulator_session.reset()
    hosts = {name.replace(" ", "-"): variables for name, (variables, _expected) in BAD_INPUT.items()}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "platform_name": "demo",
                "platform_environment": "test",
                "platform_region": "us-east-1",
                "cluster_type": "ecs",
            },
            "hosts": hosts,
        }
    }
    path = tmp_path_factory.mktemp("bad-monitoring") / "hosts.yml"
    path.write_text(json.dumps(inventory))
    run = run_playbook(emulator_session, PLAYBOOK, inventory=str(path), env={"ANSIBLE_FORKS": "8"})
    return run, emulator_session.calls()


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_naming_the_variable_and_rule(bad_input_run, case):
    run, _calls = bad_input_run
    [result] = run.results("Validate the monitoring spec", case.replace(" ", "-"))
    assert result.get("failed"), f"{case} was not rejected"
    message = json.dumps(result.get("msg"))
    for expected in BAD_INPUT[case][1]:
        assert expected in message, message
