"""DescribeScalingPolicies honours ``PolicyNames``.

AWS: DescribeScalingPolicies "Describes the Application Auto Scaling scaling policies for the specified service
namespace"; ``PolicyNames`` is "The names of the scaling policies to describe"
(https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html).

moto 5.2 ignores ``PolicyNames``: it answers every policy of the resource, so a caller asking for one policy with
``MaxResults=1`` gets whichever comes first (community.aws.application_autoscaling_policy then compares the memory
policy with the CPU one and rewrites it on every run). This behaviour asks moto for all of them and keeps the
named ones.
"""

from __future__ import annotations

import json

from ..protocols import Response


class AutoscalingPolicyNames:
    name = "application-autoscaling-policy-names"
    summary = "DescribeScalingPolicies answers only the policies PolicyNames names"
    documented_by = "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "application-autoscaling" or call.operation != "DescribeScalingPolicies":
            return forward(request)
        asked = json.loads(request.body or b"{}")
        names = asked.get("PolicyNames")
        if not names:
            return forward(request)
        everything = {k: v for k, v in asked.items() if k not in ("PolicyNames", "MaxResults", "NextToken")}
        everything["MaxResults"] = 50  # DescribeScalingPolicies' most per page
        policies = []
        while True:
            body = json.dumps(everything).encode()
            response = forward(type(request)(request.environ, body, request.call, request.params))
            if response.status != 200:
                return response
            page = json.loads(response.body)
            policies += [p for p in page.get("ScalingPolicies", []) if p.get("PolicyName") in names]
            if not page.get("NextToken"):
                break
            everything["NextToken"] = page["NextToken"]
        answer = json.dumps({"ScalingPolicies": policies[: asked.get("MaxResults") or 50]}).encode()
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return Response(200, headers + [("Content-Length", str(len(answer)))], answer)
