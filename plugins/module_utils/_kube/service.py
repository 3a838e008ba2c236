# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A service on an EKS platform, for lookups and runbooks: its cluster (found by tags), its Deployment (by name,
in any namespace but the system ones), revisions, images, counts and autoscaler bounds. Reads only."""

from __future__ import annotations

from ..platform import TAG_ENVIRONMENT
from ..platform import TAG_PLATFORM
from ..platform import AmbiguousResource
from ..platform import PreconditionFailed
from ..platform import paginate
from .connect import eks_connection
from .rollout import Kube
from .rollout import deployment_status

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def find_cluster(eks, platform, environment):
    """The EKS cluster tagged with the platform and environment, or None; two of them are an error."""
    found = []
    for name in paginate(eks, "list_clusters", "clusters"):
        cluster = eks.describe_cluster(name=name, aws_retry=True)["cluster"]
        tags = cluster.get("tags") or {}
        if tags.get(TAG_PLATFORM) == platform and tags.get(TAG_ENVIRONMENT) == environment:
            found.append(cluster)
    if len(found) > 1:
        raise AmbiguousResource(
            f"EKS clusters {', '.join(c['name'] for c in found)} all carry "
            f"{TAG_PLATFORM}={platform}, {TAG_ENVIRONMENT}={environment}"
        )
    return found[0] if found else None


def find_namespace(connection, name):
    """The namespace of the Deployment called ``name`` (None when there is none); two are an error."""
    listing = Kube(connection).call("GET", "/apis/apps/v1/deployments", "listing the Deployments") or {}
    namespaces = sorted(
        d["metadata"]["namespace"]
        for d in listing.get("items", [])
        if d["metadata"]["name"] == name and d["metadata"].get("namespace") not in SYSTEM_NAMESPACES
    )
    if len(namespaces) > 1:
        raise AmbiguousResource(
            f"Deployments called {name} exist in namespaces {', '.join(namespaces)}: say which (namespace)"
        )
    return namespaces[0] if namespaces else None


def deployment_state(connection, namespace, name):
    """What on-call needs to know about one Deployment (see ``eks_service``)."""
    status = deployment_status(connection, namespace, name)
    if status is None:
        raise PreconditionFailed(f"name: Deployment {namespace}/{name} does not exist")
    deployment = status["deployment"]
    return {
        "kind": "Deployment",
        "namespace": namespace,
        "name": name,
        "revision": deployment["revision"],
        "images": deployment["images"],
        "previous": status["previous"],
        "previous_revision": (status["previous"] or {}).get("revision"),
        "history": status["history"],
        "desired": deployment["replicas"],
        "running": deployment["available_replicas"],
        "ready": deployment["ready_replicas"],
        "updated": deployment["updated_replicas"],
        "rollout": deployment["rollout"],
        "rollout_message": deployment["rollout_message"],
        "autoscaling": status["hpa"],
    }


def eks_service(eks, sts, platform, environment, service, namespace=None, validate_certs=True):
    """The service ``service`` of an EKS platform: ``{"exists": False, ...}`` when the cluster or the Deployment
    is missing, else ``cluster_type``, ``cluster``, and ``deployment_state``'s keys."""
    cluster = find_cluster(eks, platform, environment)
    if cluster is None:
        return {"exists": False, "cluster_type": "eks", "cluster": None, "name": service, "reason": "no EKS cluster"}
    connection = eks_connection(eks, sts, cluster["name"], validate_certs)
    try:
        namespace = namespace or find_namespace(connection, service)
        if namespace is None:
            return {
                "exists": False,
                "cluster_type": "eks",
                "cluster": cluster["name"],
                "name": service,
                "reason": f"no Deployment {service} in cluster {cluster['name']}",
            }
        state = deployment_state(connection, namespace, service)
    finally:
        connection.close()
    return {"exists": True, "cluster_type": "eks", "cluster": cluster["name"], **state}
