# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS failover procedures: preflight -> act -> bounded wait -> verify, each a phase of the result's timeline.

- Multi-AZ instance: RebootDBInstance with ForceFailover after checking Multi-AZ is on and the instance is
  available; done when it is available again with its primary in the other AZ (the endpoint keeps its name).
- Aurora cluster: FailoverDBCluster to a chosen reader, or the best one (lowest promotion tier, then a reader
  outside the writer's AZ); done when the cluster is available with that reader as its writer.
- Read replica promotion (the replica's own region, so a cross-region replica is promoted from the DR region):
  done when the instance is available and no longer a replica.

Idempotent by intent. The caller may state what it expects to move away from (``expected_primary_az``,
``expected_writer``): when the primary is already elsewhere the run reports ok and changes nothing. Without it,
the instance or cluster carries the intent while a failover runs (tags ``stackops:failover-from`` and
``stackops:failover-state`` = started, then done): a rerun after an interrupted run finds a started failover and
waits for it (or sees it done) instead of failing over a second time. A promotion is naturally idempotent: a
standalone instance is already promoted, one being promoted is waited for.
"""

from __future__ import annotations

import datetime

from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from ..platform import not_found
from ..platform import wait_for

TAG_FROM = "stackops:failover-from"
TAG_STATE = "stackops:failover-state"
TAG_AT = "stackops:failover-at"


def intent(tags, params, what):
    """What a failover recorded on the target says this run should move away from, or None.

    A failover still marked ``started`` was interrupted (or is running): its origin is the intent. One marked
    ``done`` less than ``wait_timeout`` seconds ago may be this very run's, finished by a module process that
    outlived an interrupted ansible-playbook: its origin is the intent too, so that a rerun reports it done
    instead of failing over a second time (a deliberate second failover states ``expected_*``).
    """
    state, origin = tags.get(TAG_STATE), tags.get(TAG_FROM)
    if not origin or state not in ("started", "done"):
        return None, None
    if state == "started":
        return origin, f"{what}: a failover from {origin} was started at {tags.get(TAG_AT, '?')}"
    try:
        at = datetime.datetime.fromisoformat(tags.get(TAG_AT, ""))
    except ValueError:
        return None, None
    age = (_utcnow() - at).total_seconds()
    if age > params["wait_timeout"]:
        return None, None
    return origin, (
        f"{what}: failed over from {origin} {int(age)} s ago (within wait_timeout): taken as this run's failover; "
        "state what is primary now (expected_*) to fail over again"
    )


def stamp():
    return _utcnow().isoformat(timespec="seconds")


ACTIONS = ("failover", "promote")


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("TagList") or []}


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)


class RdsFailover:
    def __init__(self, params, clients, region, check_mode):
        self.p = params
        self.rds = clients["rds"]
        self.region = region
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.outcome = {}
        self.started_at = None

    # -- entry point --------------------------------------------------------------------------------------------------

    def run(self):
        if self.p["action"] == "promote":
            self.promote()
        elif self.p.get("db_cluster_identifier"):
            self.cluster_failover()
        else:
            self.instance_failover()

    def result(self):
        return self.outcome

    # -- reads ----------------------------------------------------------------------------------------------------------

    def instance(self, identifier):
        found = not_found(
            lambda: self.rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"],
            "DBInstanceNotFound",
            "DBInstanceNotFoundFault",
        )
        return found[0] if found else None

    def cluster(self, identifier):
        found = not_found(
            lambda: self.rds.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)["DBClusters"],
            "DBClusterNotFoundFault",
        )
        return found[0] if found else None

    def events(self, source_type, identifier):
        """What RDS said about the target since this run began (oldest first)."""
        if self.started_at is None:
            return []
        answer = self.rds.describe_events(
            SourceType=source_type,
            SourceIdentifier=identifier,
            StartTime=self.started_at - datetime.timedelta(seconds=5),
            aws_retry=True,
        )
        since = self.started_at - datetime.timedelta(seconds=5)
        return [
            {"at": str(e.get("Date")), "message": e.get("Message")}
            for e in sorted(answer.get("Events", []), key=lambda e: e.get("Date"))
            if e.get("Date") is None or e["Date"] >= since  # not every endpoint honours StartTime
        ]

    def _mark(self, arn, **tags):
        self.rds.add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()], aws_retry=True
        )

    def _wait(self, check, what):
        # Check mode plans only: a failover in progress is reported, a real run waits for it (and records it done).
        if not self.p["wait"] or self.changes.check_mode:
            return None
        # A describe every 2 s at most: the end is seen soon after it happens, well within API rate limits.
        return wait_for(check, self.p["wait_timeout"], what, delay=0.5, max_delay=2.0)

    # -- Multi-AZ instance --------------------------------------------------------------------------------------------

    def instance_failover(self):
        identifier = self.p["db_instance_identifier"]
        with self.phases.phase("preflight"):
            db = self.instance(identifier)
            if db is None:
                raise PreconditionFailed(f"db_instance_identifier: no DB instance {identifier} in {self.region}")
            tags, zone, status = _tags(db), db.get("AvailabilityZone"), db["DBInstanceStatus"]
            interrupted = tags.get(TAG_STATE) == "started"
            recorded, note = (None, None) if self.p.get("expected_primary_az") else intent(tags, self.p, identifier)
            expected = self.p.get("expected_primary_az") or recorded
            self.outcome = dict(
                action="failover",
                kind="multi_az",
                db_instance_identifier=identifier,
                region=self.region,
                old_az=expected or zone,
                new_az=None,
                standby_az=db.get("SecondaryAvailabilityZone"),
                endpoint=(db.get("Endpoint") or {}).get("Address"),
                port=(db.get("Endpoint") or {}).get("Port"),
                status=status,
                failed_over=False,
                already_done=False,
                aws_seconds=None,
                events=[],
            )
            if expected and zone != expected and status == "available":
                # The primary already moved away from where the caller expected it: done before (maybe by a run
                # that was interrupted after the failover started). Nothing to do but record it.
                self.outcome.update(new_az=zone, already_done=True)
                if note:
                    self.warnings.append(note)
                if interrupted and self.changes.add(f"record the failover of {identifier} to {zone} as done"):
                    self._mark(db["DBInstanceArn"], **{TAG_STATE: "done"})
                return
            resume = status == "rebooting" and bool(expected)
            if not resume:
                if not db.get("MultiAZ"):
                    raise PreconditionFailed(
                        f"db_instance_identifier: {identifier} is not Multi-AZ; a forced failover needs a standby "
                        "(turn Multi-AZ on first: database_multi_az)"
                    )
                if status != "available":
                    raise PreconditionFailed(
                        f"db_instance_identifier: {identifier} is {status}, not available; a failover starts only "
                        "from available"
                    )
        old = expected or zone
        with self.phases.phase("failover"):
            if resume:
                self.warnings.append(f"{identifier}: a failover from {old} is already in progress; waiting for it")
                self.started_at = _utcnow() - datetime.timedelta(seconds=self.p["wait_timeout"])
            else:
                where = (
                    f" to its standby in {db.get('SecondaryAvailabilityZone')}"
                    if db.get("SecondaryAvailabilityZone")
                    else ""
                )
                if not self.changes.add(f"fail over {identifier} from {zone}{where} (reboot with failover)"):
                    self.outcome["new_az"] = db.get("SecondaryAvailabilityZone")
                    return
                self.started_at = _utcnow()
                self._mark(db["DBInstanceArn"], **{TAG_FROM: zone, TAG_STATE: "started", TAG_AT: stamp()})
                self.rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True, aws_retry=True)
                self.outcome["failed_over"] = True
        with self.phases.phase("wait") as phase:
            found = self._wait(
                lambda: (
                    (d := self.instance(identifier))
                    and d["DBInstanceStatus"] == "available"
                    and d.get("AvailabilityZone") != old
                    and d
                ),
                f"{identifier} to be available with its primary outside {old}",
            )
            if found is None:
                phase["outcome"] = "skipped"
                return
            self.outcome["aws_seconds"] = phase_seconds(phase)
        with self.phases.phase("verify"):
            self.outcome.update(
                new_az=found.get("AvailabilityZone"),
                standby_az=found.get("SecondaryAvailabilityZone"),
                status=found["DBInstanceStatus"],
                events=self.events("db-instance", identifier),
            )
            address = (found.get("Endpoint") or {}).get("Address")
            if self.outcome["endpoint"] and address != self.outcome["endpoint"]:
                self.warnings.append(f"{identifier}: the endpoint changed from {self.outcome['endpoint']} to {address}")
            self.outcome["endpoint"] = address
            self._mark(found["DBInstanceArn"], **{TAG_FROM: old, TAG_STATE: "done"})

    # -- Aurora cluster -------------------------------------------------------------------------------------------------

    def cluster_failover(self):
        identifier = self.p["db_cluster_identifier"]
        with self.phases.phase("preflight"):
            cluster = self.cluster(identifier)
            if cluster is None:
                raise PreconditionFailed(f"db_cluster_identifier: no Aurora cluster {identifier} in {self.region}")
            members = {m["DBInstanceIdentifier"]: m for m in cluster.get("DBClusterMembers", [])}
            writer = next((name for name, m in members.items() if m.get("IsClusterWriter")), None)
            tags, status = _tags(cluster), cluster["Status"]
            interrupted = tags.get(TAG_STATE) == "started"
            recorded, note = (None, None) if self.p.get("expected_writer") else intent(tags, self.p, identifier)
            expected = self.p.get("expected_writer") or recorded
            instances = {
                d["DBInstanceIdentifier"]: d
                for d in self.rds.describe_db_instances(
                    Filters=[{"Name": "db-cluster-id", "Values": [identifier]}], aws_retry=True
                )["DBInstances"]
            }
            self.outcome = dict(
                action="failover",
                kind="aurora",
                db_cluster_identifier=identifier,
                region=self.region,
                old_writer=expected or writer,
                new_writer=None,
                old_az=(instances.get(expected or writer) or {}).get("AvailabilityZone"),
                new_az=None,
                endpoint=cluster.get("Endpoint"),
                reader_endpoint=cluster.get("ReaderEndpoint"),
                status=status,
                failed_over=False,
                already_done=False,
                aws_seconds=None,
                events=[],
            )
            if expected and writer != expected and status == "available":
                self.outcome.update(
                    new_writer=writer,
                    new_az=(instances.get(writer) or {}).get("AvailabilityZone"),
                    already_done=True,
                )
                if note:
                    self.warnings.append(note)
                if interrupted and self.changes.add(f"record the failover of {identifier} to {writer} as done"):
                    self._mark(cluster["DBClusterArn"], **{TAG_STATE: "done"})
                return
            resume = status == "failing-over" and bool(expected)
            target = None
            if not resume:
                if status != "available":
                    raise PreconditionFailed(
                        f"db_cluster_identifier: {identifier} is {status}, not available; a failover starts only from available"
                    )
                target = self._choose_reader(identifier, members, instances, writer)
        old = expected or writer
        with self.phases.phase("failover"):
            if resume:
                self.warnings.append(f"{identifier}: a failover from {old} is already in progress; waiting for it")
                self.started_at = _utcnow() - datetime.timedelta(seconds=self.p["wait_timeout"])
            else:
                self.outcome["new_writer"] = target
                self.outcome["new_az"] = instances[target].get("AvailabilityZone")
                if not self.changes.add(
                    f"fail over Aurora cluster {identifier} from writer {writer} ({self.outcome['old_az']}) "
                    f"to {target} ({self.outcome['new_az']})"
                ):
                    return
                self.started_at = _utcnow()
                self._mark(cluster["DBClusterArn"], **{TAG_FROM: writer, TAG_STATE: "started", TAG_AT: stamp()})
                self.rds.failover_db_cluster(
                    DBClusterIdentifier=identifier, TargetDBInstanceIdentifier=target, aws_retry=True
                )
                self.outcome["failed_over"] = True

        def done():
            found = self.cluster(identifier)
            if not found or found["Status"] != "available":
                return None
            now = next((m["DBInstanceIdentifier"] for m in found["DBClusterMembers"] if m.get("IsClusterWriter")), None)
            return found if now and now != old and (target is None or now == target) else None

        with self.phases.phase("wait") as phase:
            found = self._wait(
                done, f"Aurora cluster {identifier} to be available with {target or 'another writer'} writing"
            )
            if found is None:
                phase["outcome"] = "skipped"
                return
            self.outcome["aws_seconds"] = phase_seconds(phase)
        with self.phases.phase("verify"):
            writer = next(m["DBInstanceIdentifier"] for m in found["DBClusterMembers"] if m.get("IsClusterWriter"))
            self.outcome.update(
                new_writer=writer,
                new_az=(self.instance(writer) or {}).get("AvailabilityZone"),
                status=found["Status"],
                endpoint=found.get("Endpoint"),
                events=self.events("db-cluster", identifier),
            )
            self._mark(found["DBClusterArn"], **{TAG_FROM: old, TAG_STATE: "done"})

    def _choose_reader(self, identifier, members, instances, writer):
        readers = [name for name, m in members.items() if not m.get("IsClusterWriter")]
        if not readers:
            raise PreconditionFailed(
                f"db_cluster_identifier: {identifier} has no reader to fail over to (only the writer {writer})"
            )
        chosen = self.p.get("target_instance")
        if chosen:
            if chosen == writer:
                raise PreconditionFailed(f"target_instance: {chosen} is already the writer of {identifier}")
            if chosen not in readers:
                raise PreconditionFailed(
                    f"target_instance: {chosen} is not a reader of {identifier} (readers: {', '.join(sorted(readers))})"
                )
            if (instances.get(chosen) or {}).get("DBInstanceStatus") != "available":
                raise PreconditionFailed(f"target_instance: {chosen} is not available")
            return chosen
        writer_zone = (instances.get(writer) or {}).get("AvailabilityZone")
        ready = [r for r in readers if (instances.get(r) or {}).get("DBInstanceStatus") == "available"]
        if not ready:
            raise PreconditionFailed(f"db_cluster_identifier: no reader of {identifier} is available")
        # Aurora's own order: the lowest promotion tier first; then a reader outside the writer's AZ, so that the
        # failover also moves away from a troubled AZ.
        return sorted(
            ready,
            key=lambda r: (
                members[r].get("PromotionTier", 1),
                (instances.get(r) or {}).get("AvailabilityZone") == writer_zone,
                r,
            ),
        )[0]

    # -- read replica promotion ------------------------------------------------------------------------------------

    def promote(self):
        identifier = self.p["db_instance_identifier"]
        with self.phases.phase("preflight"):
            db = self.instance(identifier)
            if db is None:
                raise PreconditionFailed(f"db_instance_identifier: no DB instance {identifier} in {self.region}")
            source = db.get("ReadReplicaSourceDBInstanceIdentifier")
            status = db["DBInstanceStatus"]
            self.outcome = dict(
                action="promote",
                kind="read_replica",
                db_instance_identifier=identifier,
                region=self.region,
                source=source,
                standalone=not source,
                endpoint=(db.get("Endpoint") or {}).get("Address"),
                port=(db.get("Endpoint") or {}).get("Port"),
                availability_zone=db.get("AvailabilityZone"),
                multi_az=db.get("MultiAZ"),
                status=status,
                promoted=False,
                already_done=False,
                aws_seconds=None,
                events=[],
            )
            resume = bool(source) and status == "modifying"
            if not source:
                self.outcome["already_done"] = True
                if status == "available":
                    return
            elif not resume and status != "available":
                raise PreconditionFailed(
                    f"db_instance_identifier: {identifier} is {status}; a read replica is promoted only when available"
                )
        with self.phases.phase("promote"):
            if resume:
                self.warnings.append(f"{identifier}: it is already being modified (a promotion in progress); waiting")
                self.started_at = _utcnow() - datetime.timedelta(seconds=self.p["wait_timeout"])
            elif source:
                if not self.changes.add(f"promote read replica {identifier} (of {source}) to a standalone instance"):
                    self.outcome["standalone"] = True
                    return
                retention = self.p.get("backup_retention_days")
                if retention is None:
                    retention = max(int(db.get("BackupRetentionPeriod") or 0), 1)
                self.started_at = _utcnow()
                self.rds.promote_read_replica(
                    DBInstanceIdentifier=identifier, BackupRetentionPeriod=retention, aws_retry=True
                )
                self.outcome["promoted"] = True
        with self.phases.phase("wait") as phase:
            found = self._wait(
                lambda: (
                    (d := self.instance(identifier))
                    and d["DBInstanceStatus"] == "available"
                    and not d.get("ReadReplicaSourceDBInstanceIdentifier")
                    and d
                ),
                f"{identifier} to be available as a standalone instance",
            )
            if found is None:
                phase["outcome"] = "skipped"
                return
            self.outcome["aws_seconds"] = phase_seconds(phase)
        with self.phases.phase("verify"):
            self.outcome.update(
                standalone=True,
                status=found["DBInstanceStatus"],
                endpoint=(found.get("Endpoint") or {}).get("Address"),
                multi_az=found.get("MultiAZ"),
                backup_retention_days=found.get("BackupRetentionPeriod"),
                events=self.events("db-instance", identifier),
            )


def phase_seconds(phase):
    """Seconds since a running phase began (its ``start`` is ISO 8601 UTC)."""
    started = datetime.datetime.fromisoformat(phase["start"])
    return round((_utcnow() - started).total_seconds(), 3)
