# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The database spec: validation, names, the parameter group, what RDS defers to the maintenance window.

Pure Python, no AWS calls. Shared by the ``database_postgres`` module (which validates its options before any
API call) and the ``database_spec_errors`` filter (which the ``database`` role runs before the module, so
that messages name the role variables: ``database_read_replicas[1].availability_zone``).
"""

from __future__ import annotations

import re

from ..aws_rules import REGION_RE
from ..aws_rules import iam_role_name
from ..windows import daily_window_errors
from ..windows import maintenance_window_errors
from ..windows import overlap_errors

ENGINES = ("postgres", "aurora-postgresql")
# Major versions RDS and Aurora offer today whose parameter names the table below was checked against.
MAJOR_VERSIONS = ("15", "16", "17")
STORAGE_TYPES = ("gp2", "gp3", "io1", "io2")
# RDS User Guide, "Amazon RDS DB instance storage": PostgreSQL takes 20 GiB to 64 TiB of gp2/gp3/io1/io2.
MIN_STORAGE, MAX_STORAGE = 20, 65536
# gp3 below 400 GiB has a fixed baseline (3,000 IOPS, 125 MiB/s); from 400 GiB, 12,000-64,000 IOPS and 500-4,000 MiB/s.
GP3_THRESHOLD = 400
GP3_IOPS = (12000, 64000)
GP3_THROUGHPUT = (500, 4000)
# io1/io2: 1,000-256,000 IOPS, at most 50 (io1) / 1,000 (io2) IOPS per GiB.
PROVISIONED_IOPS = (1000, 256000)
IOPS_PER_GIB = {"io1": 50, "io2": 1000}
MAX_BACKUP_RETENTION = 35
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
LOG_EXPORTS = {
    "postgres": ("postgresql", "upgrade", "iam-db-auth-error"),
    "aurora-postgresql": ("postgresql", "instance", "iam-db-auth-error"),
}
# Aurora Serverless v2 capacity: 0 (auto-pause) or 0.5 to 256 ACU in steps of 0.5; the maximum at least 1.
ACU_MIN, ACU_MAX = 0.5, 256
# The sizes RDS offers per instance family ("DB instance classes" in the RDS User Guide, supported-classes
# tables): a class outside them (db.t3.4xlarge, db.r6g.24xlarge) does not exist and CreateDBInstance refuses it.
_SIZES_TO = (
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")


def _up_to(largest):
    return _SIZES_TO[: _SIZES_TO.index(largest) + 1]


INSTANCE_SIZES = {
    "t3": _BURSTABLE,
    "t4g": _BURSTABLE,
    "m5": _up_to("24xlarge"),
    "m5d": _up_to("24xlarge"),
    "m6g": _up_to("16xlarge"),
    "m6gd": _up_to("16xlarge"),
    "m6i": _up_to("32xlarge"),
    "m6id": _up_to("32xlarge"),
    "m7g": _up_to("16xlarge"),
    "m7i": tuple(s for s in _up_to("48xlarge") if s != "32xlarge"),
    "r5": _up_to("24xlarge"),
    "r5b": _up_to("24xlarge"),
    "r5d": _up_to("24xlarge"),
    "r6g": _up_to("16xlarge"),
    "r6gd": _up_to("16xlarge"),
    "r6i": _up_to("32xlarge"),
    "r6id": _up_to("32xlarge"),
    "r7g": _up_to("16xlarge"),
    "r7i": tuple(s for s in _up_to("48xlarge") if s != "32xlarge"),
    "r8g": tuple(s for s in _up_to("48xlarge") if s != "32xlarge"),
    "x2g": _up_to("16xlarge"),
    "x2iedn": tuple(s for s in _up_to("32xlarge") if s != "large"),
}
INSTANCE_FAMILIES = tuple(INSTANCE_SIZES)
MAX_READ_REPLICAS = 15  # RDS for PostgreSQL: up to 15 read replicas per source instance
_CLASS_RE = re.compile(r"^db\.([a-z0-9]+)\.(micro|small|medium|large|xlarge|\d{1,2}xlarge)$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")
_REPLICA_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
_VERSION_RE = re.compile(r"^(\d+)(\.\d+)?$")
_DB_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_USER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:")

# RDS settings the API applies at the next maintenance window unless ApplyImmediately is true (RDS User Guide,
# "Settings for DB instances"): ModifyDBInstance parameter -> PendingModifiedValues key.
DEFERRED = {
    "DBInstanceClass": "DBInstanceClass",
    "AllocatedStorage": "AllocatedStorage",
    "StorageType": "StorageType",
    "Iops": "Iops",
    "StorageThroughput": "StorageThroughput",
    "EngineVersion": "EngineVersion",
    "MultiAZ": "MultiAZ",
}
# Of those, the ones that mean downtime (a reboot or a failover to a new host).
DOWNTIME = ("DBInstanceClass", "StorageType", "EngineVersion")

# PostgreSQL parameters (RDS postgres15/16/17 and aurora-postgresql15/16/17 families) this tier knows:
# name -> (unit RDS stores the value in, static). Static parameters take effect at the next reboot
# (ApplyMethod pending-reboot), dynamic ones at once. Other names need database_parameters_unchecked.
MEMORY_UNITS = {"kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
TIME_UNITS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
PARAMETERS = {
    "autovacuum": (None, False),
    "autovacuum_analyze_scale_factor": (None, False),
    "autovacuum_max_workers": (None, True),
    "autovacuum_naptime": ("s", False),
    "autovacuum_vacuum_cost_limit": (None, False),
    "autovacuum_vacuum_scale_factor": (None, False),
    "autovacuum_work_mem": ("kB", False),
    "checkpoint_timeout": ("s", False),
    "default_statistics_target": (None, False),
    "deadlock_timeout": ("ms", False),
    "effective_cache_size": ("8kB", False),
    "effective_io_concurrency": (None, False),
    "idle_in_transaction_session_timeout": ("ms", False),
    "lock_timeout": ("ms", False),
    "log_autovacuum_min_duration": ("ms", False),
    "log_connections": (None, False),
    "log_disconnections": (None, False),
    "log_lock_waits": (None, False),
    "log_min_duration_statement": ("ms", False),
    "log_statement": (None, False),
    "log_temp_files": ("kB", False),
    "maintenance_work_mem": ("kB", False),
    "max_connections": (None, True),
    "max_locks_per_transaction": (None, True),
    "max_parallel_maintenance_workers": (None, False),
    "max_parallel_workers": (None, False),
    "max_parallel_workers_per_gather": (None, False),
    "max_prepared_transactions": (None, True),
    "max_wal_size": ("MB", False),
    "max_worker_processes": (None, True),
    "min_wal_size": ("MB", False),
    "pg_stat_statements.max": (None, True),
    "pg_stat_statements.track": (None, False),
    "random_page_cost": (None, False),
    "rds.force_ssl": (None, False),
    "rds.logical_replication": (None, True),
    "seq_page_cost": (None, False),
    "shared_buffers": ("8kB", True),
    "shared_preload_libraries": (None, True),
    "statement_timeout": ("ms", False),
    "temp_buffers": ("8kB", False),
    "timezone": (None, False),
    "track_activity_query_size": (None, True),
    "track_io_timing": (None, False),
    "wal_buffers": ("8kB", True),
    "work_mem": ("kB", False),
}
# Libraries RDS for PostgreSQL can preload (RDS User Guide, "Supported PostgreSQL extensions"); TimescaleDB is not
# offered on RDS (seed 001 lists it: run it elsewhere), pgvector needs no preload.
PRELOAD_LIBRARIES = (
    "pg_stat_statements",
    "auto_explain",
    "pg_cron",
    "pg_hint_plan",
    "pgaudit",
    "pg_partman_bgw",
    "pglogical",
)


class SpecError(ValueError):
    """``str()`` names the variable and the rule."""


# -- names ---------------------------------------------------------------------------------------------------------


class Names:
    """Identifiers derived from the tier's base name (``<platform>-<environment>``)."""

    def __init__(self, base, engine="postgres", engine_version="16", region=None):
        self.base = base
        self.primary = f"{base}-db"  # the RDS instance, or the Aurora cluster
        self.writer = f"{base}-db-1" if engine == "aurora-postgresql" else self.primary
        self.dr = f"{base}-db-dr"
        self.family = parameter_family(engine, engine_version)
        self.parameter_group = f"{base}-{self.family}"
        self.monitoring_role = iam_role_name(f"{base}-rds-monitoring-{region}" if region else f"{base}-rds-monitoring")

    def replica(self, name):
        return f"{self.primary}-{name}"


