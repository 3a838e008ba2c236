# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restore procedure's steps and state, shared by the RDS instance and the Aurora cluster restores.

preflight -> (copy) -> restore -> (writer) -> bounded wait -> verify -> (repoint). A subclass reads and acts on
its kind of resource; the order, the timeline, the bounded waits and the result's measures are the same.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from ..platform import identity_tags
from ..platform import resource_tags
from . import common as c


class BaseRestore:
    # The restore's kind as the result names it, and the phase that makes, once the restored resource is
    # available, what the restore itself does not (an Aurora cluster's writer). With one, the first wait happens
    # even with wait: false (the second step needs it); only the second step's own wait is skipped.
    kind = None
    second_step = None

    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.source_region = params.get("source_region") or region
        self.clients = clients
        self.rds = clients["rds"]
        self.rds_source = clients.get("rds_source") or self.rds
        self.sm = clients.get("secretsmanager")
        self.check_mode = check_mode
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.target = params["target"]
        self.source = None
        self.adopted = False
        self.point = {}  # snapshot / restore_time / data_created / kind
        self.copy = None
        self.started = None
        self.secret = None
        self.settings = {}

    # -- the steps ----------------------------------------------------------------------------------------------

    def run(self):
        self.started = self.started or c.now()
        if self.p["state"] == "absent":
            return self.remove()
        with self.phases.phase("preflight"):
            self.preflight()
        if not self.adopted:
            if self.source_region != self.region and self.point["kind"] == "snapshot":
                with self.phases.phase("copy"):
                    self.copy_snapshot()
            with self.phases.phase("restore"):
                self.restore()
        if self.check_mode or not (self.p["wait"] or self.second_step):
            if self.check_mode and self.second_step:
                self.make_second_step()
            if self.p.get("repoint_secret"):
                self.changes.add(f"repoint secret {self.p['repoint_secret']} to {self.target}'s endpoint")
            return None
        with self.phases.phase("wait"):
            self.wait()
        if self.second_step:
            with self.phases.phase(self.second_step):
                self.make_second_step()
        if not self.p["wait"]:
            return None
        with self.phases.phase("verify"):
            self.verify()
        if self.p.get("repoint_secret"):
            with self.phases.phase("repoint"):
                self.repoint()
        return None

    def remaining(self):
        return max(1, int(self.p["wait_timeout"] - (c.now() - self.started).total_seconds()))

    def tags(self, **extra):
        identity = identity_tags(self.p["platform"], self.p["environment"], c.COMPONENT)
        return [{"Key": k, "Value": v} for k, v in resource_tags(identity, self.p.get("tags"), **extra).items()]

    def restore_tags(self):
        point = self.point
        return self.tags(**{
            c.TAG_ROLE: "restore",
            c.TAG_RESTORED_FROM: self.p["source"],
            c.TAG_RESTORE_POINT: str(point["restore_point"]),
            "stackops:restore-data-time": str(point["data_created"] or ""),
        })  # fmt: skip

    def adopt(self, found_tags, what):
        """``target`` exists: a restore of this source (an interrupted run's) is waited for; anything else refused."""
        if found_tags.get(c.TAG_RESTORED_FROM) != self.p["source"]:
            raise PreconditionFailed(
                f"target: {what} {self.target} exists and is not a restore of {self.p['source']}; pick another "
                "identifier (nothing was changed)"
            )
        self.adopted = True
        self.point = {
            "kind": "adopted",
            "restore_point": found_tags.get(c.TAG_RESTORE_POINT),
            "data_created": found_tags.get("stackops:restore-data-time"),
        }
        self.warnings.append(
            f"{self.target} is already a restore of {self.p['source']}: waited for it, restored nothing"
        )

    def describe_point(self):
        point = self.point
        what = (
            f"snapshot {point['restore_point']}"
            if point["kind"] == "snapshot"
            else ("the latest restorable time" if point["restore_time"] is None else point["restore_point"])
        )
        where = f" in {self.region}" if self.source_region != self.region else ""
        return f"restore {self.p['source']} from {what} into {self.target}{where}"

    def time_point(self, retention, latest_restorable):
        """The point-in-time restore point: ``latest`` or a time not after the latest restorable one."""
        if not retention:
            raise PreconditionFailed(
                f"restore_time: {self.p['source']} keeps no automated backups (backup retention 0), so it has no "
                "point-in-time restore (nothing was changed)"
            )
        latest = c.as_time(latest_restorable)
        if self.p["restore_time"] == "latest":
            return {"kind": "time", "restore_time": None, "restore_point": "latest", "data_created": c.iso(latest)}
        wanted = c.parse_time(self.p["restore_time"])
        if latest is not None and wanted > latest:
            raise PreconditionFailed(
                f"restore_time: {self.p['restore_time']} is after {self.p['source']}'s latest restorable time "
                f"{c.iso(latest)} (nothing was changed)"
            )
        return {"kind": "time", "restore_time": wanted, "restore_point": c.iso(wanted), "data_created": c.iso(wanted)}

    @staticmethod
    def mismatches(want, subnet_group, groups, parameter_groups, kms):
        """What of the asked settings the restored resource does not have."""
        problems = []
        if want.get("DBSubnetGroupName") and subnet_group != want["DBSubnetGroupName"]:
            problems.append(f"subnet group {subnet_group}, not {want['DBSubnetGroupName']}")
        if want.get("VpcSecurityGroupIds") and sorted(groups) != want["VpcSecurityGroupIds"]:
            problems.append(f"security groups {sorted(groups)}, not {want['VpcSecurityGroupIds']}")
        wanted_group = want.get("DBParameterGroupName") or want.get("DBClusterParameterGroupName")
        if wanted_group and wanted_group not in parameter_groups:
            problems.append(f"parameter groups {parameter_groups}, not {wanted_group}")
        if want.get("kms") and kms != want["kms"]:
            problems.append(f"KMS key {kms}, not {want['kms']}")
        return problems

    # -- result -------------------------------------------------------------------------------------------------

    def measures(self):
        """Where the data comes from and how old it was when the restore started (what a recovery would lose)."""
        data_time = c.as_time(self.point.get("data_created"))
        return {
            "region": self.region,
            "source": self.p["source"],
            "source_region": self.source_region,
            "restore_point": self.point.get("restore_point"),
            "kind": self.point.get("kind"),
            "data_time": c.iso(data_time),
            "data_age_s": round((self.started - data_time).total_seconds(), 1) if data_time and self.started else None,
            "adopted": self.adopted,
            "engine_kind": self.kind,
        }

    def extra_result(self):
        return {"secret": self.secret}
