"""Aurora cluster restores: a standalone cluster, creating for a while, with no instance until one is created.

AWS:
- RestoreDBClusterFromSnapshot: "This operation only restores the DB cluster, not the DB instances for that DB
  cluster. You must invoke the CreateDBInstance operation to create DB instances for the restored DB cluster,
  specifying the identifier of the restored DB cluster in DBClusterIdentifier. You can create DB instances only
  after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available."
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html; the same
  words for RestoreDBClusterToPointInTime,
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterToPointInTime.html). The new
  cluster is ``creating`` until it is ``available``; a CreateDBInstance into it before then is refused
  (InvalidDBClusterStateFault).
- RestoreDBClusterToPointInTime, RestoreToTime: "Must be before the latest restorable time for the DB
  instance" (InvalidRestoreFault otherwise). Neither restore takes a GlobalClusterIdentifier: the restored
  cluster is a standalone cluster, whatever global database the source belongs to
  (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
- DeleteDBCluster, DeleteAutomatedBackups: "Specifies whether to remove automated backups immediately after the
  DB cluster is deleted. [...] The default is to remove automated backups immediately after the DB cluster is
  deleted." (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html): the cluster's
  automated snapshots (``rds:<cluster>-...``) go with it.
- CopyDBClusterSnapshot, KmsKeyId: "To copy an encrypted DB cluster snapshot to another Amazon Web Services
  Region, you must set KmsKeyId to the Amazon Web Services KMS key identifier you want to use to encrypt the copy
  of the DB cluster snapshot in the destination Amazon Web Services Region."
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html).

moto 5.2 answers a restored cluster ``creating`` once and ``available`` from the next read, lets instances be
created in it at once, restores to any time at all, makes a point-in-time restore of a global database's
cluster a member of that global database, copies an encrypted cluster snapshot across Regions without a key
(keeping the source Region's key), keeps a deleted cluster's automated snapshots, and fails RestoreDBClusterFromSnapshot with a 500 when the snapshot's
cluster has an RDS-managed master password (``get_cfg`` reads a password attribute such a cluster lacks).
This behaviour refuses what AWS refuses before moto acts, gives moto's cluster model the password attribute it
reads, then takes the restored cluster out of any global database and keeps it ``creating`` for
``restore_seconds`` (and at least one describe); after a DeleteDBCluster it removes the cluster's automated
snapshots unless DeleteAutomatedBackups is false. ``PUT /_stackops/behaviours/rds-cluster-restore``
``{"restore_seconds": 2}`` sets the timing (``Emulator.configure``); ``reset`` restores the default.
"""

from __future__ import annotations

import datetime
import threading
import time

from ..protocols import error_response
from ._rds import params_of

DEFAULTS = {"restore_seconds": 2.0}
RESTORES = ("RestoreDBClusterFromSnapshot", "RestoreDBClusterToPointInTime")
WATCHED = RESTORES + ("CopyDBClusterSnapshot", "CreateDBInstance", "DeleteDBCluster")


def _backend(region):
    from moto.rds.models import rds_backends

    for account in list(rds_backends):
        return rds_backends[account][region]
    return None


def _cluster(region, identifier):
    backend = _backend(region)
    if backend is None or not identifier:
        return None
    return backend.clusters.get(identifier) or backend.clusters.get(str(identifier).lower())


def _cluster_snapshot(region, identifier):
    identifier = str(identifier or "")
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        region, identifier = parts[3], parts[-1]
    backend = _backend(region)
    return backend.cluster_snapshots.get(identifier) if backend else None


def _time(text):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _drop_automated_snapshots(region, identifier):
    backend = _backend(region)
    if backend is None:
        return
    for name, snapshot in list(backend.cluster_snapshots.items()):
        if snapshot.snapshot_type == "automated" and snapshot.cluster.db_cluster_identifier == identifier:
            del backend.cluster_snapshots[name]


