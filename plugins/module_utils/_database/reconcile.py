# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the database tier: the parameter group, the enhanced monitoring role, then either an RDS instance
with its read replicas, an Aurora cluster with its writer and readers, or (on a DR host) a cross-region read
replica of the primary region's instance.

Settings RDS applies at the next maintenance window (``spec.DEFERRED``) are sent with ApplyImmediately as the
spec says; what the instance shows in PendingModifiedValues counts as done, so a second run finds nothing to do.
"""

from __future__ import annotations

import json
import time

from ..platform import Changes
from ..platform import WaitTimeout
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import tag_changes
from ..platform import wait_for
from . import spec as sp
from . import state as st

try:
    from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
except ImportError:  # pragma: no cover
    pass


class ReconcileError(Exception):
    pass


def _effective(instance, key):
    """The value a setting has once pending modifications are applied."""
    pending = instance.get("PendingModifiedValues") or {}
    if key in pending:
        return pending[key]
    return instance.get(key)


def _storage_text(settings):
    kind = settings.get("StorageType")
    text = f"{kind} {settings.get('AllocatedStorage')} GiB"
    if settings.get("Iops"):
        text += f" {settings['Iops']} IOPS"
    if settings.get("StorageThroughput"):
        text += f" {settings['StorageThroughput']} MiB/s"
    top = settings.get("MaxAllocatedStorage")
    if top and top != settings.get("AllocatedStorage"):
        text += f", autoscaling to {top} GiB"
    return text


class DatabaseReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.rds = clients["rds"]
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
        self.after_snapshot = {}
        self.pending = {}  # identifier -> {setting: value} waiting for the maintenance window
        self.deadline = None

    # -- helpers ------------------------------------------------------------------------------------------------

    def tags(self, role, name):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **{st.TAG_ROLE: role})

    def tag_list(self, role, name):
        return ansible_dict_to_boto3_tag_list(self.tags(role, name))

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

    # -- reads ----------------------------------------------------------------------------------------------------

    def read(self):
        self.state.instances = st.read_instances(self.rds)
        if self.aurora:
            self.state.cluster = st.read_cluster(self.rds, self.names.primary)
        group, parameters = st.read_parameter_group(self.rds, self.names.parameter_group, cluster=self.aurora)
        self.state.parameter_group, self.state.parameters = group, parameters
        if self.p["monitoring_interval"] and not self.p.get("monitoring_role_arn"):
            self.state.role, self.state.role_policies = st.read_role(self.iam, self.names.monitoring_role)
        if self.dr:
            self.state.source = st.read_instance(self.clients["rds_primary"], self.names.primary)

    # -- converge -------------------------------------------------------------------------------------------------

    def converge(self):
        self.deadline = time.monotonic() + self.p["wait_timeout"]
        self.read()
        self.before_snapshot = self.snapshot()
        if self.p["state"] == "absent":
            self.remove()
            self.after_snapshot = {} if not self.check_mode else self.before_snapshot
            return
        if self.dr and self.state.source is None and self.check_mode:
            # A dry run of a whole environment: the primary is only planned too.
            self.parameter_group()
            self.monitoring_role()
            self.changes.add(
                f"create DR replica {self.names.dr} of {self.names.primary} in {self.p['primary_region']} (once it exists)"
            )
            self.after_snapshot = self.snapshot(planned=True)
            return
        if self.dr and self.state.source is None:
            raise ReconcileError(
                f"primary_region: the primary instance {self.names.primary} does not exist in {self.p['primary_region']}; "
                "converge the primary region first (the DR replica is made from it)"
            )
        self.parameter_group()
        role_arn = self.monitoring_role()
        if self.aurora:
            self.cluster(role_arn)
        elif self.dr:
            self.dr_replica(role_arn)
        else:
            self.primary_instance(role_arn)
            self.replicas(role_arn)
        self.after_snapshot = self.snapshot(planned=True)

    # -- parameter group --------------------------------------------------------------------------------------------

    def parameter_group(self):
        name, family = self.names.parameter_group, self.names.family
        desired = sp.desired_parameters(self.p.get("parameters"))
        if self.state.parameter_group is None:
            if self.changes.add(f"create parameter group {name} ({family})"):
                kwargs = dict(
                    DBParameterGroupFamily=family,
                    Description=f"{self.p['name']} PostgreSQL parameters (stackops)",
                    Tags=self.tag_list("parameters", name),
                    aws_retry=True,
                )
                if self.aurora:
                    self.rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=name, **kwargs)
                else:
                    self.rds.create_db_parameter_group(DBParameterGroupName=name, **kwargs)
        current = self.state.parameters
        changed = [
            {"ParameterName": key, "ParameterValue": value, "ApplyMethod": method}
            for key, (value, method) in sorted(desired.items())
            if str((current.get(key) or {}).get("ParameterValue")) != value
        ]
        reset = [{"ParameterName": key, "ApplyMethod": "pending-reboot"} for key in sorted(set(current) - set(desired))]
        for item in changed:
            old = (current.get(item["ParameterName"]) or {}).get("ParameterValue")
            when = " (at the next reboot)" if item["ApplyMethod"] == "pending-reboot" else ""
            sentence = f"parameter group {name}: set {item['ParameterName']} {old if old is not None else 'default'} -> {item['ParameterValue']}{when}"
            self.changes.add(sentence)
        for item in reset:
            self.changes.add(f"parameter group {name}: reset {item['ParameterName']} to the default")
        if self.check_mode:
            return
        for start in range(0, len(changed), 20):  # ModifyDBParameterGroup takes 20 parameters per call
            batch = changed[start : start + 20]
            if self.aurora:
                self.rds.modify_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=batch, aws_retry=True
                )
            else:
                self.rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=batch, aws_retry=True)
        for start in range(0, len(reset), 20):
            batch = reset[start : start + 20]
            if self.aurora:
                self.rds.reset_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=batch, aws_retry=True
                )
            else:
                self.rds.reset_db_parameter_group(DBParameterGroupName=name, Parameters=batch, aws_retry=True)

    # -- enhanced monitoring role -------------------------------------------------------------------------------------

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
                role = self.iam.create_role(
                    RoleName=name,
                    AssumeRolePolicyDocument=json.dumps(st.MONITORING_TRUST),
                    Description="RDS enhanced monitoring (stackops)",
                    Tags=[{"Key": k, "Value": v} for k, v in self.tags("monitoring", name).items()],
                    aws_retry=True,
                )["Role"]
            self.state.role_policies = []
        if policy not in self.state.role_policies:
            if self.changes.add(f"attach AmazonRDSEnhancedMonitoringRole to IAM role {name}"):
                self.iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        return role["Arn"] if role else None

    # -- instance settings ------------------------------------------------------------------------------------------------

    def instance_settings(self, role_arn, kind):
        """The settings an instance of the tier should have (API names). ``kind``: primary, replica, dr, member."""
        p = self.p
        settings = {
            "DBInstanceClass": p["instance_class"],
            "AutoMinorVersionUpgrade": p["auto_minor_version_upgrade"],
            "EnablePerformanceInsights": bool(p["performance_insights"]),
            "MonitoringInterval": p["monitoring_interval"] or 0,
            "CopyTagsToSnapshot": True,
            "PubliclyAccessible": False,
        }
        if p["performance_insights"]:
            settings["PerformanceInsightsRetentionPeriod"] = p["performance_insights_retention_days"]
            if p.get("kms_key_id"):
                settings["PerformanceInsightsKMSKeyId"] = p["kms_key_id"]
        if p["monitoring_interval"]:
            settings["MonitoringRoleArn"] = role_arn
        if kind == "member":
            return settings
        settings.update(
            DBParameterGroupName=self.names.parameter_group,
            EnableIAMDatabaseAuthentication=bool(p["iam_authentication"]),
            EnableCloudwatchLogsExports=sorted(p.get("cloudwatch_logs_exports") or []),
            DeletionProtection=bool(p["deletion_protection"]),
            MaxAllocatedStorage=p.get("max_allocated_storage") or None,
        )
        if p.get("security_group_ids"):
            settings["VpcSecurityGroupIds"] = sorted(p["security_group_ids"])
        if kind in ("primary", "dr"):
            settings["MultiAZ"] = bool(p["multi_az"] if kind == "primary" else p["dr_multi_az"])
        elif kind == "replica":
            settings["MultiAZ"] = False  # a replica is a single instance unless asked otherwise
        if kind == "primary":
            settings.update(
                EngineVersion=str(p["engine_version"]),
                AllocatedStorage=p["allocated_storage"],
                StorageType=p["storage_type"],
                BackupRetentionPeriod=p["backup_retention_days"],
                ManageMasterUserPassword=True,
            )
            if p.get("iops") and not (p["storage_type"] == "gp3" and p["allocated_storage"] < sp.GP3_THRESHOLD):
                settings["Iops"] = p["iops"]
            if (
                p.get("storage_throughput")
                and p["storage_type"] == "gp3"
                and p["allocated_storage"] >= sp.GP3_THRESHOLD
            ):
                settings["StorageThroughput"] = p["storage_throughput"]
            if p.get("backup_window"):
                settings["PreferredBackupWindow"] = p["backup_window"]
            if p.get("maintenance_window"):
                settings["PreferredMaintenanceWindow"] = p["maintenance_window"].lower()
            if p.get("master_user_secret_kms_key_id"):
                settings["MasterUserSecretKmsKeyId"] = p["master_user_secret_kms_key_id"]
        elif p.get("maintenance_window"):
            settings["PreferredMaintenanceWindow"] = p["maintenance_window"].lower()
        return settings

    def _differences(self, instance, desired):
        """[(API key, current, desired)] of the settings that differ (pending modifications count as done)."""
        found = []
        for key, want in desired.items():
            if key in ("MasterUserSecretKmsKeyId", "PerformanceInsightsKMSKeyId"):
                continue  # set once; AWS keeps the key a secret or Performance Insights started with
            if key == "ManageMasterUserPassword":
                have = bool(instance.get("MasterUserSecret"))
            elif key == "DBParameterGroupName":
                have = next((g["DBParameterGroupName"] for g in instance.get("DBParameterGroups") or []), None)
            elif key == "VpcSecurityGroupIds":
                have = sorted(g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups") or [])
            elif key == "EnableCloudwatchLogsExports":
                have = sorted(instance.get("EnabledCloudwatchLogsExports") or [])
            elif key == "EnableIAMDatabaseAuthentication":
                have = bool(instance.get("IAMDatabaseAuthenticationEnabled"))
            elif key == "EnablePerformanceInsights":
                have = bool(instance.get("PerformanceInsightsEnabled"))
            elif key == "MaxAllocatedStorage":
                have = instance.get("MaxAllocatedStorage")
                if have == _effective(instance, "AllocatedStorage"):
                    have = None  # autoscaling off
                if want is None and have is None:
                    continue
                want = want if want is not None else _effective(instance, "AllocatedStorage")  # noqa: PLW2901
            elif key == "MonitoringRoleArn":
                have = instance.get("MonitoringRoleArn")
                if want is None:
                    continue
            elif key == "PreferredMaintenanceWindow":
                have = (instance.get(key) or "").lower()
            elif key in sp.DEFERRED:
                have = _effective(instance, key)
            else:
                have = instance.get(key)
            if key == "EngineVersion":
                if sp.version_matches(want, have):
                    continue
                if sp.version_key(want) < sp.version_key(have):
                    self.warnings.append(
                        f"engine_version: {instance['DBInstanceIdentifier']} runs {have}; RDS cannot downgrade to {want}"
                    )
                    continue
            if key == "AllocatedStorage" and have is not None and want < have:
                self.warnings.append(
                    f"allocated_storage: {instance['DBInstanceIdentifier']} has {have} GiB; RDS cannot shrink storage to {want} GiB"
                )
                continue
            if have != want:
                found.append((key, have, want))
        return found

    def modify_instance(self, instance, desired, what):
        identifier = instance["DBInstanceIdentifier"]
        differences = self._differences(instance, desired)
        immediately = bool(self.p["apply_immediately"])
        kwargs = {}
        for key, have, want in differences:
            deferred = key in sp.DEFERRED and not immediately
            when = (
                f" (pending until the maintenance window {instance.get('PreferredMaintenanceWindow')})"
                if deferred
                else ""
            )
            if key == "EnableCloudwatchLogsExports":
                kwargs["CloudwatchLogsExportConfiguration"] = {
                    "EnableLogTypes": sorted(set(want) - set(have)),
                    "DisableLogTypes": sorted(set(have) - set(want)),
                }
            else:
                kwargs[key] = want
            if key == "EngineVersion" and sp.major(want) != sp.major(have):
                kwargs["AllowMajorVersionUpgrade"] = True
            if key == "ManageMasterUserPassword" and self.p.get("master_user_secret_kms_key_id"):
                kwargs["MasterUserSecretKmsKeyId"] = self.p["master_user_secret_kms_key_id"]
            shown_have = "none" if have in (None, [], "") else have
            shown_want = "none" if want in (None, [], "") else want
            self.changes.add(f"modify {what} {identifier}: {_label(key)} {shown_have} -> {shown_want}{when}")
            if deferred:
                self.pending.setdefault(identifier, {})[key] = want
        if kwargs and self.changes.check_mode is False:
            if "MonitoringInterval" in kwargs and desired.get("MonitoringRoleArn"):
                kwargs["MonitoringRoleArn"] = desired["MonitoringRoleArn"]
            if "EnablePerformanceInsights" in kwargs or "PerformanceInsightsRetentionPeriod" in kwargs:
                kwargs["EnablePerformanceInsights"] = desired["EnablePerformanceInsights"]
                if desired["EnablePerformanceInsights"]:
                    kwargs["PerformanceInsightsRetentionPeriod"] = desired.get("PerformanceInsightsRetentionPeriod")
                    if desired.get("PerformanceInsightsKMSKeyId") and not instance.get("PerformanceInsightsEnabled"):
                        kwargs["PerformanceInsightsKMSKeyId"] = desired["PerformanceInsightsKMSKeyId"]
            updated = self.rds.modify_db_instance(
                DBInstanceIdentifier=identifier, ApplyImmediately=immediately, aws_retry=True, **kwargs
            )["DBInstance"]
            self.state.instances[identifier] = updated
        for pending_key, value in (instance.get("PendingModifiedValues") or {}).items():
            if pending_key in sp.DEFERRED:
                self.pending.setdefault(identifier, {}).setdefault(pending_key, value)
        self.tag(instance, what)
        if (instance.get("DBParameterGroups") or [{}])[0].get("ParameterApplyStatus") == "pending-reboot":
            self.warnings.append(
                f"{identifier}: parameter changes wait for a reboot (ParameterApplyStatus pending-reboot); "
                "reboot it in a maintenance window"
            )
        return bool(differences)

    def tag(self, resource, what):
        arn = resource.get("DBInstanceArn") or resource.get("DBClusterArn")
        identifier = resource.get("DBInstanceIdentifier") or resource.get("DBClusterIdentifier")
        role = st.tags_of(resource).get(st.TAG_ROLE) or what
        desired = self.tags(role, identifier)
        to_set, to_unset = tag_changes(
            st.tags_of(resource), desired, self.p["purge_tags"] and self.p.get("tags") is not None
        )
        if to_set and self.changes.add(f"tag {identifier}: {', '.join(sorted(to_set))}"):
            self.rds.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)
        if to_unset and self.changes.add(f"untag {identifier}: {', '.join(sorted(to_unset))}"):
            self.rds.remove_tags_from_resource(ResourceName=arn, TagKeys=list(to_unset), aws_retry=True)

    # -- RDS instance --------------------------------------------------------------------------------------------------

    def primary_instance(self, role_arn):
        identifier = self.names.primary
        desired = self.instance_settings(role_arn, "primary")
        instance = self.state.instances.get(identifier)
        if instance is None:
            self.create_primary(identifier, desired)
            return
        if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
            raise ReconcileError(
                f"{identifier} is a read replica of {instance['ReadReplicaSourceDBInstanceIdentifier']}; promote it or rename the tier"
            )
        current_group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
        if self.p.get("subnet_group_name") and current_group and current_group != self.p["subnet_group_name"]:
            self.warnings.append(
                f"subnet_group_name: {identifier} is in DB subnet group {current_group}, not {self.p['subnet_group_name']}; "
                "moving an instance to another subnet group is not done by this module"
            )
        self.modify_instance(instance, desired, "instance")

    def create_primary(self, identifier, desired):
        p = self.p
        what = f"create RDS instance {identifier} ({p['instance_class']}, PostgreSQL {p['engine_version']}, {_storage_text(desired)}"
        what += ", Multi-AZ)" if p["multi_az"] else ", single AZ)"
        if not self.changes.add(what):
            return
        kwargs = {k: v for k, v in desired.items() if v is not None}
        kwargs.update(
            DBInstanceIdentifier=identifier,
            Engine="postgres",
            MasterUsername=p["master_username"],
            Port=p["port"],
            StorageEncrypted=True,
            Tags=self.tag_list("primary", identifier),
        )
        if p.get("db_name"):
            kwargs["DBName"] = p["db_name"]
        if p.get("kms_key_id"):
            kwargs["KmsKeyId"] = p["kms_key_id"]
        if p.get("subnet_group_name"):
            kwargs["DBSubnetGroupName"] = p["subnet_group_name"]
        instance = self.rds.create_db_instance(aws_retry=True, **kwargs)["DBInstance"]
        self.state.instances[identifier] = instance
        self.wait_available(identifier)

    def replicas(self, role_arn):
        primary = self.names.primary
        wanted, created = {}, []
        for replica in sp.replica_specs(self.p):
            identifier = self.names.replica(replica["name"])
            wanted[identifier] = replica
            desired = self.instance_settings(role_arn, "replica")
            desired["DBInstanceClass"] = replica["instance_class"]
            instance = self.state.instances.get(identifier)
            if instance is None:
                zone = replica["availability_zone"]
                where = f" in {zone}" if zone else ""
                if not self.changes.add(
                    f"create read replica {identifier} of {primary} ({replica['instance_class']}{where})"
                ):
                    continue
                self.wait_available(primary)
                kwargs = {k: v for k, v in desired.items() if v is not None and k != "PreferredMaintenanceWindow"}
                kwargs.pop("VpcSecurityGroupIds", None)
                kwargs.pop("DBParameterGroupName", None)
                kwargs.pop("EnableIAMDatabaseAuthentication", None)
                if self.p.get("security_group_ids"):
                    kwargs["VpcSecurityGroupIds"] = sorted(self.p["security_group_ids"])
                kwargs["DBParameterGroupName"] = self.names.parameter_group
                kwargs["EnableIAMDatabaseAuthentication"] = bool(self.p["iam_authentication"])
                if zone:
                    kwargs["AvailabilityZone"] = zone
                instance = self.rds.create_db_instance_read_replica(
                    DBInstanceIdentifier=identifier,
                    SourceDBInstanceIdentifier=primary,
                    Tags=self.tag_list("replica", identifier),
                    aws_retry=True,
                    **kwargs,
                )["DBInstance"]
                self.state.instances[identifier] = self.replica_window(instance, desired)
                created.append(identifier)
                continue
            zone = replica["availability_zone"]
            if zone and instance.get("AvailabilityZone") and instance["AvailabilityZone"] != zone:
                self.warnings.append(
                    f"read_replicas: {identifier} is in {instance['AvailabilityZone']}, not {zone}; an instance cannot move AZ "
                    "(delete the replica to have it made again)"
                )
            self.modify_instance(instance, desired, "read replica")
        for identifier, instance in sorted(self.state.instances.items()):
            tags = st.tags_of(instance)
            if identifier in wanted or not st.is_managed(tags, self.identity) or tags.get(st.TAG_ROLE) != "replica":
                continue
            if self.p["purge_replicas"]:
                if self.changes.add(f"delete read replica {identifier} (not in read_replicas)"):
                    self.rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, aws_retry=True)
            else:
                self.warnings.append(
                    f"read replica {identifier} is not in read_replicas; purge_replicas: true deletes it"
                )
        for identifier in created:
            self.wait_available(identifier)

    # -- DR: cross-region read replica ------------------------------------------------------------------------------------

    def dr_replica(self, role_arn):
        identifier = self.names.dr
        source = self.state.source
        desired = self.instance_settings(role_arn, "dr")
        desired["DBInstanceClass"] = self.p.get("dr_instance_class") or self.p["instance_class"]
        instance = self.state.instances.get(identifier)
        if instance is not None:
            self.modify_instance(instance, desired, "DR replica")
            return
        what = f"create DR replica {identifier} of {source['DBInstanceArn']} ({desired['DBInstanceClass']}"
        what += ", Multi-AZ)" if desired.get("MultiAZ") else ")"
        if not self.changes.add(what):
            return
        kwargs = {k: v for k, v in desired.items() if v is not None and k != "PreferredMaintenanceWindow"}
        if self.p.get("kms_key_id"):
            kwargs["KmsKeyId"] = self.p["kms_key_id"]
        if self.p.get("subnet_group_name"):
            kwargs["DBSubnetGroupName"] = self.p["subnet_group_name"]
        created = self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier=identifier,
            SourceDBInstanceIdentifier=source["DBInstanceArn"],
            SourceRegion=self.p["primary_region"],
            Tags=self.tag_list("dr", identifier),
            aws_retry=True,
            **kwargs,
        )["DBInstance"]
        self.state.instances[identifier] = self.replica_window(created, desired)
        self.wait_available(identifier)

    def replica_window(self, created, desired):
        """CreateDBInstanceReadReplica takes no maintenance window: set it right after (part of the create)."""
        window = desired.get("PreferredMaintenanceWindow")
        if not window or (created.get("PreferredMaintenanceWindow") or "").lower() == window:
            return created
        return self.rds.modify_db_instance(
            DBInstanceIdentifier=created["DBInstanceIdentifier"],
            PreferredMaintenanceWindow=window,
            ApplyImmediately=True,
            aws_retry=True,
        )["DBInstance"]

    # -- Aurora ----------------------------------------------------------------------------------------------------------

    def cluster_settings(self):
        p = self.p
        settings = {
            "EngineVersion": str(p["engine_version"]),
            "BackupRetentionPeriod": p["backup_retention_days"],
            "DBClusterParameterGroupName": self.names.parameter_group,
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

    def cluster(self, role_arn):
        identifier = self.names.primary
        desired = self.cluster_settings()
        cluster = self.state.cluster
        if cluster is None:
            capacity = desired.get("ServerlessV2ScalingConfiguration")
            kind = (
                f"Serverless v2 {capacity['MinCapacity']:g}-{capacity['MaxCapacity']:g} ACU"
                if capacity
                else self.p["instance_class"]
            )
            if self.changes.add(
                f"create Aurora cluster {identifier} (aurora-postgresql {self.p['engine_version']}, {kind})"
            ):
                kwargs = dict(desired)
                kwargs.update(
                    DBClusterIdentifier=identifier,
                    Engine="aurora-postgresql",
                    MasterUsername=self.p["master_username"],
                    Port=self.p["port"],
                    StorageEncrypted=True,
                    ManageMasterUserPassword=True,
                    Tags=self.tag_list("cluster", identifier),
                )
                if self.p.get("master_user_secret_kms_key_id"):
                    kwargs["MasterUserSecretKmsKeyId"] = self.p["master_user_secret_kms_key_id"]
                if self.p.get("db_name"):
                    kwargs["DatabaseName"] = self.p["db_name"]
                if self.p.get("kms_key_id"):
                    kwargs["KmsKeyId"] = self.p["kms_key_id"]
                if self.p.get("subnet_group_name"):
                    kwargs["DBSubnetGroupName"] = self.p["subnet_group_name"]
                self.state.cluster = self.rds.create_db_cluster(aws_retry=True, **kwargs)["DBCluster"]
                self.wait_available(identifier, cluster=True)
        else:
            self.modify_cluster(cluster, desired)
        self.cluster_members(role_arn)

    def modify_cluster(self, cluster, desired):
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
            if key == "EnableCloudwatchLogsExports":
                kwargs["CloudwatchLogsExportConfiguration"] = {
                    "EnableLogTypes": sorted(set(want) - set(have)),
                    "DisableLogTypes": sorted(set(have) - set(want)),
                }
            else:
                kwargs[key] = want
            if key == "EngineVersion" and sp.major(want) != sp.major(have):
                kwargs["AllowMajorVersionUpgrade"] = True
            self.changes.add(f"modify Aurora cluster {identifier}: {_label(key)} {_show(have)} -> {_show(want)}")
        if not cluster.get("MasterUserSecret"):
            if self.changes.add(f"modify Aurora cluster {identifier}: manage the master password in Secrets Manager"):
                kwargs["ManageMasterUserPassword"] = True
                if self.p.get("master_user_secret_kms_key_id"):
                    kwargs["MasterUserSecretKmsKeyId"] = self.p["master_user_secret_kms_key_id"]
        if kwargs and not self.check_mode:
            self.state.cluster = self.rds.modify_db_cluster(
                DBClusterIdentifier=identifier,
                ApplyImmediately=bool(self.p["apply_immediately"]),
                aws_retry=True,
                **kwargs,
            )["DBCluster"]
        self.tag(cluster, "cluster")

    def member_specs(self):
        """The cluster's instances: the writer (``-1``) and the readers; Multi-AZ adds a reader when none is listed."""
        instance_class = "db.serverless" if self.p.get("serverless_v2") else self.p["instance_class"]
        zones = self.p.get("availability_zones") or []
        members = [
            {
                "identifier": self.names.writer,
                "role": "writer",
                "instance_class": instance_class,
                "availability_zone": zones[0] if zones else None,
            }
        ]
        readers = sp.replica_specs(self.p)
        if self.p["multi_az"] and not readers:
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
                    "identifier": self.names.replica(reader["name"]),
                    "role": "reader",
                    "instance_class": "db.serverless" if self.p.get("serverless_v2") else reader["instance_class"],
                    "availability_zone": reader["availability_zone"],
                }
            )
        return members

    def cluster_members(self, role_arn):
        identifier = self.names.primary
        existing = {m["DBInstanceIdentifier"] for m in (self.state.cluster or {}).get("DBClusterMembers") or []}
        for member in self.member_specs():
            desired = self.instance_settings(role_arn, "member")
            desired["DBInstanceClass"] = member["instance_class"]
            instance = self.state.instances.get(member["identifier"])
            if instance is None:
                where = f" in {member['availability_zone']}" if member["availability_zone"] else ""
                if not self.changes.add(
                    f"create Aurora {member['role']} {member['identifier']} ({member['instance_class']}{where})"
                ):
                    continue
                kwargs = {k: v for k, v in desired.items() if v is not None}
                kwargs.pop("PubliclyAccessible", None)
                kwargs.pop("CopyTagsToSnapshot", None)
                if member["availability_zone"]:
                    kwargs["AvailabilityZone"] = member["availability_zone"]
                created = self.rds.create_db_instance(
                    DBInstanceIdentifier=member["identifier"],
                    DBClusterIdentifier=identifier,
                    Engine="aurora-postgresql",
                    Tags=self.tag_list(member["role"], member["identifier"]),
                    aws_retry=True,
                    **kwargs,
                )["DBInstance"]
                self.state.instances[member["identifier"]] = created
                continue
            if member["identifier"] not in existing:
                self.warnings.append(f"{member['identifier']} exists but is not a member of cluster {identifier}")
            desired.pop("PubliclyAccessible", None)
            desired.pop("CopyTagsToSnapshot", None)
            self.modify_instance(instance, desired, f"Aurora {member['role']}")
        if not self.check_mode and self.p["wait"]:
            for member in self.member_specs():
                if member["identifier"] in self.state.instances:
                    self.wait_available(member["identifier"])
            self.state.cluster = st.read_cluster(self.rds, identifier) or self.state.cluster

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
                    f"{identifier} has deletion protection; set deletion_protection: false and converge before state: absent"
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

    def _instance_view(self, instance, planned_settings=None):
        view = {
            "class": instance.get("DBInstanceClass"),
            "engine_version": instance.get("EngineVersion"),
            "availability_zone": instance.get("AvailabilityZone"),
            "multi_az": instance.get("MultiAZ"),
            "performance_insights": bool(instance.get("PerformanceInsightsEnabled")),
            "monitoring_interval": instance.get("MonitoringInterval"),
        }
        if instance.get("AllocatedStorage") and not self.aurora:
            view["storage"] = _storage_text(instance)
        pending = {k: v for k, v in (instance.get("PendingModifiedValues") or {}).items() if k in sp.DEFERRED}
        if pending:
            view["pending"] = pending
        return view

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
                instances[identifier] = self._instance_view(instance)
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
            for member in self.member_specs()[1:]:
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


