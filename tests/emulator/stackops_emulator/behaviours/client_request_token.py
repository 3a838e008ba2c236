"""Idempotency tokens of JSON APIs (Secrets Manager, ECS, EKS), which moto ignores.

AWS, for each: Secrets Manager CreateSecret ``ClientRequestToken``: "If a version with this value already
exists and the version SecretString and SecretBinary values are the same as those in the request, then the
request is ignored" (API reference, CreateSecret). ECS CreateService ``clientToken``: "An identifier that you
provide to ensure the idempotency of the request. It must be unique and is case sensitive." EKS CreateCluster,
CreateNodegroup, CreateAddon ``clientRequestToken``: "A unique, case-sensitive identifier that you provide to
ensure the idempotency of the request." moto answers a repeat with ResourceExistsException,
InvalidParameterException or ResourceInUseException, so a create retried after a lost answer fails here
where AWS returns the first result. This behaviour returns the first result for the same token and the same
parameters, and refuses the same token with other parameters, as the EC2 one does.
"""

from __future__ import annotations

import json
import threading

from ..protocols import error_response

TOKENS = {
    ("secretsmanager", "CreateSecret"): "ClientRequestToken",
    ("ecs", "CreateService"): "clientToken",
    ("eks", "CreateCluster"): "clientRequestToken",
    ("eks", "CreateNodegroup"): "clientRequestToken",
    ("eks", "CreateAddon"): "clientRequestToken",
}
MISMATCH = {
    "secretsmanager": ("ResourceExistsException", 400),
    "ecs": ("InvalidParameterException", 400),
    "eks": ("InvalidParameterException", 400),
}


class ClientRequestTokenIdempotency:
    name = "client-request-token"
    summary = (
        "Secrets Manager CreateSecret, ECS CreateService and EKS CreateCluster/CreateNodegroup/CreateAddon "
        "repeated with the same token return the first result"
    )
    documented_by = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html"

    def __init__(self):
        self._lock = threading.Lock()
        self._seen = {}  # (region, service, operation, path, token) -> (params, response)

    def reset(self):
        with self._lock:
            self._seen.clear()

    def __call__(self, request, forward):
        call = request.call
        field = TOKENS.get((call.service, call.operation))
        if field is None:
            return forward(request)
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            return forward(request)
        token = params.get(field) if isinstance(params, dict) else None
        if not token:
            return forward(request)
        # rest-json puts the cluster name in the path: part of what was asked.
        key = (call.region, call.service, call.operation, request.environ.get("PATH_INFO"), token)
        asked = {k: v for k, v in params.items() if k != field}
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                response = forward(request)
                if response.ok:
                    self._seen[key] = (asked, response)
                return response
        previous, response = seen
        if previous != asked:
            code, status = MISMATCH[call.service]
            return error_response(call, status, code, f"The token {token} was already used with other parameters")
        return response
