# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one ElastiCache replication group and what it needs: read everything, refuse what AWS cannot do
in place (before any write), then write in order: auth token secret → SNS topic → slow-log group →
parameter group → replication group (create, or replicas / modify / tags), each followed by a bounded wait.

The auth token is generated once, kept in Secrets Manager and never overwritten; it is read back only when
a write needs it, and never put into a change sentence, a diff, a warning or the result.

The reconciler reads, compares and checks; its parts write: ``auth_token.py``, ``companions.py`` (topic, slow-log
group, parameter group), ``group.py`` (the replication group and its waits).
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import identity_tags
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import tags_purged
from . import state as st
from .auth_token import AuthToken
from .companions import Companions
from .group import ReplicationGroup
from .spec import Names
from .spec import desired_parameters
from .spec import family_of
from .spec import major

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
            "description": self.description(),
            "tags": dict(sorted(self._desired_tags().items())),
        }

    def description(self):
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
        token = AuthToken(self).converge()
        companions = Companions(self)
        companions.topic()
        companions.log_group()
        companions.parameter_group()
        group = ReplicationGroup(self)
        if self.state.group is None:
            group.create(token)
        else:
            group.modify(token)
            group.converge_tags()

    rotate_token = False

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
