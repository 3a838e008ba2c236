# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Move the writer of an Aurora global database to another region: preflight -> act -> bounded wait -> verify.

``switchover`` (SwitchoverGlobalCluster): both regions healthy, no data lost; the old primary becomes a
secondary. ``failover`` (FailoverGlobalCluster with AllowDataLoss): the primary region is gone; what it had not
replicated is lost (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
Idempotent by intent: a target that already writes is reported ok, an operation towards it in progress is waited
for, and ``expected_writer`` refuses to act when someone else moved the writer meanwhile.
"""

from __future__ import annotations

import re

from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import not_found
from ..platform import wait_for

_GLOBAL_RE = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:cluster:([A-Za-z][A-Za-z0-9-]*)$")


def validate(params, region):  # pylint: disable=unused-argument
    errors = []
    if not _GLOBAL_RE.match(params.get("global_cluster") or ""):
        errors.append(f"global_cluster: {params.get('global_cluster')!r} is not a global database identifier")
    target = params.get("target_cluster")
    if params["action"] in ("switchover", "failover"):
        if not target:
            errors.append(f"target_cluster: required to {params['action']} (the secondary cluster that takes over)")
    for key in ("target_cluster", "expected_writer"):
        value = params.get(key)
        if value and not (_CLUSTER_ARN.match(value) or _GLOBAL_RE.match(value)):
            errors.append(f"{key}: {value!r} is not a DB cluster identifier or ARN")
    return errors


def _read_global(rds, identifier):
    found = not_found(
        lambda: rds.describe_global_clusters(GlobalClusterIdentifier=identifier, aws_retry=True)["GlobalClusters"],
        "GlobalClusterNotFoundFault",
    )
    return found[0] if found else None


def _matches(arn, name):
    """Whether the member ARN ``arn`` is the cluster ``name`` (an ARN or an identifier)."""
    return bool(name) and (arn == name or arn.rsplit(":", 1)[-1] == name)


def _writer(found):
    return next((m["DBClusterArn"] for m in found.get("GlobalClusterMembers") or [] if m.get("IsWriter")), None)


class GlobalClusterProcedure:
    def __init__(self, params, clients, check_mode):
        self.p = params
        self.rds = clients["rds"]
        self.clients = clients
        self.check_mode = check_mode
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.found = None
        self.previous = None
        self.target = None
        self.target_cluster = None
        self.state = "unchanged"

    def run(self):
        with self.phases.phase("preflight"):
            ready = self.preflight()
        if self.p["action"] == "status" or not ready:
            return
        if self.state == "act":
            with self.phases.phase(self.p["action"]):
                self.act()
        if self.check_mode or not self.p["wait"]:
            return
        with self.phases.phase("wait"):
            # Short first polls: the caller's recovery time counts every second between AWS finishing and us seeing it.
            self.found = wait_for(
                self.done,
                self.p["wait_timeout"],
                f"{self.target} to write for {self.p['global_cluster']}",
                delay=0.5,
                max_delay=10.0,
            )
        with self.phases.phase("verify"):
            self.verify()

    def preflight(self):
        name = self.p["global_cluster"]
        self.found = _read_global(self.rds, name)
        if self.found is None:
            raise PreconditionFailed(f"global_cluster: no Aurora global database {name} (nothing was changed)")
        members = [m["DBClusterArn"] for m in self.found.get("GlobalClusterMembers") or []]
        self.previous = _writer(self.found)
        if self.p["action"] == "status":
            return False
        self.target = next((arn for arn in members if _matches(arn, self.p["target_cluster"])), None)
        if self.target is None:
            raise PreconditionFailed(
                f"target_cluster: {self.p['target_cluster']} is not a member of {name} (members: {', '.join(members)}); "
                "nothing was changed"
            )
        state = self.found.get("FailoverState") or {}
        if state.get("ToDbClusterArn") == self.target:
            self.state = "in progress"
            self.warnings.append(f"a {state.get('Status')} to {self.target} was in progress: waited for it")
            return True
        if self.previous == self.target:
            self.state = "already"
            return False
        if state:
            raise PreconditionFailed(
                f"global_cluster: {name} is {state.get('Status')} towards {state.get('ToDbClusterArn')}; wait for it (nothing was changed)"
            )
        expected = self.p.get("expected_writer")
        if expected and not _matches(self.previous or "", expected):
            raise PreconditionFailed(
                f"expected_writer: {name} is written by {self.previous}, not {expected}; someone moved it (nothing was changed)"
            )
        if self.found.get("Status") != "available":
            raise PreconditionFailed(
                f"global_cluster: {name} is {self.found.get('Status')}, not available (nothing was changed)"
            )
        region, identifier = self._where(self.target)
        self.target_cluster = self._cluster(region, identifier)
        if (self.target_cluster or {}).get("Status") != "available":
            raise PreconditionFailed(
                f"target_cluster: {identifier} is {(self.target_cluster or {}).get('Status', 'not found')} in {region}; "
                "it must be available to take over (nothing was changed)"
            )
        if self.p["action"] == "switchover" and self.previous:
            region, identifier = self._where(self.previous)
            primary = self._cluster(region, identifier)
            if (primary or {}).get("Status") != "available":
                raise PreconditionFailed(
                    f"action: the primary {identifier} is {(primary or {}).get('Status', 'unreachable')} in {region}; a "
                    "switchover needs both regions healthy - use action=failover when the primary region is gone "
                    "(nothing was changed)"
                )
        self.state = "act"
        return True

    @staticmethod
    def _where(arn):
        match = _CLUSTER_ARN.match(arn)
        return (match.group(1), match.group(2)) if match else (None, arn)

    def _cluster(self, region, identifier):
        rds = self.clients["cluster"](region)
        found = not_found(
            lambda: rds.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)["DBClusters"],
            "DBClusterNotFoundFault",
        )
        return found[0] if found else None

    def act(self):
        name, failover = self.p["global_cluster"], self.p["action"] == "failover"
        what = "fail over (data not yet replicated is lost)" if failover else "switch over"
        if not self.changes.add(f"{what} Aurora global database {name}: writer {self.previous} -> {self.target}"):
            return
        if failover:
            self.rds.failover_global_cluster(
                GlobalClusterIdentifier=name, TargetDbClusterIdentifier=self.target, AllowDataLoss=True
            )
        else:
            self.rds.switchover_global_cluster(GlobalClusterIdentifier=name, TargetDbClusterIdentifier=self.target)

    def done(self):
        found = _read_global(self.rds, self.p["global_cluster"])
        if found is None:
            raise PlatformError(f"global_cluster: {self.p['global_cluster']} disappeared")
        if not found.get("FailoverState") and found.get("Status") == "available" and _writer(found) == self.target:
            return found
        return None

    def verify(self):
        region, identifier = self._where(self.target)
        self.target_cluster = self._cluster(region, identifier)
        if _writer(self.found) != self.target or (self.target_cluster or {}).get("Status") != "available":
            raise PlatformError(
                f"{identifier} does not write for {self.p['global_cluster']} after the {self.p['action']}"
            )

    def result(self):
        found = self.found or {}
        cluster = self.target_cluster or {}
        return {
            "identifier": self.p["global_cluster"],
            "arn": found.get("GlobalClusterArn"),
            "status": found.get("Status"),
            "action": self.p["action"],
            "outcome": {"act": "moved", "in progress": "moved (was in progress)", "already": "already the writer"}.get(
                self.state, self.state
            )
            if not self.check_mode or self.state != "act"
            else "planned",
            "previous_writer": self.previous,
            "writer": _writer(found) if not (self.check_mode and self.state == "act") else self.previous,
            "target": self.target,
            "data_loss_allowed": self.p["action"] == "failover",
            "endpoint": cluster.get("Endpoint"),
            "members": [
                {"arn": m["DBClusterArn"], "is_writer": bool(m.get("IsWriter"))}
                for m in found.get("GlobalClusterMembers") or []
            ],
        }
