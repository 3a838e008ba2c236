"""RDS failovers take time: a Multi-AZ reboot with failover, read replica promotion, Aurora cluster failover.

AWS:
- RebootDBInstance (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RebootDBInstance.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html#Concepts.MultiAZ.Failover):
  the instance is ``rebooting`` for a while; with ``ForceFailover`` the standby in the other Availability Zone
  becomes the primary, so afterwards ``AvailabilityZone`` and ``SecondaryAvailabilityZone`` are swapped and the
  endpoint (a DNS name) is unchanged. "You can't enable force failover if the instance isn't configured for
  Multi-AZ." Events say the failover started and completed (RDS-EVENT-0013, RDS-EVENT-0015 in
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html). Only an ``available``
  instance can be rebooted (InvalidDBInstanceState).
- PromoteReadReplica (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html): the replica is ``modifying``
  while it is promoted (it reboots), then ``available`` as a standalone instance: no
  ``ReadReplicaSourceDBInstanceIdentifier``, and its source no longer lists it - for a cross-Region replica too.
  A replica that is not ``available`` (or is not a replica) is refused with InvalidDBInstanceState.
- FailoverDBCluster (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html): the cluster
  is ``failing-over`` until the chosen reader is the writer; events "Started cross AZ failover to DB instance"
  and "Completed failover to DB instance".

moto 5.2 reboots nothing (status and AZ stay, no event, ForceFailover is accepted on a single-AZ instance),
reports no ``SecondaryAvailabilityZone``, promotes at once and leaves the replica in its source's list, and fails
an Aurora cluster over at once without events. This behaviour refuses what AWS refuses, shows the transitional
status for a configurable time (evaluated on the next RDS call, no background thread), then applies the result
and records the events in moto's event list (DescribeEvents shows them).

Timings: ``PUT /_stackops/behaviours/rds-failover`` with ``{"failover_seconds": 1}`` (also ``reboot_seconds``,
``promote_seconds``, ``cluster_failover_seconds``); ``reset`` restores the defaults (a few seconds each).
"""

from __future__ import annotations

import threading
import time

from ..protocols import error_response
from ._rds import instance
from ._rds import params_of
from ._rds import truthy

DEFAULTS = {"failover_seconds": 3.0, "reboot_seconds": 1.0, "promote_seconds": 3.0, "cluster_failover_seconds": 3.0}


def _backend(region):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    # moto's default account (the emulator's credentials map to it); indexing creates the backend, so the first
    # call after a reset (no RDS backend yet) reads an empty one instead of failing.
    return rds_backends[DEFAULT_ACCOUNT_ID][region]


def add_event(backend, resource, source_type, message, categories):
    """An RDS event with AWS's message (moto's Event only knows a fixed table of messages)."""
    from moto.core.utils import utcnow
    from moto.rds.models import Event

    event = Event.__new__(Event)
    event.source_identifier = resource.resource_id
    event.source_type = source_type
    event.message = message
    event.event_categories = categories
    event.source_arn = resource.arn
    event.date = utcnow()
    backend.events.append(event)


def _other_zone(db, region):
    """The standby's AZ: another AZ of the instance's subnet group (or of the region)."""
    zones = []
    group = getattr(db, "db_subnet_group", None)
    for subnet in getattr(group, "subnets", None) or []:
        zone = getattr(subnet, "availability_zone", None)
        if zone and zone not in zones:
            zones.append(zone)
    zones = sorted(zones) or [f"{region}{letter}" for letter in "abc"]
    return next((z for z in zones if z != db.availability_zone), f"{region}b")


