# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The DR region of an Aurora cluster: an Aurora global database with a secondary cluster in this region.

An Aurora cluster has no cross-region read replica of the RDS kind; its cross-region copy is a global
database: the primary cluster joins a global cluster (CreateGlobalCluster with SourceDBClusterIdentifier, in
the primary's region), then a secondary cluster is created in the DR region with GlobalClusterIdentifier (no
master user: it replicates the primary's storage) and at least one instance to serve reads and to take over
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html).
Which member writes is not converged: after a switchover or failover (``rds_global_cluster``) the DR cluster
writes and this part leaves it so.
"""

from __future__ import annotations

from ..platform import ReconcileError
from ..platform import create_once
from ..platform import not_found
from ..platform import single_attempt
from . import state as st


def global_identifier(names):
    return f"{names.primary}-global"


def read_global(rds, identifier):
    found = not_found(
        lambda: rds.describe_global_clusters(GlobalClusterIdentifier=identifier, aws_retry=True)["GlobalClusters"],
        "GlobalClusterNotFoundFault",
    )
    return found[0] if found else None


class AuroraGlobal:
    def __init__(self, owner):
        self.o = owner
        self.identifier = global_identifier(owner.names)
        self.reader = f"{owner.names.dr}-1"
        self.global_cluster = None
        self.cluster = None

    def converge(self, role_arn):
        o = self.o
        source = o.state.source
        primary_rds = single_attempt(o.clients["rds_primary"], "CreateGlobalCluster")
        self.global_cluster = read_global(primary_rds, self.identifier)
        if self.global_cluster is None:
            if o.changes.add(f"create Aurora global database {self.identifier} from {source['DBClusterIdentifier']}"):
                self.global_cluster = create_once(
                    lambda: primary_rds.create_global_cluster(
                        GlobalClusterIdentifier=self.identifier,
                        SourceDBClusterIdentifier=source["DBClusterArn"],
                        Tags=o.tag_list("global", self.identifier),
                    )["GlobalCluster"],
                    lambda: read_global(primary_rds, self.identifier),
                    f"Aurora global database {self.identifier}",
                    o.warnings,
                )
        elif source["DBClusterArn"] not in {
            m["DBClusterArn"] for m in self.global_cluster.get("GlobalClusterMembers") or []
        }:
            raise ReconcileError(
                f"primary_region: {source['DBClusterIdentifier']} is not a member of the Aurora global database "
                f"{self.identifier}; it was detached (after a failover?): remove the global database's other members or "
                "rename the tier before converging again. Nothing was changed."
            )
        self.cluster = st.read_cluster(o.rds, o.names.dr)
        if self.cluster is None:
            self._create_secondary(source)
        else:
            arns = {m["DBClusterArn"] for m in (self.global_cluster or {}).get("GlobalClusterMembers") or []}
            if self.cluster["DBClusterArn"] not in arns:
                o.warnings.append(
                    f"{o.names.dr} exists but is not a member of the global database {self.identifier} (detached by a failover?)"
                )
            o.tag(self.cluster, "dr")
        self._reader(role_arn)

    def _create_secondary(self, source):
        o, p = self.o, self.o.p
        if not o.changes.add(
            f"create Aurora secondary cluster {o.names.dr} in global database {self.identifier} "
            f"(aurora-postgresql {source.get('EngineVersion')})"
        ):
            return
        kwargs = dict(
            DBClusterIdentifier=o.names.dr,
            Engine="aurora-postgresql",
            EngineVersion=source.get("EngineVersion"),
            GlobalClusterIdentifier=self.identifier,
            StorageEncrypted=True,
            DBClusterParameterGroupName=o.names.parameter_group,
            Port=p["port"],
            DeletionProtection=bool(p["deletion_protection"]),
            CopyTagsToSnapshot=True,
            EnableCloudwatchLogsExports=sorted(p.get("cloudwatch_logs_exports") or []),
            Tags=o.tag_list("dr", o.names.dr),
        )
        if p.get("kms_key_id"):
            kwargs["KmsKeyId"] = p["kms_key_id"]  # an encrypted primary's secondary needs this region's key
        if p.get("subnet_group_name"):
            kwargs["DBSubnetGroupName"] = p["subnet_group_name"]
        if p.get("security_group_ids"):
            kwargs["VpcSecurityGroupIds"] = sorted(p["security_group_ids"])
        if p.get("serverless_v2"):
            kwargs["ServerlessV2ScalingConfiguration"] = {
                "MinCapacity": float(p["serverless_v2_min_capacity"]),
                "MaxCapacity": float(p["serverless_v2_max_capacity"]),
            }
        rds = single_attempt(o.rds, "CreateDBCluster")
        self.cluster = create_once(
            lambda: rds.create_db_cluster(**kwargs)["DBCluster"],
            lambda: st.read_cluster(rds, o.names.dr),
            f"Aurora secondary cluster {o.names.dr}",
            o.warnings,
        )
        o.wait_available(o.names.dr, cluster=True)
        self.cluster = (
            o.state.cluster
            if o.state.cluster and o.state.cluster.get("DBClusterIdentifier") == o.names.dr
            else self.cluster
        )

    def _reader(self, role_arn):
        """The secondary's instance: it serves reads now and becomes the writer on a switchover or failover."""
        o, p = self.o, self.o.p
        desired = o.instances.settings(role_arn, "member")
        desired.pop("PubliclyAccessible", None)
        desired.pop("CopyTagsToSnapshot", None)
        desired["DBInstanceClass"] = (
            "db.serverless" if p.get("serverless_v2") else (p.get("dr_instance_class") or p["instance_class"])
        )
        instance = o.state.instances.get(self.reader)
        if instance is not None:
            o.instances.modify(instance, desired, "Aurora DR reader")
            return
        if not o.changes.add(f"create Aurora DR reader {self.reader} ({desired['DBInstanceClass']}) in {o.names.dr}"):
            return
        kwargs = {k: v for k, v in desired.items() if v is not None}
        o.state.instances[self.reader] = o.create(
            o.rds.create_db_instance,
            DBInstanceIdentifier=self.reader,
            DBClusterIdentifier=o.names.dr,
            Engine="aurora-postgresql",
            Tags=o.tag_list("dr", self.reader),
            **kwargs,
        )["DBInstance"]
        o.wait_available(self.reader)
        self.cluster = st.read_cluster(o.rds, o.names.dr) or self.cluster

    def result(self, result):
        cluster = self.cluster or {}
        writer = next(
            (
                m["DBClusterArn"]
                for m in (self.global_cluster or {}).get("GlobalClusterMembers") or []
                if m.get("IsWriter")
            ),
            None,
        )
        result.update(
            identifier=self.reader,
            cluster_identifier=self.o.names.dr,
            arn=cluster.get("DBClusterArn"),
            endpoint=cluster.get("Endpoint"),
            reader_endpoint=cluster.get("ReaderEndpoint"),
            engine_version=cluster.get("EngineVersion"),
            global_cluster=self.identifier,
            global_writer=writer,
            source_arn=(self.o.state.source or {}).get("DBClusterArn"),
            master_user_secret_arn=((self.o.state.source or {}).get("MasterUserSecret") or {}).get("SecretArn"),
        )
        return result