def major(version):
    return str(version).split(".", 1)[0]


def parameter_family(engine, version):
    return f"{engine}{major(version)}"


def version_matches(desired, current):
    """``"16"`` matches any 16.x; ``"16.4"`` only 16.4."""
    desired, current = str(desired), str(current or "")
    if "." in desired:
        return current == desired
    return current == desired or current.startswith(desired + ".")


def version_key(version):
    return tuple(int(p) for p in re.findall(r"\d+", str(version)))


# -- parameters ----------------------------------------------------------------------------------------------------

_QUANTITY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(kB|MB|GB|TB|ms|s|min|h|d)\s*$")


def parameter_value(name, value):
    """The value as RDS stores it: ``shared_buffers: 8GB`` -> ``"1048576"`` (8 kB pages). Raises SpecError."""
    if isinstance(value, bool):
        return "1" if value else "0"
    unit = PARAMETERS.get(name, (None, False))[0]
    text = str(value).strip()
    match = _QUANTITY_RE.match(text)
    if not match:
        if text == "":
            raise SpecError(f"{name}: an empty value")
        return text
    number, suffix = float(match.group(1)), match.group(2)
    if unit is None:
        raise SpecError(f"{name}: {text!r} has a unit, but {name} takes a plain value")
    if suffix in MEMORY_UNITS:
        if unit not in ("8kB", "kB", "MB"):
            raise SpecError(f"{name}: {text!r} is a size, but {name} is a time (in {unit})")
        base = {"8kB": 8, "kB": 1, "MB": 1024}[unit]
        amount = number * MEMORY_UNITS[suffix] / base
    else:
        if unit not in TIME_UNITS:
            raise SpecError(f"{name}: {text!r} is a time, but {name} is a size (in {unit})")
        amount = number * TIME_UNITS[suffix] / TIME_UNITS[unit]
    if amount != int(amount) or amount < 0:
        raise SpecError(f"{name}: {text!r} is not a whole number of {unit}")
    return str(int(amount))


