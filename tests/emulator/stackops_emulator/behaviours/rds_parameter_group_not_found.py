"""DescribeDBParameterGroups for a group that does not exist answers DBParameterGroupNotFound.

AWS: DescribeDBParameterGroups with ``DBParameterGroupName`` "If supplied, must match the name of an existing
DBParameterGroup"; a name that matches none answers the error ``DBParameterGroupNotFound`` ("DBParameterGroupName
doesn't refer to an existing DB parameter group", HTTP 404)
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameterGroups.html).

moto 5.2 answers an empty ``DBParameterGroups`` list instead, which code written against AWS reads as "found"
(amazon.aws.rds_instance_param_group then fails with an IndexError). This behaviour lets moto answer, and
turns its empty answer to a named lookup into AWS's error.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from ..protocols import error_response


class RdsParameterGroupNotFound:
    name = "rds-parameter-group-not-found"
    summary = "DescribeDBParameterGroups for a missing group answers DBParameterGroupNotFound"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameterGroups.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds" or call.operation != "DescribeDBParameterGroups":
            return forward(request)
        name = dict(parse_qsl(request.body.decode("utf-8", "replace"))).get("DBParameterGroupName")
        response = forward(request)
        if name and response.status == 200 and b"<DBParameterGroup>" not in response.body:
            return error_response(call, 404, "DBParameterGroupNotFound", f"DBParameterGroup not found: {name}")
        return response
