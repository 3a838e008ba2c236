# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the snapshot, restore and global database procedures share: names, tags, reads, times."""

from __future__ import annotations

import datetime
import re

from ..platform import PlatformError
from ..platform import not_found
from ..platform import paginate
from ..platform import wait_for

COMPONENT = "database"
TAG_ROLE = "stackops:database-role"
TAG_REASON = "stackops:snapshot-reason"
TAG_BY = "stackops:snapshot-by"
TAG_RESTORED_FROM = "stackops:restored-from"
TAG_RESTORE_POINT = "stackops:restore-point"
TAG_RESTORE_TARGET = "stackops:restore-target"
# RDS identifiers: 1-63 letters, digits and hyphens, a letter first, no two hyphens in a row, no hyphen last.
IDENTIFIER_RE = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
SNAPSHOT_RE = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")
SNAPSHOT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:(rds:)?[A-Za-z][A-Za-z0-9-]*$")
# What a tag value may hold (RDS: Unicode letters, digits, white space, _ . : / = + - @), at most 256.
TAG_VALUE_RE = re.compile(r"^[\w\s.:/=+\-@]{0,256}$")
# Statuses an instance passes through on its way to available after a create or restore.
ON_THE_WAY = ("creating", "backing-up", "modifying", "configuring-enhanced-monitoring", "storage-optimization")
# A restored Aurora cluster's statuses on its way to available (it may be modified right after the restore).
CLUSTER_ON_THE_WAY = ("creating", "backing-up", "modifying", "resetting-master-credentials", "migrating")
SNAPSHOT_ON_THE_WAY = ("creating", "copying", "pending")


def now():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)


def parse_time(text):
    """An ISO 8601 time (``2026-12-05T10:00:00Z``), timezone-aware (UTC when none given), or None."""
    try:
        moment = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017


def as_time(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017
    return parse_time(value) if value else None


def iso(value):
    moment = as_time(value)
    return moment.isoformat(timespec="seconds") if moment else None


def read_instance(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"],
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
    )
    return found[0] if found else None


def read_snapshot(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_snapshots(DBSnapshotIdentifier=identifier, aws_retry=True)["DBSnapshots"],
        "DBSnapshotNotFound",
        "DBSnapshotNotFoundFault",
    )
    return found[0] if found else None


def snapshot_tags(rds, snapshot):
    """A snapshot's tags: DescribeDBSnapshots includes TagList; ListTagsForResource when it does not."""
    if "TagList" in snapshot:
        return {t["Key"]: t["Value"] for t in snapshot.get("TagList") or []}
    found = rds.list_tags_for_resource(ResourceName=snapshot["DBSnapshotArn"], aws_retry=True)["TagList"]
    return {t["Key"]: t["Value"] for t in found}


def wait_instance(rds, identifier, timeout, wanted="available"):
    """The instance once its status is ``wanted``; a status off the way there fails at once."""

    def check():
        found = read_instance(rds, identifier)
        if found is None:
            return None
        status = found.get("DBInstanceStatus")
        if status == wanted:
            return found
        if status not in ON_THE_WAY:
            raise PlatformError(f"{identifier} is {status}, not on its way to {wanted}")
        return None

    return wait_for(check, timeout, f"{identifier} to be {wanted}", delay=0.5, max_delay=10.0)


def wait_instance_gone(rds, identifier, timeout):
    return wait_for(lambda: read_instance(rds, identifier) is None, timeout, f"{identifier} to be deleted", delay=1.0)


def _wait_available(read, what, timeout, delay):
    """Wait until the snapshot ``read()`` returns is available; it vanishing or failing ends the wait."""

    def check():
        found = read()
        if found is None:
            raise PlatformError(f"{what} disappeared while it was being made")
        status = found.get("Status")
        if status == "available":
            return found
        if status not in SNAPSHOT_ON_THE_WAY:
            raise PlatformError(f"{what} is {status}, not on its way to available")
        return None

    return wait_for(check, timeout, f"{what} to be available", delay=delay, max_delay=10.0)


def wait_snapshot(rds, identifier, timeout):
    return _wait_available(lambda: read_snapshot(rds, identifier), f"snapshot {identifier}", timeout, 1.0)


def paginate_snapshots(rds, instance, snapshot_type=None):
    """Every snapshot of ``instance`` (manual and automated unless ``snapshot_type``), newest first."""
    kwargs = {"DBInstanceIdentifier": instance}
    if snapshot_type:
        kwargs["SnapshotType"] = snapshot_type
    found = paginate(rds, "describe_db_snapshots", "DBSnapshots", **kwargs)
    return sorted(found, key=lambda s: as_time(s.get("SnapshotCreateTime")) or now(), reverse=True)


# -- Aurora clusters ---------------------------------------------------------------------------------------------------


def read_cluster(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)["DBClusters"],
        "DBClusterNotFoundFault",
        "DBClusterNotFound",
    )
    return found[0] if found else None


def read_cluster_snapshot(rds, identifier):
    found = not_found(
        lambda: rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier, aws_retry=True)[
            "DBClusterSnapshots"
        ],
        "DBClusterSnapshotNotFoundFault",
        "DBClusterSnapshotNotFound",
    )
    return found[0] if found else None


def cluster_snapshot_tags(rds, snapshot):
    if "TagList" in snapshot:
        return {t["Key"]: t["Value"] for t in snapshot.get("TagList") or []}
    found = rds.list_tags_for_resource(ResourceName=snapshot["DBClusterSnapshotArn"], aws_retry=True)["TagList"]
    return {t["Key"]: t["Value"] for t in found}


def paginate_cluster_snapshots(rds, cluster, snapshot_type=None):
    """Every snapshot of Aurora cluster ``cluster`` (manual and automated unless ``snapshot_type``), newest first."""
    kwargs = {"DBClusterIdentifier": cluster}
    if snapshot_type:
        kwargs["SnapshotType"] = snapshot_type
    found = paginate(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots", **kwargs)
    return sorted(found, key=lambda s: as_time(s.get("SnapshotCreateTime")) or now(), reverse=True)


def wait_cluster(rds, identifier, timeout):
    """The cluster once available; a status off the way there fails at once."""

    def check():
        found = read_cluster(rds, identifier)
        if found is None:
            return None
        status = found.get("Status")
        if status == "available":
            return found
        if status not in CLUSTER_ON_THE_WAY:
            raise PlatformError(f"cluster {identifier} is {status}, not on its way to available")
        return None

    return wait_for(check, timeout, f"cluster {identifier} to be available", delay=0.5, max_delay=10.0)


def wait_cluster_gone(rds, identifier, timeout):
    return wait_for(
        lambda: read_cluster(rds, identifier) is None, timeout, f"cluster {identifier} to be deleted", delay=0.5
    )


def wait_cluster_snapshot(rds, identifier, timeout):
    return _wait_available(
        lambda: read_cluster_snapshot(rds, identifier), f"cluster snapshot {identifier}", timeout, 0.5
    )
