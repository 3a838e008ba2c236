# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A Kubernetes API connection for an EKS cluster (endpoint and CA from DescribeCluster, an STS token), or from
a kubeconfig file. The same path ``kube_objects`` takes, for the procedure modules and lookups."""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ..platform import PreconditionFailed
from ..platform import clients as platform_clients
from .apply import Connection
from .token import eks_token


def describe_eks_cluster(eks, cluster_name):
    """The cluster, or PreconditionFailed naming it when EKS does not know it."""
    try:
        return eks.describe_cluster(name=cluster_name, aws_retry=True)["cluster"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            raise PreconditionFailed(f"cluster_name: EKS has no cluster {cluster_name} in this region") from None
        raise


def eks_connection(eks, sts, cluster_name, validate_certs=True):
    """A Connection to ``cluster_name`` from its EKS and STS clients (one region)."""
    cluster = describe_eks_cluster(eks, cluster_name)
    return Connection(
        cluster["endpoint"],
        (cluster.get("certificateAuthority") or {}).get("data"),
        eks_token(sts, cluster_name),
        validate_certs=validate_certs,
    )


def connect(module, cluster_name=None, kubeconfig=None, context=None, validate_certs=True):
    """A Connection from the module's options: ``kubeconfig`` (and ``context``) or an EKS ``cluster_name``."""
    if kubeconfig:
        return Connection(kubeconfig=kubeconfig, context=context)
    found = platform_clients(module, {"eks": "eks", "sts": "sts"})
    return eks_connection(found["eks"], found["sts"], cluster_name, validate_certs)
