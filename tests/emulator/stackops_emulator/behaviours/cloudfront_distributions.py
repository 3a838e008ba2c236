"""CloudFront: a distribution keeps the configuration it was given; updates need the current ETag; updates and
invalidations take time.

AWS (CloudFront API reference, UpdateDistribution; Developer Guide, "Updating a distribution" and "Invalidating
files"):
- GetDistributionConfig answers the configuration as set, origins' OriginAccessControlId and S3OriginConfig and
  the ViewerCertificate (an ACM certificate: CloudFrontDefaultCertificate false, CertificateSource acm) included.
- UpdateDistribution needs IfMatch set to the ETag of the last GetDistributionConfig: any other value is refused
  with 412 PreconditionFailed. Each update gives the distribution a new ETag and Status InProgress until the change
  has reached every edge location (then Deployed).
- An invalidation is InProgress, then Completed (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Invalidation.html).
- CreateOriginAccessControl with the name of an origin access control that exists fails with
  OriginAccessControlAlreadyExists (409) (API_CreateOriginAccessControl.html, "Errors").

moto 5.2 drops OriginAccessControlId and S3OriginConfig from the stored origins, answers an ACM certificate with
CloudFrontDefaultCertificate true and CertificateSource cloudfront, accepts any IfMatch, keeps one ETag for ever,
leaves an updated distribution Deployed, makes a second origin access control of the same name (a retried
create leaves two), and creates invalidations COMPLETED (a spelling AWS does not use). A
converge comparing what it set with what it reads would update the distribution on every run; a deploy runbook
could not see an invalidation in progress. This behaviour lets moto act, then sets on moto's objects what the
request said and AWS keeps; checks IfMatch before an update; gives each update a new ETag and InProgress status
(Deployed after the next read); and makes invalidations InProgress until a read one second or more later.
"""

from __future__ import annotations

import random
import re
import string
import time
import xml.etree.ElementTree as ET

from ..protocols import Response

NS = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"
_CONFIG_PATH = re.compile(r"/2020-05-31/distribution/([A-Z0-9]+)/config$")
INVALIDATION_SECONDS = 1.0


def _etag():
    return "E" + "".join(random.choice(string.ascii_uppercase + string.digits) for _i in range(13))


def _strip(tag):
    return tag.split("}", 1)[-1]


def _find(element, *path):
    for name in path:
        if element is None:
            return None
        found = None
        for child in element:
            if _strip(child.tag) == name:
                found = child
                break
        element = found
    return element


def _text(element, *path):
    found = _find(element, *path)
    return found.text if found is not None and found.text is not None else None


def _backends():
    from moto.cloudfront.models import cloudfront_backends

    for account in list(cloudfront_backends):
        for partition in list(cloudfront_backends[account]):
            yield cloudfront_backends[account][partition]


def _distribution(distribution_id):
    for backend in _backends():
        found = backend.distributions.get(distribution_id)
        if found is not None:
            return found
    return None


def _set_body(response, body):
    response.body = body
    response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
    response.headers.append(("Content-Length", str(len(body))))


def _precondition_failed():
    body = (
        '<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error>'
        "<Type>Sender</Type><Code>PreconditionFailed</Code><Message>The If-Match version is missing or not valid "
        "for the resource.</Message></Error><RequestId>emulator</RequestId></ErrorResponse>"
    )
    data = body.encode()
    return Response(412, [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))], data)


