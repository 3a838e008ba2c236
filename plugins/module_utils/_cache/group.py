# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The replication group itself: create it, or add replicas, modify it and sync its tags; each write followed by a
bounded wait until the group is available again."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import create_once
from ..platform import not_found
from ..platform import sync_tags
from ..platform import wait_for
from . import state as st


class ReplicationGroup:
    def __init__(self, owner):
        self.o = owner

    def _log_delivery(self, enabled=True):
        o = self.o
        return [
            {
                "LogType": "slow-log",
                "DestinationType": "cloudwatch-logs",
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": o.names.slow_log_group}},
                "LogFormat": "json",
                "Enabled": enabled,
            }
        ]

    def create(self, token):
        o = self.o
        p = o.p
        shape = (
            f"{p['num_shards']} shard(s) x {p['replicas_per_shard'] + 1} node(s)"
            if p["cluster_mode"] == "enabled"
            else f"1 primary + {p['replicas_per_shard']} replica(s)"
        )
        sentence = (
            f"create replication group {o.names.replication_group} ({p['engine']} {p['engine_version']}, "
            f"{p['node_type']}, cluster mode {p['cluster_mode']}, {shape})"
        )
        if not o.changes.add(sentence):
            return
        kwargs = dict(
            ReplicationGroupId=o.names.replication_group,
            ReplicationGroupDescription=o.description(),
            Engine=p["engine"],
            EngineVersion=p["engine_version"],
            CacheNodeType=p["node_type"],
            ClusterMode=p["cluster_mode"],
            AutomaticFailoverEnabled=p["automatic_failover"],
            MultiAZEnabled=p["multi_az"],
            CacheParameterGroupName=o.names.parameter_group,
            CacheSubnetGroupName=p["subnet_group"],
            SecurityGroupIds=p["security_group_ids"] or [],
            Port=p["port"],
            TransitEncryptionEnabled=p["transit_encryption"],
            AtRestEncryptionEnabled=p["at_rest_encryption"],
            SnapshotRetentionLimit=p["snapshot_retention_days"],
            Tags=ansible_dict_to_boto3_tag_list(o.tags(o.names.replication_group)),
        )
        if p["cluster_mode"] == "enabled":
            kwargs.update(NumNodeGroups=p["num_shards"], ReplicasPerNodeGroup=p["replicas_per_shard"])
        else:
            kwargs["NumCacheClusters"] = p["replicas_per_shard"] + 1
        if p["at_rest_encryption"] and p.get("kms_key_id"):
            kwargs["KmsKeyId"] = p["kms_key_id"]
        if token:
            kwargs["AuthToken"] = token
        for option, key in (
            ("snapshot_window", "SnapshotWindow"),
            ("maintenance_window", "PreferredMaintenanceWindow"),
        ):
            if p.get(option):
                kwargs[key] = p[option]
        if p["notifications"] and o.topic_arn:
            kwargs["NotificationTopicArn"] = o.topic_arn
        if p["slow_log"]:
            kwargs["LogDeliveryConfigurations"] = [
                {k: v for k, v in item.items() if k != "Enabled"} for item in self._log_delivery()
            ]
        name = o.names.replication_group
        create_once(
            lambda: o.ec.create_replication_group(**kwargs),
            lambda: not_found(
                lambda: o.ec.describe_replication_groups(ReplicationGroupId=name, aws_retry=True),
                "ReplicationGroupNotFoundFault",
            ),
            f"replication group {name}",
            o.warnings,
        )
        self.wait(f"replication group {o.names.replication_group} to be available")

    def modify(self, token):
        o = self.o
        p = o.p
        current, desired = o.current_view(), o.desired_view()
        changes = {}
        notes = []

        def differs(key):
            return current.get(key) != desired.get(key)

        if differs("node_type"):
            changes["CacheNodeType"] = desired["node_type"]
            notes.append(f"node type {current['node_type']} to {desired['node_type']}")
        if differs("engine_version"):
            changes["EngineVersion"] = desired["engine_version"]
            notes.append(f"engine version {current['engine_version']} to {desired['engine_version']}")
        if differs("engine"):
            changes["Engine"] = desired["engine"]
            notes.append(f"engine {current['engine']} to {desired['engine']}")
        if differs("parameter_group"):
            changes["CacheParameterGroupName"] = desired["parameter_group"]
            notes.append(f"parameter group {current['parameter_group']} to {desired['parameter_group']}")
        if differs("security_group_ids"):
            changes["SecurityGroupIds"] = desired["security_group_ids"]
            notes.append(
                f"security groups {', '.join(current['security_group_ids']) or 'none'} to {', '.join(desired['security_group_ids'])}"
            )
        for key, api, label in (
            ("snapshot_retention_days", "SnapshotRetentionLimit", "snapshot retention"),
            ("snapshot_window", "SnapshotWindow", "snapshot window"),
            ("maintenance_window", "PreferredMaintenanceWindow", "maintenance window"),
            ("description", "ReplicationGroupDescription", "description"),
        ):
            if desired[key] is not None and differs(key):
                changes[api] = desired[key]
                notes.append(f"{label} {current[key]} to {desired[key]}")
        if differs("notification_topic") and not (o.check_mode and p["notifications"] and not o.topic_arn):
            if desired["notification_topic"]:
                changes["NotificationTopicArn"] = desired["notification_topic"]
                changes["NotificationTopicStatus"] = "active"
            else:
                changes["NotificationTopicArn"] = current["notification_topic"]
                changes["NotificationTopicStatus"] = "inactive"
            notes.append(f"notification topic {current['notification_topic']} to {desired['notification_topic']}")
        elif differs("notification_topic"):
            notes.append(f"notification topic {current['notification_topic']} to the new topic {o.names.topic}")
        if differs("slow_log"):
            changes["LogDeliveryConfigurations"] = self._log_delivery(enabled=bool(desired["slow_log"]))
            notes.append(f"slow log {current['slow_log']} to {desired['slow_log']}")
        if p["auth_token"] and (current["auth_token"] is None or o.rotate_token):
            strategy = "ROTATE" if o.rotate_token else "SET"
            changes["AuthTokenUpdateStrategy"] = strategy
            if token:
                changes["AuthToken"] = token
            notes.append("AUTH token rotated to the one in Secrets Manager" if o.rotate_token else "AUTH token set")

        failover_changes = {}
        for key, api in (("multi_az", "MultiAZEnabled"), ("automatic_failover", "AutomaticFailoverEnabled")):
            if differs(key):
                failover_changes[api] = desired[key]
        current_replicas, wanted_replicas = current["replicas_per_shard"], desired["replicas_per_shard"]
        turning_off = {k: v for k, v in failover_changes.items() if not v}
        turning_on = {k: v for k, v in failover_changes.items() if v}
        # Multi-AZ and failover go off before the last replica goes, and on after the first one comes.
        if turning_off:
            self._modify_call(turning_off, [f"{api} off" for api in turning_off])
        if wanted_replicas != current_replicas:
            self._replicas(current_replicas, wanted_replicas)
        if turning_on:
            changes.update(turning_on)
            notes += [f"{api} on" for api in turning_on]
        if changes:
            self._modify_call(changes, notes)

    def _modify_call(self, changes, notes):
        o = self.o
        sentence = f"modify replication group {o.names.replication_group}: {'; '.join(notes)}"
        if not o.changes.add(sentence):
            return
        o.ec.modify_replication_group(
            ReplicationGroupId=o.names.replication_group,
            ApplyImmediately=o.p["apply_immediately"],
            aws_retry=True,
            **changes,
        )
        self.wait(f"replication group {o.names.replication_group} to apply: {'; '.join(notes)}")

    def _replicas(self, current, wanted):
        o = self.o
        group_id = o.names.replication_group
        increase = wanted > current
        verb = "add" if increase else "remove"
        sentence = f"replication group {group_id}: {verb} replicas, {current} to {wanted} per shard"
        if not o.changes.add(sentence):
            return
        call = o.ec.increase_replica_count if increase else o.ec.decrease_replica_count
        call(ReplicationGroupId=group_id, NewReplicaCount=wanted, ApplyImmediately=True, aws_retry=True)
        self.wait(f"replication group {group_id} to have {wanted} replica(s) per shard")

    def converge_tags(self):
        o = self.o
        name = o.names.replication_group
        sync_tags(
            o.changes,
            o.ec,
            "rds",
            o.state.group["ARN"],
            f"replication group {name}",
            o.state.tags,
            o.tags(name),
            o.purge_tags,
        )

    def wait(self, what):
        o = self.o
        if not o.p["wait"]:
            return

        def available():
            group = st.read_group(o.ec, o.names.replication_group)
            if group and group.get("Status") == "available":
                o.state.group = group
                return group
            return None

        wait_for(available, o.p["wait_timeout"], what, delay=1.0)