def desired_parameters(parameters):
    """{name: (value, apply method)} of the spec's parameters (valid ones; see ``validate``)."""
    found = {}
    for name, value in (parameters or {}).items():
        static = PARAMETERS.get(name, (None, True))[1]
        found[name] = (parameter_value(name, value), "pending-reboot" if static else "immediate")
    return found


# -- validation ----------------------------------------------------------------------------------------------------


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate_class(value, where, engine, serverless, errors):
    if serverless:
        return  # Serverless v2 instances are db.serverless whatever the class says
    match = _CLASS_RE.match(str(value or ""))
    if not match or match.group(1) not in INSTANCE_FAMILIES:
        errors.append(
            f"{where}: {value!r} is not an RDS instance class this tier knows (db.<family>.<size>, family one of "
            f"{', '.join(INSTANCE_FAMILIES[:8])}, ...; e.g. db.r6g.xlarge)"
        )
    elif match.group(2) not in INSTANCE_SIZES[match.group(1)]:
        errors.append(
            f"{where}: {value!r} does not exist: RDS offers db.{match.group(1)} in "
            f"{', '.join(INSTANCE_SIZES[match.group(1)])}"
        )
    elif engine == "aurora-postgresql" and match.group(1).startswith("m"):
        errors.append(f"{where}: {value!r} is not offered for Aurora PostgreSQL (use r6g, r7g, r6i, t4g, ...)")


