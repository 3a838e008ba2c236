"""Route 53 CreateHostedZone: a CallerReference used before is refused, so a retried create makes no second zone.

AWS (Route 53 API reference, CreateHostedZone): CallerReference is "a unique string that identifies the request
and that allows failed CreateHostedZone requests to be retried without the risk of executing the operation
twice"; a request with a CallerReference that created a hosted zone already fails with HostedZoneAlreadyExists
("The hosted zone you're trying to create already exists. Amazon Route 53 returns this error when a hosted zone
has already been created with the specified CallerReference")
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html).

moto 5.2 creates a second zone of the same name for the same CallerReference, so a create whose response was
lost (and that botocore retries) leaves two zones. This behaviour answers HostedZoneAlreadyExists (409) instead.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..protocols import Response


def _caller_reference(body):
    try:
        document = ET.fromstring(body)
    except ET.ParseError:
        return None
    for element in document.iter():
        if element.tag.split("}", 1)[-1] == "CallerReference":
            return element.text
    return None


def _used(reference):
    from moto.route53.models import route53_backends

    for account in list(route53_backends):
        for partition in list(route53_backends[account]):
            for zone in route53_backends[account][partition].zones.values():
                if zone.caller_reference == reference:
                    return zone
    return None


class Route53CallerReference:
    name = "route53-caller-reference"
    summary = "CreateHostedZone with a CallerReference already used answers HostedZoneAlreadyExists"
    documented_by = "https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "route53" or call.operation != "CreateHostedZone":
            return forward(request)
        reference = _caller_reference(request.body)
        zone = _used(reference) if reference else None
        if zone is None:
            return forward(request)
        body = (
            '<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>'
            "<Type>Sender</Type><Code>HostedZoneAlreadyExists</Code><Message>A hosted zone has already been created "
            f"with the specified caller reference ({zone.name})</Message></Error><RequestId>emulator</RequestId>"
            "</ErrorResponse>"
        ).encode()
        return Response(409, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)
