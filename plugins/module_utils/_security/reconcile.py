# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the security tier in one pass: read everything once, check every precondition, then write.

Order: security groups (all groups first, so rules can name each other) → KMS keys → secrets (they use the
secrets key) → WAF web ACLs and their log groups (the log group uses the logs key), then deferred deletions.
A precondition that fails (a key pending deletion, a secret scheduled for deletion, no VPC) stops the run
before its first write. In check mode nothing after the reads runs; resources not yet created have ``None``.

Secret values: generated ones are made here and sent to AWS once; values from the inventory are compared
with what AWS holds. Neither is ever put into a change sentence, a diff, a warning or the result.
"""

from __future__ import annotations

import json
import secrets as random_source

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import client_token
from ..platform import create_log_group
from ..platform import create_once
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tag_specifications
from ..platform import tags_purged
from . import state as st
from .spec import CHARSETS
from .spec import DEFAULT_MANAGED_RULE_GROUPS
from .spec import Names
from .spec import default_secrets_prefix
from .spec import describe_policy
from .spec import describe_rule
from .spec import describe_waf_rule
from .spec import key_policy
from .spec import rule_key
from .spec import secret_name
from .spec import waf_rules

DEFAULT_EGRESS = ("-1", -1, -1, "cidr", "0.0.0.0/0")  # what AWS puts on every new group


class SecurityReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.clients = clients
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.names = Names(params["name"])
        self.partition = partition_for(region)
        # amazon.aws: without tags, a resource's tags are left alone (identity tags are still set).
        self.purge_tags = tags_purged(params)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.state = st.SecurityState()
        self.key_arns = {}  # purpose -> key ARN (None: created in this run, in check mode)
        self._deferred = []
        parts = []
        if params.get("groups") is not None:
            parts.append(GroupsPart(self))
        if params.get("kms_keys") is not None:
            parts.append(KeysPart(self))
        if params.get("secrets") is not None:
            parts.append(SecretsPart(self))
        if params.get("waf"):
            parts.append(WafPart(self))
        self.parts = parts
        self.before_snapshot = {}

    @property
    def check_mode(self):
        return self.changes.check_mode

    def var(self, option):
        """An option's name as the user wrote it (the role's variable, with ``variable_prefix``)."""
        return f"{self.p.get('variable_prefix') or ''}{option}"

    def tags(self, name=None, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    def defer(self, sentence, action):
        self._deferred.append((sentence, action))

    def account(self):
        if self.state.account is None:
            self.state.account = st.read_account(self.clients["sts"])
        return self.state.account

    def converge(self):
        for part in self.parts:
            part.read()
        self.before_snapshot = {part.name: part.before() for part in self.parts}
        for part in self.parts:
            part.check()
        for part in self.parts:
            part.converge()
        for sentence, action in self._deferred:
            if self.changes.add(sentence):
                action()

    def after(self):
        return {part.name: part.after() for part in self.parts}

    def result(self):
        found = {
            "security_group_ids": {},
            "security_kms_keys": {},
            "security_secrets": {},
            "security_waf_web_acl_arn": None,
            "security_waf_cloudfront_web_acl_arn": None,
        }
        for part in self.parts:
            found.update(part.result())
        return found


# -- security groups ------------------------------------------------------------------------------------------------------


def _ip_permission(key, description, id_of):
    protocol, low, high, kind, source = key
    permission = {"IpProtocol": protocol}
    if protocol != "-1":
        permission.update(FromPort=low, ToPort=high)
    extra = {"Description": description} if description else {}
    if kind == "cidr":
        permission["IpRanges"] = [{"CidrIp": source, **extra}]
    elif kind == "ipv6_cidr":
        permission["Ipv6Ranges"] = [{"CidrIpv6": source, **extra}]
    elif kind == "prefix_list_id":
        permission["PrefixListIds"] = [{"PrefixListId": source, **extra}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": id_of(kind, source), **extra}]
    return permission


def _rule_matches(rule, key, id_of):
    protocol, low, high, kind, source = key
    if st.PROTOCOL_NUMBERS.get(rule["IpProtocol"], rule["IpProtocol"]) != protocol:
        return False
    if protocol != "-1" and (rule.get("FromPort", -1), rule.get("ToPort", -1)) != (low, high):
        return False
    if kind == "cidr":
        return rule.get("CidrIpv4") == source
    if kind == "ipv6_cidr":
        return rule.get("CidrIpv6") == source
    if kind == "prefix_list_id":
        return rule.get("PrefixListId") == source
    return (rule.get("ReferencedGroupInfo") or {}).get("GroupId") == id_of(kind, source)


class GroupsPart:
    """Every group of the spec in the network's VPC; rules not in the spec are revoked."""

    name = "security_groups"

    def __init__(self, owner):
        self.o = owner
        self.ec2 = single_attempt(owner.clients["ec2"], "CreateSecurityGroup")
        self.desired = {g["name"]: g for g in owner.p["groups"]}
        self.vpc_id = owner.p.get("vpc_id")
        self.ours = {}  # key -> group (describe result)
        self.ids = {}  # key -> group id (None: created in check mode)
        self.current = {}  # key -> {"ingress": {rule: description}, "egress": {...}}
        self.strays = []  # groups tagged as ours but not in the spec

    def read(self):
        if not self.vpc_id:
            self.vpc_id = st.find_vpc(self.ec2, self.o.p["platform"], self.o.p["environment"])
        groups = st.read_groups(self.ec2, self.vpc_id) if self.vpc_id else []
        by_name = {g["GroupName"]: g for g in groups}
        for group in groups:
            tags = st.tags_of(group)
            key = tags.get(st.TAG_GROUP)
            if key and st.is_managed(tags, self.o.identity):
                if key in self.desired:
                    self.ours[key] = group
                else:
                    self.strays.append(group)
        for key in self.desired:
            # A group with our name but without our tags (made by hand, or tags lost) is adopted, not duplicated.
            if key not in self.ours and self.o.names.group(key) in by_name:
                self.ours[key] = by_name[self.o.names.group(key)]
        self.ids = {key: group["GroupId"] for key, group in self.ours.items()}
        name_of = {group_id: key for key, group_id in self.ids.items()}
        name_of.update({g["GroupId"]: st.tags_of(g).get(st.TAG_GROUP) for g in self.strays})
        # Rules from the security group EKS makes for a cluster are the cluster tier's: eks_cluster admits its
        # nodes wherever the app group is admitted (the group exists only once the cluster does). Left alone here.
        eks_groups = {g["GroupId"] for g in groups if st.EKS_CLUSTER_TAG in st.tags_of(g)}
        for key, group in self.ours.items():
            ingress = st.permission_rules(group.get("IpPermissions", []), name_of)
            self.current[key] = {
                "ingress": {k: d for k, d in ingress.items() if not (k[3] == "group_id" and k[4] in eks_groups)},
                "egress": st.permission_rules(group.get("IpPermissionsEgress", []), name_of),
            }

    def before(self):
        return {key: self._symbolic(rules) for key, rules in sorted(self.current.items())}

    def after(self):
        return {key: self._symbolic(self._desired_rules(key)) for key in sorted(self.desired)}

    @staticmethod
    def _symbolic(rules):
        return {
            direction: {describe_rule(k, direction): (d or "") for k, d in sorted(rules[direction].items(), key=str)}
            for direction in ("ingress", "egress")
        }

    def _desired_rules(self, key):
        group = self.desired[key]
        return {
            direction: {rule_key(key, rule): rule.get("description") for rule in group.get(direction) or []}
            for direction in ("ingress", "egress")
        }

    def check(self):
        if not self.vpc_id and not self.o.check_mode:
            raise ReconcileError(
                f"{self.o.var('vpc_id')}: no VPC of the network tier for {self.o.p['platform']}-{self.o.p['environment']} in "
                f"{self.o.region} (tags stackops:component=network); converge playbooks/network.yml first, or give vpc_id"
            )
        for key, group in self.ours.items():
            wanted = self._description(key)
            if group.get("Description") != wanted:
                self.o.warnings.append(
                    f"{self.o.var('groups')}: {group['GroupName']} ({group['GroupId']}) has the description {group.get('Description')!r}, "
                    f"the spec says {wanted!r}; AWS cannot change a group's description (it is kept)"
                )

    def _description(self, key):
        return self.desired[key].get("description") or f"{self.o.names.group(key)} ({key})"

    def _id_of(self, kind, source):
        return self.ids.get(source) if kind == "group" else source

    def converge(self):
        # 1. Every group first: rules name each other.
        for key in self.desired:
            name = self.o.names.group(key)
            tags = self.o.tags(name, **{st.TAG_GROUP: key})
            if key in self.ours:
                group = self.ours[key]
                sync_tags(
                    self.o.changes,
                    self.ec2,
                    "ec2",
                    group["GroupId"],
                    f"security group {key}",
                    st.tags_of(group),
                    tags,
                    self.o.purge_tags,
                )
                continue
            self.current[key] = {"ingress": {}, "egress": {DEFAULT_EGRESS: None}}
            self.ids[key] = None
            if self.o.changes.add(f"create security group {name}"):
                self.ids[key] = create_once(
                    lambda name=name, key=key, tags=tags: self.ec2.create_security_group(
                        GroupName=name,
                        Description=self._description(key),
                        VpcId=self.vpc_id,
                        TagSpecifications=tag_specifications("security-group", tags),
                    ),
                    lambda name=name: self._find_group(name),
                    f"security group {name}",
                    self.o.warnings,
                )["GroupId"]
        # 2. Plan the rules of every group, then act: adds, then revokes and description changes (by rule id).
        plans = []
        for key in self.desired:
            desired, current = self._desired_rules(key), self.current[key]
            for direction in ("ingress", "egress"):
                adds = {k: d for k, d in desired[direction].items() if k not in current[direction]}
                removes = [k for k in current[direction] if k not in desired[direction]]
                renames = {
                    k: d
                    for k, d in desired[direction].items()
                    if k in current[direction] and (d or None) != (current[direction][k] or None)
                }
                plans.append((key, direction, adds, removes, renames))
        for key, direction, adds, _removes, _renames in plans:
            if adds and self.o.changes.add(
                f"security group {key}: allow {direction} "
                + ", ".join(describe_rule(k, direction) for k in sorted(adds, key=str))
            ):
                call = (
                    self.ec2.authorize_security_group_ingress
                    if direction == "ingress"
                    else self.ec2.authorize_security_group_egress
                )
                call(
                    GroupId=self.ids[key],
                    IpPermissions=[_ip_permission(k, d, self._id_of) for k, d in sorted(adds.items(), key=str)],
                    aws_retry=True,
                )
        needs_ids = [plan for plan in plans if plan[3] or plan[4]]
        rules = None
        for key, direction, _adds, removes, renames in needs_ids:
            act_remove = removes and self.o.changes.add(
                f"security group {key}: revoke {direction} "
                + ", ".join(describe_rule(k, direction) for k in sorted(removes, key=str))
            )
            act_rename = renames and self.o.changes.add(
                f"security group {key}: update the description of {direction} "
                + ", ".join(describe_rule(k, direction) for k in sorted(renames, key=str))
            )
            if not (act_remove or act_rename):
                continue
            if rules is None:
                rules = st.read_group_rules(self.ec2, {self.ids[plan[0]] for plan in needs_ids if self.ids[plan[0]]})
            mine = [r for r in rules if r["GroupId"] == self.ids[key] and r["IsEgress"] == (direction == "egress")]
            if act_remove:
                rule_ids = [r["SecurityGroupRuleId"] for k in removes for r in mine if _rule_matches(r, k, self._id_of)]
                call = (
                    self.ec2.revoke_security_group_ingress
                    if direction == "ingress"
                    else self.ec2.revoke_security_group_egress
                )
                call(GroupId=self.ids[key], SecurityGroupRuleIds=rule_ids, aws_retry=True)
            if act_rename:
                self.ec2.modify_security_group_rules(
                    GroupId=self.ids[key],
                    SecurityGroupRules=[
                        {
                            "SecurityGroupRuleId": r["SecurityGroupRuleId"],
                            "SecurityGroupRule": _rule_update(k, d, self._id_of),
                        }
                        for k, d in renames.items()
                        for r in mine
                        if _rule_matches(r, k, self._id_of)
                    ],
                    aws_retry=True,
                )
        # 3. Groups tagged as ours that the spec no longer has.
        for group in self.strays:
            label = f"security group {group['GroupName']} ({group['GroupId']})"
            if not self.o.p.get("purge_groups"):
                self.o.warnings.append(
                    f"{label} is tagged as part of this tier but not in {self.o.var('groups')}; set "
                    f"{self.o.var('purge_groups')} to delete it"
                )
                continue
            self.o.defer(f"delete {label}", lambda group=group: self._delete(group))

    def _find_group(self, name):
        """The group a CreateSecurityGroup whose answer was lost made (names are unique in a VPC)."""
        return next((g for g in st.read_groups(self.ec2, self.vpc_id) if g["GroupName"] == name), None)

    def _delete(self, group):
        for direction, call in (
            ("IpPermissions", self.ec2.revoke_security_group_ingress),
            ("IpPermissionsEgress", self.ec2.revoke_security_group_egress),
        ):
            if group.get(direction):
                call(GroupId=group["GroupId"], IpPermissions=group[direction], aws_retry=True)
        self.ec2.delete_security_group(GroupId=group["GroupId"], aws_retry=True)

    def result(self):
        return {"security_group_ids": {key: self.ids.get(key) for key in sorted(self.desired)}}


