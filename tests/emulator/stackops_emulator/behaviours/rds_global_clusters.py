"""Aurora global databases: the writer is the source cluster, and switchover / failover move it over time.

AWS (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html):

- CreateGlobalCluster with SourceDBClusterIdentifier makes that cluster the global database's primary: its
  member entry has ``IsWriter`` true; clusters created later with GlobalClusterIdentifier are secondaries.
- SwitchoverGlobalCluster (both Regions healthy, no data loss) and FailoverGlobalCluster with AllowDataLoss
  (the primary Region is gone) promote the named secondary (TargetDbClusterIdentifier, an ARN) to primary.
  While it happens the global cluster's Status is ``switching-over`` / ``failing-over`` and ``FailoverState``
  holds Status, FromDbClusterArn, ToDbClusterArn and IsDataLossAllowed; afterwards FailoverState is empty, the
  target is the writer and the old primary a secondary. AllowDataLoss and Switchover together are refused
  (InvalidParameterCombination), as is a target that is not a secondary of that global database
  (InvalidParameterValue / DBClusterNotFoundFault) and an operation while another is in progress
  (InvalidGlobalClusterStateFault).

moto 5.2 reports ``IsWriter`` false for the source cluster and answers both operations with a 500. This
behaviour fixes the writer after moto's create and performs switchover and failover itself, taking
``switch_seconds`` (default 3, and at least one describe; ``PUT /_stackops/behaviours/rds-global-clusters``).
"""

from __future__ import annotations

import threading
import time
import uuid
from xml.sax.saxutils import escape

from ..protocols import Response
from ..protocols import error_response
from ._rds import params_of
from ._rds import truthy

DEFAULTS = {"switch_seconds": 3.0}


def _global_backend():
    from moto.rds.models import rds_backends

    for account in list(rds_backends):
        return rds_backends[account]["us-east-1"]
    return None


def _global(identifier):
    backend = _global_backend()
    return backend.global_clusters.get(str(identifier or "").lower()) if backend else None


class RdsGlobalClusters:
    name = "rds-global-clusters"
    summary = "Aurora global databases: the source cluster writes; switchover and failover move the writer"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html"

    def __init__(self):
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.pending = {}  # global id -> [deadline, seen, target cluster]

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

    def _settle(self, seen=False):
        now = time.monotonic()
        with self.lock:
            if seen:
                for entry in self.pending.values():
                    entry[1] = True
            due = {k: e for k, e in self.pending.items() if e[1] and e[0] <= now}
            for key in due:
                del self.pending[key]
        for identifier, (_deadline, _seen, target) in due.items():
            found = _global(identifier)
            if found is None:
                continue
            for member in found.members:
                member.is_writer = member is target
                if member is target:
                    member.replication_source_identifier = None
            found.status = "available"
            found.failover_state = None

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds":
            return forward(request)
        if call.operation.startswith("Describe"):
            self._settle(seen=True)
            return forward(request)
        if call.operation == "CreateGlobalCluster":
            response = forward(request)
            params = params_of(request)
            found = _global(params.get("GlobalClusterIdentifier"))
            if response.ok and found is not None and params.get("SourceDBClusterIdentifier") and found.members:
                found.members[0].is_writer = True
                return self._answer(call, found)
            return response
        if call.operation not in ("SwitchoverGlobalCluster", "FailoverGlobalCluster"):
            return forward(request)
        self._settle()
        params = params_of(request)
        data_loss = truthy(params.get("AllowDataLoss", "false"))
        if call.operation == "FailoverGlobalCluster" and data_loss and truthy(params.get("Switchover", "false")):
            return error_response(
                call, 400, "InvalidParameterCombination", "AllowDataLoss and Switchover cannot both be specified."
            )
        identifier = params.get("GlobalClusterIdentifier")
        found = _global(identifier)
        if found is None:
            return error_response(call, 404, "GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")
        target_id = params.get("TargetDbClusterIdentifier") or ""
        target = next(
            (m for m in found.members if target_id in (m.db_cluster_arn, m.db_cluster_identifier)),
            None,
        )
        if target is None:
            return error_response(
                call,
                400,
                "DBClusterNotFoundFault",
                f"TargetDbClusterIdentifier {target_id} is not a member of global cluster {identifier}.",
            )
        if found.status != "available" or identifier.lower() in self.pending:
            return error_response(
                call,
                400,
                "InvalidGlobalClusterStateFault",
                f"Global cluster {identifier} is {found.status}; wait until it is available.",
            )
        if target.is_writer:
            return error_response(
                call,
                400,
                "InvalidParameterValue",
                f"TargetDbClusterIdentifier {target_id} is already the primary cluster of {identifier}.",
            )
        writer = next((m for m in found.members if m.is_writer), None)
        found.status = "failing-over" if data_loss else "switching-over"
        found.failover_state = {
            "Status": found.status,
            "FromDbClusterArn": writer.db_cluster_arn if writer else None,
            "ToDbClusterArn": target.db_cluster_arn,
            "IsDataLossAllowed": data_loss,
        }
        with self.lock:
            self.pending[identifier.lower()] = [time.monotonic() + self.settings["switch_seconds"], False, target]
        return self._answer(call, found)

    @staticmethod
    def _answer(call, found):
        members = "".join(
            "<member>"
            f"<DBClusterArn>{escape(m.db_cluster_arn)}</DBClusterArn>"
            f"<IsWriter>{'true' if m.is_writer else 'false'}</IsWriter>"
            "</member>"
            for m in found.members
        )
        state = getattr(found, "failover_state", None) or {}
        failover = ""
        if state:
            failover = (
                "<FailoverState>"
                f"<Status>{state['Status']}</Status>"
                f"<FromDbClusterArn>{escape(state['FromDbClusterArn'] or '')}</FromDbClusterArn>"
                f"<ToDbClusterArn>{escape(state['ToDbClusterArn'])}</ToDbClusterArn>"
                f"<IsDataLossAllowed>{'true' if state['IsDataLossAllowed'] else 'false'}</IsDataLossAllowed>"
                "</FailoverState>"
            )
        body = (
            f'<{call.operation}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><{call.operation}Result>'
            "<GlobalCluster>"
            f"<GlobalClusterIdentifier>{escape(found.global_cluster_identifier)}</GlobalClusterIdentifier>"
            f"<GlobalClusterArn>{escape(found.global_cluster_arn)}</GlobalClusterArn>"
            f"<Status>{found.status}</Status><Engine>{found.engine}</Engine>"
            f"<EngineVersion>{found.engine_version}</EngineVersion>"
            f"<StorageEncrypted>{'true' if found.storage_encrypted else 'false'}</StorageEncrypted>"
            f"<GlobalClusterMembers>{members}</GlobalClusterMembers>{failover}"
            "</GlobalCluster>"
            f"</{call.operation}Result><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            f"</{call.operation}Response>"
        ).encode()
        return Response(200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)
