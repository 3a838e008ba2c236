# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one ElastiCache replication group and what it needs: read everything, refuse what AWS cannot do
in place (before any write), then write in order: auth token secret → SNS topic → slow-log group →
parameter group → replication group (create, or replicas / modify / tags), each followed by a bounded wait.

The auth token is generated once, kept in Secrets Manager and never overwritten; it is read back only when
a write needs it, and never put into a change sentence, a diff, a warning or the result.
"""

from __future__ import annotations

import secrets as random_source
import string

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import client_token
from ..platform import create_log_group
from ..platform import create_once
from ..platform import identity_tags
from ..platform import not_found
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from ..platform import wait_for
from . import state as st
from .spec import Names
from .spec import desired_parameters
from .spec import family_of
from .spec import major

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 64  # AUTH tokens are 16-128 printable characters
PARAMETERS_PER_CALL = 20  # ModifyCacheParameterGroup takes at most 20
HIDDEN = "<kept in Secrets Manager>"
# The cache role's variables where they are not cache_<option> (messages name what the user set).
ROLE_NAMES = {"kms_key_id": "kms_key"}


def _enabled(value):
    return str(value).lower() in ("enabled", "enabling", "true")


def _major_minor(version):
    return ".".join(str(version).split(".")[:2]) if version else version


def _active_topic(configuration):
    configuration = configuration or {}
    return configuration.get("TopicArn") if configuration.get("TopicStatus", "active") == "active" else None


class CacheReconciler:
    def __init__(self, params, clients, check_mode):
        self.p = params
        self.clients = clients
        # ElastiCache creates take no idempotency token: sent once, then looked for by name after an answer
        # that leaves it unknown whether they acted. CreateSecret carries a ClientRequestToken.
        self.ec = single_attempt(clients["elasticache"], "CreateReplicationGroup", "CreateCacheParameterGroup")
        self.family = family_of(params["engine"], params["engine_version"])
        self.names = Names(params["name"], self.family)
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.purge_tags = tags_purged(params)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.state = st.CacheState()
        self.before_snapshot = {}
        self.secret_arn = None
        self.topic_arn = None

    @property
    def check_mode(self):
        return self.changes.check_mode

    def var(self, option):
        """An option's name as the user wrote it: with ``variable_prefix``, the role's variable."""
        prefix = self.p.get("variable_prefix") or ""
        return prefix + (ROLE_NAMES.get(option, option) if prefix else option)

    def tags(self, name):
        return resource_tags(self.identity, self.p.get("tags"), name=name)

    # -- reads -------------------------------------------------------------------------------------------------

    def read(self):
        s = self.state
        s.group = st.read_group(self.ec, self.names.replication_group)
        if s.group:
            s.node = st.read_node(self.ec, s.group)
            s.tags = st.read_tags(self.ec, s.group["ARN"])
        s.parameter_group, s.parameters = st.read_parameter_group(self.ec, self.names.parameter_group)
        if self.p["auth_token"]:
            s.secret = st.read_secret(self.clients["secretsmanager"], self.p["auth_token_secret_name"])
            if s.secret and s.secret.get("DeletedDate"):
                raise ReconcileError(
                    f"{self.var('auth_token_secret_name')}: the secret {self.p['auth_token_secret_name']} is scheduled for deletion; "
                    f"restore it (aws secretsmanager restore-secret --secret-id {self.p['auth_token_secret_name']}) "
                    "or the cache's AUTH token is lost"
                )
            self.secret_arn = s.secret["ARN"] if s.secret else None
        if self.p["notifications"]:
            s.topic_arn = st.read_topic(self.clients["sns"], self.names.topic)
            self.topic_arn = s.topic_arn
        if self.p["slow_log"]:
            s.log_group = st.read_log_group(self.clients["logs"], self.names.slow_log_group)

    # -- symbolic views (diff) ------------------------------------------------------------------------------------

    def current_view(self):
        group, node = self.state.group, self.state.node or {}
        if not group:
            return {}
        deliveries = {d["LogType"]: d for d in group.get("LogDeliveryConfigurations") or []}
        slow = deliveries.get("slow-log")
        return {
            "engine": group.get("Engine") or node.get("Engine"),
            # AWS shows the patch level (7.1.0); the spec names major.minor, as CreateReplicationGroup takes it.
            "engine_version": _major_minor(node.get("EngineVersion")),
            "node_type": group.get("CacheNodeType"),
            "cluster_mode": "enabled" if group.get("ClusterEnabled") else "disabled",
            "num_shards": len(group.get("NodeGroups") or []),
            "replicas_per_shard": st.replicas_per_shard(group),
            "multi_az": _enabled(group.get("MultiAZ")),
            "automatic_failover": _enabled(group.get("AutomaticFailover")),
            "port": st.endpoints(group)["port"],
            "subnet_group": node.get("CacheSubnetGroupName"),
            "security_group_ids": sorted(g["SecurityGroupId"] for g in node.get("SecurityGroups") or []),
            "parameter_group": (node.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
            "transit_encryption": bool(group.get("TransitEncryptionEnabled")),
            "at_rest_encryption": bool(group.get("AtRestEncryptionEnabled")),
            "kms_key_id": group.get("KmsKeyId"),
            "auth_token": HIDDEN if group.get("AuthTokenEnabled") else None,
            "snapshot_retention_days": group.get("SnapshotRetentionLimit", 0),
            "snapshot_window": group.get("SnapshotWindow"),
            "maintenance_window": node.get("PreferredMaintenanceWindow"),
            "notification_topic": _active_topic(node.get("NotificationConfiguration")),
            "slow_log": (
                slow.get("DestinationDetails", {}).get("CloudWatchLogsDetails", {}).get("LogGroup") if slow else None
            ),
            "description": group.get("Description"),
            "tags": dict(sorted(self.state.tags.items())),
        }

    def desired_view(self):
        p = self.p
        return {
            "engine": p["engine"],
            "engine_version": p["engine_version"],
            "node_type": p["node_type"],
            "cluster_mode": p["cluster_mode"],
            "num_shards": p["num_shards"],
            "replicas_per_shard": p["replicas_per_shard"],
            "multi_az": p["multi_az"],
            "automatic_failover": p["automatic_failover"],
            "port": p["port"],
            "subnet_group": p["subnet_group"],
            "security_group_ids": sorted(p["security_group_ids"] or []),
            "parameter_group": self.names.parameter_group,
            "transit_encryption": p["transit_encryption"],
            "at_rest_encryption": p["at_rest_encryption"],
            "kms_key_id": p.get("kms_key_id") if p["at_rest_encryption"] else None,
            "auth_token": HIDDEN if p["auth_token"] else None,
            "snapshot_retention_days": p["snapshot_retention_days"],
            "snapshot_window": p.get("snapshot_window"),
            "maintenance_window": (p.get("maintenance_window") or "").lower() or None,  # AWS keeps it lowercase
            "notification_topic": self.topic_arn if p["notifications"] else None,
            "slow_log": self.names.slow_log_group if p["slow_log"] else None,
            "description": self._description(),
            "tags": dict(sorted(self._desired_tags().items())),
        }

    def _description(self):
        return self.p.get("description") or f"{self.p['platform']} {self.p['environment']} cache"

    def _desired_tags(self):
        desired = self.tags(self.names.replication_group)
        if not self.purge_tags:
            merged = dict(self.state.tags)
            merged.update(desired)
            return merged
        return desired

    def before(self):
        view = self.current_view()
        if view:
            view["parameters"] = dict(sorted(self.state.parameters.items())) if self.state.parameter_group else None
        return {"replication_group": view or None}

    def after(self):
        view = self.desired_view()
        if self.check_mode and self.p["notifications"] and not self.topic_arn:
            view["notification_topic"] = f"<new topic {self.names.topic}>"
        view["parameters"] = desired_parameters(self.p)
        return {"replication_group": view}

    # -- preconditions ------------------------------------------------------------------------------------------------

    def check(self):
        """What AWS cannot do in place: refused after the reads, before any write."""
        group, view, p = self.state.group, self.current_view(), self.p
        if not group:
            if not p.get("subnet_group") and not self.check_mode:
                raise ReconcileError(
                    f"{self.var('subnet_group')}: no cache subnet group to create the replication group in; "
                    "converge playbooks/network.yml first"
                )
            return
        problems = []
        if group.get("Status") in ("deleting", "create-failed"):
            problems.append(
                f"{self.var('name')}: replication group {self.names.replication_group} is {group['Status']}"
            )
        if view["cluster_mode"] == "enabled" and p["cluster_mode"] == "disabled":
            problems.append(
                f"{self.var('cluster_mode')}: AWS cannot turn cluster mode off on an existing replication group"
            )
        elif view["cluster_mode"] == "disabled" and p["cluster_mode"] == "enabled":
            problems.append(
                f"{self.var('cluster_mode')}: turning cluster mode on needs AWS's online migration (ClusterMode compatible, then "
                "enabled); this module does not do it: migrate by hand or create a new group"
            )
        if view["engine_version"] and major(p["engine_version"]) < major(view["engine_version"]):
            problems.append(
                f"{self.var('engine_version')}: {p['engine_version']} is lower than the running {view['engine_version']}; "
                "ElastiCache cannot downgrade an engine"
            )
        if view["engine"] == "valkey" and p["engine"] == "redis":
            problems.append(f"{self.var('engine')}: AWS cannot move a Valkey replication group back to Redis OSS")
        if view["transit_encryption"] and not p["transit_encryption"]:
            problems.append(
                f"{self.var('transit_encryption')}: turning encryption in transit off is refused (the AUTH token needs it)"
            )
        elif not view["transit_encryption"] and p["transit_encryption"]:
            problems.append(
                f"{self.var('transit_encryption')}: turning encryption in transit on needs AWS's two-step migration "
                "(TransitEncryptionMode preferred, then required); this module does not do it"
            )
        if view["at_rest_encryption"] != p["at_rest_encryption"]:
            problems.append(
                f"{self.var('at_rest_encryption')}: AWS chooses encryption at rest at creation only (the group has it "
                f"{'on' if view['at_rest_encryption'] else 'off'}); create a new group from a snapshot"
            )
        elif (
            p["at_rest_encryption"]
            and p.get("kms_key_id")
            and view["kms_key_id"]
            and view["kms_key_id"] != p["kms_key_id"]
        ):
            problems.append(
                f"{self.var('kms_key_id')}: the group is encrypted with {view['kms_key_id']}; AWS cannot change its key"
            )
        if (
            view["cluster_mode"] == "enabled"
            and view["num_shards"] != p["num_shards"]
            and p["cluster_mode"] == "enabled"
        ):
            problems.append(
                f"{self.var('num_shards')}: {view['num_shards']} to {p['num_shards']} is online resharding "
                "(ModifyReplicationGroupShardConfiguration), which this module does not do"
            )
        if view["port"] and view["port"] != p["port"]:
            problems.append(f"{self.var('port')}: AWS cannot change the port ({view['port']}) of a replication group")
        if view["subnet_group"] and p.get("subnet_group") and view["subnet_group"] != p["subnet_group"]:
            problems.append(
                f"{self.var('subnet_group')}: AWS cannot move a replication group from subnet group {view['subnet_group']}"
            )
        if view["auth_token"] and not p["auth_token"]:
            problems.append(
                f"{self.var('auth_token')}: removing the AUTH token is refused (clients would lose authentication)"
            )
        if problems:
            raise ReconcileError("cannot change the replication group in place: " + "; ".join(problems))

    # -- writes --------------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self.check()
        token = self._secret()
        self._topic()
        self._log_group()
        self._parameter_group()
        if self.state.group is None:
            self._create(token)
        else:
            self._modify(token)
            self._tags()

    def _generate(self):
        return "".join(random_source.choice(TOKEN_ALPHABET) for _i in range(TOKEN_LENGTH))

    def _secret(self):
        """The AUTH token when a write needs it (create, or setting it on an existing group); None otherwise."""
        if not self.p["auth_token"]:
            return None
        group = self.state.group
        name = self.p["auth_token_secret_name"]
        sm = self.clients["secretsmanager"]
        needs_value = group is None or not group.get("AuthTokenEnabled")
        if self.state.secret is None:
            rotate = group is not None and group.get("AuthTokenEnabled")
            sentence = f"create secret {name} with a generated AUTH token"
            if rotate:
                sentence += " (the secret was lost: the group's token is rotated to it)"
            if not self.changes.add(sentence):
                return None
            token = self._generate()
            kwargs = {
                "Name": name,
                "SecretString": token,
                "Description": f"AUTH token of {self.names.replication_group}",
            }
            if self.p.get("auth_token_secret_kms_key"):
                kwargs["KmsKeyId"] = self.p["auth_token_secret_kms_key"]
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(self.tags(name))
            kwargs["ClientRequestToken"] = client_token()  # a retry after a lost answer returns the first secret
            created = sm.create_secret(aws_retry=True, **kwargs)
            self.secret_arn = created["ARN"]
            if rotate:
                self._rotate_token = True
            return token
        if needs_value and not self.check_mode:
            return st.read_secret_value(sm, self.secret_arn)
        return None

    _rotate_token = False

    def _topic(self):
        if not self.p["notifications"] or self.topic_arn:
            return
        if self.changes.add(f"create SNS topic {self.names.topic}"):
            tags = ansible_dict_to_boto3_tag_list(self.tags(self.names.topic))
            self.topic_arn = self.clients["sns"].create_topic(Name=self.names.topic, Tags=tags, aws_retry=True)[
                "TopicArn"
            ]

    def _log_group(self):
        if not self.p["slow_log"]:
            return
        logs = self.clients["logs"]
        name, retention = self.names.slow_log_group, self.p["slow_log_retention_days"]
        group = self.state.log_group
        if group is None:
            if self.changes.add(f"create log group {name} ({retention} days)"):
                create_log_group(logs, {"logGroupName": name, "tags": self.tags(name)}, self.warnings)
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)
        elif group.get("retentionInDays") != retention:
            if self.changes.add(f"log group {name}: retention {group.get('retentionInDays')} to {retention} days"):
                logs.put_retention_policy(logGroupName=name, retentionInDays=retention, aws_retry=True)

    def _parameter_group(self):
        name = self.names.parameter_group
        desired = desired_parameters(self.p)
        current = self.state.parameters if self.state.parameter_group else {}
        if self.state.parameter_group is None:
            if self.changes.add(f"create parameter group {name} ({self.family})"):
                create_once(
                    lambda: self.ec.create_cache_parameter_group(
                        CacheParameterGroupName=name,
                        CacheParameterGroupFamily=self.family,
                        Description=f"{self.names.replication_group} ({self.family})",
                        Tags=ansible_dict_to_boto3_tag_list(self.tags(name)),
                    ),
                    lambda: not_found(
                        lambda: self.ec.describe_cache_parameter_groups(CacheParameterGroupName=name, aws_retry=True),
                        "CacheParameterGroupNotFound",
                    ),
                    f"parameter group {name}",
                    self.warnings,
                )
        changed = {k: v for k, v in desired.items() if current.get(k) != v}
        removed = sorted(k for k in current if k not in desired)
        if changed:
            shown = ", ".join(f"{k}={v}" for k, v in changed.items())
            if self.changes.add(f"parameter group {name}: set {shown}"):
                items = [{"ParameterName": k, "ParameterValue": v} for k, v in changed.items()]
                for start in range(0, len(items), PARAMETERS_PER_CALL):
                    self.ec.modify_cache_parameter_group(
                        CacheParameterGroupName=name,
                        ParameterNameValues=items[start : start + PARAMETERS_PER_CALL],
                        aws_retry=True,
                    )
        if removed and self.changes.add(f"parameter group {name}: reset {', '.join(removed)} to the defaults"):
            for start in range(0, len(removed), PARAMETERS_PER_CALL):
                self.ec.reset_cache_parameter_group(
                    CacheParameterGroupName=name,
                    ParameterNameValues=[{"ParameterName": k} for k in removed[start : start + PARAMETERS_PER_CALL]],
                    aws_retry=True,
                )

    def _log_delivery(self, enabled=True):
        return [
            {
                "LogType": "slow-log",
                "DestinationType": "cloudwatch-logs",
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": self.names.slow_log_group}},
                "LogFormat": "json",
                "Enabled": enabled,
            }
        ]

    def _create(self, token):
        p = self.p
        shape = (
            f"{p['num_shards']} shard(s) x {p['replicas_per_shard'] + 1} node(s)"
            if p["cluster_mode"] == "enabled"
            else f"1 primary + {p['replicas_per_shard']} replica(s)"
        )
        sentence = (
            f"create replication group {self.names.replication_group} ({p['engine']} {p['engine_version']}, "
            f"{p['node_type']}, cluster mode {p['cluster_mode']}, {shape})"
        )
        if not self.changes.add(sentence):
            return
        kwargs = dict(
            ReplicationGroupId=self.names.replication_group,
            ReplicationGroupDescription=self._description(),
            Engine=p["engine"],
            EngineVersion=p["engine_version"],
            CacheNodeType=p["node_type"],
            ClusterMode=p["cluster_mode"],
            AutomaticFailoverEnabled=p["automatic_failover"],
            MultiAZEnabled=p["multi_az"],
            CacheParameterGroupName=self.names.parameter_group,
            CacheSubnetGroupName=p["subnet_group"],
            SecurityGroupIds=p["security_group_ids"] or [],
            Port=p["port"],
            TransitEncryptionEnabled=p["transit_encryption"],
            AtRestEncryptionEnabled=p["at_rest_encryption"],
            SnapshotRetentionLimit=p["snapshot_retention_days"],
            Tags=ansible_dict_to_boto3_tag_list(self.tags(self.names.replication_group)),
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
        if p["notifications"] and self.topic_arn:
            kwargs["NotificationTopicArn"] = self.topic_arn
        if p["slow_log"]:
            kwargs["LogDeliveryConfigurations"] = [
                {k: v for k, v in item.items() if k != "Enabled"} for item in self._log_delivery()
            ]
        name = self.names.replication_group
        create_once(
            lambda: self.ec.create_replication_group(**kwargs),
            lambda: not_found(
                lambda: self.ec.describe_replication_groups(ReplicationGroupId=name, aws_retry=True),
                "ReplicationGroupNotFoundFault",
            ),
            f"replication group {name}",
            self.warnings,
        )
        self._wait(f"replication group {self.names.replication_group} to be available")

    def _modify(self, token):
        p = self.p
        current, desired = self.current_view(), self.desired_view()
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
        if differs("notification_topic") and not (self.check_mode and p["notifications"] and not self.topic_arn):
            if desired["notification_topic"]:
                changes["NotificationTopicArn"] = desired["notification_topic"]
                changes["NotificationTopicStatus"] = "active"
            else:
                changes["NotificationTopicArn"] = current["notification_topic"]
                changes["NotificationTopicStatus"] = "inactive"
            notes.append(f"notification topic {current['notification_topic']} to {desired['notification_topic']}")
        elif differs("notification_topic"):
            notes.append(f"notification topic {current['notification_topic']} to the new topic {self.names.topic}")
        if differs("slow_log"):
            changes["LogDeliveryConfigurations"] = self._log_delivery(enabled=bool(desired["slow_log"]))
            notes.append(f"slow log {current['slow_log']} to {desired['slow_log']}")
        if p["auth_token"] and (current["auth_token"] is None or self._rotate_token):
            strategy = "ROTATE" if self._rotate_token else "SET"
            changes["AuthTokenUpdateStrategy"] = strategy
            if token:
                changes["AuthToken"] = token
            notes.append("AUTH token rotated to the one in Secrets Manager" if self._rotate_token else "AUTH token set")

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
        sentence = f"modify replication group {self.names.replication_group}: {'; '.join(notes)}"
        if not self.changes.add(sentence):
            return
        self.ec.modify_replication_group(
            ReplicationGroupId=self.names.replication_group,
            ApplyImmediately=self.p["apply_immediately"],
            aws_retry=True,
            **changes,
        )
        self._wait(f"replication group {self.names.replication_group} to apply: {'; '.join(notes)}")

    def _replicas(self, current, wanted):
        group_id = self.names.replication_group
        increase = wanted > current
        verb = "add" if increase else "remove"
        sentence = f"replication group {group_id}: {verb} replicas, {current} to {wanted} per shard"
        if not self.changes.add(sentence):
            return
        call = self.ec.increase_replica_count if increase else self.ec.decrease_replica_count
        call(ReplicationGroupId=group_id, NewReplicaCount=wanted, ApplyImmediately=True, aws_retry=True)
        self._wait(f"replication group {group_id} to have {wanted} replica(s) per shard")

    def _tags(self):
        name = self.names.replication_group
        sync_tags(
            self.changes,
            self.ec,
            "rds",
            self.state.group["ARN"],
            f"replication group {name}",
            self.state.tags,
            self.tags(name),
            self.purge_tags,
        )

    def _wait(self, what):
        if not self.p["wait"]:
            return

        def available():
            group = st.read_group(self.ec, self.names.replication_group)
            if group and group.get("Status") == "available":
                self.state.group = group
                return group
            return None

        wait_for(available, self.p["wait_timeout"], what, delay=1.0)

    # -- result ----------------------------------------------------------------------------------------------------------

    def result(self):
        group = self.state.group
        if self.changes and not self.check_mode:
            group = st.read_group(self.ec, self.names.replication_group)
        found = {
            "replication_group_id": self.names.replication_group,
            "arn": group.get("ARN") if group else None,
            "status": group.get("Status") if group else None,
            "auth_secret_arn": self.secret_arn if self.p["auth_token"] else None,
            "parameter_group": self.names.parameter_group,
            "notification_topic_arn": self.topic_arn,
            "slow_log_group": self.names.slow_log_group if self.p["slow_log"] else None,
            "members": st.members(group),
        }
        found.update(st.endpoints(group))
        return found
