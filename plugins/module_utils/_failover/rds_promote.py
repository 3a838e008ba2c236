# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read replica promotion: PromoteReadReplica, waited until the instance stands alone and is available."""

from __future__ import annotations

import datetime

from ..platform import PreconditionFailed
from .intent import _utcnow
from .intent import phase_seconds


class Promotion:
    """The promotion half of RdsFailover (its reads, waits and marks are the procedure's)."""

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
