"""RDS snapshots and restores take time, and RDS refuses what it cannot restore.

AWS:
- CreateDBSnapshot and CopyDBSnapshot answer with the snapshot ``creating`` (``PercentProgress`` rising); it is
  ``available`` once done (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateSnapshot.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html). A snapshot is taken of an
  ``available`` instance only (InvalidDBInstanceState otherwise), and only an ``available`` snapshot can be
  copied or restored (InvalidDBSnapshotState).
- CopyDBSnapshot to another Region: "If you copy an encrypted DB snapshot to a different AWS Region, then you
  must specify an AWS KMS key identifier for the destination AWS Region"
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html).
- RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime make a new instance that is ``creating``
  until it is ``available`` (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RestoreFromSnapshot.html).
- RestoreDBInstanceToPointInTime: the RestoreTime "must be before the latest restorable time for the DB
  instance" and within the backup retention period (InvalidRestoreFault); a source whose
  BackupRetentionPeriod is 0 has no point-in-time restore (PointInTimeRestoreNotEnabled)
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html,
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html).

moto 5.2 answers all of these ``available`` at once, restores to any time at all (2020 included) and copies
an encrypted snapshot across Regions without a key. This behaviour lets moto act, then shows the snapshot or
the restored instance in its transitional status for ``snapshot_seconds`` / ``restore_seconds`` (and at least
one describe, so that a client's wait always sees it) and refuses what AWS refuses, before moto acts.
``PUT /_stackops/behaviours/rds-backup-restore`` ``{"snapshot_seconds": 2, "restore_seconds": 3}`` sets the
timings (``Emulator.configure``); ``reset`` restores the defaults.
"""

from __future__ import annotations

import datetime
import threading
import time

from ..protocols import error_response
from ._rds import instance
from ._rds import params_of

DEFAULTS = {"snapshot_seconds": 2.0, "restore_seconds": 3.0}
SNAPSHOT_WRITES = ("CreateDBSnapshot", "CopyDBSnapshot")
RESTORES = ("RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime")


def _backend(region):
    from moto.rds.models import rds_backends

    for account in list(rds_backends):
        return rds_backends[account][region]
    return None


def _snapshot(region, identifier):
    identifier = str(identifier or "")
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        region, identifier = parts[3], parts[-1]
    backend = _backend(region)
    return backend.database_snapshots.get(identifier.lower()) if backend else None


