# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The RDS (not Aurora) primary instance: its settings, how they differ from the instance's, the modify call.

The replicas and Aurora members take the same settings (``settings(role_arn, kind)``) and go through ``modify``.
"""

from __future__ import annotations

from ..platform import ReconcileError
from . import spec as sp


class Instances:
    def __init__(self, owner):
        self.o = owner

    def settings(self, role_arn, kind):
        """The settings an instance of the tier should have (API names). ``kind``: primary, replica, dr, member."""
        p = self.o.p
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
            DBParameterGroupName=self.o.names.parameter_group,
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
            elif key == "DBPortNumber":
                have = (instance.get("Endpoint") or {}).get("Port")
                if have is None:
                    continue  # no endpoint yet (still creating): nothing to compare
            elif key in sp.DEFERRED:
                have = _effective(instance, key)
            else:
                have = instance.get(key)
            if key == "EngineVersion":
                if sp.version_matches(want, have):
                    continue
                if sp.version_key(want) < sp.version_key(have):
                    self.o.warnings.append(
                        f"{self.o.var('engine_version')}: {instance['DBInstanceIdentifier']} runs {have}; RDS cannot downgrade to {want}"
                    )
                    continue
            if key == "AllocatedStorage" and have is not None and want < have:
                self.o.warnings.append(
                    f"{self.o.var('allocated_storage')}: {instance['DBInstanceIdentifier']} has {have} GiB; RDS cannot shrink storage to {want} GiB"
                )
                continue
            if have != want:
                found.append((key, have, want))
        return found

    def modify(self, instance, desired, what):
        identifier = instance["DBInstanceIdentifier"]
        differences = self._differences(instance, desired)
        # A parameter group of the next major version can only come with the upgrade itself (RDS refuses a
        # group of another family): while the instance runs the old major, and no upgrade goes in this call
        # (it is pending, or it is a replica that RDS upgrades with its source), leave the group alone.
        upgrading = any(key == "EngineVersion" for key, _have, _want in differences)
        if not upgrading and sp.major(instance.get("EngineVersion")) != sp.major(self.o.p["engine_version"]):
            differences = [d for d in differences if d[0] != "DBParameterGroupName"]
        immediately = bool(self.o.p["apply_immediately"])
        kwargs = {}
        for key, have, want in differences:
            deferred = key in sp.DEFERRED and not immediately
            when = (
                f" (pending until the maintenance window {instance.get('PreferredMaintenanceWindow')})"
                if deferred
                else ""
            )
            add_modification(kwargs, key, have, want)
            if key == "ManageMasterUserPassword" and self.o.p.get("master_user_secret_kms_key_id"):
                kwargs["MasterUserSecretKmsKeyId"] = self.o.p["master_user_secret_kms_key_id"]
            shown_have = "none" if have in (None, [], "") else have
            shown_want = "none" if want in (None, [], "") else want
            self.o.changes.add(f"modify {what} {identifier}: {label(key)} {shown_have} -> {shown_want}{when}")
            if deferred:
                self.o.pending.setdefault(identifier, {})[key] = want
        if kwargs and self.o.changes.check_mode is False:
            if "MonitoringInterval" in kwargs and desired.get("MonitoringRoleArn"):
                kwargs["MonitoringRoleArn"] = desired["MonitoringRoleArn"]
            if "EnablePerformanceInsights" in kwargs or "PerformanceInsightsRetentionPeriod" in kwargs:
                kwargs["EnablePerformanceInsights"] = desired["EnablePerformanceInsights"]
                if desired["EnablePerformanceInsights"]:
                    kwargs["PerformanceInsightsRetentionPeriod"] = desired.get("PerformanceInsightsRetentionPeriod")
                    if desired.get("PerformanceInsightsKMSKeyId") and not instance.get("PerformanceInsightsEnabled"):
                        kwargs["PerformanceInsightsKMSKeyId"] = desired["PerformanceInsightsKMSKeyId"]
            updated = self.o.rds.modify_db_instance(
                DBInstanceIdentifier=identifier, ApplyImmediately=immediately, aws_retry=True, **kwargs
            )["DBInstance"]
            if "DBPortNumber" in kwargs:
                # RDS applies a port change at once, rebooting the instance (ModifyDBInstance, DBPortNumber), while
                # the answer may still show the old endpoint port: the fact and the services' connection secret
                # take the new one now, not on the next converge.
                updated = {**updated, "Endpoint": {**(updated.get("Endpoint") or {}), "Port": kwargs["DBPortNumber"]}}
            self.o.state.instances[identifier] = updated
        for pending_key, value in (instance.get("PendingModifiedValues") or {}).items():
            if pending_key in sp.DEFERRED:
                self.o.pending.setdefault(identifier, {}).setdefault(pending_key, value)
        self.o.tag(instance, what)
        if (instance.get("DBParameterGroups") or [{}])[0].get("ParameterApplyStatus") == "pending-reboot":
            self.o.warnings.append(
                f"{identifier}: parameter changes wait for a reboot (ParameterApplyStatus pending-reboot); "
                "reboot it in a maintenance window"
            )
        return bool(differences)

    def converge(self, role_arn):
        identifier = self.o.names.primary
        desired = self.settings(role_arn, "primary")
        instance = self.o.state.instances.get(identifier)
        if instance is None:
            self._create(identifier, desired)
            return
        # The port is not a CreateDBInstance setting of the settings above (CreateDBInstance takes Port,
        # ModifyDBInstance DBPortNumber): compared here, so that a port changed in the spec is applied.
        desired = {**desired, "DBPortNumber": self.o.p["port"]}
        if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
            raise ReconcileError(
                f"{identifier} is a read replica of {instance['ReadReplicaSourceDBInstanceIdentifier']}; promote it or rename the tier"
            )
        current_group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
        if self.o.p.get("subnet_group_name") and current_group and current_group != self.o.p["subnet_group_name"]:
            self.o.warnings.append(
                f"{self.o.var('subnet_group_name')}: {identifier} is in DB subnet group {current_group}, not {self.o.p['subnet_group_name']}; "
                "moving an instance to another subnet group is not done by this module"
            )
        self.modify(instance, desired, "instance")

    def _create(self, identifier, desired):
        p = self.o.p
        what = f"create RDS instance {identifier} ({p['instance_class']}, PostgreSQL {p['engine_version']}, {_storage_text(desired)}"
        what += ", Multi-AZ)" if p["multi_az"] else ", single AZ)"
        if not self.o.changes.add(what):
            return
        kwargs = {k: v for k, v in desired.items() if v is not None}
        kwargs.update(
            DBInstanceIdentifier=identifier,
            Engine="postgres",
            MasterUsername=p["master_username"],
            Port=p["port"],
            StorageEncrypted=True,
            Tags=self.o.tag_list("primary", identifier),
        )
        if p.get("db_name"):
            kwargs["DBName"] = p["db_name"]
        if p.get("kms_key_id"):
            kwargs["KmsKeyId"] = p["kms_key_id"]
        if p.get("subnet_group_name"):
            kwargs["DBSubnetGroupName"] = p["subnet_group_name"]
        instance = self.o.create(self.o.rds.create_db_instance, **kwargs)["DBInstance"]
        self.o.state.instances[identifier] = instance
        self.o.wait_available(identifier)

    def view(self, instance, planned_settings=None):
        view = {
            "class": instance.get("DBInstanceClass"),
            "engine_version": instance.get("EngineVersion"),
            "availability_zone": instance.get("AvailabilityZone"),
            "multi_az": instance.get("MultiAZ"),
            "performance_insights": bool(instance.get("PerformanceInsightsEnabled")),
            "monitoring_interval": instance.get("MonitoringInterval"),
        }
        if instance.get("AllocatedStorage") and not self.o.aurora:
            view["storage"] = _storage_text(instance)
        pending = {k: v for k, v in (instance.get("PendingModifiedValues") or {}).items() if k in sp.DEFERRED}
        if pending:
            view["pending"] = pending
        return view

    def result(self, result, identifier):
        """``result`` with the instance's identifier, ARN, endpoint, version, master secret and port."""
        instance = self.o.state.instances.get(identifier) or {}
        result.update(
            identifier=identifier,
            arn=instance.get("DBInstanceArn"),
            endpoint=(instance.get("Endpoint") or {}).get("Address"),
            engine_version=instance.get("EngineVersion"),
            master_user_secret_arn=(instance.get("MasterUserSecret") or {}).get("SecretArn"),
        )
        if (instance.get("Endpoint") or {}).get("Port"):
            result["port"] = instance["Endpoint"]["Port"]
        return result


def add_modification(kwargs, key, have, want):
    """Put one changed setting into a ModifyDBInstance / ModifyDBCluster request, in the form each takes."""
    if key == "EnableCloudwatchLogsExports":
        kwargs["CloudwatchLogsExportConfiguration"] = {
            "EnableLogTypes": sorted(set(want) - set(have)),
            "DisableLogTypes": sorted(set(have) - set(want)),
        }
    else:
        kwargs[key] = want
    if key == "EngineVersion" and sp.major(want) != sp.major(have):
        kwargs["AllowMajorVersionUpgrade"] = True


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


def show(value):
    return "none" if value in (None, [], "", {}) else value


_LABELS = {
    "DBPortNumber": "port (the instance restarts)",
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


def label(key):
    return _LABELS.get(key, key)


def endpoint_of(instance):
    """An instance as the ``database`` fact lists a replica or a reader."""
    return {
        "arn": instance.get("DBInstanceArn"),
        "endpoint": (instance.get("Endpoint") or {}).get("Address"),
        "availability_zone": instance.get("AvailabilityZone"),
        "instance_class": instance.get("DBInstanceClass"),
    }
