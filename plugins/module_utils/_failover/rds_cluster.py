# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Aurora cluster failover: FailoverDBCluster to a chosen reader or the best one, waited until that reader writes."""

from __future__ import annotations

import datetime

from ..platform import PreconditionFailed
from .intent import TAG_AT
from .intent import TAG_FROM
from .intent import TAG_STATE
from .intent import _tags
from .intent import _utcnow
from .intent import intent
from .intent import phase_seconds
from .intent import stamp


class ClusterFailover:
    """The Aurora half of RdsFailover (its reads, waits and marks are the procedure's)."""

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