class RdsFailover:
    name = "rds-failover"
    summary = (
        "RDS reboot with failover swaps the AZs after 'rebooting'; replica promotion is 'modifying' then standalone; "
        "Aurora failover is 'failing-over'; events recorded"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RebootDBInstance.html"

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._pending = []  # dicts: kind, region, identifier, due, ...
        self.settings = dict(DEFAULTS)

    def reset(self):
        with self._lock:
            self._pending.clear()
            self.settings = dict(DEFAULTS)

    def configure(self, settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        with self._lock:
            self.settings.update({k: float(v) for k, v in settings.items()})
            return dict(self.settings)

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds":
            return forward(request)
        self._settle()
        operation = call.operation
        if operation == "RebootDBInstance":
            return self._reboot(request, forward)
        if operation == "PromoteReadReplica":
            return self._promote(request, forward)
        if operation == "FailoverDBCluster":
            return self._cluster_failover(request, forward)
        if operation == "DescribeDBInstances":
            self._standby_zones(call.region)
        return forward(request)

    # -- the transitions --------------------------------------------------------------------------------------------

    def _schedule(self, kind, region, identifier, seconds, **extra):
        with self._lock:
            self._pending.append(
                dict(kind=kind, region=region, identifier=identifier, due=self._clock() + seconds, **extra)
            )

    def _settle(self):
        now = self._clock()
        with self._lock:
            due = [p for p in self._pending if p["due"] <= now]
            self._pending = [p for p in self._pending if p["due"] > now]
        for entry in due:
            getattr(self, f"_finish_{entry['kind']}")(entry)

    def _standby_zones(self, region):
        for db in list(_backend(region).databases.values()):
            if getattr(db, "multi_az", False) and not getattr(db, "secondary_availability_zone", None):
                db.secondary_availability_zone = _other_zone(db, region)
            elif not getattr(db, "multi_az", False):
                db.secondary_availability_zone = None

    # -- RebootDBInstance --------------------------------------------------------------------------------------------

    def _reboot(self, request, forward):
        call = request.call
        params = params_of(request)
        db = instance(call.region, params.get("DBInstanceIdentifier"))
        if db is None:
            return forward(request)
        failover = truthy(params.get("ForceFailover", "false"))
        if failover and not db.multi_az:
            return error_response(
                call,
                400,
                "InvalidParameterCombination",
                "You can't enable force failover if the instance isn't configured for Multi-AZ.",
            )
        if db.status != "available":
            return error_response(
                call,
                400,
                "InvalidDBInstanceState",
                f"DB instance {db.db_instance_identifier} is not in available state.",
            )
        self._standby_zones(call.region)
        backend = _backend(call.region)
        db.status = "rebooting"
        response = forward(request)
        if not response.ok:
            db.status = "available"
            return response
        if failover:
            add_event(
                backend,
                db,
                "db-instance",
                "A Multi-AZ failover that resulted in the promotion of a standby DB instance has started.",
                ["failover"],
            )
            self._schedule("failover", call.region, db.db_instance_identifier, self.settings["failover_seconds"])
        else:
            self._schedule("reboot", call.region, db.db_instance_identifier, self.settings["reboot_seconds"])
        return response

    def _finish_failover(self, entry):
        db = instance(entry["region"], entry["identifier"])
        if db is None:
            return
        backend = _backend(entry["region"])
        standby = getattr(db, "secondary_availability_zone", None) or _other_zone(db, entry["region"])
        db.secondary_availability_zone, db.availability_zone = db.availability_zone, standby
        db.status = "available"
        add_event(
            backend,
            db,
            "db-instance",
            "A Multi-AZ failover that resulted in the promotion of a standby DB instance is complete. "
            f"The primary is now in {standby}.",
            ["failover"],
        )
        add_event(backend, db, "db-instance", "DB instance restarted", ["availability"])

    def _finish_reboot(self, entry):
        db = instance(entry["region"], entry["identifier"])
        if db is None:
            return
        db.status = "available"
        add_event(_backend(entry["region"]), db, "db-instance", "DB instance restarted", ["availability"])

    # -- PromoteReadReplica ------------------------------------------------------------------------------------------

    def _promote(self, request, forward):
        call = request.call
        params = params_of(request)
        db = instance(call.region, params.get("DBInstanceIdentifier"))
        if db is None:
            return forward(request)
        if not getattr(db, "is_replica", False):
            return error_response(
                call, 400, "InvalidDBInstanceState", f"DB Instance {db.db_instance_identifier} is not a read replica."
            )
        if db.status != "available":
            return error_response(
                call,
                400,
                "InvalidDBInstanceState",
                f"DB instance {db.db_instance_identifier} is not in available state.",
            )
        source = getattr(db, "source_db_instance_identifier", None)
        db.status = "modifying"
        response = forward(request)  # moto detaches it at once: it stays a replica until the promotion is done
        db.is_replica = True
        db.source_db_instance_identifier = source
        if not response.ok:
            db.status = "available"
            return response
        self._schedule(
            "promote", call.region, db.db_instance_identifier, self.settings["promote_seconds"], source=source
        )
        return response

    def _finish_promote(self, entry):
        db = instance(entry["region"], entry["identifier"])
        if db is None:
            return
        source_id = entry.get("source") or ""
        if source_id.startswith("arn:"):
            parts = source_id.split(":")
            source = instance(parts[3], parts[-1])
        else:
            source = instance(entry["region"], source_id)
        if source is not None:
            for key in (db.db_instance_arn, db.db_instance_identifier):
                if key in source.replicas:
                    source.replicas.remove(key)
        db.is_replica = False
        db.source_db_instance_identifier = None
        db.status = "available"
        add_event(
            _backend(entry["region"]),
            db,
            "db-instance",
            "Read replica has been promoted to a standalone DB instance.",
            ["read replica"],
        )

    # -- FailoverDBCluster ------------------------------------------------------------------------------------------

    def _cluster_failover(self, request, forward):
        call = request.call
        params = params_of(request)
        backend = _backend(call.region)
        cluster = backend.clusters.get(str(params.get("DBClusterIdentifier") or ""))
        if cluster is None:
            return forward(request)
        if cluster.status != "available":
            return error_response(
                call,
                400,
                "InvalidDBClusterStateFault",
                f"DB cluster {cluster.db_cluster_identifier} is not in available state (it is {cluster.status}).",
            )
        response = forward(request)
        if not response.ok:
            return response
        writer = getattr(cluster, "writer", None)
        target = writer.db_instance_identifier if writer is not None else params.get("TargetDBInstanceIdentifier")
        cluster.status = "failing-over"
        add_event(backend, cluster, "db-cluster", f"Started cross AZ failover to DB instance: {target}", ["failover"])
        self._schedule(
            "cluster",
            call.region,
            cluster.db_cluster_identifier,
            self.settings["cluster_failover_seconds"],
            target=target,
        )
        return response

    def _finish_cluster(self, entry):
        backend = _backend(entry["region"])
        cluster = backend.clusters.get(entry["identifier"])
        if cluster is None:
            return
        cluster.status = "available"
        add_event(backend, cluster, "db-cluster", f"Completed failover to DB instance: {entry['target']}", ["failover"])
