"""EKS clusters get a Kubernetes API server: their endpoint and CA point at the emulator's fake.

AWS: DescribeCluster returns ``endpoint``, "the endpoint for your Kubernetes API server", and
``certificateAuthority.data``, "the Base64-encoded certificate data required to communicate with your cluster"
(https://docs.aws.amazon.com/eks/latest/APIReference/API_Cluster.html). moto makes up both, so no client can
connect. This behaviour starts the fake API server (``stackops_emulator.kube``) on first use and gives every
cluster its URL on that server and that server's CA; deleting a cluster drops its Kubernetes objects.

Also: every EKS cluster has its own OIDC issuer, ``https://oidc.eks.<region>.amazonaws.com/id/<32 hex>``
(https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html); moto draws the
id once per process, so every cluster of a region shares one issuer (and one IAM OIDC provider). A cluster
created here gets an id of its own.
"""

from __future__ import annotations

import json
import uuid

from ..kube import get_fake
from ..kube import running_fake
from ._eks_common import moto_cluster


def _version_of(region, name):
    cluster = moto_cluster(region, name)
    return cluster.version if cluster else "1.28"


class EksKubeEndpoint:
    name = "eks-kube-endpoint"
    summary = (
        "EKS cluster endpoints and CAs point at a fake Kubernetes API server (HTTPS, bearer tokens from STS); "
        "each cluster has its own OIDC issuer"
    )
    documented_by = "https://docs.aws.amazon.com/eks/latest/APIReference/API_Cluster.html"

    def reset(self):
        fake = running_fake()
        if fake is not None:
            fake.reset()

    def configure(self, settings):
        """The Kubernetes fake's rollout settings (``pod_ready_seconds``, ``bad_images``); a reset restores them."""
        return get_fake(_version_of).configure_rollouts(settings)

    def __call__(self, request, forward):
        call = request.call
        if call.service != "eks" or call.operation not in ("CreateCluster", "DescribeCluster", "DeleteCluster"):
            return forward(request)
        response = forward(request)
        if not response.ok:
            return response
        payload = json.loads(response.body)
        cluster = payload.get("cluster") or {}
        name = cluster.get("name")
        if not name:
            return response
        if call.operation == "DeleteCluster":
            fake = running_fake()
            if fake is not None:
                fake.drop(call.region, name)
            return response
        fake = get_fake(_version_of)
        endpoint, ca_data = fake.url(call.region, name), fake.ca_data
        found = moto_cluster(call.region, name)
        if found is not None:
            found.endpoint = endpoint
            found.certificate_authority = {"data": ca_data}
            if call.operation == "CreateCluster":
                issuer = f"https://oidc.eks.{call.region}.amazonaws.com/id/{uuid.uuid4().hex.upper()}"
                found.identity = {"oidc": {"issuer": issuer}}
            cluster["identity"] = found.identity
        cluster["endpoint"] = endpoint
        cluster["certificateAuthority"] = {"data": ca_data}
        body = json.dumps(payload, default=str).encode()
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return type(response)(response.status, headers + [("Content-Length", str(len(body)))], body)
