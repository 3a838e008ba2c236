# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the EKS tier as it is: the cluster, its node groups and add-ons, IAM roles, the OIDC provider,
and (when the inventory does not pass them) the network's subnets and the security tier's groups by tags.

EKS has no batched describe: one DescribeCluster, one ListNodegroups + DescribeNodegroup per node group,
one ListAddons + DescribeAddon per add-on, one DescribeAddonVersions for the catalogue.
"""

from __future__ import annotations

from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate
from ..platform import tag_filters
from .spec import TAINT_EFFECTS_API
from .spec import Names

COMPONENT = "cluster"
TAG_TIER = "stackops:tier"  # the network tier's subnet tag
TAG_GROUP = "stackops:security-group"  # the security tier's group tag


class EksState:
    def __init__(self):
        self.account = None
        self.cluster = None  # describe_cluster()["cluster"] or None
        self.node_groups = {}  # name -> describe_nodegroup()["nodegroup"]
        self.addons = {}  # name -> describe_addon()["addon"]
        self.catalogue = {}  # add-on name -> [{"version", "compatible": {k8s version: default?}}]
        self.roles = {}  # role name -> {"role", "policies": [arn], "inline": {name: document}} or None
        self.oidc_provider_arn = None
        self.oidc_provider_tags = {}
        self.kms_key_arn = None


def read_account(sts):
    return sts.get_caller_identity(aws_retry=True)["Account"]


def read_cluster(eks, name, state):
    found = not_found(lambda: eks.describe_cluster(name=name, aws_retry=True), "ResourceNotFoundException")
    state.cluster = found["cluster"] if found else None
    if not state.cluster:
        return
    for group in paginate(eks, "list_nodegroups", "nodegroups", clusterName=name):
        state.node_groups[group] = eks.describe_nodegroup(clusterName=name, nodegroupName=group, aws_retry=True)[
            "nodegroup"
        ]
    for addon in paginate(eks, "list_addons", "addons", clusterName=name):
        state.addons[addon] = eks.describe_addon(clusterName=name, addonName=addon, aws_retry=True)["addon"]


def read_catalogue(eks, state, kubernetes_version):
    """{add-on: [(version, default for this Kubernetes version)]}, newest first, for one Kubernetes version."""
    catalogue = {}
    for addon in paginate(eks, "describe_addon_versions", "addons", kubernetesVersion=kubernetes_version):
        versions = []
        for version in addon.get("addonVersions", []):
            default = any(c.get("defaultVersion") for c in version.get("compatibilities", []))
            versions.append((version["addonVersion"], default))
        catalogue[addon["addonName"]] = versions
    state.catalogue = catalogue


def read_role(iam, name, state):
    found = not_found(lambda: iam.get_role(RoleName=name, aws_retry=True), "NoSuchEntity")
    if not found:
        state.roles[name] = None
        return
    attached = [p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)]
    inline = {}
    for policy in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        inline[policy] = iam.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)["PolicyDocument"]
    state.roles[name] = {"role": found["Role"], "policies": attached, "inline": inline}


def read_oidc_provider(iam, issuer, state):
    if not issuer:
        return
    host = issuer.removeprefix("https://")
    for provider in iam.list_open_id_connect_providers(aws_retry=True).get("OpenIDConnectProviderList", []):
        if provider["Arn"].endswith(f":oidc-provider/{host}"):
            state.oidc_provider_arn = provider["Arn"]
            tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider["Arn"], aws_retry=True)
            state.oidc_provider_tags = {t["Key"]: t["Value"] for t in tags.get("Tags", [])}
            return


def find_subnets(ec2, platform, environment, tier):
    """The network tier's subnets of ``tier`` (private by default), found by tags, sorted by AZ."""
    filters = tag_filters(identity_tags(platform, environment, "network")) + [
        {"Name": f"tag:{TAG_TIER}", "Values": [tier]}
    ]
    subnets = ec2.describe_subnets(Filters=filters, aws_retry=True)["Subnets"]
    return [s["SubnetId"] for s in sorted(subnets, key=lambda s: (s["AvailabilityZone"], s["CidrBlock"]))]


def find_security_groups(ec2, platform, environment, names):
    """The security tier's groups by name ({name: id}), found by tags."""
    if not names:
        return {}
    filters = tag_filters(identity_tags(platform, environment, "security")) + [
        {"Name": f"tag:{TAG_GROUP}", "Values": list(names)}
    ]
    found = {}
    for group in ec2.describe_security_groups(Filters=filters, aws_retry=True)["SecurityGroups"]:
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        found[tags[TAG_GROUP]] = group["GroupId"]
    return found


def resolve_kms_key(kms, key):
    """A key's ARN from an ARN, an alias name or ARN; None when the alias does not exist."""
    found = not_found(lambda: kms.describe_key(KeyId=key, aws_retry=True), "NotFoundException")
    return found["KeyMetadata"]["Arn"] if found else None


# -- what eks_cluster_info returns ------------------------------------------------------------------------------------

INFO_SERVICES = {"eks": "eks", "iam": "iam"}


def group_view(group):
    """A node group in the spec's terms (``diff``, ``eks_cluster_info``)."""
    scaling = group.get("scalingConfig") or {}
    update = group.get("updateConfig") or {}
    return {
        "instance_types": list(group.get("instanceTypes") or []),
        "capacity_type": group.get("capacityType"),
        "min_size": scaling.get("minSize"),
        "max_size": scaling.get("maxSize"),
        "desired_size": scaling.get("desiredSize"),
        "disk_size": int(group["diskSize"]) if group.get("diskSize") is not None else None,
        "labels": dict(group.get("labels") or {}),
        "taints": sorted(
            f"{t['key']}={t.get('value', '')}:{TAINT_EFFECTS_API.get(t['effect'], t['effect'])}"
            for t in group.get("taints") or []
        ),
        "max_unavailable": update.get("maxUnavailable"),
        "max_unavailable_percentage": update.get("maxUnavailablePercentage"),
        "version": group.get("version"),
    }


def info(clients, params, region):
    """``(exists, facts)``: the cluster, its node groups and add-ons, as ``eks_cluster`` returns them."""
    name = params["name"] or f"{params['platform']}-{params['environment']}"
    names = Names(name, region)
    state = EksState()
    read_cluster(clients["eks"], name, state)
    if state.cluster:
        read_oidc_provider(clients["iam"], state.cluster.get("identity", {}).get("oidc", {}).get("issuer"), state)
        for role in (names.cluster_role, names.node_role):
            read_role(clients["iam"], role, state)
    cluster = state.cluster or {}
    roles = {
        k: (state.roles.get(v) or {}).get("role", {}).get("Arn")
        for k, v in (("cluster", names.cluster_role), ("nodes", names.node_role))
    }
    found = {
        "name": name,
        "arn": cluster.get("arn"),
        "endpoint": cluster.get("endpoint"),
        "certificate_authority": (cluster.get("certificateAuthority") or {}).get("data"),
        "version": cluster.get("version"),
        "status": cluster.get("status"),
        "oidc_issuer": cluster.get("identity", {}).get("oidc", {}).get("issuer"),
        "oidc_provider_arn": state.oidc_provider_arn,
        "node_groups": sorted(state.node_groups),
        "addons": {n: a.get("addonVersion") for n, a in sorted(state.addons.items())},
        "cluster_role_arn": roles["cluster"],
        "node_role_arn": roles["nodes"],
    }
    groups = {n: dict(group_view(g), status=g.get("status")) for n, g in sorted(state.node_groups.items())}
    return bool(state.cluster), {"cluster": found, "node_groups": groups, "addons": found["addons"]}
