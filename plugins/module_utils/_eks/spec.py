# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EKS spec: validation, names and IAM policy documents of the cluster's AWS side.

Pure Python, no AWS calls. Shared by the ``eks_cluster`` module (which validates its options before any API
call) and the ``cluster_eks_spec_errors`` filter the ``cluster`` role runs first, so that messages name the role
variables (``cluster_eks_node_groups[1].taints[0].effect``). The Kubernetes objects are in ``_kube/spec.py``.
"""

from __future__ import annotations

import ipaddress
import json
import re

from .._kube.spec import DNS1123_LABEL
from .._kube.spec import LABEL_VALUE_RE
from .._kube.spec import check_labels
from .._kube.spec import is_int
from .._kube.spec import label_key
from .._kube.spec import unknown_keys
from ..aws_rules import ROLE_ARN_RE
from ..aws_rules import iam_role_name
from ..iam_policies import MANAGED_PER_ROLE_MAX
from ..iam_policies import validate_policies

# Kubernetes versions EKS has offered (standard and extended support). A version outside is refused.
KUBERNETES_VERSIONS = tuple(f"1.{minor}" for minor in range(23, 34))
# CreateCluster logging types (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html).
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Taint effects: Kubernetes spelling (what people write, seed 001) -> the EKS API's (seed 002's NO_SCHEDULE).
TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
TAINT_EFFECTS_API = {api: kube for kube, api in TAINT_EFFECTS.items()}
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
# Graviton (Arm) instance families: a1, and families whose generation digit is followed by g (c6g, m7gd,
# r8g, t4g, x2gd, im4gn, is4gen, g5g); g4dn, g5 and g6 (GPU) are x86.
_ARM_FAMILY_RE = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")


def is_arm_instance_type(instance_type):
    return bool(_ARM_FAMILY_RE.match(instance_type))


AMI_TYPES = (
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2_ARM_64",
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
)
# EKS add-ons this collection knows (aws eks describe-addon-versions); the AWS Load Balancer Controller is not
# an EKS add-on (it is installed with Helm), so it is not in this list.
ADDONS = (
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "eks-pod-identity-agent",
    "snapshot-controller",
    "aws-mountpoint-s3-csi-driver",
    "amazon-cloudwatch-observability",
    "aws-guardduty-agent",
    "adot",
    "metrics-server",  # a community add-on: HorizontalPodAutoscalers read CPU and memory from it
)
# Node groups: CreateNodegroup limits (scalingConfig.maxSize >= 1, updateConfig.maxUnavailable 1-100,
# maxUnavailablePercentage 1-100, at most 50 taints), and a disk of 1 GiB to 16 TiB.
MAX_TAINTS = 50
MAX_DISK_SIZE = 16384

_CLUSTER_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_NODEGROUP_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")
_ADDON_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+(-eksbuild\.\d+)?$")
_INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$")
_KMS_RE = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/-]+|alias/[\w/-]+|[a-z][a-z0-9-]{0,30})$")


class Names:
    """Names of the tier's AWS resources, from the cluster name (``<platform>-<environment>``) and the region.

    IAM is global: an environment with a cluster in two regions (prod and its DR region) needs two sets of roles
    (their trust policies name each cluster's OIDC issuer, their key policies each region's key), so role names
    carry the region.
    """

    def __init__(self, cluster, region):
        self.cluster = cluster
        self.base = f"{cluster}-{region}"
        self.cluster_role = iam_role_name(f"{self.base}-eks-cluster")
        self.node_role = iam_role_name(f"{self.base}-eks-nodes")

    def irsa_role(self, name):
        return iam_role_name(f"{self.base}-irsa-{name}")


# -- validation helpers ---------------------------------------------------------------------------------------------


def version_tuple(version):
    major, minor = str(version).split(".")[:2]
    return int(major), int(minor)


def valid_version(version):
    return isinstance(version, str) and version in KUBERNETES_VERSIONS


def _cidr(value, where, errors):
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        errors.append(f"{where}: {value!r} is not an IPv4 CIDR block (such as 10.0.0.0/8), or has host bits set")
        return None
    if network.version != 4:
        errors.append(f"{where}: {value} is IPv6; EKS public access CIDRs are IPv4")
        return None
    return network


# -- the cluster (AWS side) -------------------------------------------------------------------------------------------

NODE_GROUP_KEYS = (
    "name",
    "instance_types",
    "min_size",
    "max_size",
    "desired_size",
    "capacity_type",
    "disk_size",
    "ami_type",
    "labels",
    "taints",
    "max_unavailable",
    "max_unavailable_percentage",
    "subnet_ids",
    "tags",
)


def validate_cluster(params, prefix=""):
    """Every rule the AWS side of the spec breaks (module option names, with ``prefix``)."""
    errors = []
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or not _CLUSTER_NAME_RE.match(name)):
        errors.append(
            f"{'cluster_name' if prefix else 'name'}: {name!r} must be 1-100 letters, digits, hyphens "
            "or underscores, starting with a letter or digit"
        )
    version = params.get("version")
    if version is not None and not valid_version(str(version)):
        errors.append(
            f"{prefix}version: {version!r} is not a Kubernetes version EKS offers "
            f"({KUBERNETES_VERSIONS[0]} to {KUBERNETES_VERSIONS[-1]}); quote it in YAML, where 1.30 unquoted is the number 1.3"
        )
    private = params.get("endpoint_private_access", True)
    public = params.get("endpoint_public_access", True)
    if not private and not public:
        errors.append(
            f"{prefix}endpoint_public_access: the API server needs private or public access (or both); "
            f"both are off (see {prefix}endpoint_private_access)"
        )
    cidrs = params.get("public_access_cidrs") or []
    if not isinstance(cidrs, list):
        errors.append(f"{prefix}public_access_cidrs: must be a list of IPv4 CIDR blocks")
        cidrs = []
    for index, cidr in enumerate(cidrs):
        _cidr(cidr, f"{prefix}public_access_cidrs[{index}]", errors)
    if public and isinstance(params.get("public_access_cidrs"), list) and not cidrs:
        errors.append(
            f"{prefix}public_access_cidrs: empty with public access on; list the networks that may reach the API "
            "(seed 003: [10.0.0.0/8]) or turn public access off"
        )
    if len(cidrs) > 40:
        errors.append(f"{prefix}public_access_cidrs: EKS takes at most 40 CIDR blocks, got {len(cidrs)}")
    for index, log_type in enumerate(params.get("log_types") or []):
        if log_type not in LOG_TYPES:
            errors.append(
                f"{prefix}log_types[{index}]: {log_type!r} is not an EKS control-plane log type ({', '.join(LOG_TYPES)})"
            )
    key = params.get("secrets_kms_key")
    if key and (not isinstance(key, str) or not _KMS_RE.match(key)):
        errors.append(f"{prefix}secrets_kms_key: {key!r} is not a key purpose, an alias/... name or a KMS key ARN")
    _validate_node_groups(params.get("node_groups"), version, prefix, errors)
    _validate_addons(params.get("addons"), prefix, errors)
    _validate_irsa_roles(params.get("irsa_roles"), prefix, errors)
    for key in params.get("tags") or {}:
        if str(key).startswith(("aws:", "stackops:")):
            errors.append(f"{prefix}tags: {key!r} uses a reserved prefix (aws:, stackops:)")
    return errors


def _validate_node_groups(groups, version, prefix, errors):
    where_all = f"{prefix}node_groups"
    if groups is None:
        return
    if not isinstance(groups, list):
        errors.append(f"{where_all}: must be a list of node groups")
        return
    seen = {}
    for index, group in enumerate(groups):
        where = f"{where_all}[{index}]"
        if not isinstance(group, dict):
            errors.append(f"{where}: must be a mapping with name, instance_types, min_size, max_size")
            continue
        unknown_keys(group, NODE_GROUP_KEYS + ("version",), where, errors)
        name = group.get("name")
        if not isinstance(name, str) or not _NODEGROUP_NAME_RE.match(name):
            errors.append(f"{where}.name: {name!r} must be 1-63 letters, digits, hyphens or underscores")
        elif name in seen:
            errors.append(f"{where}.name: {name} is defined twice (first at {where_all}[{seen[name]}])")
        else:
            seen[name] = index
        types = group.get("instance_types")
        if not isinstance(types, list) or not types:
            errors.append(f"{where}.instance_types: give at least one instance type (such as [t3.xlarge])")
            types = []
        for type_index, instance_type in enumerate(types):
            if not isinstance(instance_type, str) or not _INSTANCE_TYPE_RE.match(instance_type):
                errors.append(f"{where}.instance_types[{type_index}]: {instance_type!r} is not an EC2 instance type")
        capacity = group.get("capacity_type") or "ON_DEMAND"
        if capacity not in CAPACITY_TYPES:
            errors.append(f"{where}.capacity_type: {capacity!r} must be ON_DEMAND or SPOT")
        elif capacity == "SPOT" and len(types) == 1:
            errors.append(
                f"{where}.instance_types: a SPOT node group with the single type {types[0]} loses all its nodes "
                "when that Spot pool is reclaimed; list several interchangeable types (seed 002: "
                "[m5.large, m5a.large, m6i.large])"
            )
        sizes = {}
        for field in ("min_size", "max_size", "desired_size"):
            value = group.get(field)
            if value is None and field == "desired_size":
                continue
            if not is_int(value) or value < 0:
                errors.append(f"{where}.{field}: {value!r} must be a whole number, 0 or more")
            else:
                sizes[field] = value
        low, high = sizes.get("min_size"), sizes.get("max_size")
        if high is not None and high < 1:
            errors.append(f"{where}.max_size: must be at least 1 (EKS refuses a node group of at most 0 nodes)")
        if low is not None and high is not None and low > high:
            errors.append(f"{where}.min_size: {low} is more than max_size {high}")
        desired = sizes.get("desired_size")
        if desired is not None and low is not None and high is not None and low <= high and not low <= desired <= high:
            errors.append(f"{where}.desired_size: {desired} is outside min_size..max_size ({low}..{high})")
        disk = group.get("disk_size")
        if disk is not None and (not is_int(disk) or not 1 <= disk <= MAX_DISK_SIZE):
            errors.append(f"{where}.disk_size: {disk!r} must be a whole number of GiB from 1 to {MAX_DISK_SIZE}")
        ami = group.get("ami_type")
        known = [(i, t) for i, t in enumerate(types) if isinstance(t, str) and _INSTANCE_TYPE_RE.match(t)]
        if ami is None and known:
            # One AMI per node group, for one architecture: EKS refuses Arm and x86 types in one group.
            first_index, first = known[0]
            for type_index, instance_type in known[1:]:
                if is_arm_instance_type(instance_type) != is_arm_instance_type(first):
                    errors.append(
                        f"{where}.instance_types[{type_index}]: {instance_type} is "
                        f"{'an Arm (Graviton)' if is_arm_instance_type(instance_type) else 'an x86'} instance type and "
                        f"{where}.instance_types[{first_index}] {first} is not; a node group runs one AMI, for one "
                        "architecture (make a node group per architecture, with its ami_type)"
                    )
        if ami is not None and ami not in AMI_TYPES:
            errors.append(f"{where}.ami_type: {ami!r} is not one of {', '.join(AMI_TYPES)}")
        elif ami is not None:
            arm_ami = "ARM" in ami
            for type_index, instance_type in enumerate(types):
                if isinstance(instance_type, str) and is_arm_instance_type(instance_type) != arm_ami:
                    errors.append(
                        f"{where}.instance_types[{type_index}]: {instance_type} is "
                        f"{'an Arm (Graviton)' if not arm_ami else 'an x86'} instance type and {where}.ami_type "
                        f"{ami} is for {'Arm' if arm_ami else 'x86'} nodes; EKS refuses the node group (use "
                        f"{'AL2023_x86_64_STANDARD' if arm_ami else 'AL2023_ARM_64_STANDARD'} or another instance type)"
                    )
        check_labels(group.get("labels"), f"{where}.labels", errors)
        taints = group.get("taints") or []
        if not isinstance(taints, list):
            errors.append(f"{where}.taints: must be a list of {{key, value, effect}}")
            taints = []
        if len(taints) > MAX_TAINTS:
            errors.append(f"{where}.taints: EKS takes at most {MAX_TAINTS} taints per node group")
        for taint_index, taint in enumerate(taints):
            taint_where = f"{where}.taints[{taint_index}]"
            if not isinstance(taint, dict):
                errors.append(f"{taint_where}: must be a mapping with key, value and effect")
                continue
            unknown_keys(taint, ("key", "value", "effect"), taint_where, errors)
            if not label_key(taint.get("key")):
                errors.append(f"{taint_where}.key: {taint.get('key')!r} is not a Kubernetes taint key")
            value = taint.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE_RE.match(value)):
                errors.append(f"{taint_where}.value: {value!r} is not a Kubernetes taint value")
            effect = taint.get("effect")
            if effect not in TAINT_EFFECTS and effect not in TAINT_EFFECTS_API:
                errors.append(
                    f"{taint_where}.effect: {effect!r} is not a taint effect Kubernetes knows "
                    "(NoSchedule, PreferNoSchedule, NoExecute)"
                )
        unavailable, percentage = group.get("max_unavailable"), group.get("max_unavailable_percentage")
        if unavailable is not None and percentage is not None:
            errors.append(f"{where}.max_unavailable: give max_unavailable or max_unavailable_percentage, not both")
        if unavailable is not None and (not is_int(unavailable) or not 1 <= unavailable <= 100):
            errors.append(f"{where}.max_unavailable: {unavailable!r} must be a whole number from 1 to 100")
        if percentage is not None and (not is_int(percentage) or not 1 <= percentage <= 100):
            errors.append(f"{where}.max_unavailable_percentage: {percentage!r} must be a whole number from 1 to 100")
        group_version = group.get("version")
        if group_version is not None:
            if not valid_version(str(group_version)):
                errors.append(f"{where}.version: {group_version!r} is not a Kubernetes version EKS offers")
            elif valid_version(str(version)) and version_tuple(group_version) > version_tuple(version):
                errors.append(f"{where}.version: {group_version} is newer than the control plane's {version}")


def _validate_addons(addons, prefix, errors):
    where_all = f"{prefix}addons"
    if addons is None:
        return
    if not isinstance(addons, list):
        errors.append(f"{where_all}: must be a list of add-ons")
        return
    seen = set()
    for index, addon in enumerate(addons):
        where = f"{where_all}[{index}]"
        if not isinstance(addon, dict):
            errors.append(f"{where}: must be a mapping with name (and version), such as {{name: {addon}}}")
            continue
        unknown_keys(
            addon, ("name", "version", "service_account_role_arn", "irsa_role", "configuration_values"), where, errors
        )
        name = addon.get("name")
        if name not in ADDONS:
            errors.append(
                f"{where}.name: {name!r} is not an EKS add-on ({', '.join(ADDONS)}); the AWS Load Balancer "
                "Controller and the cluster autoscaler are installed with Helm, not as add-ons"
            )
            continue
        if name in seen:
            errors.append(f"{where}.name: {name} is listed twice")
        seen.add(name)
        version = addon.get("version")
        if version not in (None, "", "latest") and (
            not isinstance(version, str) or not _ADDON_VERSION_RE.match(version)
        ):
            errors.append(f"{where}.version: {version!r} is not an add-on version (v1.15.1-eksbuild.1, or latest)")
        arn = addon.get("service_account_role_arn")
        if arn and not ROLE_ARN_RE.match(str(arn)):
            errors.append(f"{where}.service_account_role_arn: {arn!r} is not an IAM role ARN")


def _validate_irsa_roles(roles, prefix, errors):
    where_all = f"{prefix}irsa_roles"
    if roles is None:
        return
    if not isinstance(roles, list):
        errors.append(f"{where_all}: must be a list of roles")
        return
    seen = set()
    for index, role in enumerate(roles):
        where = f"{where_all}[{index}]"
        if not isinstance(role, dict):
            errors.append(f"{where}: must be a mapping with name, namespace, service_account, policy_arns")
            continue
        unknown_keys(role, ("name", "namespace", "service_account", "policy_arns", "policies"), where, errors)
        name = role.get("name")
        if not isinstance(name, str) or not DNS1123_LABEL.match(name):
            errors.append(f"{where}.name: {name!r} must be lowercase letters, digits and hyphens")
        elif name in seen:
            errors.append(f"{where}.name: {name} is defined twice")
        seen.add(name)
        for field in ("namespace", "service_account"):
            value = role.get(field)
            if not isinstance(value, str) or len(value) > 63 or not DNS1123_LABEL.match(value):
                errors.append(f"{where}.{field}: {value!r} is not a valid Kubernetes name (DNS-1123 label)")
        for arn_index, arn in enumerate(role.get("policy_arns") or []):
            if not isinstance(arn, str) or not _POLICY_ARN_RE.match(arn):
                errors.append(f"{where}.policy_arns[{arn_index}]: {arn!r} is not an IAM policy ARN")
        validate_policies(role.get("policies"), f"{where}.policies", errors)
        managed = len(role.get("policy_arns") or []) + sum(
            1 for p in role.get("policies") or [] if isinstance(p, dict) and p.get("managed")
        )
        if managed > MANAGED_PER_ROLE_MAX:
            errors.append(f"{where}: {managed} managed policies; IAM attaches at most {MANAGED_PER_ROLE_MAX} to a role")


def check_upgrade(current, desired, what="version"):
    """None when going from ``current`` to ``desired`` is allowed, else why not (a downgrade, or a skip)."""
    if current is None or desired is None or current == desired:
        return None
    have, want = version_tuple(current), version_tuple(desired)
    if want < have:
        return (
            f"{what}: {desired} is older than the cluster's {current}; EKS cannot downgrade a cluster "
            "(detected after reading the cluster, before any write: nothing was changed)"
        )
    return None


def upgrade_path(current, desired):
    """The versions a control plane goes through from ``current`` to ``desired``: EKS upgrades one minor at a time."""
    have, want = version_tuple(current), version_tuple(desired)
    return [f"{have[0]}.{minor}" for minor in range(have[1] + 1, want[1] + 1)]


def taint_to_api(taint):
    effect = taint.get("effect")
    item = {"key": taint["key"], "effect": TAINT_EFFECTS.get(effect, effect)}
    if taint.get("value") not in (None, ""):
        item["value"] = taint["value"]
    return item


# -- IAM policy documents -----------------------------------------------------------------------------------------------

CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


def service_trust(service):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
        sort_keys=True,
    )


def irsa_trust(provider_arn, issuer_host, namespace, service_account):
    """The trust policy of an IAM role for a service account (IRSA)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer_host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer_host}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def kms_policy(key_arn):
    """Inline policy of the cluster role: envelope encryption of Kubernetes secrets with the key."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ListGrants"],
                    "Resource": key_arn,
                }
            ],
        },
        sort_keys=True,
    )
