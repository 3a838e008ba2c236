# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one OpenSearch Service domain: read, refuse what AWS cannot do in place (before any write), then
master user secret → domain (create, or update its configuration / upgrade its engine) → tags, with bounded
waits. The master password is generated once, never overwritten, never shown."""

from __future__ import annotations

import secrets as random_source
import string

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import client_token
from ..platform import create_once
from ..platform import identity_tags
from ..platform import not_found
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from ..platform import wait_for
from . import state as st
from .spec import version_key

PASSWORD_LENGTH = 32
PASSWORD_SPECIALS = "!#%^*-_=+"
HIDDEN = "<kept in Secrets Manager>"
# The search role's variables where they are not search_<option> (messages name what the user set).
ROLE_NAMES = {"kms_key_id": "kms_key"}


def generate_password():
    """A master password OpenSearch accepts: 8-128 characters with an upper and a lower case letter, a digit
    and a special character."""
    alphabet = string.ascii_letters + string.digits + PASSWORD_SPECIALS
    while True:
        value = "".join(random_source.choice(alphabet) for _i in range(PASSWORD_LENGTH))
        if (
            any(c.islower() for c in value)
            and any(c.isupper() for c in value)
            and any(c.isdigit() for c in value)
            and any(c in PASSWORD_SPECIALS for c in value)
        ):
            return value


class SearchReconciler:
    def __init__(self, params, clients, check_mode):
        self.p = params
        self.clients = clients
        # CreateDomain takes no idempotency token: sent once, then looked for by name after a lost answer.
        self.os = single_attempt(clients["opensearch"], "CreateDomain")
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.purge_tags = tags_purged(params)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.domain = None
        self.tags_now = {}
        self.secret = None
        self.secret_arn = None
        self.before_snapshot = {}

    @property
    def check_mode(self):
        return self.changes.check_mode

    def var(self, option):
        """An option's name as the user wrote it: with ``variable_prefix``, the role's variable."""
        prefix = self.p.get("variable_prefix") or ""
        return prefix + (ROLE_NAMES.get(option, option) if prefix else option)

    def tags(self, name):
        return resource_tags(self.identity, self.p.get("tags"), name=name)

    # -- views -------------------------------------------------------------------------------------------------------

    def desired_config(self):
        p = self.p
        cluster = {
            "InstanceType": p["instance_type"],
            "InstanceCount": p["instance_count"],
            "ZoneAwarenessEnabled": p["zone_awareness"],
        }
        if p["zone_awareness"]:
            cluster["ZoneAwarenessConfig"] = {"AvailabilityZoneCount": p["availability_zone_count"]}
        config = {
            "ClusterConfig": cluster,
            "EBSOptions": {"EBSEnabled": True, "VolumeType": p["volume_type"], "VolumeSize": p["volume_size"]},
            "SnapshotOptions": {"AutomatedSnapshotStartHour": p["automated_snapshot_start_hour"]},
            "DomainEndpointOptions": {
                "EnforceHTTPS": p["enforce_https"],
                "TLSSecurityPolicy": p["tls_security_policy"],
            },
            "VPCOptions": {
                "SubnetIds": sorted(p["subnet_ids"] or []),
                "SecurityGroupIds": sorted(p["security_group_ids"] or []),
            },
            "EncryptionAtRestOptions": {"Enabled": p["encryption_at_rest"]},
            "NodeToNodeEncryptionOptions": {"Enabled": p["node_to_node_encryption"]},
        }
        if p["encryption_at_rest"] and p.get("kms_key_id"):
            config["EncryptionAtRestOptions"]["KmsKeyId"] = p["kms_key_id"]
        if p["fine_grained_access_control"]:
            config["AdvancedSecurityOptions"] = {"Enabled": True, "InternalUserDatabaseEnabled": True}
        return config

    def current_config(self):
        d = self.domain or {}
        desired = self.desired_config()
        current = {}
        for section, wanted in desired.items():
            have = d.get(section) or {}
            current[section] = {key: have.get(key) for key in wanted}
        current["VPCOptions"] = {
            "SubnetIds": sorted((d.get("VPCOptions") or {}).get("SubnetIds") or []),
            "SecurityGroupIds": sorted((d.get("VPCOptions") or {}).get("SecurityGroupIds") or []),
        }
        if "ZoneAwarenessConfig" not in desired["ClusterConfig"] and (d.get("ClusterConfig") or {}).get(
            "ZoneAwarenessConfig"
        ):
            current["ClusterConfig"]["ZoneAwarenessConfig"] = d["ClusterConfig"]["ZoneAwarenessConfig"]
        return current

    def _view(self, config, version, tags, fgac):
        cluster, ebs = config["ClusterConfig"], config["EBSOptions"]
        return {
            "engine_version": version,
            "instances": f"{cluster.get('InstanceCount')} x {cluster.get('InstanceType')}",
            "zone_awareness": (cluster.get("ZoneAwarenessConfig") or {}).get("AvailabilityZoneCount")
            if cluster.get("ZoneAwarenessEnabled")
            else None,
            "ebs": f"{ebs.get('VolumeType')} {ebs.get('VolumeSize')} GiB",
            "encryption_at_rest": config["EncryptionAtRestOptions"].get("Enabled"),
            "node_to_node_encryption": config["NodeToNodeEncryptionOptions"].get("Enabled"),
            "https": config["DomainEndpointOptions"],
            "vpc": config["VPCOptions"],
            "snapshot_hour": config["SnapshotOptions"].get("AutomatedSnapshotStartHour"),
            "fine_grained_access_control": HIDDEN if fgac else None,
            "tags": dict(sorted(tags.items())),
        }

    def before(self):
        if not self.domain:
            return {"domain": None}
        fgac = (self.domain.get("AdvancedSecurityOptions") or {}).get("Enabled")
        return {"domain": self._view(self.current_config(), self.domain.get("EngineVersion"), self.tags_now, fgac)}

    def after(self):
        tags = self.tags(self.p["name"])
        if not self.purge_tags:
            tags = {**self.tags_now, **tags}
        return {
            "domain": self._view(
                self.desired_config(), self.p["engine_version"], tags, self.p["fine_grained_access_control"]
            )
        }

    # -- converge ------------------------------------------------------------------------------------------------------

    def read(self):
        self.domain = st.read_domain(self.os, self.p["name"])
        if self.domain and self.domain.get("Deleted"):
            raise ReconcileError(
                f"{self.var('name')}: the domain {self.p['name']} is being deleted; wait until it is gone"
            )
        if self.domain:
            self.tags_now = st.read_tags(self.os, self.domain["ARN"])
        if self.p["fine_grained_access_control"]:
            self.secret = st.read_secret(self.clients["secretsmanager"], self.p["master_user_secret_name"])
            if self.secret and self.secret.get("DeletedDate"):
                raise ReconcileError(
                    f"{self.var('master_user_secret_name')}: the secret {self.p['master_user_secret_name']} is scheduled for deletion; restore it"
                )
            self.secret_arn = self.secret["ARN"] if self.secret else None

    def check(self):
        if not self.domain:
            if not self.check_mode and (not self.p["subnet_ids"] or not self.p["security_group_ids"]):
                raise ReconcileError(
                    f"{self.var('subnet_ids')} / {self.var('security_group_ids')}: no database subnets or search security group to place the domain in; "
                    "converge playbooks/network.yml and playbooks/security.yml (with a search group) first"
                )
            return
        d, p = self.domain, self.p
        problems = []
        running = d.get("EngineVersion")
        if running and version_key(p["engine_version"]) < version_key(running):
            problems.append(
                f"{self.var('engine_version')}: {p['engine_version']} is lower than the running {running}; OpenSearch cannot downgrade"
            )
        if (d.get("EncryptionAtRestOptions") or {}).get("Enabled") and not p["encryption_at_rest"]:
            problems.append(f"{self.var('encryption_at_rest')}: AWS cannot turn encryption at rest off")
        key = (d.get("EncryptionAtRestOptions") or {}).get("KmsKeyId")
        if key and p.get("kms_key_id") and key != p["kms_key_id"]:
            problems.append(f"{self.var('kms_key_id')}: the domain is encrypted with {key}; AWS cannot change its key")
        if (d.get("NodeToNodeEncryptionOptions") or {}).get("Enabled") and not p["node_to_node_encryption"]:
            problems.append(f"{self.var('node_to_node_encryption')}: AWS cannot turn node-to-node encryption off")
        if (d.get("AdvancedSecurityOptions") or {}).get("Enabled") and not p["fine_grained_access_control"]:
            problems.append(
                f"{self.var('fine_grained_access_control')}: AWS cannot turn fine-grained access control off"
            )
        if not (d.get("VPCOptions") or {}).get("SubnetIds"):
            problems.append(
                f"{self.var('subnet_ids')}: the domain has a public endpoint; AWS cannot move it into a VPC"
            )
        if problems:
            raise ReconcileError("cannot change the domain in place: " + "; ".join(problems))

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self.check()
        password = self._secret()
        if self.domain is None:
            self._create(password)
        else:
            self._update(password)
            self._tags()

    def _secret(self):
        if not self.p["fine_grained_access_control"]:
            return None
        name = self.p["master_user_secret_name"]
        sm = self.clients["secretsmanager"]
        fgac_on = bool((self.domain or {}).get("AdvancedSecurityOptions", {}).get("Enabled"))
        if self.secret is None:
            if self.domain is not None and fgac_on:
                raise ReconcileError(
                    f"{self.var('master_user_secret_name')}: the secret {name} is missing but the domain has a master user; "
                    "restore the secret (its password is not recoverable from AWS)"
                )
            if not self.changes.add(f"create secret {name} with a generated master password"):
                return None
            password = generate_password()
            kwargs = {
                "Name": name,
                "SecretString": password,
                "Description": f"Master user password of the OpenSearch domain {self.p['name']}",
                "Tags": ansible_dict_to_boto3_tag_list(self.tags(name)),
            }
            if self.p.get("master_user_secret_kms_key"):
                kwargs["KmsKeyId"] = self.p["master_user_secret_kms_key"]
            kwargs["ClientRequestToken"] = client_token()  # a retry after a lost answer returns the first secret
            self.secret_arn = sm.create_secret(aws_retry=True, **kwargs)["ARN"]
            return password
        if (self.domain is None or not fgac_on) and not self.check_mode:
            return sm.get_secret_value(SecretId=self.secret_arn, aws_retry=True)["SecretString"]
        return None

    def _security_options(self, password):
        options = {"Enabled": True, "InternalUserDatabaseEnabled": True}
        if password:
            options["MasterUserOptions"] = {
                "MasterUserName": self.p["master_user_name"],
                "MasterUserPassword": password,
            }
        return options

    def _create(self, password):
        p = self.p
        sentence = (
            f"create OpenSearch domain {p['name']} ({p['engine_version']}, {p['instance_count']} x {p['instance_type']}, "
            f"{p['volume_type']} {p['volume_size']} GiB)"
        )
        if not self.changes.add(sentence):
            return
        config = self.desired_config()
        if p["fine_grained_access_control"]:
            config["AdvancedSecurityOptions"] = self._security_options(password)
        if p.get("access_policies"):
            config["AccessPolicies"] = p["access_policies"]
        create_once(
            lambda: self.os.create_domain(
                DomainName=p["name"],
                EngineVersion=p["engine_version"],
                TagList=ansible_dict_to_boto3_tag_list(self.tags(p["name"])),
                **config,
            ),
            lambda: not_found(
                lambda: self.os.describe_domain(DomainName=p["name"], aws_retry=True), "ResourceNotFoundException"
            ),
            f"OpenSearch domain {p['name']}",
            self.warnings,
        )
        self._wait(f"OpenSearch domain {p['name']} to be created")

    def _update(self, password):
        p = self.p
        current, desired = self.current_config(), self.desired_config()
        update, notes = {}, []
        for section, wanted in desired.items():
            if section == "AdvancedSecurityOptions":
                continue
            if current.get(section) != wanted:
                update[section] = wanted
                notes.append(f"{section} {current.get(section)} to {wanted}")
        if p["fine_grained_access_control"] and not (self.domain.get("AdvancedSecurityOptions") or {}).get("Enabled"):
            update["AdvancedSecurityOptions"] = self._security_options(password)
            notes.append("fine-grained access control on (master user in Secrets Manager)")
        if update and self.changes.add(f"update OpenSearch domain {p['name']}: {'; '.join(notes)}"):
            self.os.update_domain_config(DomainName=p["name"], aws_retry=True, **update)
            self._wait(f"OpenSearch domain {p['name']} to apply: {'; '.join(notes)}")
        running = self.domain.get("EngineVersion")
        if version_key(p["engine_version"]) > version_key(running) and self.changes.add(
            f"upgrade OpenSearch domain {p['name']} from {running} to {p['engine_version']}"
        ):
            self.os.upgrade_domain(DomainName=p["name"], TargetVersion=p["engine_version"], aws_retry=True)
            self._wait(f"OpenSearch domain {p['name']} to upgrade to {p['engine_version']}")

    def _tags(self):
        arn = self.domain["ARN"]
        name = self.p["name"]
        sync_tags(
            self.changes,
            self.os,
            "opensearch",
            arn,
            f"OpenSearch domain {name}",
            self.tags_now,
            self.tags(name),
            self.purge_tags,
        )

    def _wait(self, what):
        if not self.p["wait"]:
            return

        def ready():
            domain = st.read_domain(self.os, self.p["name"])
            if domain and not domain.get("Processing") and not domain.get("UpgradeProcessing") and st.endpoint(domain):
                self.domain = domain
                return domain
            return None

        wait_for(ready, self.p["wait_timeout"], what, delay=1.0, max_delay=30.0)

    def result(self):
        domain = self.domain
        if self.changes and not self.check_mode:
            domain = st.read_domain(self.os, self.p["name"])
        found = st.summary(domain, self.secret_arn)
        found["domain_name"] = self.p["name"]
        return found