def _time(text):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class RdsBackupRestore:
    name = "rds-backup-restore"
    summary = "Snapshots and restores are creating for a while; RDS's refusals (restore window, cross-region key)"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html"

    def __init__(self):
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.pending = {}  # (kind, region, identifier) -> [monotonic deadline, seen by a describe, started]

    def reset(self):
        with self.lock:
            self.pending.clear()
            self.settings = dict(DEFAULTS)

    def configure(self, settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        with self.lock:
            for key, value in settings.items():
                self.settings[key] = float(value)
            return dict(self.settings)

    # -- time passing ---------------------------------------------------------------------------------------------

    def _settle(self, region, seen=False):
        now = time.monotonic()
        with self.lock:
            if seen:
                for key, entry in self.pending.items():
                    if key[1] == region:
                        entry[1] = True
            due = [k for k, e in self.pending.items() if e[1] and e[0] <= now]
            for key in due:
                del self.pending[key]
            waiting = dict(self.pending)
        for kind, where, identifier in due:
            self._finish(kind, where, identifier)
        for (kind, where, identifier), (deadline, _seen, started) in waiting.items():
            if kind == "snapshot":
                found = _snapshot(where, identifier)
                if found is not None:
                    span = max(deadline - started, 1e-6)
                    found.percent_progress = min(99, int(100 * (now - started) / span))

    @staticmethod
    def _finish(kind, region, identifier):
        if kind == "snapshot":
            found = _snapshot(region, identifier)
            if found is not None and found.status == "creating":
                found.status = "available"
                found.percent_progress = 100
        else:
            found = instance(region, identifier)
            if found is not None and found.status == "creating":
                found.status = "available"

    def _start(self, kind, region, identifier, seconds):
        with self.lock:
            now = time.monotonic()
            self.pending[(kind, region, str(identifier).lower())] = [now + seconds, False, now]

    # -- requests -------------------------------------------------------------------------------------------------

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds":
            return forward(request)
        if call.operation.startswith("Describe"):
            self._settle(call.region, seen=True)
            return forward(request)
        if call.operation not in SNAPSHOT_WRITES + RESTORES:
            return forward(request)
        self._settle(call.region)
        params = params_of(request)
        refusal = self._refusal(call, params)
        if refusal is not None:
            return error_response(call, 400, *refusal)
        response = forward(request)
        if not response.ok:
            return response
        if call.operation in SNAPSHOT_WRITES:
            identifier = params.get("DBSnapshotIdentifier") or params.get("TargetDBSnapshotIdentifier")
            found = _snapshot(call.region, identifier)
            if found is not None:
                found.status = "creating"
                found.percent_progress = 0
                self._start("snapshot", call.region, identifier, self.settings["snapshot_seconds"])
        else:
            identifier = params.get("DBInstanceIdentifier") or params.get("TargetDBInstanceIdentifier")
            found = instance(call.region, identifier)
            if found is not None:
                found.status = "creating"
                self._start("instance", call.region, identifier, self.settings["restore_seconds"])
        response.body = response.body.replace(b"<Status>available</Status>", b"<Status>creating</Status>").replace(
            b"<DBInstanceStatus>available</DBInstanceStatus>", b"<DBInstanceStatus>creating</DBInstanceStatus>"
        )
        for index, (name, _value) in enumerate(response.headers):
            if name.lower() == "content-length":
                response.headers[index] = (name, str(len(response.body)))
        return response

    def _refusal(self, call, params):
        """(code, message) AWS would answer instead of acting, or None."""
        operation = call.operation
        if operation == "CreateDBSnapshot":
            found = instance(call.region, params.get("DBInstanceIdentifier"))
            if found is not None and found.status != "available":
                return (
                    "InvalidDBInstanceState",
                    f"Cannot create a snapshot because the database instance {found.db_instance_identifier} "
                    f"is not currently in the available state (it is {found.status}).",
                )
        if operation in ("CopyDBSnapshot", "RestoreDBInstanceFromDBSnapshot"):
            source = params.get("SourceDBSnapshotIdentifier") or params.get("DBSnapshotIdentifier")
            found = _snapshot(call.region, source)
            if found is not None and found.status != "available":
                return "InvalidDBSnapshotState", f"Snapshot {found.db_snapshot_identifier} is not in available state."
            parts = str(source or "").split(":")
            if (
                operation == "CopyDBSnapshot"
                and found is not None
                and len(parts) > 3
                and parts[3] != call.region
                and found.encrypted
                and not params.get("KmsKeyId")
            ):
                return (
                    "InvalidParameterValue",
                    "KmsKeyId: an encrypted DB snapshot copied to another AWS Region needs a KMS key of the "
                    "destination Region.",
                )
        if operation == "RestoreDBInstanceToPointInTime":
            found = instance(call.region, params.get("SourceDBInstanceIdentifier"))
            if found is None:
                return None
            if not int(getattr(found, "backup_retention_period", 0) or 0):
                return (
                    "PointInTimeRestoreNotEnabled",
                    f"SourceDBInstanceIdentifier {found.db_instance_identifier} has BackupRetentionPeriod 0.",
                )
            if found.status in ("creating",):
                return (
                    "InvalidDBInstanceState",
                    f"Database instance {found.db_instance_identifier} is not in a state to be restored from.",
                )
            if params.get("RestoreTime"):
                wanted = _time(params["RestoreTime"])
                latest = datetime.datetime.now(datetime.UTC)
                created = found.created if hasattr(found, "created") else None
                earliest = _time(created) if isinstance(created, str) else created
                if earliest is not None and earliest.tzinfo is None:
                    earliest = earliest.replace(tzinfo=datetime.UTC)
                if wanted is None or wanted > latest or (earliest is not None and wanted < earliest):
                    return (
                        "InvalidRestoreFault",
                        f"Restore time {params['RestoreTime']} is not within the restorable window of "
                        f"{found.db_instance_identifier} ({earliest.isoformat() if earliest else '?'} to "
                        f"{latest.isoformat()}).",
                    )
        return None
