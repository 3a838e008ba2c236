"""What the EKS behaviours share: JSON answers in EKS's protocol (rest-json), and moto's EKS objects."""

from __future__ import annotations

import json
import re
import uuid

from ..protocols import Response
from ..protocols import error_response

CLUSTER_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)(?P<rest>/.*)?$")


def answer(payload, status=200):
    body = json.dumps(payload, default=str).encode()
    return Response(
        status,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


def error(call, status, code, message):
    return error_response(call, status, code, message)


def body_of(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


def path_of(request):
    from urllib.parse import unquote

    return unquote(request.environ.get("PATH_INFO", ""))


def moto_cluster(region, name):
    """moto's Cluster object (any account), or None."""
    from moto.eks.models import eks_backends

    for account in list(eks_backends):
        backend = eks_backends[account].get(region) if hasattr(eks_backends[account], "get") else None
        backend = backend or eks_backends[account][region]
        if name in backend.clusters:
            return backend.clusters[name]
    return None


def account_of(cluster):
    return cluster.arn.split(":")[4]


# Updates (UpdateClusterConfig, UpdateClusterVersion, UpdateNodegroupConfig/Version, UpdateAddon, ...), kept
# for DescribeUpdate: {update id: (cluster name, update)}. The EKS behaviours share it.
UPDATES = {}


def record_update(cluster, kind, params, nodegroup=None, addon=None):
    import datetime

    update = {
        "id": str(uuid.uuid4()),
        "status": "Successful",  # the emulator applies an update at once
        "type": kind,
        "params": [{"type": k, "value": str(v)} for k, v in params],
        "createdAt": datetime.datetime.now(datetime.UTC).isoformat(),
        "errors": [],
    }
    UPDATES[update["id"]] = (cluster, nodegroup, addon, update)
    return update
