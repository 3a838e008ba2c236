# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the database tier: the parameter group, the enhanced monitoring role, then either an RDS instance
with its read replicas, an Aurora cluster with its writer and readers, or (on a DR host) a cross-region read
replica of the primary region's instance.

Settings RDS applies at the next maintenance window (``spec.DEFERRED``) are sent with ApplyImmediately as the
spec says; what the instance shows in PendingModifiedValues counts as done, so a second run finds nothing to do.

The parameter group (``parameters.py``), the instance (``instance.py``), its replicas (``replicas.py``) and an
Aurora cluster (``aurora.py``) are parts that share this reconciler's reads, changes, tags and waits; this class
reads, runs them in order and reports.
"""

from __future__ import annotations

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import after_iam_propagation
from ..platform import create_once
from ..platform import create_role
from ..platform import identity_tags
from ..platform import not_found
from ..platform import partition_for
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
from .parameters import ParameterGroup
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
            self.remove()
            return
        if self.dr and self.state.source is None and self.check_mode:
            # A dry run of a whole environment: the primary is only planned too.
            self.parameter_group.converge()
            self.monitoring_role()
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
        role_arn = self.monitoring_role()
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

    # -- enhanced monitoring role -------------------------------------------------------------------------------------

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

    def monitoring_role(self):
        if not self.p["monitoring_interval"]:
            return None
        if self.p.get("monitoring_role_arn"):
            return self.p["monitoring_role_arn"]
        name = self.names.monitoring_role
        policy = st.MONITORING_POLICY.format(partition=partition_for(self.region))
        role = self.state.role
        if role is None:
            if self.changes.add(f"create IAM role {name} (RDS enhanced monitoring)"):
                self.new_role = True
                role = create_role(
                    self.iam,
                    dict(
                        RoleName=name,
                        AssumeRolePolicyDocument=json.dumps(st.MONITORING_TRUST),
                        Description="RDS enhanced monitoring (stackops)",
                        Tags=[{"Key": k, "Value": v} for k, v in self.tags("monitoring", name).items()],
                    ),
                    self.warnings,
                )["Role"]
            self.state.role_policies = []
        if policy not in self.state.role_policies:
            if self.changes.add(f"attach AmazonRDSEnhancedMonitoringRole to IAM role {name}"):
                self.iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        return role["Arn"] if role else None

    # -- absent ---------------------------------------------------------------------------------------------------------

    def remove(self):
        """Delete the tier's instances (replicas first), the cluster, with a final snapshot of the primary."""
        snapshot = f"{self.names.primary}-final-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        managed = {
            i: inst for i, inst in self.state.instances.items() if st.is_managed(st.tags_of(inst), self.identity)
        }
        order = sorted(managed, key=lambda i: (st.tags_of(managed[i]).get(st.TAG_ROLE) in ("primary", "writer"), i))
        for identifier in order:
            instance = managed[identifier]
            if instance.get("DBInstanceStatus") == "deleting":
                continue
            role = st.tags_of(instance).get(st.TAG_ROLE)
            if instance.get("DeletionProtection"):
                raise ReconcileError(
                    f"{identifier} has deletion protection; set {self.var('deletion_protection')}: false and converge before "
                    f"{self.var('state')}: absent"
                )
            final = role == "primary" and self.p["final_snapshot"]
            if self.changes.add(f"delete {identifier}" + (f" (final snapshot {snapshot})" if final else "")):
                kwargs = {"FinalDBSnapshotIdentifier": snapshot} if final else {"SkipFinalSnapshot": True}
                self.rds.delete_db_instance(DBInstanceIdentifier=identifier, aws_retry=True, **kwargs)
        cluster = self.state.cluster
        if cluster is not None:
            if cluster.get("DeletionProtection"):
                raise ReconcileError(f"{cluster['DBClusterIdentifier']} has deletion protection; turn it off first")
            final = self.p["final_snapshot"]
            if self.changes.add(
                f"delete Aurora cluster {cluster['DBClusterIdentifier']}"
                + (f" (final snapshot {snapshot})" if final else "")
            ):
                kwargs = {"FinalDBSnapshotIdentifier": snapshot} if final else {"SkipFinalSnapshot": True}
                self.rds.delete_db_cluster(DBClusterIdentifier=cluster["DBClusterIdentifier"], aws_retry=True, **kwargs)

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
        instances = self.state.instances
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
            cluster = self.state.cluster or {}
            result.update(
                identifier=self.names.writer,
                cluster_identifier=self.names.primary,
                arn=cluster.get("DBClusterArn"),
                endpoint=cluster.get("Endpoint"),
                reader_endpoint=cluster.get("ReaderEndpoint"),
                engine_version=cluster.get("EngineVersion"),
                master_user_secret_arn=(cluster.get("MasterUserSecret") or {}).get("SecretArn"),
            )
            if cluster.get("Port"):
                result["port"] = cluster["Port"]
            for member in self.aurora_cluster.member_specs()[1:]:
                found = instances.get(member["identifier"]) or {}
                result["replicas"][member["identifier"]] = _endpoint(found)
            return result
        identifier = self.names.dr if self.dr else self.names.primary
        instance = instances.get(identifier) or {}
        result.update(
            identifier=identifier,
            arn=instance.get("DBInstanceArn"),
            endpoint=(instance.get("Endpoint") or {}).get("Address"),
            engine_version=instance.get("EngineVersion"),
            master_user_secret_arn=(instance.get("MasterUserSecret") or {}).get("SecretArn"),
        )
        if (instance.get("Endpoint") or {}).get("Port"):
            result["port"] = instance["Endpoint"]["Port"]
        if self.dr:
            result["source_arn"] = (self.state.source or {}).get("DBInstanceArn")
            result["master_user_secret_arn"] = (self.state.source or {}).get("MasterUserSecret", {}).get("SecretArn")
            return result
        for replica in sp.replica_specs(self.p):
            rid = self.names.replica(replica["name"])
            result["replicas"][rid] = _endpoint(instances.get(rid) or {})
        return result


def _endpoint(instance):
    return {
        "arn": instance.get("DBInstanceArn"),
        "endpoint": (instance.get("Endpoint") or {}).get("Address"),
        "availability_zone": instance.get("AvailabilityZone"),
        "instance_class": instance.get("DBInstanceClass"),
    }