def _validate_acu(spec, var, errors):
    low, high = spec.get("serverless_v2_min_capacity"), spec.get("serverless_v2_max_capacity")
    for key, value in (("serverless_v2_min_capacity", low), ("serverless_v2_max_capacity", high)):
        if value is None:
            errors.append(f"{var(key)}: required for Serverless v2 (in ACU, steps of 0.5)")
            continue
        if not _number(value):
            errors.append(f"{var(key)}: {value!r} is not a number of ACU")
            continue
        if value * 2 != int(value * 2):
            errors.append(f"{var(key)}: {value} ACU is not a multiple of 0.5 (Aurora scales in steps of 0.5 ACU)")
        elif key.endswith("min_capacity") and not (value == 0 or ACU_MIN <= value <= ACU_MAX):
            errors.append(f"{var(key)}: {value} ACU is outside what Aurora accepts: 0 (auto-pause) or 0.5 to 256")
        elif key.endswith("max_capacity") and not 1 <= value <= ACU_MAX:
            errors.append(f"{var(key)}: {value} ACU is outside what Aurora accepts for the maximum: 1 to 256")
    if _number(low) and _number(high) and low > high:
        errors.append(f"{var('serverless_v2_min_capacity')}: {low} ACU is above the maximum {high} ACU")


def _validate_storage(spec, var, errors):
    size, top = spec.get("allocated_storage"), spec.get("max_allocated_storage")
    kind, iops, throughput = spec.get("storage_type") or "gp3", spec.get("iops"), spec.get("storage_throughput")
    if kind not in STORAGE_TYPES:
        errors.append(f"{var('storage_type')}: {kind!r} is not one of {', '.join(STORAGE_TYPES)}")
        return
    if not isinstance(size, int) or isinstance(size, bool) or not MIN_STORAGE <= size <= MAX_STORAGE:
        errors.append(
            f"{var('allocated_storage')}: {size!r} GiB is outside what RDS for PostgreSQL accepts ({MIN_STORAGE} to {MAX_STORAGE} GiB)"
        )
        return
    if top not in (None, 0):
        if not isinstance(top, int) or top < size:
            errors.append(
                f"{var('max_allocated_storage')}: {top!r} GiB is below {var('allocated_storage')} {size} GiB "
                "(storage autoscaling only grows; set it above, or 0 for no autoscaling)"
            )
        elif top > MAX_STORAGE:
            errors.append(f"{var('max_allocated_storage')}: {top} GiB is above {MAX_STORAGE} GiB")
    if kind == "gp2":
        if iops:
            errors.append(
                f"{var('iops')}: gp2 storage takes no IOPS setting (its IOPS follow the size); use gp3, io1 or io2"
            )
        if throughput:
            errors.append(f"{var('storage_throughput')}: gp2 storage takes no throughput setting; use gp3")
    elif kind == "gp3":
        if (iops or throughput) and size < GP3_THRESHOLD:
            errors.append(
                f"{var('iops')}: gp3 below {GP3_THRESHOLD} GiB has a fixed baseline (3,000 IOPS, 125 MiB/s); "
                f"IOPS and throughput are set from {GP3_THRESHOLD} GiB"
            )
        elif iops and not GP3_IOPS[0] <= iops <= GP3_IOPS[1]:
            errors.append(
                f"{var('iops')}: {iops} is outside what gp3 accepts from {GP3_THRESHOLD} GiB ({GP3_IOPS[0]} to {GP3_IOPS[1]})"
            )
        elif throughput and not GP3_THROUGHPUT[0] <= throughput <= GP3_THROUGHPUT[1]:
            errors.append(
                f"{var('storage_throughput')}: {throughput} MiB/s is outside what gp3 accepts from {GP3_THRESHOLD} GiB "
                f"({GP3_THROUGHPUT[0]} to {GP3_THROUGHPUT[1]})"
            )
    else:
        if throughput:
            errors.append(f"{var('storage_throughput')}: {kind} storage takes no throughput setting")
        if not iops:
            errors.append(
                f"{var('iops')}: {kind} storage needs provisioned IOPS ({PROVISIONED_IOPS[0]} to {PROVISIONED_IOPS[1]})"
            )
        elif not PROVISIONED_IOPS[0] <= iops <= PROVISIONED_IOPS[1]:
            errors.append(f"{var('iops')}: {iops} is outside {PROVISIONED_IOPS[0]} to {PROVISIONED_IOPS[1]}")
        elif iops > size * IOPS_PER_GIB[kind]:
            errors.append(
                f"{var('iops')}: {iops} IOPS on {size} GiB is more than {IOPS_PER_GIB[kind]} IOPS per GiB ({kind}'s limit)"
            )


