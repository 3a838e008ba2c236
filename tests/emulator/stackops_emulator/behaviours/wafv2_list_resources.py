"""ListResourcesForWebACL answers the resources a regional web ACL protects.

AWS: ListResourcesForWebACL "Retrieves an array of the Amazon Resource Names (ARNs) for the regional resources
that are associated with the specified web ACL", filtered by ``ResourceType`` (default
``APPLICATION_LOAD_BALANCER``), and answers ``WAFNonexistentItemException`` for an ACL that does not exist
(https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html).

moto 5.2 keeps the associations (AssociateWebACL, GetWebACLForResource work) but does not implement this
operation: it answers an HTML 500, so code that reads an ACL's associations that way (community.aws.wafv2_resources)
fails. This behaviour answers it from what moto holds.
"""

from __future__ import annotations

import json

from ..protocols import Response
from ..protocols import error_response

# ResourceType -> what the ARN of such a resource contains.
_ARN_PARTS = {
    "APPLICATION_LOAD_BALANCER": ":loadbalancer/app/",
    "API_GATEWAY": ":apigateway:",
    "APPSYNC": ":appsync:",
    "COGNITO_USER_POOL": ":cognito-idp:",
    "APP_RUNNER_SERVICE": ":apprunner:",
    "VERIFIED_ACCESS_INSTANCE": ":verified-access-instance/",
}


def _web_acl(arn):
    from moto.wafv2.models import wafv2_backends

    parts = str(arn).split(":")
    if len(parts) < 6 or parts[4] not in wafv2_backends:
        return None
    return wafv2_backends[parts[4]][parts[3]].wacls.get(arn)


class Wafv2ListResourcesForWebAcl:
    name = "wafv2-list-resources-for-web-acl"
    summary = "ListResourcesForWebACL lists a web ACL's associated resources (moto does not implement it)"
    documented_by = "https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "wafv2" or call.operation != "ListResourcesForWebACL":
            return forward(request)
        asked = json.loads(request.body or b"{}")
        web_acl = _web_acl(asked.get("WebACLArn"))
        if web_acl is None:
            return error_response(
                call,
                400,
                "WAFNonexistentItemException",
                "AWS WAF couldn't perform the operation because your resource doesn't exist.",
            )
        wanted = _ARN_PARTS.get(asked.get("ResourceType") or "APPLICATION_LOAD_BALANCER", "\0")
        arns = [arn for arn in web_acl.associated_resources if wanted in arn]
        body = json.dumps({"ResourceArns": arns}).encode()
        return Response(200, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))], body)
