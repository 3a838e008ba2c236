# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A bearer token for an EKS cluster, made the way ``aws eks get-token`` makes it, without the AWS CLI.

The token is ``k8s-aws-v1.`` followed by the base64url encoding (without padding) of a presigned STS
GetCallerIdentity URL whose signature covers the header ``x-k8s-aws-id: <cluster name>``. The cluster's
authenticator calls that URL to learn who the caller is (aws-iam-authenticator; awscli's
``customizations/eks/get_token.py``). The URL is valid for 60 seconds, the token for 15 minutes at most.
"""

from __future__ import annotations

import base64

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60  # seconds, as aws eks get-token


def _raw(client):
    """The botocore client behind amazon.aws's retrying wrapper (presigning needs its event system)."""
    return getattr(client, "client", client)


def eks_token(sts_client, cluster_name):
    """The bearer token for ``cluster_name`` from an STS client of the cluster's region."""
    sts = _raw(sts_client)

    def add_cluster_header(request, **kwargs):
        request.headers[CLUSTER_HEADER] = cluster_name

    event = "before-sign.sts.GetCallerIdentity"
    sts.meta.events.register(event, add_cluster_header, unique_id="stackops-eks-token")
    try:
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=URL_EXPIRES, HttpMethod="GET")
    finally:
        sts.meta.events.unregister(event, unique_id="stackops-eks-token")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).decode("utf-8").rstrip("=")


def decode_token(token):
    """The presigned URL inside a token (for tests and troubleshooting)."""
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError(f"not an EKS token (no {TOKEN_PREFIX} prefix)")
    encoded = token[len(TOKEN_PREFIX) :]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