def _validate_parameters(spec, var, errors):
    parameters = spec.get("parameters") or {}
    unchecked = set(spec.get("parameters_unchecked") or [])
    if not isinstance(parameters, dict):
        errors.append(f"{var('parameters')}: a mapping of parameter names to values")
        return
    family = parameter_family(spec.get("engine") or "postgres", spec.get("engine_version") or "16")
    for name, value in parameters.items():
        where = f"{var('parameters')}.{name}"
        if name not in PARAMETERS and name not in unchecked:
            errors.append(
                f"{where}: {family} parameter {name!r} is not one this tier knows; check the name, or list it in "
                f"{var('parameters_unchecked')} to pass it as given"
            )
            continue
        try:
            parameter_value(name, value)
        except SpecError as error:
            errors.append(f"{var('parameters')}.{error}")
            continue
        if name == "shared_preload_libraries":
            for library in [lib.strip() for lib in str(value).split(",") if lib.strip()]:
                if library not in PRELOAD_LIBRARIES:
                    hint = " (TimescaleDB is not offered on RDS)" if library == "timescaledb" else ""
                    errors.append(f"{where}: {library!r} is not a library RDS for PostgreSQL preloads{hint}")


def validate(spec, region=None, prefix=""):
    """Every rule the spec breaks, as messages naming the variable (``prefix`` + option name)."""

    def var(key):
        return f"{prefix}{key}"

    errors = []
    name = spec.get("name")
    if not name or not _NAME_RE.match(str(name)):
        errors.append(f"{var('name')}: {name!r} must be lowercase letters, digits and hyphens, starting with a letter")
    if region is not None and not REGION_RE.match(str(region)):
        errors.append(f"region: {region!r} is not an AWS region name")
    engine = spec.get("engine") or "postgres"
    aurora = engine == "aurora-postgresql"
    if engine not in ENGINES:
        errors.append(f"{var('engine')}: {engine!r} is not one of {', '.join(ENGINES)}")
        return errors
    version = str(spec.get("engine_version") or "")
    match = _VERSION_RE.match(version)
    if not match or match.group(1) not in MAJOR_VERSIONS:
        errors.append(
            f"{var('engine_version')}: {version!r} is not a PostgreSQL version this tier supports ({', '.join(MAJOR_VERSIONS)}, or e.g. 16.4)"
        )
    serverless = aurora and spec.get("serverless_v2", False)
    if spec.get("serverless_v2") and not aurora:
        errors.append(
            f"{var('serverless_v2')}: Serverless v2 is an Aurora cluster; set {var('engine')} to aurora-postgresql"
        )
    if serverless:
        _validate_acu(spec, var, errors)
    _validate_class(spec.get("instance_class"), var("instance_class"), engine, serverless, errors)
    if spec.get("dr_instance_class"):
        _validate_class(spec["dr_instance_class"], var("dr_instance_class"), engine, False, errors)
    if not aurora:
        _validate_storage(spec, var, errors)
    if spec.get("protected") and not spec.get("multi_az") and not spec.get("allow_single_az"):
        errors.append(
            f"{var('multi_az')}: a protected environment runs its database in more than one AZ; "
            f"set {var('multi_az')}: true, or {var('allow_single_az')}: true to accept a single AZ"
        )
    retention = spec.get("backup_retention_days")
    if retention is not None:
        low = 1 if aurora or spec.get("read_replicas") or spec.get("protected") else 0
        if (
            not isinstance(retention, int)
            or isinstance(retention, bool)
            or not low <= retention <= MAX_BACKUP_RETENTION
        ):
            why = " (read replicas, Aurora and protected environments need backups)" if low else ""
            errors.append(
                f"{var('backup_retention_days')}: {retention!r} days is outside what RDS accepts ({low} to {MAX_BACKUP_RETENTION}){why}"
            )
    backup, maintenance = spec.get("backup_window"), spec.get("maintenance_window")
    window_errors = []
    if backup:
        window_errors += daily_window_errors(var("backup_window"), backup)
    if maintenance:
        window_errors += maintenance_window_errors(var("maintenance_window"), maintenance)
    errors += window_errors
    if backup and maintenance and not window_errors:
        errors += overlap_errors(var("backup_window"), backup, var("maintenance_window"), maintenance)
    pi_days = spec.get("performance_insights_retention_days")
    if spec.get("performance_insights", False) and pi_days is not None:
        if not isinstance(pi_days, int) or not (pi_days in (7, 731) or (pi_days % 31 == 0 and 31 <= pi_days <= 713)):
            errors.append(
                f"{var('performance_insights_retention_days')}: {pi_days!r} is not a retention Performance Insights "
                "accepts: 7 (free tier), a multiple of 31 up to 713 (months), or 731 (2 years)"
            )
    interval = spec.get("monitoring_interval") or 0
    if interval not in MONITORING_INTERVALS:
        errors.append(
            f"{var('monitoring_interval')}: {interval!r} is not one of {', '.join(map(str, MONITORING_INTERVALS))} seconds"
        )
    role = spec.get("monitoring_role_arn")
    if role and not _ARN_RE.match(str(role)):
        errors.append(f"{var('monitoring_role_arn')}: {role!r} is not an IAM role ARN")
    for index, log in enumerate(spec.get("cloudwatch_logs_exports") or []):
        if log not in LOG_EXPORTS[engine]:
            errors.append(
                f"{var('cloudwatch_logs_exports')}[{index}]: {log!r} is not a log {engine} exports ({', '.join(LOG_EXPORTS[engine])})"
            )
    db_name = spec.get("db_name")
    if db_name and not _DB_NAME_RE.match(str(db_name)):
        errors.append(
            f"{var('db_name')}: {db_name!r} must be lowercase letters, digits and _ (up to 63), starting with a letter"
        )
    user = spec.get("master_username") or "postgres"
    if not _USER_RE.match(str(user)) or user in ("rdsadmin", "admin_role"):
        errors.append(f"{var('master_username')}: {user!r} is not a master user name RDS accepts")
    _validate_parameters(spec, var, errors)
    _validate_replicas(spec, region, var, serverless, errors)
    if spec.get("primary_region") and region and spec["primary_region"] == region:
        errors.append(f"{var('primary_region')}: the DR replica must be in another region than {region}")
    for key in spec.get("tags") or {}:
        if str(key).startswith(("aws:", "stackops:")):
            errors.append(f"{var('tags')}.{key}: the aws: and stackops: prefixes are reserved")
    return errors