def _rule_update(key, description, id_of):
    protocol, low, high, kind, source = key
    rule = {"IpProtocol": protocol, "FromPort": low, "ToPort": high, "Description": description or ""}
    field = {"cidr": "CidrIpv4", "ipv6_cidr": "CidrIpv6", "prefix_list_id": "PrefixListId"}.get(
        kind, "ReferencedGroupId"
    )
    rule[field] = id_of(kind, source) if field == "ReferencedGroupId" else source
    return rule


# -- KMS ---------------------------------------------------------------------------------------------------------------------


class KeysPart:
    """One customer managed key per purpose, found by its alias (or, when the alias is missing, its tags)."""

    name = "kms_keys"

    def __init__(self, owner):
        self.o = owner
        self.kms = single_attempt(owner.clients["kms"], "CreateKey", "CreateAlias")
        self.desired = {k["purpose"]: k for k in owner.p["kms_keys"]}
        self.found = {}  # purpose -> key id
        self.scanned = {}  # purpose -> [key ids] (tags), when an alias is missing
        self.result_keys = {}

    def _policy(self, purpose):
        return key_policy(self.desired[purpose], self.o.account(), self.o.region, self.o.partition)

    def read(self):
        self.o.account()
        listed = st.paginate(self.kms, "list_aliases", "Aliases")
        aliases = st.read_aliases(self.kms, self.o.names.base, listed)
        self.o.state.aliases = aliases
        for purpose in self.desired:
            key_id = aliases.get(self.o.names.alias(purpose))
            if key_id:
                self.found[purpose] = key_id
        # Keys no alias points at, tagged as ours: a key whose alias is missing is adopted; one beside the key
        # its alias names (a CreateKey retried after a lost answer) is an orphan, scheduled for deletion.
        # Only unaliased keys' tags are read: every key of an account in use has an alias.
        aliased = {a["TargetKeyId"] for a in listed if a.get("TargetKeyId")}
        self.scanned = st.scan_keys(self.kms, self.o.identity, skip=aliased)
        for purpose in self.desired:
            if purpose not in self.found and self.scanned.get(purpose):
                self.found[purpose] = None  # decided in check()
        for key_id in {k for k in self.found.values() if k} | {k for ids in self.scanned.values() for k in ids}:
            self.o.state.keys[key_id] = st.read_key(self.kms, key_id)
        # Keys of the tier whose purpose left the spec: reported, never deleted by a converge.
        for alias, key_id in aliases.items():
            purpose = alias.removeprefix(f"alias/{self.o.names.base}-")
            if purpose in self.desired or not key_id:
                continue
            tags = st.kms_tags(st.paginate(self.kms, "list_resource_tags", "Tags", KeyId=key_id))
            if st.is_managed(tags, self.o.identity) and tags.get(st.TAG_PURPOSE) == purpose:
                self.o.warnings.append(
                    f"{self.o.var('kms_keys')}: {alias} ({key_id}) is not in the spec; it is kept (schedule its deletion by hand when "
                    "nothing encrypted with it is needed any more)"
                )

    def before(self):
        found = {}
        for purpose, key_id in sorted(self.found.items()):
            key = self.o.state.keys.get(key_id) if key_id else None
            if key:
                found[purpose] = {
                    "alias": self.o.names.alias(purpose),
                    "state": key["metadata"].get("KeyState"),
                    "rotation": key["rotation"],
                    "description": key["metadata"].get("Description"),
                    "policy": describe_policy(key["policy"]),
                }
        return found

    def after(self):
        return {
            purpose: {
                "alias": self.o.names.alias(purpose),
                "state": "Enabled",
                "rotation": True,
                "description": self._description(purpose),
                "policy": describe_policy(self._policy(purpose)),
            }
            for purpose in sorted(self.desired)
        }

    def _description(self, purpose):
        return self.desired[purpose].get("description") or f"{self.o.names.base} {purpose} key (stackops)"

    def check(self):
        for purpose, found_id in self.found.items():
            key_id = found_id
            where = f"{self.o.var('kms_keys')}[{list(self.desired).index(purpose)}] ({purpose})"
            if key_id is None:
                candidates = self.scanned.get(purpose, [])
                live = [k for k in candidates if self.o.state.keys[k]["metadata"].get("KeyState") != "PendingDeletion"]
                if len(live) > 1:
                    raise ReconcileError(
                        f"{where}: keys {', '.join(live)} are all tagged for this purpose and {self.o.names.alias(purpose)} "
                        "points at none of them; point the alias at the one in use (aws kms create-alias) and retag the others"
                    )
                key_id = (live or candidates)[0]
                self.found[purpose] = key_id
            metadata = self.o.state.keys[key_id]["metadata"]
            state = metadata.get("KeyState")
            label = f"{self.o.names.alias(purpose)} ({metadata['KeyId']})"
            if state == "PendingDeletion":
                raise ReconcileError(
                    f"{where}: the key {label} is pending deletion (on {metadata.get('DeletionDate')}). Data encrypted with it "
                    f"becomes unreadable then. Cancel the deletion (aws kms cancel-key-deletion --key-id {metadata['KeyId']}, then "
                    f"aws kms enable-key --key-id {metadata['KeyId']}) and converge again; this tier never creates a second "
                    "key for a purpose"
                )
            if state != "Enabled":
                raise ReconcileError(
                    f"{where}: the key {label} is {state}; enable it (aws kms enable-key --key-id {metadata['KeyId']}) "
                    "and converge again"
                )
            if (
                metadata.get("KeyManager") != "CUSTOMER"
                or metadata.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
            ):
                raise ReconcileError(f"{where}: {label} is not a symmetric customer managed key")

    def converge(self):
        for purpose in self.desired:
            alias = self.o.names.alias(purpose)
            tags = self.o.tags(alias.removeprefix("alias/"), **{st.TAG_PURPOSE: purpose})
            policy = self._policy(purpose)
            key_id = self.found.get(purpose)
            if key_id is None:
                if not self.o.changes.add(f"create KMS key {alias} (rotation on)"):
                    self.result_keys[purpose] = {"arn": None, "id": None, "alias": alias}
                    self.o.key_arns[purpose] = None
                    continue
                params = dict(
                    Description=self._description(purpose),
                    KeyUsage="ENCRYPT_DECRYPT",
                    KeySpec="SYMMETRIC_DEFAULT",
                    Policy=json.dumps(policy),
                    Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
                )
                metadata = create_once(
                    lambda params=params: self.kms.create_key(**params),
                    lambda purpose=purpose: self._find_key(purpose),
                    f"KMS key {alias}",
                    self.o.warnings,
                )["KeyMetadata"]
                # The alias first: a run interrupted after it finds the key by alias, not only by tags.
                self._create_alias(alias, metadata["KeyId"])
                self.kms.enable_key_rotation(KeyId=metadata["KeyId"], aws_retry=True)
            else:
                key = self.o.state.keys[key_id]
                metadata = key["metadata"]
                if self.o.state.aliases.get(alias) != key_id and self.o.changes.add(
                    f"point {alias} at the key {key_id} (tagged for {purpose})"
                ):
                    self._create_alias(alias, key_id)
                if key["rotation"] is not True and self.o.changes.add(f"enable automatic rotation of {alias}"):
                    self.kms.enable_key_rotation(KeyId=key_id, aws_retry=True)
                if key["policy"] != policy and self.o.changes.add(f"update the key policy of {alias}"):
                    self.kms.put_key_policy(
                        KeyId=key_id, PolicyName="default", Policy=json.dumps(policy), aws_retry=True
                    )
                description = self._description(purpose)
                if metadata.get("Description") != description and self.o.changes.add(
                    f"update the description of {alias}"
                ):
                    self.kms.update_key_description(KeyId=key_id, Description=description, aws_retry=True)
                sync_tags(self.o.changes, self.kms, "kms", key_id, alias, key["tags"], tags, self.o.purge_tags)
            self.result_keys[purpose] = st.key_summary(alias, metadata)
            self.o.key_arns[purpose] = metadata["Arn"]
        self._orphans()

    def _find_key(self, purpose):
        """The key a CreateKey whose answer was lost made: tagged for ``purpose``, not one read before."""
        known = set(self.o.state.keys)
        for key_id in st.scan_keys(self.kms, self.o.identity, skip=known).get(purpose, []):
            return {"KeyMetadata": self.kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]}
        return None

    def _create_alias(self, alias, key_id):
        def find():
            listed = st.read_aliases(self.kms, self.o.names.base)
            return listed.get(alias) == key_id

        create_once(
            lambda: self.kms.create_alias(AliasName=alias, TargetKeyId=key_id),
            find,
            f"KMS alias {alias}",
            self.o.warnings,
        )

    def _orphans(self):
        """Keys tagged for a purpose whose alias names another key: left by a create retried after its answer
        was lost. Nothing can be encrypted with them through the tier, so they are scheduled for deletion
        (AWS's longest window, 30 days: cancel-key-deletion brings one back)."""
        for purpose, key_ids in sorted(self.scanned.items()):
            if purpose not in self.desired or not self.found.get(purpose):
                continue  # a purpose that left the spec: its keys are kept (see read)
            for key_id in key_ids:
                key = self.o.state.keys.get(key_id)
                if key_id == self.found[purpose] or key is None:
                    continue
                if key["metadata"].get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
                    continue
                alias = self.o.names.alias(purpose)
                self.o.defer(
                    f"schedule the deletion of KMS key {key_id} in 30 days (tagged for {purpose}, but {alias} "
                    "names another key: left by a create whose answer was lost)",
                    lambda key_id=key_id: self.kms.schedule_key_deletion(
                        KeyId=key_id, PendingWindowInDays=30, aws_retry=True
                    ),
                )

    def result(self):
        return {"security_kms_keys": dict(sorted(self.result_keys.items()))}


