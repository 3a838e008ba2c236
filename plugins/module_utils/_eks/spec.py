# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EKS spec: validation, names, IAM policy documents, and the Kubernetes objects of the platform.

Pure Python, no AWS or Kubernetes calls. Shared by the ``eks_cluster`` and ``kube_objects`` modules (which
validate their options before any API call) and the ``cluster_eks_spec_errors`` / ``cluster_eks_kube_objects``
filters the ``cluster`` role runs first, so that messages name the role variables
(``cluster_eks_node_groups[1].taints[0].effect``).
"""

from __future__ import annotations

import ipaddress
import json
import re

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
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_KMS_RE = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/-]+|alias/[\w/-]+|[a-z][a-z0-9-]{0,30})$")
# Kubernetes names: DNS-1123 label (namespaces, services), subdomain (most objects), label keys and values.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUANTITY_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e\d+)?$")

MANAGED_BY = "stackops.platform"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_CLUSTER = "stackops.platform/cluster"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


class Names:
    """Names of the tier's AWS resources, from the cluster name (``<platform>-<environment>``) and the region.

    IAM is global: an environment with a cluster in two regions (prod and its DR region) needs two sets of roles
    (their trust policies name each cluster's OIDC issuer, their key policies each region's key), so role names
    carry the region.
    """

    def __init__(self, cluster, region):
        self.cluster = cluster
        self.base = f"{cluster}-{region}"
        self.cluster_role = f"{self.base}-eks-cluster"[:64]
        self.node_role = f"{self.base}-eks-nodes"[:64]

    def irsa_role(self, name):
        return f"{self.base}-irsa-{name}"[:64]


# -- validation helpers ---------------------------------------------------------------------------------------------


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


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


def _label_key(key):
    if not isinstance(key, str) or not key:
        return False
    prefix, _sep, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME_RE.match(name))


def _labels(labels, where, errors):
    if labels in (None, {}):
        return
    if not isinstance(labels, dict):
        errors.append(f"{where}: must be a mapping of label keys to values")
        return
    for key, value in labels.items():
        if not _label_key(key):
            errors.append(
                f"{where}: {key!r} is not a Kubernetes label key (name or prefix/name, 63 characters at most)"
            )
        elif not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
            errors.append(f"{where}.{key}: {value!r} is not a Kubernetes label value (a string, 63 characters at most)")


def _unknown(item, allowed, where, errors):
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")


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
        _unknown(group, NODE_GROUP_KEYS + ("version",), where, errors)
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
            if not _is_int(value) or value < 0:
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
        if disk is not None and (not _is_int(disk) or not 1 <= disk <= MAX_DISK_SIZE):
            errors.append(f"{where}.disk_size: {disk!r} must be a whole number of GiB from 1 to {MAX_DISK_SIZE}")
        ami = group.get("ami_type")
        if ami is not None and ami not in AMI_TYPES:
            errors.append(f"{where}.ami_type: {ami!r} is not one of {', '.join(AMI_TYPES)}")
        _labels(group.get("labels"), f"{where}.labels", errors)
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
            _unknown(taint, ("key", "value", "effect"), taint_where, errors)
            if not _label_key(taint.get("key")):
                errors.append(f"{taint_where}.key: {taint.get('key')!r} is not a Kubernetes taint key")
            value = taint.get("value")
            if value is not None and (
                not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE_RE.match(value)
            ):
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
        if unavailable is not None and (not _is_int(unavailable) or not 1 <= unavailable <= 100):
            errors.append(f"{where}.max_unavailable: {unavailable!r} must be a whole number from 1 to 100")
        if percentage is not None and (not _is_int(percentage) or not 1 <= percentage <= 100):
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
        _unknown(
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
        if arn and not _ROLE_ARN_RE.match(str(arn)):
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
        _unknown(role, ("name", "namespace", "service_account", "policy_arns"), where, errors)
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


# -- Kubernetes objects --------------------------------------------------------------------------------------------------

WORKLOAD_KEYS = (
    "name",
    "namespace",
    "image",
    "port",
    "replicas",
    "command",
    "args",
    "env",
    "secret_env",
    "env_from",
    "resources",
    "liveness_probe",
    "readiness_probe",
    "strategy",
    "service",
    "service_account",
    "hpa",
    "labels",
    "pod_annotations",
    "node_selector",
    "tolerations",
)


def _probe_errors(probe, where, errors):
    if probe is None:
        return
    if not isinstance(probe, dict):
        errors.append(
            f"{where}: must be a mapping with path (and port, initial_delay, period, timeout, failure_threshold)"
        )
        return
    _unknown(probe, ("path", "port", "initial_delay", "period", "timeout", "failure_threshold"), where, errors)
    if not isinstance(probe.get("path"), str) or not probe["path"].startswith("/"):
        errors.append(f"{where}.path: {probe.get('path')!r} must be an HTTP path starting with /")
    for field in ("initial_delay", "period", "timeout", "failure_threshold"):
        value = probe.get(field)
        if value is not None and (not _is_int(value) or value < 0):
            errors.append(f"{where}.{field}: {value!r} must be a whole number of seconds, 0 or more")


def _resources_errors(resources, where, errors):
    if resources is None:
        return
    if not isinstance(resources, dict):
        errors.append(f"{where}: must be a mapping with requests and limits")
        return
    _unknown(resources, ("requests", "limits"), where, errors)
    for part in ("requests", "limits"):
        for resource, value in (resources.get(part) or {}).items():
            if not _QUANTITY_RE.match(str(value)):
                errors.append(f"{where}.{part}.{resource}: {value!r} is not a Kubernetes quantity (250m, 512Mi, 1)")
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for resource in set(requests) & set(limits):
        try:
            if parse_quantity(requests[resource]) > parse_quantity(limits[resource]):
                errors.append(
                    f"{where}.requests.{resource}: {requests[resource]} is more than the limit {limits[resource]}"
                )
        except ValueError:
            pass


_SUFFIXES = {
    "m": 0.001,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def parse_quantity(value):
    """A Kubernetes quantity as a float (``"250m"`` → 0.25, ``"1Gi"`` → 1073741824). Raises ValueError."""
    text = str(value).strip()
    match = re.match(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(e\d+|[a-zA-Z]*)$", text)
    if not match:
        raise ValueError(f"{value!r} is not a quantity")
    number, suffix = match.groups()
    if suffix.startswith("e"):
        return float(number) * 10 ** int(suffix[1:])
    if suffix not in _SUFFIXES:
        raise ValueError(f"{value!r} has an unknown suffix")
    return float(number) * _SUFFIXES[suffix]


def _name(value, where, errors, pattern=DNS1123_LABEL, max_length=63, what="DNS-1123 label"):
    if not isinstance(value, str) or len(value) > max_length or not pattern.match(value):
        errors.append(
            f"{where}: {value!r} is not a valid Kubernetes name ({what}: lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit, at most {max_length} characters)"
        )
        return False
    return True


def validate_kube(params, prefix=""):
    """Every rule the Kubernetes side of the spec breaks: namespaces, workloads, ingresses, network policies."""
    errors = []
    namespaces = []
    for index, item in enumerate(params.get("namespaces") or []):
        where = f"{prefix}namespaces[{index}]"
        namespace = {"name": item} if isinstance(item, str) else item
        if not isinstance(namespace, dict):
            errors.append(f"{where}: must be a name or a mapping with name and labels")
            continue
        _unknown(namespace, ("name", "labels"), where, errors)
        if _name(namespace.get("name"), f"{where}.name", errors):
            if namespace["name"] in namespaces:
                errors.append(f"{where}.name: {namespace['name']} is listed twice")
            namespaces.append(namespace["name"])
        _labels(namespace.get("labels"), f"{where}.labels", errors)
    seen = set()
    for index, workload in enumerate(params.get("workloads") or []):
        where = f"{prefix}workloads[{index}]"
        if not isinstance(workload, dict):
            errors.append(f"{where}: must be a mapping with name, namespace, image")
            continue
        _unknown(workload, WORKLOAD_KEYS, where, errors)
        ok = _name(workload.get("name"), f"{where}.name", errors)
        namespace = workload.get("namespace")
        if _name(namespace, f"{where}.namespace", errors) and namespaces and namespace not in namespaces:
            errors.append(f"{where}.namespace: {namespace} is not in {prefix}namespaces")
        if ok and (namespace, workload["name"]) in seen:
            errors.append(f"{where}.name: {workload['name']} is defined twice in namespace {namespace}")
        seen.add((namespace, workload.get("name")))
        if not isinstance(workload.get("image"), str) or not workload["image"]:
            errors.append(f"{where}.image: give the container image")
        port = workload.get("port")
        if port is not None and (not _is_int(port) or not 1 <= port <= 65535):
            errors.append(f"{where}.port: {port!r} must be a port from 1 to 65535")
        replicas = workload.get("replicas", 1)
        if not _is_int(replicas) or replicas < 0:
            errors.append(f"{where}.replicas: {replicas!r} must be a whole number, 0 or more")
        _resources_errors(workload.get("resources"), f"{where}.resources", errors)
        _probe_errors(workload.get("liveness_probe"), f"{where}.liveness_probe", errors)
        _probe_errors(workload.get("readiness_probe"), f"{where}.readiness_probe", errors)
        for probe in ("liveness_probe", "readiness_probe"):
            if isinstance(workload.get(probe), dict) and port is None and workload[probe].get("port") is None:
                errors.append(f"{where}.{probe}.port: give the port (the workload has no port)")
        _labels(workload.get("labels"), f"{where}.labels", errors)
        service = workload.get("service")
        if isinstance(service, dict):
            service_port = service.get("port", 80)
            if not _is_int(service_port) or not 1 <= service_port <= 65535:
                errors.append(f"{where}.service.port: {service_port!r} must be a port from 1 to 65535")
            if port is None:
                errors.append(f"{where}.service: a service needs the workload's port")
        account = workload.get("service_account")
        if isinstance(account, dict):
            _name(
                account.get("name"),
                f"{where}.service_account.name",
                errors,
                DNS1123_SUBDOMAIN,
                253,
                "DNS-1123 subdomain",
            )
            arn = account.get("role_arn")
            if arn and not _ROLE_ARN_RE.match(str(arn)):
                errors.append(f"{where}.service_account.role_arn: {arn!r} is not an IAM role ARN")
        elif account is not None and not isinstance(account, str):
            errors.append(f"{where}.service_account: a name or a mapping with name (and role_arn or irsa_role)")
        hpa = workload.get("hpa")
        if hpa is not None:
            if not isinstance(hpa, dict):
                errors.append(f"{where}.hpa: must be a mapping with min, max and cpu / memory / metrics")
            else:
                _unknown(hpa, ("min", "max", "cpu", "memory", "metrics", "behavior"), where + ".hpa", errors)
                low, high = hpa.get("min", 1), hpa.get("max")
                if not _is_int(low) or low < 1:
                    errors.append(f"{where}.hpa.min: {low!r} must be a whole number, 1 or more")
                if not _is_int(high) or high < 1:
                    errors.append(f"{where}.hpa.max: {high!r} must be a whole number, 1 or more")
                elif _is_int(low) and low > high:
                    errors.append(f"{where}.hpa.min: {low} is more than hpa.max {high}")
                for field in ("cpu", "memory"):
                    value = hpa.get(field)
                    if value is not None and (not _is_int(value) or not 1 <= value <= 1000):
                        errors.append(
                            f"{where}.hpa.{field}: {value!r} must be a target utilisation in percent (1-1000)"
                        )
                if not any(hpa.get(k) for k in ("cpu", "memory", "metrics")):
                    errors.append(f"{where}.hpa: give a target (cpu, memory, or metrics)")
    for index, ingress in enumerate(params.get("ingresses") or []):
        where = f"{prefix}ingresses[{index}]"
        if not isinstance(ingress, dict):
            errors.append(f"{where}: must be a mapping with name, namespace, rules")
            continue
        _unknown(ingress, ("name", "namespace", "class", "annotations", "host", "paths", "tls_hosts"), where, errors)
        _name(ingress.get("name"), f"{where}.name", errors, DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
        _name(ingress.get("namespace"), f"{where}.namespace", errors)
        for path_index, path in enumerate(ingress.get("paths") or []):
            if not isinstance(path, dict) or not str(path.get("path", "")).startswith("/"):
                errors.append(f"{where}.paths[{path_index}].path: must start with /")
            elif not path.get("service"):
                errors.append(f"{where}.paths[{path_index}].service: name the service")
    for index, policy in enumerate(params.get("network_policies") or []):
        where = f"{prefix}network_policies[{index}]"
        if not isinstance(policy, dict):
            errors.append(f"{where}: must be a mapping with name, namespace and the policy's spec")
            continue
        _unknown(policy, ("name", "namespace", "pod_selector", "policy_types", "ingress", "egress"), where, errors)
        _name(policy.get("name"), f"{where}.name", errors, DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
        _name(policy.get("namespace"), f"{where}.namespace", errors)
        for type_index, kind in enumerate(policy.get("policy_types") or []):
            if kind not in ("Ingress", "Egress"):
                errors.append(f"{where}.policy_types[{type_index}]: {kind!r} must be Ingress or Egress")
    for index, item in enumerate(params.get("objects") or []):
        where = f"{prefix}objects[{index}]"
        errors.extend(validate_manifest(item, where))
    return errors


def validate_manifest(item, where):
    errors = []
    if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
        return [f"{where}: a Kubernetes object needs apiVersion, kind and metadata.name"]
    metadata = item.get("metadata") or {}
    pattern, length, what = (
        (DNS1123_LABEL, 63, "DNS-1123 label")
        if item["kind"] in ("Namespace", "Service")
        else (DNS1123_SUBDOMAIN, 253, "DNS-1123 subdomain")
    )
    _name(metadata.get("name"), f"{where}.metadata.name", errors, pattern, length, what)
    if metadata.get("namespace") is not None:
        _name(metadata.get("namespace"), f"{where}.metadata.namespace", errors)
    if item["kind"] == "HorizontalPodAutoscaler":
        spec = item.get("spec") or {}
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if _is_int(low) and _is_int(high) and low > high:
            errors.append(f"{where}.spec.minReplicas: {low} is more than maxReplicas {high}")
    return errors


def _probe(probe, port):
    out = {"httpGet": {"path": probe["path"], "port": probe.get("port") or port}}
    for field, key in (
        ("initial_delay", "initialDelaySeconds"),
        ("period", "periodSeconds"),
        ("timeout", "timeoutSeconds"),
        ("failure_threshold", "failureThreshold"),
    ):
        if probe.get(field) is not None:
            out[key] = probe[field]
    return out


def _meta(name, namespace, cluster, labels=None, annotations=None):
    metadata = {"name": name, "labels": {**(labels or {}), LABEL_MANAGED_BY: MANAGED_BY, LABEL_CLUSTER: cluster}}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


def kube_objects(params, cluster, irsa_role_arns=None):
    """The Kubernetes objects of the spec, in the order they are applied (namespaces first)."""
    irsa_role_arns = irsa_role_arns or {}
    objects = []
    for item in params.get("namespaces") or []:
        namespace = {"name": item} if isinstance(item, str) else item
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(namespace["name"], None, cluster, namespace.get("labels")),
            }
        )
    for workload in params.get("workloads") or []:
        objects.extend(_workload(workload, cluster, irsa_role_arns))
    for ingress in params.get("ingresses") or []:
        objects.append(_ingress(ingress, cluster))
    for policy in params.get("network_policies") or []:
        spec = {"podSelector": policy.get("pod_selector") or {}}
        for field, key in (("policy_types", "policyTypes"), ("ingress", "ingress"), ("egress", "egress")):
            if policy.get(field) is not None:
                spec[key] = policy[field]
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": _meta(policy["name"], policy["namespace"], cluster),
                "spec": spec,
            }
        )
    objects.extend(params.get("objects") or [])
    return objects


def _workload(workload, cluster, irsa_role_arns):
    name, namespace, port = workload["name"], workload["namespace"], workload.get("port")
    labels = {"app": name, **(workload.get("labels") or {})}
    found = []
    account = workload.get("service_account")
    account_name = None
    if account:
        account = {"name": account} if isinstance(account, str) else account
        account_name = account["name"]
        role_arn = account.get("role_arn") or irsa_role_arns.get(account.get("irsa_role") or "")
        annotations = {IRSA_ANNOTATION: role_arn} if role_arn else None
        found.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta(account_name, namespace, cluster, {"app": name}, annotations),
            }
        )
    container = {"name": name, "image": workload["image"]}
    for field in ("command", "args"):
        if workload.get(field):
            container[field] = list(workload[field])
    if port:
        container["ports"] = [{"containerPort": port, "name": "http"}]
    env = [{"name": k, "value": str(v)} for k, v in sorted((workload.get("env") or {}).items())]
    for item in workload.get("secret_env") or []:
        env.append({"name": item["name"], "valueFrom": {"secretKeyRef": {"name": item["secret"], "key": item["key"]}}})
    if env:
        container["env"] = env
    env_from = []
    for item in workload.get("env_from") or []:
        if item.get("secret"):
            env_from.append({"secretRef": {"name": item["secret"]}})
        if item.get("config_map"):
            env_from.append({"configMapRef": {"name": item["config_map"]}})
    if env_from:
        container["envFrom"] = env_from
    if workload.get("resources"):
        container["resources"] = {k: dict(v) for k, v in workload["resources"].items() if v}
    if workload.get("liveness_probe"):
        container["livenessProbe"] = _probe(workload["liveness_probe"], port)
    if workload.get("readiness_probe"):
        container["readinessProbe"] = _probe(workload["readiness_probe"], port)
    pod_spec = {"containers": [container]}
    if account_name:
        pod_spec["serviceAccountName"] = account_name
    if workload.get("node_selector"):
        pod_spec["nodeSelector"] = dict(workload["node_selector"])
    if workload.get("tolerations"):
        pod_spec["tolerations"] = list(workload["tolerations"])
    template_meta = {"labels": labels}
    if workload.get("pod_annotations"):
        template_meta["annotations"] = {k: str(v) for k, v in workload["pod_annotations"].items()}
    spec = {
        "replicas": workload.get("replicas", 1),
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": template_meta, "spec": pod_spec},
    }
    strategy = workload.get("strategy")
    if strategy:
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": strategy.get("max_surge", 1),
                "maxUnavailable": strategy.get("max_unavailable", 0),
            },
        }
    found.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, namespace, cluster, labels),
            "spec": spec,
        }
    )
    service = workload.get("service", port is not None)
    if service and port:
        service = service if isinstance(service, dict) else {}
        found.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(name, namespace, cluster, {"app": name}),
                "spec": {
                    "type": service.get("type", "ClusterIP"),
                    "selector": {"app": name},
                    "ports": [{"port": service.get("port", 80), "targetPort": port, "protocol": "TCP", "name": "http"}],
                },
            }
        )
    hpa = workload.get("hpa")
    if hpa:
        metrics = []
        for resource in ("cpu", "memory"):
            if hpa.get(resource):
                metrics.append(
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {"type": "Utilization", "averageUtilization": hpa[resource]},
                        },
                    }
                )
        metrics.extend(hpa.get("metrics") or [])
        hpa_spec = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": hpa.get("min", 1),
            "maxReplicas": hpa["max"],
            "metrics": metrics,
        }
        if hpa.get("behavior"):
            hpa_spec["behavior"] = hpa["behavior"]
        found.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": _meta(f"{name}-hpa", namespace, cluster, {"app": name}),
                "spec": hpa_spec,
            }
        )
    return found


def _ingress(ingress, cluster):
    paths = [
        {
            "path": path["path"],
            "pathType": path.get("path_type", "Prefix"),
            "backend": {"service": {"name": path["service"], "port": {"number": path.get("port", 80)}}},
        }
        for path in ingress.get("paths") or []
    ]
    rule = {"http": {"paths": paths}}
    if ingress.get("host"):
        rule["host"] = ingress["host"]
    spec = {"ingressClassName": ingress.get("class", "alb"), "rules": [rule]}
    if ingress.get("tls_hosts"):
        spec["tls"] = [{"hosts": list(ingress["tls_hosts"])}]
    annotations = {k: str(v) for k, v in (ingress.get("annotations") or {}).items()}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(ingress["name"], ingress["namespace"], cluster, None, annotations),
        "spec": spec,
    }