def _validate_replicas(spec, region, var, serverless, errors):
    engine = spec.get("engine") or "postgres"
    seen = set()
    replicas = spec.get("read_replicas") or []
    if len(replicas) > MAX_READ_REPLICAS:
        errors.append(
            f"{var('read_replicas')}: {len(replicas)} read replicas; RDS allows at most {MAX_READ_REPLICAS} per "
            "source instance (Aurora: 15 readers per cluster)"
        )
    for index, replica in enumerate(spec.get("read_replicas") or []):
        where = f"{var('read_replicas')}[{index}]"
        if not isinstance(replica, dict):
            errors.append(f"{where}: a mapping with name, instance_class, availability_zone")
            continue
        rname = replica.get("name") or f"replica{index + 1}"
        if not _REPLICA_RE.match(str(rname)):
            errors.append(
                f"{where}.name: {rname!r} must be lowercase letters and digits (up to 12), starting with a letter"
            )
        elif rname in seen:
            errors.append(f"{where}.name: {rname} is defined twice")
        seen.add(rname)
        if replica.get("instance_class") or not serverless:
            _validate_class(
                replica.get("instance_class") or spec.get("instance_class"),
                f"{where}.instance_class",
                engine,
                serverless,
                errors,
            )
        zone = replica.get("availability_zone")
        if (
            zone
            and region
            and not (str(zone).startswith(region) and re.fullmatch(r"[a-z]", str(zone)[len(region) :] or ""))
        ):
            errors.append(f"{where}.availability_zone: {zone!r} is not an availability zone of {region}")


def replica_specs(spec):
    """The read replicas with defaults filled in: name, instance_class, availability_zone."""
    found = []
    for index, replica in enumerate(spec.get("read_replicas") or []):
        found.append(
            {
                "name": replica.get("name") or f"replica{index + 1}",
                "instance_class": replica.get("instance_class") or spec.get("instance_class"),
                "availability_zone": replica.get("availability_zone") or None,
            }
        )
    return found
