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
from .intent import TAG_AT
from .intent import TAG_FROM
from .intent import TAG_STATE
from .intent import _tags
from .intent import _utcnow
from .intent import intent
from .intent import phase_seconds
from .intent import stamp
from .rds_cluster import ClusterFailover
from .rds_promote import Promotion

ACTIONS = ("failover", "promote")


class RdsFailover(ClusterFailover, Promotion):
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
