"""Identify the AWS service and operation of a request, and render errors the way each protocol does.

Operations are found from the botocore service models (the same ones the clients use), so the request log
names operations exactly as the AWS API reference does: ``ec2:DescribeVpcs``, ``eks:CreateNodegroup``.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import botocore.session

# FilterLogEvents (CloudWatch Logs) reads events; no AWS write operation starts with Filter.
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Lookup", "Select", "BatchGet", "Query", "Scan", "Filter")

_CREDENTIAL_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Response:
    status: int
    headers: list
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _response(status: int, headers: list, body: str) -> Response:
    data = body.encode()
    return Response(status, headers + [("Content-Length", str(len(data)))], data)


@dataclass(frozen=True)
class Call:
    service: str  # signing name from the request (ec2, rds, elasticloadbalancing, ...)
    operation: str  # API operation name (DescribeVpcs) or "Unknown"
    protocol: str  # botocore protocol of the service model (ec2, query, json, rest-json, rest-xml)
    region: str

    @property
    def kind(self) -> str:
        return "read" if is_read(self.operation) else "write"

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@functools.cache
def _session():
    return botocore.session.get_session()


# Signing names that differ from the botocore service name (the common case is that they are equal).
_SIGNING_ALIASES = {
    "elasticloadbalancing": ("elbv2", "elb"),
    "monitoring": ("cloudwatch",),
    "es": ("opensearch", "es"),
    "email": ("ses", "sesv2"),
    "states": ("stepfunctions",),
    "execute-api": ("apigateway",),
    "aoss": ("opensearchserverless",),
    "cognito-idp": ("cognito-idp",),
    "application-autoscaling": ("application-autoscaling",),
}


@functools.cache
def _models_for_signing_name(signing_name: str):
    """Service models whose signing name (or endpoint prefix) is ``signing_name``.

    Loading a model costs milliseconds and botocore has hundreds, so the likely names are tried first and
    the full scan happens only for a signing name nobody expected."""
    session = _session()
    available = set(session.get_available_services())
    candidates = [n for n in (signing_name, *_SIGNING_ALIASES.get(signing_name, ())) if n in available]
    found = []
    for name in dict.fromkeys(candidates):
        model = session.get_service_model(name)
        if signing_name in (model.metadata.get("signingName"), model.metadata.get("endpointPrefix")):
            found.append(model)
    if not found:
        for name in sorted(available):
            model = session.get_service_model(name)
            if signing_name in (model.metadata.get("signingName"), model.metadata.get("endpointPrefix")):
                found.append(model)
    # The model named like the signing name first (e.g. "es" before "opensearch").
    found.sort(key=lambda m: (m.service_name != signing_name, m.service_name))
    return tuple(found)


def _uri_regex(request_uri: str):
    path, _sep, query = request_uri.partition("?")
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            pattern += ".+" if part.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(part)
    required_query = [q.split("=")[0] for q in query.split("&") if q]
    literal_len = len(re.sub(r"\{[^}]+\}", "", path))
    return re.compile("^" + pattern + "/?$"), required_query, literal_len


@functools.cache
def _rest_routes(service_name: str):
    model = _session().get_service_model(service_name)
    routes = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        regex, query, literal_len = _uri_regex(http.get("requestUri", "/"))
        shape = model.operation_model(op_name).input_shape
        required_headers = tuple(
            shape.members[name].serialization["name"]
            for name in (shape.required_members if shape else [])
            if shape.members[name].serialization.get("location") == "header"
        )
        routes.append((http.get("method", "POST"), regex, query, required_headers, literal_len, op_name))
    # Most specific first: required query keys and headers, then the longest literal path.
    routes.sort(key=lambda r: (-len(r[2]) - len(r[3]), -r[4]))
    return routes


def identify(method: str, path: str, query_string: str, headers, body: bytes) -> Call | None:
    """Return the Call this request makes, or None when it is not a signed AWS API request."""
    auth = headers.get("Authorization", "")
    match = _CREDENTIAL_RE.search(auth)
    if not match:
        return None
    region, signing_name = match.group(1), match.group(2)
    models = _models_for_signing_name(signing_name)
    protocol = models[0].metadata["protocol"] if models else "unknown"

    target = headers.get("X-Amz-Target")
    if target:
        return Call(signing_name, target.rsplit(".", 1)[-1], protocol, region)

    if protocol in ("query", "ec2") or headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        params = parse_qs(query_string)
        if body:
            params.update(parse_qs(body.decode("utf-8", "replace")))
        action = params.get("Action", ["Unknown"])[0]
        if models and action != "Unknown":
            version = params.get("Version", [None])[0]
            for model in models:
                if version in (None, model.metadata.get("apiVersion")):
                    protocol = model.metadata["protocol"]
                    break
        return Call(signing_name, action, protocol, region)

    query_keys = set(parse_qs(query_string, keep_blank_values=True))
    for model in models:
        for route_method, regex, required, required_headers, _length, op_name in _rest_routes(model.service_name):
            if (
                route_method == method
                and regex.match(path)
                and all(q in query_keys for q in required)
                and all(h in headers for h in required_headers)
            ):
                return Call(signing_name, op_name, model.metadata["protocol"], region)
    return Call(signing_name, "Unknown", protocol, region)


def error_response(call: Call, status: int, code: str, message: str) -> Response:
    """The response for an AWS error in the call's protocol, as botocore parses it."""
    request_id = str(uuid.uuid4())
    if call.protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return _response(status, [("Content-Type", "text/xml")], body)
    if call.protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return _response(status, [("Content-Type", "text/xml")], body)
    if call.protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        return _response(status, [("Content-Type", "application/xml")], body)
    # json, rest-json (and anything unknown)
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", request_id),
    ]
    return _response(status, headers, json.dumps({"__type": code, "message": message}))


def throttling_code(call: Call) -> tuple[int, str]:
    """The status and code a throttled call of this service gets from AWS."""
    if call.protocol == "ec2":
        return 503, "RequestLimitExceeded"
    if call.protocol == "query":
        return 400, "Throttling"
    if call.protocol == "rest-xml":
        return 503, "SlowDown"
    return 400, "ThrottlingException"


def split_url(url: str):
    parts = urlsplit(url)
    return parts.path, parts.query
