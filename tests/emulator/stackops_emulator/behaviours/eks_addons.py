"""EKS add-ons, which moto does not implement (its server answers 404).

Follows the EKS API reference: CreateAddon, DescribeAddon, UpdateAddon, ListAddons, DeleteAddon and
DescribeAddonVersions (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html and the
pages next to it), plus TagResource / UntagResource / ListTagsForResource on add-on ARNs.

- An add-on belongs to a cluster (ResourceNotFoundException without one); a second CreateAddon of the same
  name answers ResourceInUseException.
- The version must be one DescribeAddonVersions lists as compatible with the cluster's Kubernetes version
  (InvalidParameterException otherwise); without a version, the default one for that Kubernetes version.
- UpdateAddon returns an ``update`` (type AddonUpdate) that DescribeUpdate finds; the emulator applies it at
  once, so the add-on is ACTIVE again straight away. DeleteAddon answers with the add-on in DELETING.
- The catalogue below is a small, fixed excerpt of what ``aws eks describe-addon-versions`` lists.
"""

from __future__ import annotations

import datetime
import re
import threading
import uuid
from urllib.parse import parse_qs

from ._eks_common import CLUSTER_PATH
from ._eks_common import UPDATES
from ._eks_common import account_of
from ._eks_common import answer
from ._eks_common import body_of
from ._eks_common import error
from ._eks_common import moto_cluster
from ._eks_common import path_of
from ._eks_common import record_update

# name -> [(version, first Kubernetes minor, last minor)], newest first; the default for a Kubernetes
# version is the newest compatible one.
_RANGES = {
    "vpc-cni": [("v1.19.0-eksbuild.1", 25, 33), ("v1.18.3-eksbuild.2", 24, 31), ("v1.15.1-eksbuild.1", 23, 28)],
    "aws-ebs-csi-driver": [
        ("v1.35.0-eksbuild.1", 25, 33),
        ("v1.30.0-eksbuild.1", 24, 30),
        ("v1.25.0-eksbuild.1", 23, 29),
    ],
    "aws-efs-csi-driver": [("v2.0.7-eksbuild.1", 24, 33), ("v1.7.6-eksbuild.1", 23, 29)],
    "eks-pod-identity-agent": [("v1.3.4-eksbuild.1", 24, 33), ("v1.0.0-eksbuild.1", 24, 29)],
    "snapshot-controller": [("v8.1.0-eksbuild.1", 25, 33), ("v6.3.2-eksbuild.1", 23, 29)],
    "aws-mountpoint-s3-csi-driver": [("v1.9.0-eksbuild.1", 25, 33)],
    "amazon-cloudwatch-observability": [("v2.1.2-eksbuild.1", 23, 33)],
    "aws-guardduty-agent": [("v1.7.1-eksbuild.2", 23, 33)],
    "adot": [("v0.102.1-eksbuild.1", 24, 33)],
    # A community add-on (https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html).
    "metrics-server": [("v0.7.2-eksbuild.1", 25, 33)],
}
# CoreDNS and kube-proxy are built per Kubernetes minor version.
_COREDNS = {27: "v1.10.1", 28: "v1.10.1", 29: "v1.11.1", 30: "v1.11.1", 31: "v1.11.3", 32: "v1.11.4", 33: "v1.12.1"}
_TYPES = {"vpc-cni": "networking", "coredns": "networking", "kube-proxy": "networking", "aws-ebs-csi-driver": "storage"}


def catalogue():
    """{name: [(version, {compatible minors}, {minors it is the default for})]}."""
    found = {}
    for name, ranges in _RANGES.items():
        entries = []
        for version, low, high in ranges:
            minors = set(range(low, high + 1))
            defaults = {m for m in minors if next(v for v, lo, hi in ranges if lo <= m <= hi) == version}
            entries.append((version, minors, defaults))
        found[name] = entries
    coredns, proxy = [], []
    for minor in range(23, 34):
        base = _COREDNS.get(minor, "v1.9.3")
        coredns.append((f"{base}-eksbuild.{minor - 20}", {minor}, {minor}))
        proxy.append((f"v1.{minor}.0-eksbuild.3", {minor}, {minor}))
        proxy.append((f"v1.{minor}.0-eksbuild.1", {minor}, set()))
    found["coredns"] = sorted(coredns, key=lambda e: -min(e[1]))
    found["kube-proxy"] = sorted(proxy, key=lambda e: (-min(e[1]), e[0] != f"v1.{min(e[1])}.0-eksbuild.3"))
    return found


