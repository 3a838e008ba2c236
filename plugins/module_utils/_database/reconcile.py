# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the database tier: the parameter group, the enhanced monitoring role, then either an RDS instance
with its read replicas, an Aurora cluster with its writer and readers, or (on a DR host) a cross-region read
replica of the primary region's instance.

Settings RDS applies at the next maintenance window (``spec.DEFERRED``) are sent with ApplyImmediately as the
spec says; what the instance shows in PendingModifiedValues counts as done, so a second run finds nothing to do.

The parameter group (``parameters.py``), the enhanced monitoring role (``monitoring.py``), the instance
(``instance.py``), its replicas (``replicas.py``, the cross-region DR replica too), an Aurora cluster
(``aurora.py``), an Aurora secondary cluster (``aurora_global.py``) and the deletions (``removal.py``) are parts
that share this reconciler's reads, changes, tags and waits; this class reads, checks, runs them in order and
reports (each part reports its own resources).
"""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import after_iam_propagation
from ..platform import create_once
from ..platform import identity_tags
from ..platform import not_found
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from ..platform import wait_for
from . import spec as sp
from . import state as st
from .aurora import AuroraCluster
from .aurora_global import AuroraGlobal
from .instance import Instances
from .monitoring import MonitoringRole
from .parameters import ParameterGroup
from .removal import Removal
from .replicas import Replicas

__all__ = ["DatabaseReconciler", "ReconcileError"]


class DatabaseReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        # RDS creates take no idempotency token: each is sent once and, after an answer that leaves it unknown
        # whether it acted, the identifier (unique in the region) is looked for before sending it again.
        self.rds = single_attempt(
            clients["rds"],
            "CreateDBInstance",
            "CreateDBInstanceReadReplica",
            "CreateDBCluster",
            "CreateDBParameterGroup",
            "CreateDBClusterParameterGroup",
        )
        self.iam = clients["iam"]
        self.clients = clients
        self.check_mode = check_mode
        self.changes = Changes(check_mode)
        self.warnings = []
        self.engine = params.get("engine") or "postgres"
        self.aurora = self.engine == "aurora-postgresql"
        self.dr = bool(params.get("primary_region"))
        self.names = sp.Names(params["name"], self.engine, params["engine_version"], region)
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.state = st.DatabaseState()
        self.before_snapshot = {}
        self.variable_prefix = params.get("variable_prefix") or ""
        self.pending = {}  # identifier -> {setting: value} waiting for the maintenance window
        self.deadline = None
        self.parameter_group = ParameterGroup(self)
        self.instances = Instances(self)
        self.read_replicas = Replicas(self)
        self.aurora_cluster = AuroraCluster(self)
        self.aurora_global = AuroraGlobal(self)
        self.monitoring = MonitoringRole(self)
        self.removal = Removal(self)
        self.new_role = False  # the monitoring role was made in this run (IAM is eventually consistent)

    # -- helpers ------------------------------------------------------------------------------------------------

    def tags(self, role, name):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **{st.TAG_ROLE: role})

    def tag_list(self, role, name):
        return ansible_dict_to_boto3_tag_list(self.tags(role, name))

    def create(self, call, **kwargs):
        """``call(**kwargs)``; while a monitoring role made in this run is not yet visible to RDS (IAM is
        eventually consistent), RDS answers InvalidParameterValue about it: try again, within wait_timeout."""
        kwargs.pop("aws_retry", None)  # AWSRetry would send the create again after a lost answer
        identifier = kwargs["DBInstanceIdentifier"]

        def once():
            return create_once(
                lambda: call(**kwargs),
                lambda: self.find_instance(identifier),
                f"RDS instance {identifier}",
                self.warnings,
            )

        if not self.new_role:
            return once()
        return after_iam_propagation(
            once,
            min(self.remaining(), 120),
            "the new enhanced monitoring role to reach RDS",
            ("InvalidParameterValue",),
            ("monitoring",),
        )

    def remaining(self):
        return max(1, int(self.deadline - time.monotonic())) if self.deadline else self.p["wait_timeout"]

    def wait_available(self, identifier, cluster=False, rds=None):
        if not self.p["wait"] or self.check_mode:
            return
        rds = rds or self.rds

        def check():
            if cluster:
                found = st.read_cluster(rds, identifier)
                return found if found and found.get("Status") == "available" else None
            found = st.read_instance(rds, identifier)
            return found if found and found.get("DBInstanceStatus") in ("available", "storage-optimization") else None

        try:
            found = wait_for(
                check, self.remaining(), f"{'cluster' if cluster else 'instance'} {identifier} to be available"
            )
        except WaitTimeout as error:
            raise ReconcileError(f"{error} (wait_timeout {self.p['wait_timeout']} s; it goes on in AWS)") from None
        if cluster:
            self.state.cluster = found
        else:
            self.state.instances[identifier] = found

    def tag(self, resource, what):
        arn = resource.get("DBInstanceArn") or resource.get("DBClusterArn")
        identifier = resource.get("DBInstanceIdentifier") or resource.get("DBClusterIdentifier")
        role = st.tags_of(resource).get(st.TAG_ROLE) or what
        desired = self.tags(role, identifier)
        sync_tags(self.changes, self.rds, "rds", arn, identifier, st.tags_of(resource), desired, tags_purged(self.p))

    # -- reads ----------------------------------------------------------------------------------------------------

    def read(self):
        self.state.instances = st.read_instances(self.rds)
        if self.aurora and not self.dr:
            self.state.cluster = st.read_cluster(self.rds, self.names.primary)
        group, parameters = st.read_parameter_group(self.rds, self.names.parameter_group, cluster=self.aurora)
        self.state.parameter_group, self.state.parameters = group, parameters
        if self.p["monitoring_interval"] and not self.p.get("monitoring_role_arn"):
            self.state.role, self.state.role_policies = st.read_role(self.iam, self.names.monitoring_role)
        if self.dr:
            read = st.read_cluster if self.aurora else st.read_instance
            self.state.source = read(self.clients["rds_primary"], self.names.primary)

    # -- converge -------------------------------------------------------------------------------------------------

    def converge(self):
        self.deadline = time.monotonic() + self.p["wait_timeout"]
        self.read()
        self.before_snapshot = self.snapshot()
        if self.p["state"] == "absent":
            self.removal.converge()
            return
        if self.dr and self.state.source is None and self.check_mode:
            # A dry run of a whole environment: the primary is only planned too.
            self.parameter_group.converge()
            self.monitoring.converge()
            self.changes.add(
                f"create DR replica {self.names.dr} of {self.names.primary} in {self.p['primary_region']} (once it exists)"
            )
            return
        if self.dr and self.state.source is None:
            raise ReconcileError(
                f"{self.var('primary_region')}: the primary instance {self.names.primary} does not exist in {self.p['primary_region']}; "
                "converge the primary region first (the DR replica is made from it)"
            )
        self.refuse_what_rds_cannot_do()
        self.parameter_group.converge()
        role_arn = self.monitoring.converge()
        if self.aurora and self.dr:
            self.aurora_global.converge(role_arn)
        elif self.aurora:
            self.aurora_cluster.converge(role_arn)
        elif self.dr:
            self.read_replicas.converge_dr(role_arn)
        else:
            self.instances.converge(role_arn)
            self.read_replicas.converge(role_arn)

    def after(self):
        """``--diff``'s after: the planned tier; once removed, nothing (in check mode, what is there now)."""
        if self.p["state"] == "absent":
            return self.before_snapshot if self.check_mode else {}
        return self.snapshot(planned=True)

    # -- preflight and lookups ----------------------------------------------------------------------------------------

    def refuse_what_rds_cannot_do(self):
        """RDS refuses a lower engine version and smaller allocated storage (as EKS, ElastiCache and OpenSearch
        refuse a downgrade): the run stops here, after the reads and before any write, saying what to do."""
        p, problems = self.p, []
        current = self.state.cluster if self.aurora else self.state.instances.get(self.names.primary)
        if not current:
            return
        name = current.get("DBClusterIdentifier") if self.aurora else current.get("DBInstanceIdentifier")
        want, have = str(p["engine_version"]), current.get("EngineVersion")
        if have and not sp.version_matches(want, have) and sp.version_key(want) < sp.version_key(have):
            problems.append(
                f"{self.var('engine_version')}: {name} runs {have}; RDS cannot downgrade it to {want} (restore a snapshot into a "
                "new instance with the older version instead)"
            )
        if not self.aurora:
            pending = current.get("PendingModifiedValues") or {}
            storage = pending.get("AllocatedStorage", current.get("AllocatedStorage"))
            if storage and p.get("allocated_storage") and p["allocated_storage"] < storage:
                problems.append(
                    f"{self.var('allocated_storage')}: {name} has {storage} GiB; RDS cannot shrink storage to "
                    f"{p['allocated_storage']} GiB (keep {storage} or more, or move the data to a new instance)"
                )
        if problems:
            raise ReconcileError("; ".join(problems) + ". Nothing was changed.")

    def var(self, option):
        """An option's name as the user wrote it (the role's variable, with ``variable_prefix``)."""
        return f"{self.variable_prefix}{option}"

    def find_instance(self, identifier):
        found = not_found(
            lambda: self.rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"],
            "DBInstanceNotFound",
        )
        return {"DBInstance": found[0]} if found else None

    # -- result and diff -------------------------------------------------------------------------------------------------

    def snapshot(self, planned=False):
        """The tier in symbolic form (identifiers, classes, storage, pending changes) for --diff."""
        found = {}
        if self.aurora and self.state.cluster:
            cluster = self.state.cluster
            found["cluster"] = {
                "identifier": cluster["DBClusterIdentifier"],
                "engine_version": cluster.get("EngineVersion"),
                "serverless_v2": cluster.get("ServerlessV2ScalingConfiguration"),
                "backup": f"{cluster.get('BackupRetentionPeriod')} days {cluster.get('PreferredBackupWindow')}",
                "maintenance_window": cluster.get("PreferredMaintenanceWindow"),
                "deletion_protection": cluster.get("DeletionProtection"),
            }
        instances = {}
        for identifier, instance in sorted(self.state.instances.items()):
            if identifier == self.names.primary or identifier.startswith(self.names.primary + "-"):
                if identifier.startswith(self.names.primary + "-final"):
                    continue
                instances[identifier] = self.instances.view(instance)
        found["instances"] = instances
        if self.state.parameters or planned:
            found["parameters"] = {k: v.get("ParameterValue") for k, v in sorted(self.state.parameters.items())}
        if planned:
            for identifier, pending in self.pending.items():
                instances.setdefault(identifier, {}).setdefault("pending", {}).update(pending)
            found["parameters"] = {
                k: v for k, (v, _m) in sorted(sp.desired_parameters(self.p.get("parameters")).items())
            }
            found["changes"] = list(self.changes.items)
        return found

    def result(self):
        """The ``database`` fact: endpoints, identifiers, ARNs, the master secret, the parameter group, pending changes."""
        result = {
            "engine": self.engine,
            "engine_version": None,
            "identifier": None,
            "cluster_identifier": None,
            "arn": None,
            "endpoint": None,
            "reader_endpoint": None,
            "port": self.p["port"],
            "master_user_secret_arn": None,
            "parameter_group_name": self.names.parameter_group,
            "replicas": {},
            "pending_modifications": {k: v for k, v in self.pending.items() if v},
            "security_group_ids": sorted(self.p.get("security_group_ids") or []),
            "subnet_group_name": self.p.get("subnet_group_name"),
        }
        if self.aurora and self.dr:
            return self.aurora_global.result(result)
        if self.aurora:
            return self.aurora_cluster.result(result)
        if self.dr:
            return self.read_replicas.result_dr(self.instances.result(result, self.names.dr))
        return self.read_replicas.result(self.instances.result(result, self.names.primary))