class CloudFrontDistributions:
    name = "cloudfront-distributions"
    summary = (
        "Distributions keep their origins' access control and ACM certificate; UpdateDistribution checks IfMatch, "
        "gives a new ETag and InProgress; invalidations go InProgress then Completed"
    )
    documented_by = "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html"

    def __init__(self):
        self.invalidations = {}  # invalidation id -> created (monotonic)

    def reset(self):
        self.invalidations.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "cloudfront":
            return forward(request)
        operation = call.operation
        if operation == "UpdateDistribution":
            return self._update(request, forward)
        if operation in ("CreateDistribution", "CreateDistributionWithTags"):
            response = forward(request)
            if response.ok:
                found = ET.fromstring(response.body)
                self._keep(_text(found, "Id"), request.body)
            return response
        if operation == "CreateOriginAccessControl":
            return self._create_oac(request, forward)
        if operation in ("GetInvalidation", "ListInvalidations"):
            self._progress()
            return forward(request)
        if operation == "CreateInvalidation":
            response = forward(request)
            if response.ok:
                found = ET.fromstring(response.body)
                invalidation_id = _text(found, "Id")
                self.invalidations[invalidation_id] = time.monotonic()
                self._set_invalidation_status(invalidation_id, "InProgress")
                _set_body(
                    response, response.body.replace(b"<Status>COMPLETED</Status>", b"<Status>InProgress</Status>")
                )
            return response
        return forward(request)

    def _create_oac(self, request, forward):
        try:
            name = _text(ET.fromstring(request.body), "Name")
        except ET.ParseError:
            return forward(request)
        for backend in _backends():
            if any(control.name == name for control in backend.origin_access_controls.values()):
                body = (
                    '<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
                    "<Error><Type>Sender</Type><Code>OriginAccessControlAlreadyExists</Code><Message>An origin access "
                    f"control with the same name ({name}) already exists.</Message></Error>"
                    "<RequestId>emulator</RequestId></ErrorResponse>"
                ).encode()
                return Response(409, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)
        return forward(request)

    def _update(self, request, forward):
        match = _CONFIG_PATH.search(request.environ.get("PATH_INFO", ""))
        distribution = _distribution(match.group(1)) if match else None
        if distribution is not None:
            if_match = request.environ.get("HTTP_IF_MATCH")
            if if_match != distribution.etag:
                return _precondition_failed()
            previous = distribution.etag
            distribution.etag = _etag()
            response = forward(request)
            if not response.ok:
                distribution.etag = previous
                return response
            self._keep(distribution.distribution_id, request.body)
            distribution.status = "InProgress"
            distribution._tick = 0  # moto's manual progression: Deployed after the next read
            _set_body(response, response.body.replace(b"<Status>Deployed</Status>", b"<Status>InProgress</Status>", 1))
            return response
        return forward(request)

    def _keep(self, distribution_id, body):
        distribution = _distribution(distribution_id)
        if distribution is None:
            return
        try:
            document = ET.fromstring(body)
        except ET.ParseError:
            return
        config = document if _strip(document.tag) == "DistributionConfig" else _find(document, "DistributionConfig")
        if config is None:
            return
        sent = {}
        for origin in _find(config, "Origins", "Items") or []:
            sent[_text(origin, "Id")] = origin
        for origin in distribution.distribution_config.Origins["Items"]:
            given = sent.get(origin.id)
            if given is None:
                continue
            origin.OriginAccessControlId = _text(given, "OriginAccessControlId") or ""
            if _find(given, "S3OriginConfig") is not None:
                origin.S3OriginConfig = {
                    "OriginAccessIdentity": _text(given, "S3OriginConfig", "OriginAccessIdentity") or ""
                }
        viewer = distribution.distribution_config.ViewerCertificate
        acm = _text(config, "ViewerCertificate", "ACMCertificateArn")
        if acm:
            viewer.cloud_front_default_certificate = False
            viewer.certificate_source = "acm"
            viewer.certificate = acm

    def _set_invalidation_status(self, invalidation_id, status):
        for backend in _backends():
            for items in backend.invalidations.values():
                for invalidation in items:
                    if invalidation.id == invalidation_id:
                        invalidation.status = status

    def _progress(self):
        now = time.monotonic()
        for invalidation_id, created in list(self.invalidations.items()):
            if now - created >= INVALIDATION_SECONDS:
                self._set_invalidation_status(invalidation_id, "Completed")
                del self.invalidations[invalidation_id]
