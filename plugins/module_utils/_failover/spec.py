# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input rules of the failover modules and runbooks: pure Python, every message names the option it is about.

The runbooks check their extra vars with ``runbook_errors`` (through the ``failover_input_errors`` filter) before
any call; the modules check their own options with ``rds_errors`` / ``cache_errors`` / ``dns_errors``.
"""

from __future__ import annotations

import re

# RDS: 1-63 letters, digits and hyphens, starting with a letter, no two consecutive hyphens, no trailing hyphen
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints).
_RDS_ID = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
# ElastiCache replication group and cache cluster ids: 1-40, same character rules
# (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html).
_CACHE_ID = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,39}(?<!-)$")
_NODE_GROUP = re.compile(r"^\d{4}$")
_AZ = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d[a-z]$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_DOMAIN = re.compile(r"^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$")
TEST_FAILOVER_DAILY_LIMIT = 15  # shards per rolling 24 hours (TestFailover API reference)


def _set(value):
    return value is not None and value != ""


def _bounded(errors, params, name, low, high):
    value = params.get(name)
    if not _set(value):
        return
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.append(f"{name}: {value!r} is not a whole number")
        return
    if str(value).strip() not in (str(number), f"+{number}") and not isinstance(value, int):
        errors.append(f"{name}: {value!r} is not a whole number")
    elif not low <= number <= high:
        errors.append(f"{name}: {number} must be {low} to {high}")


def _identifier(errors, params, name, pattern, what):
    value = params.get(name)
    if _set(value) and not pattern.match(str(value)):
        errors.append(f"{name}: {value!r} is not {what}")


RDS_RULE = "an RDS identifier (1-63 letters, digits and hyphens, starting with a letter, no -- or trailing -)"
CACHE_RULE = "an ElastiCache id (1-40 letters, digits and hyphens, starting with a letter, no -- or trailing -)"


def rds_errors(params):
    errors = []
    action = params.get("action") or "failover"
    instance, cluster = params.get("db_instance_identifier"), params.get("db_cluster_identifier")
    if _set(instance) and _set(cluster):
        errors.append("db_instance_identifier, db_cluster_identifier: give one or the other")
    elif not _set(instance) and not _set(cluster):
        errors.append("db_instance_identifier: give the instance (or db_cluster_identifier for an Aurora cluster)")
    if action == "promote" and _set(cluster):
        errors.append("db_cluster_identifier: a read replica promotion takes db_instance_identifier")
    _identifier(errors, params, "db_instance_identifier", _RDS_ID, RDS_RULE)
    _identifier(errors, params, "db_cluster_identifier", _RDS_ID, RDS_RULE)
    for name in ("target_instance", "expected_writer"):
        _identifier(errors, params, name, _RDS_ID, RDS_RULE)
        if _set(params.get(name)) and not _set(cluster):
            errors.append(f"{name}: only for an Aurora cluster (db_cluster_identifier)")
    zone = params.get("expected_primary_az")
    if _set(zone):
        if not _AZ.match(str(zone)):
            errors.append(f"expected_primary_az: {zone!r} is not an Availability Zone name (us-east-1a)")
        if action != "failover" or _set(cluster):
            errors.append("expected_primary_az: only for the failover of an RDS instance")
    if _set(params.get("backup_retention_days")):
        if action != "promote":
            errors.append("backup_retention_days: only for action=promote")
        _bounded(errors, params, "backup_retention_days", 0, 35)
    _bounded(errors, params, "wait_timeout", 1, 86400)
    return errors


def cache_errors(params):
    errors = []
    if not _set(params.get("replication_group_id")):
        errors.append("replication_group_id: required")
    _identifier(errors, params, "replication_group_id", _CACHE_ID, CACHE_RULE)
    shard = params.get("node_group_id")
    if _set(shard) and not _NODE_GROUP.match(str(shard)):
        errors.append(f"node_group_id: {shard!r} is not a node group (shard) id: four digits, such as 0001")
    _identifier(errors, params, "expected_primary", _CACHE_ID, CACHE_RULE)
    _bounded(errors, params, "daily_limit", 1, 1000)
    _bounded(errors, params, "wait_timeout", 1, 86400)
    return errors


def dns_errors(params):
    errors = []
    for name in ("zone", "record_name"):
        value = params.get(name)
        if not _set(value):
            errors.append(f"{name}: required")
        elif not _DOMAIN.match(str(value).lower()):
            errors.append(f"{name}: {value!r} is not a domain name")
    zone, record = (
        str(params.get("zone") or "").lower().rstrip("."),
        str(params.get("record_name") or "").lower().rstrip("."),
    )
    if zone and record and record != zone and not record.endswith("." + zone):
        errors.append(f"record_name: {record} is not in the zone {zone}")
    _bounded(errors, params, "wait_timeout", 1, 86400)
    return errors


# -- runbook inputs (extra vars) -------------------------------------------------------------------------------------

# How the region runbook moves an Aurora global database (auto: switchover if the primary region is healthy).
GLOBAL_ACTIONS = ("auto", "switchover", "failover")
RUNBOOKS = ("db_failover", "db_promote_replica", "cache_failover", "region_failover")


def runbook_errors(inputs, runbook):
    """Every broken rule of a failover runbook's extra vars, each naming the variable (``-e name=``)."""
    if runbook not in RUNBOOKS:
        return [f"runbook: {runbook!r} is not one of {', '.join(RUNBOOKS)}"]
    inputs = dict(inputs or {})
    errors = []
    _bounded(errors, inputs, "wait_timeout", 1, 86400)
    _bounded(errors, inputs, "platform_rto_minutes", 1, 10080)
    target = inputs.get("target")  # what confirm must repeat
    confirm = inputs.get("confirm")
    if _set(confirm) and _set(target) and str(confirm) != str(target):
        errors.append(f"confirm: {confirm!r} does not name the target {target!r} (pass -e confirm={target})")
    if runbook == "db_failover":
        _identifier(errors, inputs, "target_instance", _RDS_ID, RDS_RULE)
        zone = inputs.get("expected_az")
        if _set(zone) and not _AZ.match(str(zone)):
            errors.append(f"expected_az: {zone!r} is not an Availability Zone name (us-east-1a)")
        _identifier(errors, inputs, "expected_writer", _RDS_ID, RDS_RULE)
        engine = inputs.get("engine")
        aurora = str(engine or "").startswith("aurora")
        for name in ("target_instance", "expected_writer"):
            if _set(inputs.get(name)) and not aurora:
                errors.append(f"{name}: only for an Aurora database (this inventory's engine is {engine})")
        if _set(zone) and aurora:
            errors.append(
                "expected_az: only for an RDS instance (this inventory's database is Aurora: use expected_writer)"
            )
    if runbook == "db_promote_replica":
        replica = inputs.get("replica")
        if not _set(replica):
            errors.append("replica: required (-e replica=dr for the DR region's replica, or a read replica's name)")
        elif not _RDS_ID.match(str(replica)):
            errors.append(f"replica: {replica!r} is not {RDS_RULE}")
        _bounded(errors, inputs, "backup_retention_days", 0, 35)
    if runbook == "cache_failover":
        shard = inputs.get("shard")
        if _set(shard) and not _NODE_GROUP.match(str(shard)):
            errors.append(f"shard: {shard!r} is not a node group (shard) id: four digits, such as 0001")
        _identifier(errors, inputs, "expected_primary", _CACHE_ID, CACHE_RULE)
    if runbook == "region_failover":
        region = inputs.get("dr_region")
        if _set(region) and not _REGION.match(str(region)):
            errors.append(f"dr_region: {region!r} is not a region name (us-west-2)")
        if not _set(inputs.get("dr_host")):
            errors.append("dr_host: the inventory has no host in group dr (a region failover needs a DR region)")
        action = inputs.get("aurora_action")
        engine = inputs.get("engine")
        if _set(action) and str(action) not in GLOBAL_ACTIONS:
            errors.append(f"aurora_action: {action!r} is not one of {', '.join(GLOBAL_ACTIONS)}")
        elif _set(action) and str(action) != "auto" and not str(engine or "").startswith("aurora"):
            errors.append(
                f"aurora_action: only for an Aurora database (this inventory's engine is {engine}: its DR replica is promoted)"
            )
        for name in ("scale_services",):
            value = inputs.get(name)
            if _set(value) and not isinstance(value, bool) and str(value).lower() not in ("true", "false", "yes", "no"):
                errors.append(f"{name}: {value!r} is not true or false")
    return errors
