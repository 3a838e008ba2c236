"""ECS services keep their deployment settings, and their deployments roll to COMPLETED.

AWS: a service keeps the ``deploymentConfiguration`` (circuit breaker, minimum healthy and maximum percent),
``capacityProviderStrategy`` and ``healthCheckGracePeriodSeconds`` it was created or updated with, and
DescribeServices returns them. Each CreateService, and each UpdateService that changes the task definition,
the network configuration, the load balancers or the capacity provider strategy (or forces a new deployment),
starts a deployment: the new one is PRIMARY with ``rolloutState`` IN_PROGRESS, the previous one stays ACTIVE
until its tasks are drained; when the PRIMARY deployment's tasks are running and healthy it becomes COMPLETED
and the old deployments go (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html). ``aws ecs wait
services-stable`` waits for exactly that: one deployment and runningCount equal to desiredCount.

moto 5.2 drops those settings, never changes ``deployments`` after UpdateService and reports runningCount 0.
This behaviour records the settings and the deployments per service and rewrites the answers of CreateService,
UpdateService and DescribeServices. Tasks here have no image to pull and no health check to fail, so a
deployment completes at the first DescribeServices after it started (one poll of a waiter sees IN_PROGRESS
in the CreateService or UpdateService answer, the next sees COMPLETED).
"""

from __future__ import annotations

import json
import threading
import uuid

from ..protocols import Response

SETTINGS = (
    "deploymentConfiguration",
    "capacityProviderStrategy",
    "healthCheckGracePeriodSeconds",
    "enableExecuteCommand",
)
ROLLING_FIELDS = ("taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategy")


class EcsServiceDeployments:
    name = "ecs-service-deployments"
    summary = "ECS services keep their deployment settings; deployments go IN_PROGRESS then COMPLETED, old ones drain"
    documented_by = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html"

    def __init__(self):
        self._lock = threading.Lock()
        self._services = {}  # (region, cluster, service name) -> {"settings": {...}, "deployments": [...]}

    def reset(self):
        with self._lock:
            self._services.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "ecs" or call.operation not in ("CreateService", "UpdateService", "DescribeServices"):
            return forward(request)
        response = forward(request)
        if not response.ok:
            return response
        try:
            asked = json.loads(request.body or b"{}")
            answer = json.loads(response.body)
        except ValueError:
            return response
        with self._lock:
            if call.operation == "DescribeServices":
                for service in answer.get("services", []):
                    self._describe(call.region, service)
            else:
                service = answer.get("service") or {}
                self._write(call.region, call.operation, asked, service)
        body = json.dumps(answer, default=str).encode()
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return Response(response.status, headers + [("Content-Length", str(len(body)))], body)

    @staticmethod
    def _key(region, service):
        return (region, service.get("clusterArn", "").rsplit("/", 1)[-1], service.get("serviceName"))

    def _write(self, region, operation, asked, service):
        key = self._key(region, service)
        record = self._services.setdefault(key, {"settings": {}, "deployments": [], "rolled": {}})
        record["settings"].update({k: asked[k] for k in SETTINGS if k in asked})
        rolled = {k: asked[k] for k in ROLLING_FIELDS if k in asked}
        if operation == "UpdateService" and "taskDefinition" in rolled:
            rolled["taskDefinition"] = service.get("taskDefinition")  # moto keeps what was asked (family:revision)
        changed = (
            operation == "CreateService"
            or asked.get("forceNewDeployment")
            or any(record["rolled"].get(k) != v for k, v in rolled.items())
        )
        record["rolled"].update(rolled)
        if changed:
            for deployment in record["deployments"]:
                deployment["status"] = "ACTIVE"
            record["deployments"].insert(
                0,
                {
                    "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
                    "status": "PRIMARY",
                    "taskDefinition": service.get("taskDefinition"),
                    "desiredCount": service.get("desiredCount", 0),
                    "pendingCount": service.get("desiredCount", 0),
                    "runningCount": 0,
                    "failedTasks": 0,
                    "rolloutState": "IN_PROGRESS",
                    "rolloutStateReason": "ECS deployment in progress.",
                    "networkConfiguration": service.get("networkConfiguration"),
                    "capacityProviderStrategy": record["settings"].get("capacityProviderStrategy", []),
                },
            )
        self._render(record, service, settle=False)

    def _describe(self, region, service):
        record = self._services.get(self._key(region, service))
        if record is not None:
            self._render(record, service, settle=True)

    @staticmethod
    def _render(record, service, settle):
        service.update(record["settings"])
        if "loadBalancers" in record["rolled"]:
            service["loadBalancers"] = record["rolled"]["loadBalancers"]
        desired = service.get("desiredCount", 0)
        if settle and record["deployments"]:
            primary = record["deployments"][0]
            primary.update(
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {primary['id']} completed.",
                runningCount=desired,
                pendingCount=0,
            )
            del record["deployments"][1:]
        for deployment in record["deployments"]:
            if deployment["status"] == "PRIMARY":
                deployment["desiredCount"] = desired
        completed = bool(record["deployments"]) and record["deployments"][0]["rolloutState"] == "COMPLETED"
        service["deployments"] = [dict(d) for d in record["deployments"]]
        service["runningCount"] = desired if completed else 0
        service["pendingCount"] = 0 if completed else desired
