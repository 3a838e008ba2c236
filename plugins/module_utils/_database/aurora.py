# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""An Aurora PostgreSQL cluster: the cluster's own settings, then its writer and readers (instances in it)."""

from __future__ import annotations

from ..platform import create_once
from ..platform import not_found
from . import spec as sp
from . import state as st
from .instance import add_modification
from .instance import endpoint_of
from .instance import label
from .instance import show


class AuroraCluster:
    def __init__(self, owner):
        self.o = owner

    def settings(self):
        p = self.o.p
        settings = {
            "EngineVersion": str(p["engine_version"]),
            "BackupRetentionPeriod": p["backup_retention_days"],
            "DBClusterParameterGroupName": self.o.names.parameter_group,
            "DeletionProtection": bool(p["deletion_protection"]),
            "EnableIAMDatabaseAuthentication": bool(p["iam_authentication"]),
            "EnableCloudwatchLogsExports": sorted(p.get("cloudwatch_logs_exports") or []),
            "CopyTagsToSnapshot": True,
        }
        if p.get("backup_window"):
            settings["PreferredBackupWindow"] = p["backup_window"]
        if p.get("maintenance_window"):
            settings["PreferredMaintenanceWindow"] = p["maintenance_window"].lower()
        if p.get("security_group_ids"):
            settings["VpcSecurityGroupIds"] = sorted(p["security_group_ids"])
        if p.get("serverless_v2"):
            settings["ServerlessV2ScalingConfiguration"] = {
                "MinCapacity": float(p["serverless_v2_min_capacity"]),
                "MaxCapacity": float(p["serverless_v2_max_capacity"]),
            }
        return settings

    def converge(self, role_arn):
        identifier = self.o.names.primary
        desired = self.settings()
        cluster = self.o.state.cluster
        if cluster is None:
            capacity = desired.get("ServerlessV2ScalingConfiguration")
            kind = (
                f"Serverless v2 {capacity['MinCapacity']:g}-{capacity['MaxCapacity']:g} ACU"
                if capacity
                else self.o.p["instance_class"]
            )
            if self.o.changes.add(
                f"create Aurora cluster {identifier} (aurora-postgresql {self.o.p['engine_version']}, {kind})"
            ):
                kwargs = dict(desired)
                kwargs.update(
                    DBClusterIdentifier=identifier,
                    Engine="aurora-postgresql",
                    MasterUsername=self.o.p["master_username"],
                    Port=self.o.p["port"],
                    StorageEncrypted=True,
                    ManageMasterUserPassword=True,
                    Tags=self.o.tag_list("cluster", identifier),
                )
                if self.o.p.get("master_user_secret_kms_key_id"):
                    kwargs["MasterUserSecretKmsKeyId"] = self.o.p["master_user_secret_kms_key_id"]
                if self.o.p.get("db_name"):
                    kwargs["DatabaseName"] = self.o.p["db_name"]
                if self.o.p.get("kms_key_id"):
                    kwargs["KmsKeyId"] = self.o.p["kms_key_id"]
                if self.o.p.get("subnet_group_name"):
                    kwargs["DBSubnetGroupName"] = self.o.p["subnet_group_name"]
                rds = self.o.rds
                self.o.state.cluster = create_once(
                    lambda: rds.create_db_cluster(**kwargs),
                    lambda: not_found(
                        lambda: {
                            "DBCluster": rds.describe_db_clusters(DBClusterIdentifier=identifier, aws_retry=True)[
                                "DBClusters"
                            ][0]
                        },
                        "DBClusterNotFoundFault",
                    ),
                    f"Aurora cluster {identifier}",
                    self.o.warnings,
                )["DBCluster"]
                self.o.wait_available(identifier, cluster=True)
        else:
            self._modify(cluster, desired)
        self._members(role_arn)

    def _modify(self, cluster, desired):
        identifier = cluster["DBClusterIdentifier"]
        kwargs = {}
        for key, want in desired.items():
            if key == "EnableCloudwatchLogsExports":
                have = sorted(cluster.get("EnabledCloudwatchLogsExports") or [])
            elif key == "EnableIAMDatabaseAuthentication":
                have = bool(cluster.get("IAMDatabaseAuthenticationEnabled"))
            elif key == "DBClusterParameterGroupName":
                have = cluster.get("DBClusterParameterGroup")
            elif key == "VpcSecurityGroupIds":
                have = sorted(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups") or [])
            elif key == "PreferredMaintenanceWindow":
                have = (cluster.get(key) or "").lower()
            elif key == "EngineVersion":
                have = (cluster.get("PendingModifiedValues") or {}).get("EngineVersion") or cluster.get("EngineVersion")
                if sp.version_matches(want, have) or sp.version_key(want) < sp.version_key(have):
                    continue
            elif key == "ServerlessV2ScalingConfiguration":
                current = cluster.get(key) or {}
                have = {"MinCapacity": current.get("MinCapacity"), "MaxCapacity": current.get("MaxCapacity")}
            else:
                have = cluster.get(key)
            if have == want:
                continue
            add_modification(kwargs, key, have, want)
            self.o.changes.add(f"modify Aurora cluster {identifier}: {label(key)} {show(have)} -> {show(want)}")
        if not cluster.get("MasterUserSecret"):
            if self.o.changes.add(f"modify Aurora cluster {identifier}: manage the master password in Secrets Manager"):
                kwargs["ManageMasterUserPassword"] = True
                if self.o.p.get("master_user_secret_kms_key_id"):
                    kwargs["MasterUserSecretKmsKeyId"] = self.o.p["master_user_secret_kms_key_id"]
        if kwargs and not self.o.check_mode:
            self.o.state.cluster = self.o.rds.modify_db_cluster(
                DBClusterIdentifier=identifier,
                ApplyImmediately=bool(self.o.p["apply_immediately"]),
                aws_retry=True,
                **kwargs,
            )["DBCluster"]
        self.o.tag(cluster, "cluster")

    def result(self, result):
        """``result`` with the cluster's identifiers, endpoints, version, master secret and port, and its readers."""
        cluster = self.o.state.cluster or {}
        result.update(
            identifier=self.o.names.writer,
            cluster_identifier=self.o.names.primary,
            arn=cluster.get("DBClusterArn"),
            endpoint=cluster.get("Endpoint"),
            reader_endpoint=cluster.get("ReaderEndpoint"),
            engine_version=cluster.get("EngineVersion"),
            master_user_secret_arn=(cluster.get("MasterUserSecret") or {}).get("SecretArn"),
        )
        if cluster.get("Port"):
            result["port"] = cluster["Port"]
        for member in self.member_specs()[1:]:
            found = self.o.state.instances.get(member["identifier"]) or {}
            result["replicas"][member["identifier"]] = endpoint_of(found)
        return result

    def member_specs(self):
        """The cluster's instances: the writer (``-1``) and the readers; Multi-AZ adds a reader when none is listed."""
        instance_class = "db.serverless" if self.o.p.get("serverless_v2") else self.o.p["instance_class"]
        zones = self.o.p.get("availability_zones") or []
        members = [
            {
                "identifier": self.o.names.writer,
                "role": "writer",
                "instance_class": instance_class,
                "availability_zone": zones[0] if zones else None,
            }
        ]
        readers = sp.replica_specs(self.o.p)
        if self.o.p["multi_az"] and not readers:
            readers = [
                {
                    "name": "2",
                    "instance_class": instance_class,
                    "availability_zone": zones[1] if len(zones) > 1 else None,
                }
            ]
        for reader in readers:
            members.append(
                {
                    "identifier": self.o.names.replica(reader["name"]),
                    "role": "reader",
                    "instance_class": "db.serverless" if self.o.p.get("serverless_v2") else reader["instance_class"],
                    "availability_zone": reader["availability_zone"],
                }
            )
        return members

    def _members(self, role_arn):
        identifier = self.o.names.primary
        existing = {m["DBInstanceIdentifier"] for m in (self.o.state.cluster or {}).get("DBClusterMembers") or []}
        for member in self.member_specs():
            desired = self.o.instances.settings(role_arn, "member")
            desired["DBInstanceClass"] = member["instance_class"]
            instance = self.o.state.instances.get(member["identifier"])
            if instance is None:
                where = f" in {member['availability_zone']}" if member["availability_zone"] else ""
                if not self.o.changes.add(
                    f"create Aurora {member['role']} {member['identifier']} ({member['instance_class']}{where})"
                ):
                    continue
                kwargs = {k: v for k, v in desired.items() if v is not None}
                kwargs.pop("PubliclyAccessible", None)
                kwargs.pop("CopyTagsToSnapshot", None)
                if member["availability_zone"]:
                    kwargs["AvailabilityZone"] = member["availability_zone"]
                created = self.o.create(
                    self.o.rds.create_db_instance,
                    DBInstanceIdentifier=member["identifier"],
                    DBClusterIdentifier=identifier,
                    Engine="aurora-postgresql",
                    Tags=self.o.tag_list(member["role"], member["identifier"]),
                    aws_retry=True,
                    **kwargs,
                )["DBInstance"]
                self.o.state.instances[member["identifier"]] = created
                continue
            if member["identifier"] not in existing:
                self.o.warnings.append(f"{member['identifier']} exists but is not a member of cluster {identifier}")
            desired.pop("PubliclyAccessible", None)
            desired.pop("CopyTagsToSnapshot", None)
            self.o.instances.modify(instance, desired, f"Aurora {member['role']}")
        if not self.o.check_mode and self.o.p["wait"]:
            for member in self.member_specs():
                if member["identifier"] in self.o.state.instances:
                    self.o.wait_available(member["identifier"])
            self.o.state.cluster = st.read_cluster(self.o.rds, identifier) or self.o.state.cluster
