# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge an EKS cluster in one pass: read everything, check every precondition, then write.

Order: IAM roles (cluster, nodes) → the cluster (created, or its endpoint access and logging updated) →
a version upgrade, one minor version at a time (control plane first, then the node groups) → the OIDC
provider → IAM roles for service accounts → node groups → add-ons. A precondition that fails (a Kubernetes
version downgrade, a change EKS cannot make to a node group) stops the run before its first write.
"""

from __future__ import annotations

import json

from .. import iam_policies
from ..platform import Changes
from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import after_iam_propagation
from ..platform import client_token
from ..platform import create_once
from ..platform import create_role
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tags_purged
from ..platform import wait_for
from . import admission
from . import spec as sp
from . import state as st

# The thumbprint of the root CA of oidc.eks.<region>.amazonaws.com. IAM no longer checks it for EKS
# issuers (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html)
# but CreateOpenIDConnectProvider still wants one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
KMS_POLICY_NAME = "secrets-encryption"
IAM_PROPAGATION_TIMEOUT = 60  # seconds; IAM usually takes a few


def _normalise_json(document):
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True)


class EksReconciler:
    def __init__(self, params, region, clients, check_mode, prefix=""):
        self.p = params
        self.region = region
        self.clients = dict(clients)
        if "iam" in clients:
            # CreateOpenIDConnectProvider takes no token: sent once, found by its URL after a lost answer.
            self.clients["iam"] = single_attempt(clients["iam"], "CreateOpenIDConnectProvider")
        self.prefix = prefix
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.names = sp.Names(params["name"], region)
        self.partition = partition_for(region)
        self.purge_tags = tags_purged(params)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.state = st.EksState()
        self.subnet_ids = []
        self.security_group_ids = []
        self.before_snapshot = {}
        self.role_arns = {}
        self.irsa_role_arns = {}
        self.addon_versions = {}  # name -> the version it should run
        self.cluster_security_group_id = None

    # -- helpers ----------------------------------------------------------------------------------------------

    @staticmethod
    def _after_iam_propagation(call, what):
        """A create naming a role made moments ago: EKS answers InvalidParameterException ("Role ... cannot be
        assumed" / "... is not authorized") until IAM has propagated it, usually within seconds."""
        return after_iam_propagation(call, IAM_PROPAGATION_TIMEOUT, what, ("InvalidParameterException",), ("role",))

    @property
    def check_mode(self):
        return self.changes.check_mode

    def tags(self, name=None, **extra):
        return resource_tags(self.identity, self.p.get("tags"), name=name, **extra)

    def var(self, option):
        return f"{self.prefix}{option}"

    def wait(self, check, what):
        if not self.p["wait"]:
            return None
        try:
            return wait_for(check, self.p["wait_timeout"], what, delay=1.0)
        except WaitTimeout as error:
            raise ReconcileError(str(error)) from None

    @property
    def eks(self):
        return self.clients["eks"]

    @property
    def iam(self):
        return self.clients["iam"]

    def role_arn(self, name):
        return f"arn:{self.partition}:iam::{self.state.account}:role/{name}"

    # -- read --------------------------------------------------------------------------------------------------

    def read(self):
        state = self.state
        state.account = st.read_account(self.clients["sts"])
        st.read_cluster(self.eks, self.p["name"], state)
        for name in (self.names.cluster_role, self.names.node_role):
            st.read_role(self.iam, name, state)
        for role in self.p.get("irsa_roles") or []:
            st.read_role(self.iam, self.names.irsa_role(role["name"]), state)
        if state.cluster and self.p["oidc_provider"]:
            st.read_oidc_provider(self.iam, state.cluster.get("identity", {}).get("oidc", {}).get("issuer"), state)
        if self.p.get("addons"):
            st.read_catalogue(self.eks, state, self.p["version"])
        ec2 = self.clients["ec2"]
        self.subnet_ids = list(self.p.get("subnet_ids") or []) or st.find_subnets(
            ec2, self.p["platform"], self.p["environment"], self.p["subnet_tier"]
        )
        self.security_group_ids = list(self.p.get("security_group_ids") or [])
        if not self.security_group_ids and self.p.get("security_groups"):
            found = st.find_security_groups(ec2, self.p["platform"], self.p["environment"], self.p["security_groups"])
            missing = [n for n in self.p["security_groups"] if n not in found]
            if missing and not state.cluster:
                self.warnings.append(
                    f"security group(s) {', '.join(missing)} of the security tier not found; the cluster gets only "
                    "the group EKS makes (converge playbooks/security.yml first)"
                )
            self.security_group_ids = [found[n] for n in self.p["security_groups"] if n in found]
        key = self.p.get("secrets_kms_key")
        if key:
            if not key.startswith(("arn:", "alias/")):
                key = f"alias/{self.p['platform']}-{self.p['environment']}-{key}"
            state.kms_key_arn = st.resolve_kms_key(self.clients["kms"], key)
            if state.kms_key_arn is None and not state.cluster:
                problem = (
                    f"{self.var('secrets_kms_key')}: the KMS key {key} does not exist; converge playbooks/security.yml "
                    "first, or give a key ARN"
                )
                if not self.check_mode:
                    raise ReconcileError(problem)
                self.warnings.append(problem + " (check mode: planned as if it did)")

    # -- checks (before any write) -------------------------------------------------------------------------------

    def check(self):
        cluster = self.state.cluster
        if not cluster and not [s for s in self.subnet_ids if s]:
            problem = (
                f"{self.var('subnet_ids')}: no subnets given and none of the network tier's "
                f"{self.p['subnet_tier']} subnets found; converge playbooks/network.yml first"
            )
            if not self.check_mode:
                raise ReconcileError(problem)
            self.warnings.append(problem + " (check mode: planned as if they did)")
        if cluster:
            problem = sp.check_upgrade(cluster["version"], self.p["version"], self.var("version"))
            if problem:
                raise ReconcileError(problem)
        for index, group in enumerate(self.p.get("node_groups") or []):
            current = self.state.node_groups.get(group["name"])
            if not current:
                continue
            where = f"{self.var('node_groups')}[{index}]"
            problems = []
            if sorted(current.get("instanceTypes") or []) != sorted(group["instance_types"]):
                problems.append(f"{where}.instance_types: {current.get('instanceTypes')} -> {group['instance_types']}")
            if (current.get("capacityType") or "ON_DEMAND") != group["capacity_type"]:
                problems.append(f"{where}.capacity_type: {current.get('capacityType')} -> {group['capacity_type']}")
            if group.get("disk_size") and int(current.get("diskSize") or 0) != group["disk_size"]:
                problems.append(f"{where}.disk_size: {current.get('diskSize')} -> {group['disk_size']}")
            if group.get("ami_type") and current.get("amiType") and current["amiType"] != group["ami_type"]:
                problems.append(f"{where}.ami_type: {current['amiType']} -> {group['ami_type']}")
            if problems:
                raise ReconcileError(
                    "EKS cannot change these on an existing node group (it must be replaced: give it a new name, "
                    "converge, then remove the old one): " + "; ".join(problems)
                )
            wanted = group.get("version") or self.p["version"]
            problem = sp.check_upgrade(current.get("version"), wanted, f"{where}.version")
            if problem:
                raise ReconcileError(problem)
        for index, addon in enumerate(self.p.get("addons") or []):
            name, version = addon["name"], addon.get("version")
            available = self.state.catalogue.get(name)
            where = f"{self.var('addons')}[{index}]"
            if available is None:
                raise ReconcileError(f"{where}.name: EKS offers no add-on {name} for Kubernetes {self.p['version']}")
            if version in (None, "", "latest"):
                defaults = [v for v, default in available if default] or [v for v, _default in available]
                current = self.state.addons.get(name)
                if version != "latest" and current and current.get("addonVersion") in [v for v, _d in available]:
                    self.addon_versions[name] = current["addonVersion"]  # unpinned: keep a compatible version
                else:
                    self.addon_versions[name] = defaults[0]
            elif version not in [v for v, _d in available]:
                raise ReconcileError(
                    f"{where}.version: {name} {version} is not offered for Kubernetes {self.p['version']} "
                    f"(offered: {', '.join(v for v, _d in available)})"
                )
            else:
                self.addon_versions[name] = version

    # -- snapshots (diff) -----------------------------------------------------------------------------------------

    def snapshot(self):
        cluster = self.state.cluster
        if not cluster:
            return {"cluster": None, "node_groups": {}, "addons": {}}
        vpc = cluster.get("resourcesVpcConfig", {})
        enabled = [
            t
            for entry in cluster.get("logging", {}).get("clusterLogging", [])
            if entry.get("enabled")
            for t in entry["types"]
        ]
        return {
            "cluster": {
                "version": cluster["version"],
                "endpoint_private_access": vpc.get("endpointPrivateAccess"),
                "endpoint_public_access": vpc.get("endpointPublicAccess"),
                "public_access_cidrs": sorted(vpc.get("publicAccessCidrs") or []),
                "log_types": sorted(enabled),
                "secrets_encryption": bool(cluster.get("encryptionConfig")),
            },
            "node_groups": {name: st.group_view(group) for name, group in sorted(self.state.node_groups.items())},
            "addons": {name: addon.get("addonVersion") for name, addon in sorted(self.state.addons.items())},
        }

    def _desired_group(self, group, existing=None):
        view = {
            "instance_types": list(group["instance_types"]),
            "capacity_type": group["capacity_type"],
            "min_size": group["min_size"],
            "max_size": group["max_size"],
            "desired_size": group.get("desired_size", group["min_size"]),
            "disk_size": group.get("disk_size"),
            "labels": dict(group.get("labels") or {}),
            "taints": sorted(
                f"{t['key']}={t.get('value') or ''}:{sp.TAINT_EFFECTS_API.get(t['effect'], t['effect'])}"
                for t in group.get("taints") or []
            ),
            "max_unavailable": group.get("max_unavailable"),
            "max_unavailable_percentage": group.get("max_unavailable_percentage"),
            "version": group.get("version") or self.p["version"],
        }
        if view["max_unavailable"] is None and view["max_unavailable_percentage"] is None:
            view["max_unavailable"] = 1
        if group.get("desired_size") is None and existing:
            # Unset desired size: leave what the cluster autoscaler chose, within min..max.
            current = existing["desired_size"]
            if current is not None and group["min_size"] <= current <= group["max_size"]:
                view["desired_size"] = current
        return view

    def after(self):
        after = {
            "cluster": {
                "version": self.p["version"],
                "endpoint_private_access": self.p["endpoint_private_access"],
                "endpoint_public_access": self.p["endpoint_public_access"],
                "public_access_cidrs": sorted(self._public_cidrs()),
                "log_types": sorted(self.p.get("log_types") or []),
                "secrets_encryption": bool(self.p.get("secrets_kms_key"))  # planned even before the key exists
                or bool((self.state.cluster or {}).get("encryptionConfig")),
            },
            "node_groups": {},
            "addons": {},
        }
        before = self.before_snapshot.get("node_groups", {})
        for group in self.p.get("node_groups") or []:
            after["node_groups"][group["name"]] = self._desired_group(group, before.get(group["name"]))
        for name, group in before.items():
            if name not in after["node_groups"] and not self.p["purge_node_groups"]:
                after["node_groups"][name] = group
        for addon in self.p.get("addons") or []:
            after["addons"][addon["name"]] = self.addon_versions.get(addon["name"])
        for name, version in self.before_snapshot.get("addons", {}).items():
            if name not in after["addons"] and not self.p["purge_addons"]:
                after["addons"][name] = version
        return after

    def _public_cidrs(self):
        if not self.p["endpoint_public_access"]:
            return ["0.0.0.0/0"]  # what EKS reports when public access is off
        return list(self.p.get("public_access_cidrs") or ["0.0.0.0/0"])

    # -- converge ------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.snapshot()
        self.check()
        self.converge_roles()
        self.converge_cluster()
        admission.converge(self)
        self.converge_version()
        self.converge_oidc()
        self.converge_irsa_roles()
        self.converge_node_groups()
        self.converge_addons()

    # IAM ------------------------------------------------------------------------------------------------------

    def _role(self, name, trust, policies, inline=None, purpose=""):
        current = self.state.roles.get(name)
        arn = current["role"]["Arn"] if current else self.role_arn(name)
        managed = [f"arn:{self.partition}:iam::aws:policy/{p}" if not p.startswith("arn:") else p for p in policies]
        tags = self.tags(name, **{"stackops:role": purpose} if purpose else {})
        if not current:
            if self.changes.add(f"create IAM role {name}"):
                create_role(
                    self.iam,
                    dict(
                        RoleName=name,
                        AssumeRolePolicyDocument=trust,
                        Description=f"stackops.platform {purpose or name}",
                        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                    ),
                    self.warnings,
                )
            current = {
                "role": {"AssumeRolePolicyDocument": trust, "Arn": arn, "Tags": []},
                "policies": [],
                "inline": {},
            }
            have_tags = tags
        else:
            have_tags = {t["Key"]: t["Value"] for t in current["role"].get("Tags", [])}
            document = current["role"].get("AssumeRolePolicyDocument")
            if document and _normalise_json(document) != _normalise_json(trust):
                if self.changes.add(f"update the trust policy of IAM role {name}"):
                    self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust, aws_retry=True)
        for policy in managed:
            if policy not in current["policies"] and self.changes.add(
                f"attach {policy.rsplit('/', 1)[-1]} to IAM role {name}"
            ):
                self.iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        for policy in current["policies"]:
            if iam_policies.is_ours(policy, name):
                continue  # a policy document of the inventory: iam_policies converges it
            if policy not in managed and self.changes.add(f"detach {policy.rsplit('/', 1)[-1]} from IAM role {name}"):
                self.iam.detach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        for policy_name, document in (inline or {}).items():
            have = current["inline"].get(policy_name)
            if (have is None or _normalise_json(have) != _normalise_json(document)) and self.changes.add(
                f"put the {policy_name} policy on IAM role {name}"
            ):
                self.iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=document, aws_retry=True)
        sync_tags(self.changes, self.iam, "iam_role", name, f"IAM role {name}", have_tags, tags, self.purge_tags)
        return arn

    def converge_roles(self):
        inline = {}
        if self.state.kms_key_arn:
            inline[KMS_POLICY_NAME] = sp.kms_policy(self.state.kms_key_arn)
        self.role_arns["cluster"] = self._role(
            self.names.cluster_role, sp.service_trust("eks.amazonaws.com"), sp.CLUSTER_POLICIES, inline, "eks-cluster"
        )
        self.role_arns["nodes"] = self._role(
            self.names.node_role, sp.service_trust("ec2.amazonaws.com"), sp.NODE_POLICIES, None, "eks-nodes"
        )

    # cluster --------------------------------------------------------------------------------------------------

    def _logging(self, types):
        types = list(types)
        disabled = [t for t in sp.LOG_TYPES if t not in types]
        entries = []
        if types:
            entries.append({"types": types, "enabled": True})
        if disabled:
            entries.append({"types": disabled, "enabled": False})
        return {"clusterLogging": entries}

    def _wait_cluster(self):
        name = self.p["name"]

        def active():
            cluster = self.eks.describe_cluster(name=name, aws_retry=True)["cluster"]
            return cluster if cluster["status"] == "ACTIVE" else None

        found = self.wait(active, f"EKS cluster {name} to become ACTIVE")
        if found:
            self.state.cluster = found  # the endpoint and CA exist only once the cluster is ACTIVE

    def _wait_update(self, update, nodegroup=None):
        name = self.p["name"]
        params = {"name": name, "updateId": update["id"]}
        if nodegroup:
            params["nodegroupName"] = nodegroup

        def done():
            found = self.eks.describe_update(aws_retry=True, **params)["update"]
            if found["status"] in ("Failed", "Cancelled"):
                errors = "; ".join(e.get("errorMessage", "") for e in found.get("errors", []))
                raise ReconcileError(f"EKS update {found['type']} of {nodegroup or name} {found['status']}: {errors}")
            return found["status"] == "Successful"

        self.wait(done, f"EKS update {update.get('type')} of {nodegroup or name}")

    def converge_cluster(self):
        name, cluster = self.p["name"], self.state.cluster
        vpc = {
            "endpointPrivateAccess": self.p["endpoint_private_access"],
            "endpointPublicAccess": self.p["endpoint_public_access"],
        }
        if self.p["endpoint_public_access"]:
            vpc["publicAccessCidrs"] = self._public_cidrs()
        if not cluster:
            request = {
                "name": name,
                "version": self.p["version"],
                "roleArn": self.role_arns["cluster"],
                "resourcesVpcConfig": {
                    **vpc,
                    "subnetIds": self.subnet_ids,
                    "securityGroupIds": self.security_group_ids,
                },
                "logging": self._logging(self.p.get("log_types") or []),
                "tags": self.tags(name),
                "clientRequestToken": client_token(),
            }
            if self.state.kms_key_arn:
                request["encryptionConfig"] = [
                    {"resources": ["secrets"], "provider": {"keyArn": self.state.kms_key_arn}}
                ]
            if self.changes.add(f"create EKS cluster {name} (Kubernetes {self.p['version']})"):
                self.state.cluster = self._after_iam_propagation(
                    lambda: self.eks.create_cluster(aws_retry=True, **request), f"EKS to accept the roles of {name}"
                )["cluster"]
                self._wait_cluster()
            return
        before = self.before_snapshot["cluster"]
        after = self.after()["cluster"]
        if (
            before["endpoint_private_access"] != after["endpoint_private_access"]
            or before["endpoint_public_access"] != after["endpoint_public_access"]
            or (after["endpoint_public_access"] and before["public_access_cidrs"] != after["public_access_cidrs"])
        ):
            private = "on" if after["endpoint_private_access"] else "off"
            public = f"from {', '.join(after['public_access_cidrs'])}" if after["endpoint_public_access"] else "off"
            if self.changes.add(
                f"update the API endpoint access of EKS cluster {name} (private {private}, public {public})"
            ):
                update = self.eks.update_cluster_config(name=name, resourcesVpcConfig=vpc, aws_retry=True)["update"]
                self._wait_update(update)
        if before["log_types"] != after["log_types"]:
            if self.changes.add(
                f"set the control-plane logs of EKS cluster {name} to {', '.join(after['log_types']) or 'none'}"
            ):
                update = self.eks.update_cluster_config(
                    name=name, logging=self._logging(self.p.get("log_types") or []), aws_retry=True
                )["update"]
                self._wait_update(update)
        if self.state.kms_key_arn and not cluster.get("encryptionConfig"):
            if self.changes.add(f"turn on secrets encryption of EKS cluster {name}"):
                update = self.eks.associate_encryption_config(
                    clusterName=name,
                    encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": self.state.kms_key_arn}}],
                    aws_retry=True,
                )["update"]
                self._wait_update(update)
        elif self.state.kms_key_arn:
            have = cluster["encryptionConfig"][0].get("provider", {}).get("keyArn")
            if have != self.state.kms_key_arn:
                self.warnings.append(
                    f"EKS cluster {name} encrypts secrets with {have}; EKS cannot change the key ({self.var('secrets_kms_key')})"
                )
        self._tag(cluster["arn"], cluster.get("tags") or {}, self.tags(name), f"EKS cluster {name}")

    def _tag(self, arn, have, want, what):
        sync_tags(self.changes, self.eks, "eks", arn, what, have, want, self.purge_tags)

    def converge_version(self):
        cluster = self.state.cluster
        if not cluster or self.before_snapshot["cluster"] is None:
            return
        current, wanted = self.before_snapshot["cluster"]["version"], self.p["version"]
        if current == wanted:
            return
        for step in sp.upgrade_path(current, wanted):
            if self.changes.add(f"upgrade the control plane of EKS cluster {self.p['name']} to Kubernetes {step}"):
                update = self.eks.update_cluster_version(
                    name=self.p["name"], version=step, clientRequestToken=client_token(), aws_retry=True
                )["update"]
                self._wait_update(update)

    # OIDC and IRSA ------------------------------------------------------------------------------------------------

    def issuer(self):
        cluster = self.state.cluster or {}
        return cluster.get("identity", {}).get("oidc", {}).get("issuer")

    def converge_oidc(self):
        if not self.p["oidc_provider"]:
            return
        issuer = self.issuer()
        if self.state.oidc_provider_arn is None and issuer:
            st.read_oidc_provider(self.iam, issuer, self.state)  # a cluster created in this run
        tags = self.tags(f"{self.p['name']}-oidc")
        if self.state.oidc_provider_arn:
            sync_tags(
                self.changes,
                self.iam,
                "iam_oidc_provider",
                self.state.oidc_provider_arn,
                f"the OIDC provider of EKS cluster {self.p['name']}",
                self.state.oidc_provider_tags,
                tags,
                self.purge_tags,
            )
            return
        if self.changes.add(
            f"create the IAM OIDC provider of EKS cluster {self.p['name']} (IAM roles for service accounts)"
        ):
            host = issuer.removeprefix("https://")
            self.state.oidc_provider_arn = create_once(
                lambda: self.iam.create_open_id_connect_provider(
                    Url=issuer,
                    ClientIDList=["sts.amazonaws.com"],
                    ThumbprintList=[EKS_OIDC_THUMBPRINT],
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                ),
                lambda: next(
                    (
                        {"OpenIDConnectProviderArn": p["Arn"]}
                        for p in self.iam.list_open_id_connect_providers(aws_retry=True)["OpenIDConnectProviderList"]
                        if p["Arn"].endswith(f":oidc-provider/{host}")
                    ),
                    None,
                ),
                f"the IAM OIDC provider of EKS cluster {self.p['name']}",
                self.warnings,
            )["OpenIDConnectProviderArn"]

    def converge_irsa_roles(self):
        issuer = self.issuer()
        for role in self.p.get("irsa_roles") or []:
            name = self.names.irsa_role(role["name"])
            provider = self.state.oidc_provider_arn
            if not provider or not issuer:
                # Check mode before the cluster exists: the role is planned, its trust policy is not known yet.
                self.changes.add(
                    f"create IAM role {name} for service account {role['namespace']}/{role['service_account']}"
                )
                self.irsa_role_arns[role["name"]] = self.role_arn(name)
                continue
            trust = sp.irsa_trust(provider, issuer.removeprefix("https://"), role["namespace"], role["service_account"])
            self.irsa_role_arns[role["name"]] = self._role(name, trust, role.get("policy_arns") or [], None, "irsa")
            current = self.state.roles.get(name) or {"policies": [], "inline": {}}
            iam_policies.converge(
                self.iam,
                self.changes,
                name,
                role.get("policies") or [],
                current["inline"],
                current["policies"],
                self.partition,
                self.state.account,
                self.tags(name),
            )

    # node groups ------------------------------------------------------------------------------------------------

    def converge_node_groups(self):
        name = self.p["name"]
        before = self.before_snapshot["node_groups"]
        for group in self.p.get("node_groups") or []:
            group_name = group["name"]
            want = self._desired_group(group, before.get(group_name))
            update_config = (
                {"maxUnavailable": want["max_unavailable"]}
                if want["max_unavailable"] is not None
                else {"maxUnavailablePercentage": want["max_unavailable_percentage"]}
            )
            scaling = {"minSize": want["min_size"], "maxSize": want["max_size"], "desiredSize": want["desired_size"]}
            taints = [sp.taint_to_api(t) for t in group.get("taints") or []]
            current = self.state.node_groups.get(group_name)
            if not current:
                request = {
                    "clusterName": name,
                    "nodegroupName": group_name,
                    "scalingConfig": scaling,
                    "subnets": list(group.get("subnet_ids") or self.subnet_ids),
                    "instanceTypes": want["instance_types"],
                    "capacityType": want["capacity_type"],
                    "nodeRole": self.role_arns["nodes"],
                    "labels": want["labels"],
                    "taints": taints,
                    "updateConfig": update_config,
                    "version": want["version"],
                    "tags": self.tags(f"{name}-{group_name}", **{"stackops:node-group": group_name}),
                    "clientRequestToken": client_token(),
                }
                if want["disk_size"]:
                    request["diskSize"] = want["disk_size"]
                if group.get("ami_type"):
                    request["amiType"] = group["ami_type"]
                sentence = (
                    f"create node group {group_name} ({want['capacity_type']} {', '.join(want['instance_types'])}, "
                    f"{want['min_size']}-{want['max_size']} nodes, desired {want['desired_size']})"
                )
                if self.changes.add(sentence):
                    self._after_iam_propagation(
                        lambda r=request: self.eks.create_nodegroup(aws_retry=True, **r),
                        f"EKS to accept the node role for {group_name}",
                    )
                    self.wait(
                        lambda g=group_name: (
                            self.eks.describe_nodegroup(clusterName=name, nodegroupName=g, aws_retry=True)["nodegroup"][
                                "status"
                            ]
                            == "ACTIVE"
                        ),
                        f"node group {group_name} to become ACTIVE",
                    )
                continue
            have = before[group_name]
            config = {}
            if (have["min_size"], have["max_size"], have["desired_size"]) != (
                want["min_size"],
                want["max_size"],
                want["desired_size"],
            ):
                config["scalingConfig"] = scaling
            if have["labels"] != want["labels"]:
                labels = {}
                add = {k: v for k, v in want["labels"].items() if have["labels"].get(k) != v}
                remove = [k for k in have["labels"] if k not in want["labels"]]
                if add:
                    labels["addOrUpdateLabels"] = add
                if remove:
                    labels["removeLabels"] = remove
                config["labels"] = labels
            if have["taints"] != want["taints"]:
                have_api = {(t["key"], t["effect"]): t for t in current.get("taints") or []}
                want_api = {(t["key"], t["effect"]): t for t in taints}
                update = {}
                add = [t for k, t in want_api.items() if have_api.get(k) != t]
                remove = [t for k, t in have_api.items() if k not in want_api]
                if add:
                    update["addOrUpdateTaints"] = add
                if remove:
                    update["removeTaints"] = remove
                config["taints"] = update
            if (have["max_unavailable"], have["max_unavailable_percentage"]) != (
                want["max_unavailable"],
                want["max_unavailable_percentage"],
            ):
                config["updateConfig"] = update_config
            if config:
                what = ", ".join(
                    {
                        "scalingConfig": "scaling",
                        "labels": "labels",
                        "taints": "taints",
                        "updateConfig": "max unavailable",
                    }[k]
                    for k in config
                )
                if self.changes.add(f"update node group {group_name}: {what}"):
                    update = self.eks.update_nodegroup_config(
                        clusterName=name,
                        nodegroupName=group_name,
                        clientRequestToken=client_token(),
                        aws_retry=True,
                        **config,
                    )["update"]
                    self._wait_update(update, group_name)
            if have["version"] != want["version"]:
                if self.changes.add(f"upgrade node group {group_name} to Kubernetes {want['version']}"):
                    update = self.eks.update_nodegroup_version(
                        clusterName=name,
                        nodegroupName=group_name,
                        version=want["version"],
                        clientRequestToken=client_token(),
                        aws_retry=True,
                    )["update"]
                    self._wait_update(update, group_name)
            want_tags = self.tags(f"{name}-{group_name}", **{"stackops:node-group": group_name})
            self._tag(current["nodegroupArn"], current.get("tags") or {}, want_tags, f"node group {group_name}")
        wanted = {g["name"] for g in self.p.get("node_groups") or []}
        for group_name in sorted(set(self.state.node_groups) - wanted):
            if not self.p["purge_node_groups"]:
                self.warnings.append(
                    f"node group {group_name} is not in {self.var('node_groups')} (purge_node_groups is off)"
                )
            elif self.changes.add(f"delete node group {group_name}"):
                self.eks.delete_nodegroup(clusterName=name, nodegroupName=group_name, aws_retry=True)

    # add-ons ------------------------------------------------------------------------------------------------------

    def converge_addons(self):
        name = self.p["name"]
        for addon in self.p.get("addons") or []:
            addon_name = addon["name"]
            version = self.addon_versions[addon_name]
            role = addon.get("service_account_role_arn") or self.irsa_role_arns.get(addon.get("irsa_role") or "")
            current = self.state.addons.get(addon_name)
            if not current:
                request = {
                    "clusterName": name,
                    "addonName": addon_name,
                    "addonVersion": version,
                    "resolveConflicts": "OVERWRITE",
                    "tags": self.tags(f"{name}-{addon_name}"),
                    "clientRequestToken": client_token(),
                }
                if role:
                    request["serviceAccountRoleArn"] = role
                if addon.get("configuration_values"):
                    request["configurationValues"] = json.dumps(addon["configuration_values"], sort_keys=True)
                if self.changes.add(f"install add-on {addon_name} {version}"):
                    self.eks.create_addon(aws_retry=True, **request)
                continue
            update = {}
            if current.get("addonVersion") != version:
                update["addonVersion"] = version
            if role and current.get("serviceAccountRoleArn") != role:
                update["serviceAccountRoleArn"] = role
            if addon.get("configuration_values"):
                values = json.dumps(addon["configuration_values"], sort_keys=True)
                if _normalise_json(current.get("configurationValues") or "{}") != values:
                    update["configurationValues"] = values
            if update:
                sentence = (
                    f"update add-on {addon_name} from {current.get('addonVersion')} to {version}"
                    if "addonVersion" in update
                    else f"update add-on {addon_name} ({', '.join(sorted(update))})"
                )
                if self.changes.add(sentence):
                    self.eks.update_addon(
                        clusterName=name,
                        addonName=addon_name,
                        resolveConflicts="PRESERVE",
                        clientRequestToken=client_token(),
                        aws_retry=True,
                        **update,
                    )
            self._tag(
                current["addonArn"],
                current.get("tags") or {},
                self.tags(f"{name}-{addon_name}"),
                f"add-on {addon_name}",
            )
        wanted = {a["name"] for a in self.p.get("addons") or []}
        for addon_name in sorted(set(self.state.addons) - wanted):
            if self.p["purge_addons"] and self.changes.add(f"remove add-on {addon_name}"):
                self.eks.delete_addon(clusterName=name, addonName=addon_name, aws_retry=True)

    # -- result -----------------------------------------------------------------------------------------------------

    def result(self):
        cluster = self.state.cluster or {}
        return {
            "name": self.p["name"],
            "arn": cluster.get("arn"),
            "endpoint": cluster.get("endpoint"),
            "certificate_authority": (cluster.get("certificateAuthority") or {}).get("data"),
            "version": self.p["version"] if (cluster or self.check_mode) else None,
            "oidc_issuer": self.issuer(),
            "oidc_provider_arn": self.state.oidc_provider_arn,
            "node_groups": sorted(g["name"] for g in self.p.get("node_groups") or []),
            "addons": dict(self.addon_versions),
            "cluster_role_arn": self.role_arns.get("cluster"),
            "node_role_arn": self.role_arns.get("nodes"),
            "irsa_role_arns": dict(self.irsa_role_arns),
            "subnet_ids": list(self.subnet_ids),
            "security_group_ids": list(self.security_group_ids),
            "cluster_security_group_id": (cluster.get("resourcesVpcConfig") or {}).get("clusterSecurityGroupId")
            or self.cluster_security_group_id,
            "account": self.state.account,
        }
