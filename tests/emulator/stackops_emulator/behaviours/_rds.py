"""Shared by the RDS behaviours: query-protocol parameters and moto's RDS models."""

from __future__ import annotations

from urllib.parse import parse_qsl
from urllib.parse import urlencode


def params_of(request):
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


def with_body(request, params):
    """The same request with ``params`` as its body."""
    body = urlencode(params).encode()
    return type(request)(request.environ, body, request.call, request.params)


def instance(region, identifier):
    """moto's DBInstance, or None."""
    from moto.rds.models import rds_backends

    for account in list(rds_backends):
        backend = rds_backends[account][region]
        found = backend.databases.get(str(identifier or "").lower())
        if found is not None:
            return found
    return None


def truthy(value):
    return str(value).lower() == "true"