# -- Secrets Manager ---------------------------------------------------------------------------------------------------------


def generate_value(secret):
    """A new random value from the spec's length and charset (Python's ``secrets``: a CSPRNG)."""
    alphabet = "".join(
        c
        for c in CHARSETS[secret.get("charset") or "alphanumeric"]
        if c not in (secret.get("exclude_characters") or "")
    )
    value = "".join(random_source.choice(alphabet) for _index in range(secret.get("length") or 32))
    if secret.get("username"):
        return json.dumps({"username": secret["username"], "password": value})
    return value


def _key_id(reference):
    """The comparable part of a key reference: a key id, or an alias name."""
    if not reference:
        return None
    tail = reference.rsplit(":", 1)[-1]
    return tail.removeprefix("key/")


class SecretsPart:
    """The environment's secrets. Generated values are made once; inventory values are kept equal to it."""

    name = "secrets"

    def __init__(self, owner):
        self.o = owner
        self.sm = owner.clients["secretsmanager"]
        p = owner.p
        self.prefix = p.get("secrets_prefix") or default_secrets_prefix(p["platform"], p["environment"])
        self.desired = {secret_name(self.prefix, s): s for s in p["secrets"]}
        self.values = {}  # name -> current value, only for source: value (never output)
        self.result_secrets = {}

    def read(self):
        self.o.state.secrets = st.read_secrets(self.sm, prefix=self.prefix)
        compare = [
            name
            for name, secret in self.desired.items()
            if secret.get("source") == "value"
            and name in self.o.state.secrets
            and not self.o.state.secrets[name].get("DeletedDate")
            and st.has_current_value(self.o.state.secrets[name])
        ]
        if compare:
            self.values = st.read_values(self.sm, compare)

    def _kms_reference(self, secret):
        reference = secret.get("kms_key")
        if reference is None:
            reference = self.o.p.get("secrets_kms_key") or ""
        return reference

    def _kms_arn(self, secret):
        """(known, arn): the ARN to set (None: the AWS managed key), and whether it is known yet (check mode)."""
        reference = self._kms_reference(secret)
        if not reference:
            return True, None
        if reference.startswith("arn:"):
            return True, reference
        arn = self.o.key_arns.get(reference)
        return arn is not None, arn

    def before(self):
        found = {}
        for name, current in sorted(self.o.state.secrets.items()):
            tags = st.tags_of(current)
            if not st.is_managed(tags, self.o.identity) and name not in self.desired:
                continue
            rotation = None
            if current.get("RotationEnabled"):
                days = (current.get("RotationRules") or {}).get("AutomaticallyAfterDays")
                rotation = f"every {days} days by {current.get('RotationLambdaARN')}"
            kms = current.get("KmsKeyId")
            purpose = next(
                (
                    alias.removeprefix(f"alias/{self.o.names.base}-")
                    for alias, key_id in self.o.state.aliases.items()
                    if _key_id(kms) in (key_id, alias)
                ),
                None,
            )
            found[name] = {
                "key": tags.get(st.TAG_SECRET),
                "source": tags.get(st.TAG_SOURCE),
                "kms_key": purpose or kms or "aws/secretsmanager",
                "rotation": rotation,
                "value": "<set>" if st.has_current_value(current) else "<none>",
            }
            if current.get("DeletedDate"):
                found[name]["deleted"] = str(current["DeletedDate"])
        return found

    def after(self):
        found = {}
        for name, secret in sorted(self.desired.items()):
            source = secret.get("source") or "generate"
            current = self.o.state.secrets.get(name)
            has = bool(current) and st.has_current_value(current)
            if source == "external":
                value = "<set>" if has else "<none>"
            elif source == "generate":
                value = "<set>" if has else "<generated once>"
            else:
                value = "<set>" if has and self.values.get(name) == secret["value"] else "<from the inventory>"
            rotation = None
            if secret.get("rotation_days"):
                rotation = f"every {secret['rotation_days']} days by {secret['rotation_lambda_arn']}"
            found[name] = {
                "key": secret["key"],
                "source": source,
                "kms_key": self._kms_reference(secret) or "aws/secretsmanager",
                "rotation": rotation,
                "value": value,
            }
        return found

    def check(self):
        for index, (name, secret) in enumerate(self.desired.items()):
            current = self.o.state.secrets.get(name)
            if current and current.get("DeletedDate"):
                raise ReconcileError(
                    f"{self.o.var('secrets')}[{index}] ({secret['key']}): {name} is scheduled for deletion (on {current['DeletedDate']}); "
                    f"restore it (aws secretsmanager restore-secret --secret-id {name}) and converge again, or give the "
                    "secret another name"
                )

    def converge(self):
        for name, secret in self.desired.items():
            source = secret.get("source") or "generate"
            tags = self.o.tags(None, **{st.TAG_SECRET: secret["key"], st.TAG_SOURCE: source})
            known, kms_arn = self._kms_arn(secret)
            description = secret.get("description") or f"{secret['key']} of {self.o.names.base} (stackops, {source})"
            current = self.o.state.secrets.get(name)
            if current is None:
                if not self.o.changes.add(f"create secret {name} ({source})"):
                    self.result_secrets[secret["key"]] = {"arn": None, "name": name}
                    continue
                params = dict(
                    Name=name,
                    Description=description,
                    Tags=ansible_dict_to_boto3_tag_list(tags),
                    ClientRequestToken=client_token(),
                )
                if kms_arn:
                    params["KmsKeyId"] = kms_arn
                if source == "generate":
                    params["SecretString"] = generate_value(secret)
                elif source == "value":
                    params["SecretString"] = secret["value"]
                created = self.sm.create_secret(aws_retry=True, **params)
                current = {"ARN": created["ARN"], "Name": name, "Tags": params["Tags"], "KmsKeyId": kms_arn}
                current["Description"] = description
                if source != "external":
                    current["SecretVersionsToStages"] = {created.get("VersionId", "new"): ["AWSCURRENT"]}
                self.result_secrets[secret["key"]] = st.secret_summary(current)
                self._rotation(name, secret, current)
                continue
            self.result_secrets[secret["key"]] = st.secret_summary(current)
            if not st.is_managed(st.tags_of(current), self.o.identity):
                self.o.warnings.append(
                    f"{self.o.var('secrets')}: adopting {name}, which exists without this tier's tags"
                )
            updates = {}
            if (current.get("Description") or "") != description:
                updates["Description"] = description
            if known and _key_id(current.get("KmsKeyId")) != _key_id(kms_arn):
                updates["KmsKeyId"] = kms_arn or "alias/aws/secretsmanager"
            if not known:
                updates["KmsKeyId"] = None  # the key is created in this run (check mode)
            if updates and self.o.changes.add(f"update secret {name}: {', '.join(sorted(updates))}"):
                self.sm.update_secret(SecretId=name, aws_retry=True, **updates)
            has_value = st.has_current_value(current)
            if source == "value" and (not has_value or self.values.get(name) != secret["value"]):
                if self.o.changes.add(f"set the value of secret {name} from the inventory"):
                    self.sm.put_secret_value(
                        SecretId=name, SecretString=secret["value"], ClientRequestToken=client_token(), aws_retry=True
                    )
            elif source == "generate" and not has_value:
                if self.o.changes.add(f"generate the value of secret {name} (it has none)"):
                    self.sm.put_secret_value(
                        SecretId=name,
                        SecretString=generate_value(secret),
                        ClientRequestToken=client_token(),
                        aws_retry=True,
                    )
            sync_tags(
                self.o.changes,
                self.sm,
                "secretsmanager",
                name,
                f"secret {name}",
                st.tags_of(current),
                tags,
                self.o.purge_tags,
            )
            self._rotation(name, secret, current)
        for name, current in sorted(self.o.state.secrets.items()):
            if (
                name in self.desired
                or current.get("DeletedDate")
                or not st.is_managed(st.tags_of(current), self.o.identity)
            ):
                continue
            if not self.o.p.get("purge_secrets"):
                self.o.warnings.append(
                    f"secret {name} is tagged as part of this tier but not in {self.o.var('secrets')}; set "
                    f"{self.o.var('purge_secrets')} to delete it"
                )
                continue
            window = self.o.p.get("secrets_recovery_window_days") or 30
            self.o.defer(
                f"delete secret {name} (recoverable for {window} days)",
                lambda name=name, window=window: self.sm.delete_secret(
                    SecretId=name, RecoveryWindowInDays=window, aws_retry=True
                ),
            )

    def _rotation(self, name, secret, current):
        days, arn = secret.get("rotation_days"), secret.get("rotation_lambda_arn")
        enabled = bool(current.get("RotationEnabled"))
        if days:
            same = (
                enabled
                and current.get("RotationLambdaARN") == arn
                and (current.get("RotationRules") or {}).get("AutomaticallyAfterDays") == days
            )
            if not same and self.o.changes.add(f"rotate secret {name} every {days} days with {arn}"):
                # Not now: the first rotation happens on the schedule (AWS then tests the function's testSecret step).
                self.sm.rotate_secret(
                    SecretId=name,
                    RotationLambdaARN=arn,
                    RotationRules={"AutomaticallyAfterDays": days},
                    RotateImmediately=False,
                    aws_retry=True,
                )
        elif enabled and self.o.changes.add(f"turn off the rotation of secret {name}"):
            self.sm.cancel_rotate_secret(SecretId=name, aws_retry=True)

    def result(self):
        return {"security_secrets": dict(sorted(self.result_secrets.items()))}


