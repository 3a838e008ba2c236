"""The database spec: validation messages, parameter units, names and version matching (pure Python)."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.module_utils._database import spec as sp

GOOD = {
    "name": "moneytrack-prod",
    "engine": "postgres",
    "engine_version": "15",
    "instance_class": "db.r6g.xlarge",
    "allocated_storage": 500,
    "max_allocated_storage": 2000,
    "storage_type": "gp3",
    "iops": 12000,
    "storage_throughput": 500,
    "multi_az": True,
    "protected": True,
    "read_replicas": [{"name": "replica1", "instance_class": "db.r6g.large", "availability_zone": "us-east-1a"}],
    "parameters": {"max_connections": 500, "shared_buffers": "8GB", "shared_preload_libraries": "pg_stat_statements"},
    "performance_insights": True,
    "performance_insights_retention_days": 7,
    "monitoring_interval": 60,
    "cloudwatch_logs_exports": ["postgresql", "upgrade"],
    "backup_retention_days": 30,
    "backup_window": "03:00-04:00",
    "maintenance_window": "sun:05:00-sun:06:00",
}


def errors(region="us-east-1", **change):
    return sp.validate({**GOOD, **change}, region, prefix="database_")


def test_seed_001_is_valid():
    assert errors() == []


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"backup_retention_days": 36},
            "database_backup_retention_days: 36 days is outside what RDS accepts (1 to 35)",
        ),
        ({"multi_az": False}, "database_multi_az: a protected environment runs its database in more than one AZ"),
        ({"instance_class": "db.q9.huge"}, "database_instance_class: 'db.q9.huge' is not an RDS instance class"),
        ({"dr_instance_class": "db.r6g.64xlarge"}, "database_dr_instance_class: 'db.r6g.64xlarge' does not exist"),
        ({"storage_type": "gp2", "storage_throughput": None}, "database_iops: gp2 storage takes no IOPS setting"),
        ({"allocated_storage": 19}, "database_allocated_storage: 19 GiB is outside"),
        (
            {"max_allocated_storage": 100},
            "database_max_allocated_storage: 100 GiB is below database_allocated_storage 500",
        ),
        ({"performance_insights_retention_days": 100}, "database_performance_insights_retention_days: 100 is not"),
        ({"maintenance_window": "sun:05:00-sun:05:10"}, "lasts less than 30 minutes"),
        ({"backup_window": "05:30-06:30"}, "overlaps database_maintenance_window"),
        (
            {"read_replicas": [{"availability_zone": "eu-west-1a"}]},
            "'eu-west-1a' is not an availability zone of us-east-1",
        ),
        ({"parameters": {"max_conections": 1}}, "database_parameters.max_conections: postgres15 parameter"),
        ({"parameters": {"work_mem": "5s"}}, "database_parameters.work_mem: '5s' is a time, but work_mem is a size"),
        ({"allocated_storage": 100, "max_allocated_storage": 0}, "gp3 below 400 GiB has a fixed baseline"),
        ({"storage_type": "io1", "iops": 30000, "storage_throughput": None}, "more than 50 IOPS per GiB"),
        ({"monitoring_interval": 45}, "database_monitoring_interval: 45 is not one of"),
        ({"cloudwatch_logs_exports": ["slowquery"]}, "database_cloudwatch_logs_exports[0]: 'slowquery'"),
        ({"engine_version": "14.9"}, "database_engine_version: '14.9' is not a PostgreSQL version this tier supports"),
        ({"primary_region": "us-east-1"}, "database_primary_region: the DR replica must be in another region"),
        ({"tags": {"aws:owner": "x"}}, "database_tags.aws:owner: the aws: and stackops: prefixes are reserved"),
    ],
)
def test_rules(change, message):
    found = errors(**change)
    assert any(message in e for e in found), found


def test_single_az_is_accepted_with_the_override():
    assert errors(multi_az=False, allow_single_az=True) == []


@pytest.mark.parametrize(
    "low, high, message",
    [
        (0.3, 16, "0.3 ACU is not a multiple of 0.5"),
        (0.5, 300, "300 ACU is outside what Aurora accepts for the maximum: 1 to 256"),
        (8, 4, "8 ACU is above the maximum 4 ACU"),
        (0.5, 0.5, "0.5 ACU is outside what Aurora accepts for the maximum"),
    ],
)
def test_serverless_v2_capacity(low, high, message):
    spec = {
        **GOOD,
        "engine": "aurora-postgresql",
        "serverless_v2": True,
        "serverless_v2_min_capacity": low,
        "serverless_v2_max_capacity": high,
        "cloudwatch_logs_exports": ["postgresql"],
        "read_replicas": [],
    }
    found = sp.validate(spec, "us-east-1", prefix="database_")
    assert any(message in e for e in found), found


def test_serverless_v2_min_zero_is_auto_pause():
    spec = {**GOOD, "engine": "aurora-postgresql", "serverless_v2": True, "cloudwatch_logs_exports": ["postgresql"]}
    assert sp.validate({**spec, "serverless_v2_min_capacity": 0, "serverless_v2_max_capacity": 4}, "us-east-1") == []


@pytest.mark.parametrize(
    "name, value, stored",
    [
        ("shared_buffers", "8GB", "1048576"),
        ("effective_cache_size", "24GB", "3145728"),
        ("work_mem", "64MB", "65536"),
        ("maintenance_work_mem", "2GB", "2097152"),
        ("max_connections", 500, "500"),
        ("random_page_cost", 1.1, "1.1"),
        ("statement_timeout", "30s", "30000"),
        ("checkpoint_timeout", "15min", "900"),
        ("max_wal_size", "4GB", "4096"),
        ("rds.force_ssl", True, "1"),
        ("shared_buffers", "{DBInstanceClassMemory/32768}", "{DBInstanceClassMemory/32768}"),
    ],
)
def test_parameter_units(name, value, stored):
    assert sp.parameter_value(name, value) == stored


def test_static_parameters_wait_for_a_reboot():
    found = sp.desired_parameters({"shared_buffers": "8GB", "work_mem": "64MB"})
    assert found == {"shared_buffers": ("1048576", "pending-reboot"), "work_mem": ("65536", "immediate")}


def test_names_and_versions():
    names = sp.Names("moneytrack-prod", "postgres", "15", "us-east-1")
    assert (names.primary, names.writer, names.dr, names.parameter_group) == (
        "moneytrack-prod-db",
        "moneytrack-prod-db",
        "moneytrack-prod-db-dr",
        "moneytrack-prod-postgres15",
    )
    assert names.monitoring_role == "moneytrack-prod-rds-monitoring-us-east-1"
    aurora = sp.Names("chat-prod", "aurora-postgresql", "16.4")
    assert (aurora.writer, aurora.parameter_group) == ("chat-prod-db-1", "chat-prod-aurora-postgresql16")
    assert sp.version_matches("15", "15.10") and not sp.version_matches("15", "16.1")
    assert sp.version_matches("16.4", "16.4") and not sp.version_matches("16.4", "16.6")
    assert sp.version_key("15.10") > sp.version_key("15.9")
