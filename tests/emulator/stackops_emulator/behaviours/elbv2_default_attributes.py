"""DescribeLoadBalancerAttributes lists every attribute of an Application Load Balancer, defaults included.

AWS: the attributes of a load balancer each have a documented default (``access_logs.s3.enabled`` "The
default is false", ``idle_timeout.timeout_seconds`` "The default is 60 seconds", ``routing.http2.enabled``
"The default is true", ``routing.http.drop_invalid_header_fields.enabled`` "The default is false",
``routing.http.desync_mitigation_mode`` "The default is defensive", ``waf.fail_open.enabled`` "The default is
false", ...; https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html),
and DescribeLoadBalancerAttributes answers all of them for a new load balancer.

moto 5.2 answers only the four it stores (the access log bucket and prefix, deletion protection, cross-zone)
until one is modified, so code written against AWS that reads ``access_logs.s3.enabled`` of a new load
balancer finds nothing (amazon.aws.elb_application_lb fails with a KeyError). This behaviour lets moto answer,
then adds each documented attribute moto left out, with its default value; what moto holds is kept.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from ..protocols import Response

# Application Load Balancer attributes and their documented defaults (the ones moto does not list by itself).
DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http2.enabled": "true",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "waf.fail_open.enabled": "false",
}
_KEY = re.compile(rb"<Key>([^<]+)</Key>")


class Elbv2DefaultAttributes:
    name = "elbv2-default-attributes"
    summary = "DescribeLoadBalancerAttributes of an ALB lists every attribute, with its default when never set"
    documented_by = (
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html"
    )

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticloadbalancing" or call.operation != "DescribeLoadBalancerAttributes":
            return forward(request)
        arn = dict(parse_qsl(request.body.decode("utf-8", "replace"))).get("LoadBalancerArn", "")
        response = forward(request)
        if response.status != 200 or ":loadbalancer/app/" not in arn or b"</Attributes>" not in response.body:
            return response
        present = {key.decode() for key in _KEY.findall(response.body)}
        missing = "".join(
            f"<member><Key>{key}</Key><Value>{value}</Value></member>"
            for key, value in DEFAULTS.items()
            if key not in present
        )
        body = response.body.replace(b"</Attributes>", missing.encode() + b"</Attributes>", 1)
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return Response(response.status, headers + [("Content-Length", str(len(body)))], body)