# -- WAF ----------------------------------------------------------------------------------------------------------------------


def _subset(desired, current):
    """Whether ``current`` holds everything ``desired`` says (AWS may add fields of its own)."""
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(k in current and _subset(v, current[k]) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(current, list) and len(desired) == len(current) and all(map(_subset, desired, current))
    return desired == current


class WafPart:
    """The REGIONAL web ACL (for the ALB) and, when asked, the CLOUDFRONT one (in us-east-1), each logging to
    its own CloudWatch Logs group (``aws-waf-logs-...``, the prefix AWS WAF requires)."""

    name = "waf"

    def __init__(self, owner):
        self.o = owner
        p = owner.p
        names = owner.names
        self.scopes = [
            (
                "REGIONAL",
                names.waf_acl,
                names.waf_log_group,
                single_attempt(owner.clients["wafv2"], "CreateWebACL"),
                owner.clients["logs"],
                owner.region,
            )
        ]
        if p.get("waf_cloudfront"):
            self.scopes.append(
                (
                    "CLOUDFRONT",
                    names.waf_cloudfront_acl,
                    names.waf_cloudfront_log_group,
                    single_attempt(owner.clients["wafv2_cloudfront"], "CreateWebACL"),
                    owner.clients["logs_cloudfront"],
                    st.CLOUDFRONT_REGION,
                )
            )
        self.arns = {"REGIONAL": None, "CLOUDFRONT": None}

    def read(self):
        logging = self.o.p.get("waf_logging", True)
        for scope, acl, log_group, wafv2, logs, _region in self.scopes:
            self.o.state.web_acls[scope] = st.read_web_acl(wafv2, acl, scope)
            if logging or (self.o.state.web_acls[scope] or {}).get("logging"):
                self.o.state.log_groups[log_group] = st.read_log_group(logs, log_group)
        if logging:
            self.o.account()
        if not self.o.p.get("waf_cloudfront"):
            found = st.read_web_acl(
                self.o.clients["wafv2_cloudfront"], self.o.names.waf_cloudfront_acl, "CLOUDFRONT", details=False
            )
            if found and st.is_managed(found["tags"], self.o.identity):
                self.arns["CLOUDFRONT"] = found["summary"]["ARN"]

    def _rules(self, acl):
        spec = dict(self.o.p)
        if spec.get("waf_managed_rule_groups") is None:
            spec["waf_managed_rule_groups"] = list(DEFAULT_MANAGED_RULE_GROUPS)
        return waf_rules(spec, acl)

    def _log_kms(self, region):
        reference = self.o.p.get("waf_log_kms_key") or ""
        if not reference:
            return True, None
        arn = reference if reference.startswith("arn:") else self.o.key_arns.get(reference)
        if arn is None and not reference.startswith("arn:"):
            return False, None
        # A log group takes a key of its own region only.
        return True, arn if f":kms:{region}:" in arn else None

    def before(self):
        found = {}
        for scope, _acl, log_group, _wafv2, _logs, _region in self.scopes:
            current = self.o.state.web_acls.get(scope)
            if not current:
                continue
            web_acl = current["acl"]
            destinations = (current["logging"] or {}).get("LogDestinationConfigs", [])
            group = self.o.state.log_groups.get(log_group)
            found[scope.lower()] = {
                "name": web_acl["Name"],
                "default_action": next(iter(web_acl.get("DefaultAction", {})), "").lower(),
                "rules": [
                    describe_waf_rule(r) for r in sorted(web_acl.get("Rules", []), key=lambda r: r.get("Priority", 0))
                ],
                "logging": [d.rsplit(":", 1)[-1] for d in destinations] or None,
                "log_retention_days": (group or {}).get("group", {}).get("retentionInDays"),
            }
        return found

    def after(self):
        logging = self.o.p.get("waf_logging", True)
        return {
            scope.lower(): {
                "name": acl,
                "default_action": self.o.p.get("waf_default_action") or "allow",
                "rules": [describe_waf_rule(r) for r in self._rules(acl)],
                "logging": [log_group] if logging else None,
                "log_retention_days": self.o.p.get("waf_log_retention_days", 90) if logging else None,
            }
            for scope, acl, log_group, _wafv2, _logs, _region in self.scopes
        }

    def check(self):
        pass

    def converge(self):
        for scope, acl, log_group, wafv2, logs, region in self.scopes:
            arn = self._web_acl(scope, acl, wafv2)
            self.arns[scope] = arn
            self._logging(scope, acl, log_group, wafv2, logs, region, arn)

    def _web_acl(self, scope, acl, wafv2):
        p = self.o.p
        tags = self.o.tags(acl, **{st.TAG_SCOPE: scope.lower()})
        rules = self._rules(acl)
        default_action = {"Block": {}} if p.get("waf_default_action") == "block" else {"Allow": {}}
        visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": acl}
        description = f"{self.o.names.base} web ACL ({scope.lower()}, stackops)"
        current = self.o.state.web_acls.get(scope)
        if current is None:
            if not self.o.changes.add(f"create WAF web ACL {acl} ({scope}): {', '.join(r['Name'] for r in rules)}"):
                return None
            found = create_once(
                lambda: wafv2.create_web_acl(
                    Name=acl,
                    Scope=scope,
                    DefaultAction=default_action,
                    Description=description,
                    Rules=rules,
                    VisibilityConfig=visibility,
                    Tags=ansible_dict_to_boto3_tag_list(tags),
                ),
                lambda: st.read_web_acl(wafv2, acl, scope, details=False),
                f"WAF web ACL {acl}",
                self.o.warnings,
            )
            return (found.get("Summary") or found.get("summary"))["ARN"]
        web_acl, arn = current["acl"], current["summary"]["ARN"]
        current_rules = sorted(web_acl.get("Rules", []), key=lambda r: r.get("Priority", 0))
        same = (
            _subset(rules, current_rules)
            and _subset(default_action, web_acl.get("DefaultAction"))
            and _subset(web_acl.get("DefaultAction"), default_action)
            and _subset(visibility, web_acl.get("VisibilityConfig"))
            and (web_acl.get("Description") or "") == description
        )
        if not same and self.o.changes.add(
            f"update WAF web ACL {acl} ({scope}): {', '.join(r['Name'] for r in rules)}"
        ):
            wafv2.update_web_acl(
                Name=acl,
                Scope=scope,
                Id=web_acl["Id"],
                DefaultAction=default_action,
                Description=description,
                Rules=rules,
                VisibilityConfig=visibility,
                LockToken=current["lock_token"],
                aws_retry=True,
            )
        sync_tags(self.o.changes, wafv2, "wafv2", arn, f"WAF web ACL {acl}", current["tags"], tags, self.o.purge_tags)
        return arn

    def _logging(self, scope, acl, log_group, wafv2, logs, region, arn):
        p = self.o.p
        current = self.o.state.web_acls.get(scope) or {}
        configured = (current.get("logging") or {}).get("LogDestinationConfigs", [])
        if not p.get("waf_logging", True):
            if configured and self.o.changes.add(f"stop logging WAF web ACL {acl}"):
                wafv2.delete_logging_configuration(ResourceArn=arn, aws_retry=True)
            return
        group = self.o.state.log_groups.get(log_group)
        tags = self.o.tags(log_group)
        retention = p.get("waf_log_retention_days", 90)
        known, kms_arn = self._log_kms(region)
        if group is None:
            if self.o.changes.add(f"create log group {log_group} ({retention} days)"):
                params = {"logGroupName": log_group, "tags": tags}
                if kms_arn:
                    params["kmsKeyId"] = kms_arn
                create_log_group(logs, params, self.o.warnings)
                logs.put_retention_policy(logGroupName=log_group, retentionInDays=retention, aws_retry=True)
        else:
            if group["group"].get("retentionInDays") != retention and self.o.changes.add(
                f"set the retention of {log_group} to {retention} days"
            ):
                logs.put_retention_policy(logGroupName=log_group, retentionInDays=retention, aws_retry=True)
            current_kms = group["group"].get("kmsKeyId")
            if (
                known
                and kms_arn
                and current_kms != kms_arn
                and self.o.changes.add(f"encrypt {log_group} with {kms_arn}")
            ):
                logs.associate_kms_key(logGroupName=log_group, kmsKeyId=kms_arn, aws_retry=True)
            group_arn = group["group"]["arn"].removesuffix(":*")
            sync_tags(
                self.o.changes,
                logs,
                "logs",
                group_arn,
                f"log group {log_group}",
                group["tags"],
                tags,
                self.o.purge_tags,
            )
        destination = f"arn:{self.o.partition}:logs:{region}:{self.o.account()}:log-group:{log_group}"
        if configured != [destination] and self.o.changes.add(f"log WAF web ACL {acl} to {log_group}"):
            wafv2.put_logging_configuration(
                LoggingConfiguration={"ResourceArn": arn, "LogDestinationConfigs": [destination]}, aws_retry=True
            )

    def result(self):
        return {
            "security_waf_web_acl_arn": self.arns["REGIONAL"],
            "security_waf_cloudfront_web_acl_arn": self.arns["CLOUDFRONT"],
        }
