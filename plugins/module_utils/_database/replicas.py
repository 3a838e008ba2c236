# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read replicas of the RDS primary in its region, and the DR replica of another region's primary."""

from __future__ import annotations

from . import spec as sp
from . import state as st
from .instance import endpoint_of


class Replicas:
    def __init__(self, owner):
        self.o = owner

    def converge(self, role_arn):
        primary = self.o.names.primary
        wanted, created = {}, []
        for replica in sp.replica_specs(self.o.p):
            identifier = self.o.names.replica(replica["name"])
            wanted[identifier] = replica
            desired = self.o.instances.settings(role_arn, "replica")
            desired["DBInstanceClass"] = replica["instance_class"]
            instance = self.o.state.instances.get(identifier)
            if instance is None:
                zone = replica["availability_zone"]
                where = f" in {zone}" if zone else ""
                if not self.o.changes.add(
                    f"create read replica {identifier} of {primary} ({replica['instance_class']}{where})"
                ):
                    continue
                self.o.wait_available(primary)
                kwargs = {k: v for k, v in desired.items() if v is not None and k != "PreferredMaintenanceWindow"}
                kwargs.pop("VpcSecurityGroupIds", None)
                kwargs.pop("DBParameterGroupName", None)
                kwargs.pop("EnableIAMDatabaseAuthentication", None)
                if self.o.p.get("security_group_ids"):
                    kwargs["VpcSecurityGroupIds"] = sorted(self.o.p["security_group_ids"])
                kwargs["DBParameterGroupName"] = self.o.names.parameter_group
                kwargs["EnableIAMDatabaseAuthentication"] = bool(self.o.p["iam_authentication"])
                if zone:
                    kwargs["AvailabilityZone"] = zone
                instance = self.o.create(
                    self.o.rds.create_db_instance_read_replica,
                    DBInstanceIdentifier=identifier,
                    SourceDBInstanceIdentifier=primary,
                    Tags=self.o.tag_list("replica", identifier),
                    aws_retry=True,
                    **kwargs,
                )["DBInstance"]
                self.o.state.instances[identifier] = self.replica_window(instance, desired)
                created.append(identifier)
                continue
            zone = replica["availability_zone"]
            if zone and instance.get("AvailabilityZone") and instance["AvailabilityZone"] != zone:
                self.o.warnings.append(
                    f"{self.o.var('read_replicas')}: {identifier} is in {instance['AvailabilityZone']}, not {zone}; an instance cannot move AZ "
                    "(delete the replica to have it made again)"
                )
            self.o.instances.modify(instance, desired, "read replica")
        for identifier, instance in sorted(self.o.state.instances.items()):
            tags = st.tags_of(instance)
            if identifier in wanted or not st.is_managed(tags, self.o.identity) or tags.get(st.TAG_ROLE) != "replica":
                continue
            if self.o.p["purge_replicas"]:
                if self.o.changes.add(f"delete read replica {identifier} (not in {self.o.var('read_replicas')})"):
                    self.o.rds.delete_db_instance(
                        DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, aws_retry=True
                    )
            else:
                self.o.warnings.append(
                    f"read replica {identifier} is not in {self.o.var('read_replicas')}; {self.o.var('purge_replicas')}: true deletes it"
                )
        for identifier in created:
            self.o.wait_available(identifier)

    def converge_dr(self, role_arn):
        identifier = self.o.names.dr
        source = self.o.state.source
        desired = self.o.instances.settings(role_arn, "dr")
        desired["DBInstanceClass"] = self.o.p.get("dr_instance_class") or self.o.p["instance_class"]
        instance = self.o.state.instances.get(identifier)
        if instance is not None:
            self.o.instances.modify(instance, desired, "DR replica")
            return
        what = f"create DR replica {identifier} of {source['DBInstanceArn']} ({desired['DBInstanceClass']}"
        what += ", Multi-AZ)" if desired.get("MultiAZ") else ")"
        if not self.o.changes.add(what):
            return
        kwargs = {k: v for k, v in desired.items() if v is not None and k != "PreferredMaintenanceWindow"}
        if self.o.p.get("kms_key_id"):
            kwargs["KmsKeyId"] = self.o.p["kms_key_id"]
        if self.o.p.get("subnet_group_name"):
            kwargs["DBSubnetGroupName"] = self.o.p["subnet_group_name"]
        created = self.o.create(
            self.o.rds.create_db_instance_read_replica,
            DBInstanceIdentifier=identifier,
            SourceDBInstanceIdentifier=source["DBInstanceArn"],
            SourceRegion=self.o.p["primary_region"],
            Tags=self.o.tag_list("dr", identifier),
            aws_retry=True,
            **kwargs,
        )["DBInstance"]
        self.o.state.instances[identifier] = self.replica_window(created, desired)
        self.o.wait_available(identifier)

    def result(self, result):
        """``result`` with the primary's read replicas."""
        for replica in sp.replica_specs(self.o.p):
            rid = self.o.names.replica(replica["name"])
            result["replicas"][rid] = endpoint_of(self.o.state.instances.get(rid) or {})
        return result

    def result_dr(self, result):
        """``result`` of a DR replica: its source, and the source's master secret (a replica has none of its own)."""
        source = self.o.state.source or {}
        result["source_arn"] = source.get("DBInstanceArn")
        result["master_user_secret_arn"] = source.get("MasterUserSecret", {}).get("SecretArn")
        return result

    def replica_window(self, created, desired):
        """CreateDBInstanceReadReplica takes no maintenance window: set it right after (part of the create)."""
        window = desired.get("PreferredMaintenanceWindow")
        if not window or (created.get("PreferredMaintenanceWindow") or "").lower() == window:
            return created
        return self.o.rds.modify_db_instance(
            DBInstanceIdentifier=created["DBInstanceIdentifier"],
            PreferredMaintenanceWindow=window,
            ApplyImmediately=True,
            aws_retry=True,
        )["DBInstance"]
