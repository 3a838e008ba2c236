"""Route 53 GetHealthCheckStatus reports what the checkers see, and a test can make an endpoint fail.

AWS (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html,
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
GetHealthCheckStatus returns one observation per Route 53 health checker region, each with a status report
("Success: HTTP Status Code 200, OK" or "Failure: ..."). Route 53 considers an endpoint healthy when more than
18% of the checkers report it healthy. An inverted health check is considered unhealthy when the checkers
report it healthy and vice versa (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html):
the observations stay what the checkers see, so a client combines them with ``Inverted``.

moto 5.2 answers one fixed "Success" observation for every health check: nothing can fail. This behaviour
answers from the checkers' view of each endpoint: healthy unless a test marked it failing with ``PUT
/_stackops/behaviours/route53-health-check-status {"failing": ["<health check id or endpoint name>"]}``
(a reset makes every endpoint healthy again).
"""

from __future__ import annotations

import datetime
import re
import threading

from ..protocols import Response

CHECKER_REGIONS = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)
_PATH = re.compile(r"/2013-04-01/healthcheck/([^/]+)/status$")


def _health_check(check_id):
    from moto.route53.models import route53_backends

    for account in list(route53_backends):
        for partition in list(route53_backends[account]):
            found = route53_backends[account][partition].health_checks.get(check_id)
            if found is not None:
                return found
    return None


class Route53HealthCheckStatus:
    name = "route53-health-check-status"
    summary = "GetHealthCheckStatus answers per endpoint (healthy unless a test marks it failing)"
    documented_by = "https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html"

    def __init__(self):
        self._lock = threading.Lock()
        self.settings = {"failing": []}

    def reset(self):
        with self._lock:
            self.settings = {"failing": []}

    def configure(self, settings):
        unknown = set(settings) - {"failing"}
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: ['failing']")
        with self._lock:
            if "failing" in settings:
                self.settings["failing"] = [str(v) for v in settings["failing"]]
            return dict(self.settings)

    def __call__(self, request, forward):
        call = request.call
        if call.service != "route53" or call.operation != "GetHealthCheckStatus":
            return forward(request)
        match = _PATH.search(request.environ.get("PATH_INFO", ""))
        check = _health_check(match.group(1)) if match else None
        if check is None:
            return forward(request)  # moto answers NoSuchHealthCheck
        fqdn = getattr(check, "fqdn", None) or ""
        with self._lock:
            failing = check.id in self.settings["failing"] or (fqdn and fqdn in self.settings["failing"])
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: UP017
        report = (
            "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being "
            "blocked by your firewall."
            if failing
            else "Success: HTTP Status Code 200, OK"
        )
        observations = "".join(
            f"<HealthCheckObservation><Region>{region}</Region><IPAddress>15.177.{index}.10</IPAddress>"
            f"<StatusReport><Status>{report}</Status><CheckedTime>{now}</CheckedTime></StatusReport>"
            "</HealthCheckObservation>"
            for index, region in enumerate(CHECKER_REGIONS)
        )
        body = (
            '<?xml version="1.0"?>\n<GetHealthCheckStatusResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            f"<HealthCheckObservations>{observations}</HealthCheckObservations></GetHealthCheckStatusResponse>"
        ).encode()
        return Response(200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)