def _show(value):
    return "none" if value in (None, [], "", {}) else value


_LABELS = {
    "DBInstanceClass": "instance class",
    "AllocatedStorage": "allocated storage (GiB)",
    "MaxAllocatedStorage": "storage autoscaling limit (GiB)",
    "StorageType": "storage type",
    "Iops": "IOPS",
    "StorageThroughput": "storage throughput (MiB/s)",
    "EngineVersion": "engine version",
    "MultiAZ": "Multi-AZ",
    "BackupRetentionPeriod": "backup retention (days)",
    "PreferredBackupWindow": "backup window",
    "PreferredMaintenanceWindow": "maintenance window",
    "DeletionProtection": "deletion protection",
    "EnableIAMDatabaseAuthentication": "IAM authentication",
    "EnablePerformanceInsights": "Performance Insights",
    "PerformanceInsightsRetentionPeriod": "Performance Insights retention (days)",
    "MonitoringInterval": "enhanced monitoring interval (s)",
    "MonitoringRoleArn": "enhanced monitoring role",
    "EnableCloudwatchLogsExports": "log exports",
    "VpcSecurityGroupIds": "security groups",
    "DBParameterGroupName": "parameter group",
    "DBClusterParameterGroupName": "parameter group",
    "ManageMasterUserPassword": "master password in Secrets Manager",
    "AutoMinorVersionUpgrade": "auto minor version upgrade",
    "CopyTagsToSnapshot": "copy tags to snapshots",
    "PubliclyAccessible": "publicly accessible",
    "ServerlessV2ScalingConfiguration": "Serverless v2 capacity",
}


def _label(key):
    return _LABELS.get(key, key)
