"""EC2 idempotency by client token, which moto does not implement.

AWS: "If you repeat a request with the same client token and the same parameters, the request succeeds and
returns the same result ... If you repeat it with the same client token but different parameters, the
request fails with IdempotentParameterMismatch." (EC2 developer guide, "Ensuring idempotency").
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl

from ..protocols import error_response


class Ec2ClientTokenIdempotency:
    name = "ec2-client-token"
    summary = "EC2 requests repeated with the same ClientToken return the first result instead of acting again"
    documented_by = "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html"

    def __init__(self):
        self._lock = threading.Lock()
        self._seen = {}  # (region, action, token) -> (params, response)

    def reset(self):
        with self._lock:
            self._seen.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.protocol != "ec2":
            return forward(request)
        params = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        token = params.get("ClientToken")
        if not token:
            return forward(request)
        key = (call.region, call.operation, token)
        # A retry is the same request with a new signature; compare what the caller asked for.
        asked = {k: v for k, v in params.items() if k not in ("ClientToken",)}
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                response = forward(request)
                if response.ok:
                    self._seen[key] = (asked, response)
                return response
        previous_params, previous_response = seen
        if previous_params != asked:
            message = f"The client token {token} was already used with different parameters"
            return error_response(call, 400, "IdempotentParameterMismatch", message)
        return previous_response