class RdsClusterRestore:
    name = "rds-cluster-restore"
    summary = "Aurora restores: standalone, creating for a while, no instance before available; RDS's refusals"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html"

    def __init__(self):
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.pending = {}  # (region, identifier) -> [monotonic deadline, seen by a describe]

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

    def _settle(self, region, seen=False):
        """Restored clusters past their time are available; the others stay creating (moto flips them on a read)."""
        now = time.monotonic()
        with self.lock:
            for key, entry in list(self.pending.items()):
                if key[0] != region:
                    continue
                if seen:
                    entry[1] = True
                found = _cluster(region, key[1])
                if found is None:
                    del self.pending[key]
                elif entry[1] and entry[0] <= now:
                    found.status = "available"
                    del self.pending[key]
                else:
                    found.status = "creating"

    def _creating(self, region, identifier):
        with self.lock:
            return (region, identifier) in self.pending

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds":
            return forward(request)
        if call.operation.startswith("Describe"):
            self._settle(call.region, seen=True)
            return forward(request)
        if call.operation not in WATCHED:
            return forward(request)
        self._settle(call.region)
        params = params_of(request)
        refusal = self._refusal(call, params)
        if refusal is not None:
            return error_response(call, 400, *refusal)
        if call.operation == "DeleteDBCluster":
            response = forward(request)
            if response.ok and str(params.get("DeleteAutomatedBackups", "true")).lower() != "false":
                _drop_automated_snapshots(call.region, params.get("DBClusterIdentifier"))
            return response
        if call.operation not in RESTORES:
            return forward(request)
        if call.operation == "RestoreDBClusterFromSnapshot":
            snapshot = _cluster_snapshot(call.region, params.get("SnapshotIdentifier"))
            if snapshot is not None:
                snapshot.cluster.__dict__.setdefault("_master_user_password", None)
        response = forward(request)
        if not response.ok:
            return response
        identifier = params.get("DBClusterIdentifier")
        found = _cluster(call.region, identifier)
        if found is not None:
            self._standalone(call.region, found)
            with self.lock:
                self.pending[(call.region, identifier)] = [time.monotonic() + self.settings["restore_seconds"], False]
                found.status = "creating"
        return response

    @staticmethod
    def _standalone(region, found):
        global_id = getattr(found, "global_cluster_identifier", None)
        if not global_id:
            return
        from moto.rds.models import rds_backends

        for account in list(rds_backends):
            for where in sorted({"us-east-1", region}):
                found_global = rds_backends[account][where].global_clusters.get(global_id)
                if found_global is not None and found in found_global.members:
                    found_global.members.remove(found)
        found.global_cluster_identifier = None

    def _refusal(self, call, params):
        """(code, message) AWS would answer instead of acting, or None."""
        operation = call.operation
        if operation == "CreateDBInstance":
            cluster = params.get("DBClusterIdentifier")
            if cluster and self._creating(call.region, cluster):
                return (
                    "InvalidDBClusterStateFault",
                    f"DB cluster {cluster} is not available; instances can be created in a restored cluster once it "
                    "is available.",
                )
            return None
        if operation == "CopyDBClusterSnapshot":
            source = params.get("SourceDBClusterSnapshotIdentifier") or ""
            parts = source.split(":")
            found = _cluster_snapshot(call.region, source)
            if (
                found is not None
                and len(parts) > 3
                and parts[3] != call.region
                and getattr(found.cluster, "storage_encrypted", False)
                and not params.get("KmsKeyId")
            ):
                return (
                    "InvalidParameterValue",
                    "KmsKeyId: an encrypted DB cluster snapshot copied to another AWS Region needs a KMS key of the "
                    "destination Region.",
                )
            return None
        if operation == "RestoreDBClusterToPointInTime" and params.get("RestoreToTime"):
            found = _cluster(call.region, params.get("SourceDBClusterIdentifier"))
            if found is None:
                return None
            wanted = _time(params["RestoreToTime"])
            latest = datetime.datetime.now(datetime.UTC)
            created = getattr(found, "created", None)
            created = _time(created) if isinstance(created, str) else created
            if created is not None and created.tzinfo is None:
                created = created.replace(tzinfo=datetime.UTC)
            if wanted is None or wanted > latest or (created is not None and wanted < created):
                return (
                    "InvalidRestoreFault",
                    f"Restore time {params['RestoreToTime']} is not within the restorable window of "
                    f"{found.db_cluster_identifier} ({created.isoformat() if created else '?'} to "
                    f"{latest.isoformat()}).",
                )
        return None
