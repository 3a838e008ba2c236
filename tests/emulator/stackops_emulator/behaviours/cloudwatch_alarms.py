"""CloudWatch metric alarms: DescribeAlarms answers in pages, PutMetricAlarm refuses periods AWS refuses.

AWS (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html): "MaxRecords -
The maximum number of alarm descriptions to retrieve. Valid Range: Minimum value of 1. Maximum value of 100."
(50 when omitted), and a ``NextToken`` "to use when requesting the next set of items" while more remain.
moto 5.2 ignores MaxRecords and returns every alarm at once, so a reader that forgets to follow NextToken
looks correct here and misses alarms on AWS. This behaviour lets moto answer, then cuts the answer into the
page the request asked for.

AWS (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html): "Period -
The length, in seconds, used each time the metric specified in MetricName is evaluated. Valid values are
10, 20, 30, and any multiple of 60." and "Period multiplied by EvaluationPeriods can't be more than
604,800 seconds. For alarms with a period of less than one hour (3,600 seconds), the total evaluation
period can't be longer than one day (86,400 seconds)." moto stores any period; this behaviour answers
ValidationError as AWS does, for an alarm's own Period and for the periods inside its metric-math queries.
"""

from __future__ import annotations

import base64
import json

from ..protocols import Response
from ..protocols import error_response


def _token(offset):
    return base64.urlsafe_b64encode(f"alarms:{offset}".encode()).decode()


def _offset(token):
    try:
        kind, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
        return int(offset) if kind == "alarms" else None
    except (ValueError, UnicodeDecodeError):
        return None


def period_problem(period, evaluation_periods):
    if period is None:
        return None
    if period not in (10, 20, 30) and (period < 60 or period % 60):
        return f"Period must be 10, 20, 30 or a multiple of 60 (got {period})"
    total = period * (evaluation_periods or 1)
    if total > 604800:
        return "Period * EvaluationPeriods must not exceed 604800 seconds"
    if period < 3600 and total > 86400:
        return "Period * EvaluationPeriods must not exceed 86400 seconds for periods under 3600 seconds"
    return None


class CloudWatchAlarms:
    name = "cloudwatch-alarms"
    summary = "DescribeAlarms pages (MaxRecords, NextToken); PutMetricAlarm refuses periods AWS refuses"
    documented_by = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "monitoring" or call.operation not in ("DescribeAlarms", "PutMetricAlarm"):
            return forward(request)
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            return forward(request)  # not the JSON protocol: moto answers as it does
        if call.operation == "PutMetricAlarm":
            periods = [params.get("Period")] + [
                (m.get("MetricStat") or {}).get("Period") for m in params.get("Metrics") or [] if m.get("MetricStat")
            ]
            for period in periods:
                problem = period_problem(period, params.get("EvaluationPeriods"))
                if problem:
                    return error_response(call, 400, "ValidationError", problem)
            return forward(request)
        limit = params.pop("MaxRecords", None) or 50
        if not 1 <= int(limit) <= 100:
            return error_response(call, 400, "ValidationError", "MaxRecords must be between 1 and 100")
        token = params.pop("NextToken", None)
        offset = 0
        if token:
            offset = _offset(token)
            if offset is None:
                return error_response(call, 400, "InvalidNextToken", "The NextToken is not valid")
        request.body = json.dumps(params).encode()
        response = forward(request)
        if not response.ok:
            return response
        payload = json.loads(response.body)
        alarms = sorted(payload.get("MetricAlarms") or [], key=lambda a: a["AlarmName"])
        page = alarms[offset : offset + int(limit)]
        payload["MetricAlarms"] = page
        payload.pop("NextToken", None)
        if offset + int(limit) < len(alarms):
            payload["NextToken"] = _token(offset + int(limit))
        body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return Response(response.status, headers + [("Content-Length", str(len(body)))], body)