CATALOGUE = catalogue()


def _minor(version):
    return int(str(version).split(".")[1])


def default_version(name, kubernetes_version):
    minor = _minor(kubernetes_version)
    for version, _minors, defaults in CATALOGUE.get(name, []):
        if minor in defaults:
            return version
    return None


def compatible(name, version, kubernetes_version):
    minor = _minor(kubernetes_version)
    return any(v == version and minor in minors for v, minors, _d in CATALOGUE.get(name, []))


class EksAddons:
    name = "eks-addons"
    summary = "EKS add-ons: Create/Describe/Update/List/DeleteAddon, DescribeAddonVersions, tags on add-on ARNs"
    documented_by = "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html"

    def __init__(self):
        self._lock = threading.Lock()
        self._addons = {}  # (region, cluster) -> {name: addon}

    def reset(self):
        with self._lock:
            self._addons.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "eks":
            return forward(request)
        operation = call.operation
        if operation == "DescribeAddonVersions":
            return self._versions(request)
        if path_of(request).startswith("/tags/") and ":addon/" in path_of(request):
            # By method: the request log cannot name these (the ARN's slashes reach it decoded).
            return self._tags(call, request)
        if operation == "DeleteCluster":
            match = CLUSTER_PATH.match(path_of(request))
            with self._lock:
                self._addons.pop((call.region, match.group("cluster") if match else None), None)
            return forward(request)
        if operation not in ("CreateAddon", "DescribeAddon", "UpdateAddon", "ListAddons", "DeleteAddon"):
            return forward(request)
        match = CLUSTER_PATH.match(path_of(request))
        cluster = moto_cluster(call.region, match.group("cluster")) if match else None
        if cluster is None:
            name = match.group("cluster") if match else None
            return error(call, 404, "ResourceNotFoundException", f"No cluster found for name: {name}.")
        with self._lock:
            addons = self._addons.setdefault((call.region, cluster.name), {})
            return getattr(self, "_" + operation)(call, request, cluster, addons, match.group("rest") or "")

    # -- operations --------------------------------------------------------------------------------------------

    def _versions(self, request):
        query = {k: v[0] for k, v in parse_qs(request.environ.get("QUERY_STRING", "")).items()}
        kubernetes_version, only = query.get("kubernetesVersion"), query.get("addonName")
        addons = []
        for name, entries in sorted(CATALOGUE.items()):
            if only and name != only:
                continue
            versions = []
            for version, minors, defaults in entries:
                clusters = (
                    sorted(minors) if not kubernetes_version else [m for m in minors if m == _minor(kubernetes_version)]
                )
                if not clusters:
                    continue
                versions.append(
                    {
                        "addonVersion": version,
                        "architecture": ["amd64", "arm64"],
                        "compatibilities": [
                            {"clusterVersion": f"1.{m}", "platformVersions": ["*"], "defaultVersion": m in defaults}
                            for m in clusters
                        ],
                        "requiresConfiguration": False,
                    }
                )
            if versions:
                addons.append(
                    {
                        "addonName": name,
                        "type": _TYPES.get(name, "other"),
                        "addonVersions": versions,
                        "publisher": "eks",
                        "owner": "aws",
                    }
                )
        return answer({"addons": addons})

    def _CreateAddon(self, call, request, cluster, addons, rest):
        body = body_of(request)
        name = body.get("addonName")
        if name not in CATALOGUE:
            return error(call, 400, "InvalidParameterException", f"Addon {name} specified is not supported")
        if name in addons:
            return error(call, 409, "ResourceInUseException", f"Addon already exists: {name}")
        version = body.get("addonVersion") or default_version(name, cluster.version)
        if not compatible(name, version, cluster.version):
            return error(
                call,
                400,
                "InvalidParameterException",
                f"Addon version specified is not supported: {name} {version} with Kubernetes {cluster.version}",
            )
        now = datetime.datetime.now(datetime.UTC).isoformat()
        addon = {
            "addonName": name,
            "clusterName": cluster.name,
            "status": "ACTIVE",
            "addonVersion": version,
            "health": {"issues": []},
            "addonArn": f"arn:aws:eks:{call.region}:{account_of(cluster)}:addon/{cluster.name}/{name}/{uuid.uuid4()}",
            "createdAt": now,
            "modifiedAt": now,
            "tags": dict(body.get("tags") or {}),
            "publisher": "eks",
            "owner": "aws",
        }
        if body.get("serviceAccountRoleArn"):
            addon["serviceAccountRoleArn"] = body["serviceAccountRoleArn"]
        if body.get("configurationValues"):
            addon["configurationValues"] = body["configurationValues"]
        addons[name] = addon
        return answer({"addon": addon})

    def _DescribeAddon(self, call, request, cluster, addons, rest):
        name = rest.strip("/").split("/")[1]
        if name not in addons:
            return error(call, 404, "ResourceNotFoundException", f"No addon: {name} found in cluster: {cluster.name}")
        return answer({"addon": addons[name]})

    def _ListAddons(self, call, request, cluster, addons, rest):
        return answer({"addons": sorted(addons)})

    def _UpdateAddon(self, call, request, cluster, addons, rest):
        name = rest.strip("/").split("/")[1]
        if name not in addons:
            return error(call, 404, "ResourceNotFoundException", f"No addon: {name} found in cluster: {cluster.name}")
        body = body_of(request)
        addon, params = addons[name], []
        version = body.get("addonVersion")
        if version:
            if not compatible(name, version, cluster.version):
                return error(
                    call,
                    400,
                    "InvalidParameterException",
                    f"Addon version specified is not supported: {name} {version} with Kubernetes {cluster.version}",
                )
            addon["addonVersion"] = version
            params.append(("AddonVersion", version))
        for field, kind in (
            ("serviceAccountRoleArn", "ServiceAccountRoleArn"),
            ("configurationValues", "ConfigurationValues"),
        ):
            if body.get(field) is not None:
                addon[field] = body[field]
                params.append((kind, body[field]))
        if body.get("resolveConflicts"):
            params.append(("ResolveConflicts", body["resolveConflicts"]))
        addon["modifiedAt"] = datetime.datetime.now(datetime.UTC).isoformat()
        return answer({"update": record_update(cluster.name, "AddonUpdate", params, addon=name)})

    def _DeleteAddon(self, call, request, cluster, addons, rest):
        name = rest.strip("/").split("/")[1]
        if name not in addons:
            return error(call, 404, "ResourceNotFoundException", f"No addon: {name} found in cluster: {cluster.name}")
        addon = dict(addons.pop(name), status="DELETING")
        return answer({"addon": addon})

    def _tags(self, call, request):
        arn = path_of(request).split("/tags/", 1)[1]
        match = re.match(r"^arn:[^:]+:eks:[^:]+:\d+:addon/([^/]+)/([^/]+)/", arn)
        with self._lock:
            addon = None
            if match:
                addon = self._addons.get((call.region, match.group(1)), {}).get(match.group(2))
            if addon is None or addon["addonArn"] != arn:
                return error(call, 404, "NotFoundException", f"Resource {arn} not found")
            method = request.environ.get("REQUEST_METHOD", "GET")
            if method == "GET":
                return answer({"tags": dict(addon["tags"])})
            if method == "POST":
                addon["tags"].update(body_of(request).get("tags") or {})
            else:
                query = parse_qs(request.environ.get("QUERY_STRING", ""))
                for key in query.get("tagKeys", []):
                    addon["tags"].pop(key, None)
            return answer({})


__all__ = ["UPDATES", "EksAddons"]
