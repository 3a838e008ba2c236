# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge an EKS cluster in one pass: read everything, check every precondition, then write.

Order: IAM roles (cluster, nodes) → the cluster (created, or its endpoint access and logging updated) →
a version upgrade, one minor version at a time (control plane first, then the node groups) → the OIDC
provider → IAM roles for service accounts → node groups → add-ons. A precondition that fails (a Kubernetes
version downgrade, a change EKS cannot make to a node group) stops the run before its first write.

The reconciler reads, checks the cluster and holds the state; its parts write: ``identity.py`` (roles, OIDC
provider, IRSA roles), ``control_plane.py`` (the cluster and its upgrade), ``admission.py``, ``node_groups.py``,
``addons.py``; the last two also check their own preconditions (what EKS cannot change on a node group, the
add-on versions offered), with the cluster's, before any write.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import after_iam_propagation
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
from .addons import Addons
from .control_plane import ControlPlane
from .identity import Identity
from .node_groups import NodeGroups

IAM_PROPAGATION_TIMEOUT = 60  # seconds; IAM usually takes a few


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
    def after_role_propagation(call, what):
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
        NodeGroups(self).check()
        Addons(self).check()

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

    def after(self):
        after = {
            "cluster": {
                "version": self.p["version"],
                "endpoint_private_access": self.p["endpoint_private_access"],
                "endpoint_public_access": self.p["endpoint_public_access"],
                "public_access_cidrs": sorted(self.public_cidrs()),
                "log_types": sorted(self.p.get("log_types") or []),
                "secrets_encryption": bool(self.p.get("secrets_kms_key"))  # planned even before the key exists
                or bool((self.state.cluster or {}).get("encryptionConfig")),
            },
            "node_groups": {},
            "addons": {},
        }
        before = self.before_snapshot.get("node_groups", {})
        for group in self.p.get("node_groups") or []:
            after["node_groups"][group["name"]] = NodeGroups(self).desired_group(group, before.get(group["name"]))
        for name, group in before.items():
            if name not in after["node_groups"] and not self.p["purge_node_groups"]:
                after["node_groups"][name] = group
        for addon in self.p.get("addons") or []:
            after["addons"][addon["name"]] = self.addon_versions.get(addon["name"])
        for name, version in self.before_snapshot.get("addons", {}).items():
            if name not in after["addons"] and not self.p["purge_addons"]:
                after["addons"][name] = version
        return after

    def public_cidrs(self):
        if not self.p["endpoint_public_access"]:
            return ["0.0.0.0/0"]  # what EKS reports when public access is off
        return list(self.p.get("public_access_cidrs") or ["0.0.0.0/0"])

    # -- converge ------------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.snapshot()
        self.check()
        identity, control_plane = Identity(self), ControlPlane(self)
        identity.roles()
        control_plane.converge()
        admission.converge(self)
        control_plane.upgrade()
        identity.oidc()
        identity.irsa_roles()
        NodeGroups(self).converge()
        Addons(self).converge()

    # IAM ------------------------------------------------------------------------------------------------------

    def wait_update(self, update, nodegroup=None):
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

    def tag_resource(self, arn, have, want, what):
        sync_tags(self.changes, self.eks, "eks", arn, what, have, want, self.purge_tags)

    def issuer(self):
        cluster = self.state.cluster or {}
        return cluster.get("identity", {}).get("oidc", {}).get("issuer")

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
