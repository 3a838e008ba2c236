"""ELBv2 CreateLoadBalancer and CreateListener are idempotent for identical settings.

AWS (Elastic Load Balancing API reference, CreateLoadBalancer): "This operation is idempotent, which means that
it completes at most one time. If you attempt to create multiple load balancers with the same settings, each
call succeeds." A load balancer's name is unique per region and account; the same name with other settings is
refused with DuplicateLoadBalancerName ("A load balancer with the specified name already exists").
CreateListener says the same of listeners ("If you attempt to create multiple listeners with the same settings,
each call succeeds"); another listener on a port the load balancer already listens on is refused with
DuplicateListener ("A listener with the specified port already exists").

moto 5.2 makes a second load balancer with the same name (its duplicate check compares ARNs, which carry a
random id) and a second listener on the same port (it looks the port up among listener ARNs). A create repeated
after a lost answer then leaves two. This behaviour remembers the parameters each create was made with: the same
parameters again answer with the existing resource (as DescribeLoadBalancers / DescribeListeners show it, in the
create's response shape); other parameters for a name or port in use answer AWS's error; otherwise moto acts.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl
from urllib.parse import urlencode

from ..protocols import error_response

VERSION = "2015-12-01"
# Not settings of the resource: a repeat may differ in them (tags apply to the first create only).
IGNORED = ("Action", "Version", "Tags.member.")


def _settings(params):
    return {k: v for k, v in params.items() if not k.startswith(IGNORED)}


def _backend(region):
    from moto.elbv2.models import elbv2_backends

    for account in list(elbv2_backends):
        yield elbv2_backends[account][region]


def _load_balancer(region, name):
    for backend in _backend(region):
        for balancer in backend.load_balancers.values():
            if balancer.name == name:
                return balancer
    return None


def _listener(region, load_balancer_arn, port):
    for backend in _backend(region):
        balancer = backend.load_balancers.get(load_balancer_arn)
        if balancer is None:
            continue
        for listener in balancer.listeners.values():
            if str(listener.port) == str(port):
                return listener
    return None


class Elbv2IdempotentCreates:
    name = "elbv2-idempotent-creates"
    summary = "CreateLoadBalancer and CreateListener with the settings of an existing one return it, other settings are refused"
    documented_by = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html"

    def __init__(self):
        self._lock = threading.Lock()
        self._made = {}  # (region, operation, name or load balancer ARN + port) -> settings it was made with

    def reset(self):
        with self._lock:
            self._made.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticloadbalancing" or call.operation not in ("CreateLoadBalancer", "CreateListener"):
            return forward(request)
        params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if params.get("Version") != VERSION:
            return forward(request)  # the Classic Load Balancer API: not this behaviour's
        asked = _settings(params)
        if call.operation == "CreateLoadBalancer":
            key = (call.region, "lb", params.get("Name"))
            existing = _load_balancer(call.region, params.get("Name"))
            refusal = ("DuplicateLoadBalancerName", "A load balancer with the specified name already exists.")
            describe = {"Action": "DescribeLoadBalancers", "LoadBalancerArns.member.1": getattr(existing, "arn", "")}
        else:
            key = (call.region, "listener", params.get("LoadBalancerArn"), params.get("Port"))
            existing = _listener(call.region, params.get("LoadBalancerArn"), params.get("Port"))
            refusal = ("DuplicateListener", "A listener with the specified port already exists.")
            describe = {"Action": "DescribeListeners", "ListenerArns.member.1": getattr(existing, "arn", "")}
        with self._lock:
            made = self._made.get(key)
            if existing is None:
                response = forward(request)
                if response.ok:
                    self._made[key] = asked
                return response
        if made != asked:
            return error_response(call, 400, *refusal)
        found = forward(type(request)(request.environ, urlencode({**describe, "Version": VERSION}).encode(), call))
        if not found.ok:
            return found
        action = describe["Action"]
        body = found.body.replace(f"{action}Response".encode(), f"{call.operation}Response".encode())
        body = body.replace(f"{action}Result".encode(), f"{call.operation}Result".encode())
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in found.headers]
        return type(found)(found.status, headers, body)
