"""ECS services keep their deployment settings, and their deployments roll over time as on AWS.

AWS (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html): a service keeps the
``deploymentConfiguration`` (circuit breaker, minimum healthy and maximum percent), ``capacityProviderStrategy``
and ``healthCheckGracePeriodSeconds`` it was created or updated with. Each CreateService, and each UpdateService
that changes the task definition, the network configuration, the load balancers or the capacity provider
strategy (or forces a new deployment), starts a deployment: the new one is PRIMARY with ``rolloutState``
IN_PROGRESS while its tasks start; the previous one stays ACTIVE, its tasks running, until the new tasks are
up, then drains; when the old tasks are gone the PRIMARY deployment is COMPLETED and the old deployments go.
A scaling change (``desiredCount`` alone) starts no deployment.

The deployment circuit breaker
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html): tasks of a
deployment that keep failing to start count as failed tasks; when they reach the threshold, 0.5 x the desired
count with "a minimum threshold of 3 and a maximum threshold of 200", the deployment's rolloutState becomes
FAILED and ECS stops launching its tasks. With ``rollback`` on, "the service is rolled back to the last
deployment that completed successfully": a new PRIMARY deployment of that task definition starts, and the
service's ``taskDefinition`` is that one again. Without the circuit breaker a failing deployment stays
IN_PROGRESS, replacing failed tasks for ever.

moto 5.2 drops the settings, never changes ``deployments`` after UpdateService, reports runningCount 0 and
keeps the ``family:revision`` it was given as the service's task definition. This behaviour lets moto act,
records the settings and a timeline of deployments per service, and rewrites the answers of CreateService,
UpdateService and DescribeServices from that timeline, evaluated when asked (no background thread):

- a healthy deployment's tasks start over ``deploy_seconds`` (running rises linearly), the old deployment
  drains over ``drain_seconds``, then the new one is COMPLETED with runningCount = desiredCount;
- a task definition with an image a test marked bad (``bad_images``) never gets a task running: one task
  fails every ``task_fail_seconds`` until the circuit breaker's threshold, then the rollback above;
- service ``events`` (newest first) say what happened, as ECS's do (steady state, deployment completed,
  deployment failed, rolling back);
- a scaling change is applied at once (running = the new desired count);
- ListTasks (for a service) and DescribeTasks show each deployment's tasks, RUNNING and PENDING, with their task
  definition, as ECS does (tools such as fabfuel's ``ecs deploy`` count the running tasks of the new revision).

A test sets the timings and the bad images through the control API: ``PUT /_stackops/behaviours/
ecs-service-deployments`` with ``{"deploy_seconds": 0.5, "bad_images": ["api:9.9.9-bad"]}``; ``reset`` restores
the defaults (2 s to start the tasks, 1 s to drain, a task failure every 0.5 s).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid

from ..protocols import Response

SETTINGS = (
    "deploymentConfiguration",
    "capacityProviderStrategy",
    "healthCheckGracePeriodSeconds",
    "enableExecuteCommand",
)
ROLLING_FIELDS = ("taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategy")
DEFAULTS = {"deploy_seconds": 2.0, "drain_seconds": 1.0, "task_fail_seconds": 0.5, "bad_images": []}
MAX_EVENTS = 100


def failure_threshold(desired):
    """The circuit breaker's threshold: half the desired count, at least 3, at most 200 (rounded up)."""
    return min(200, max(3, math.ceil(0.5 * desired)))


def image_is_bad(image, bad_images):
    """``image`` matches an entry of ``bad_images``: the whole reference, or its end after a ``/``
    (``api:9.9.9-bad`` marks ``<registry>/demo-local/api:9.9.9-bad``), or a ``:tag``/``@digest`` suffix."""
    for bad in bad_images:
        if image == bad or image.endswith(bad if bad.startswith((":", "@", "/")) else "/" + bad):
            return True
    return False


class EcsServiceDeployments:
    name = "ecs-service-deployments"
    summary = (
        "ECS deployments roll over time (IN_PROGRESS, tasks start, old ones drain, COMPLETED); "
        "bad images trip the circuit breaker at its documented threshold and roll back"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html"

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._services = {}  # (region, cluster, service name) -> record
        self.settings = dict(DEFAULTS, bad_images=[])

    def reset(self):
        with self._lock:
            self._services.clear()
            self.settings = dict(DEFAULTS, bad_images=[])

    def configure(self, settings):
        """Set timings (seconds) and the bad images; unknown keys are refused."""
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        with self._lock:
            for key, value in settings.items():
                self.settings[key] = list(value) if key == "bad_images" else float(value)
            return dict(self.settings)

    def __call__(self, request, forward):
        call = request.call
        if call.service == "ecs" and call.operation in ("ListTasks", "DescribeTasks"):
            answer = self._tasks(call, request)
            if answer is None:
                return forward(request)
            body = json.dumps(answer, default=str).encode()
            return Response(
                200, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))], body
            )
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
            now = self._clock()
            if call.operation == "DescribeServices":
                for service in answer.get("services", []):
                    record = self._services.get(self._key(call.region, service))
                    if record is not None:
                        self._render(call.region, record, service, now)
            else:
                service = answer.get("service") or {}
                self._write(call.region, call.operation, asked, service, now)
        body = json.dumps(answer, default=str).encode()
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return Response(response.status, headers + [("Content-Length", str(len(body)))], body)

    # -- records -----------------------------------------------------------------------------------------------

    @staticmethod
    def _key(region, service):
        return (region, service.get("clusterArn", "").rsplit("/", 1)[-1], service.get("serviceName"))

    def _write(self, region, operation, asked, service, now):
        key = self._key(region, service)
        record = self._services.setdefault(
            key,
            {
                "settings": {},
                "deployments": [],
                "rolled": {},
                "events": [],
                "last_completed": None,
                "cluster": key[1],
                "name": key[2],
            },
        )
        record["settings"].update({k: asked[k] for k in SETTINGS if k in asked})
        record["arn_prefix"] = (service.get("serviceArn") or "").split(":service/")[0]
        record["cluster_arn"] = service.get("clusterArn")
        service_task_definition = _arn_of(service.get("taskDefinition"), service)
        rolled = {k: asked[k] for k in ROLLING_FIELDS if k in asked}
        if "taskDefinition" in rolled:
            rolled["taskDefinition"] = service_task_definition  # moto keeps what was asked (family:revision)
        self._advance(region, record, service.get("desiredCount", 0), now)
        changed = (
            operation == "CreateService"
            or asked.get("forceNewDeployment")
            or any(record["rolled"].get(k) != v for k, v in rolled.items())
        )
        record["rolled"].update(rolled)
        if changed:
            self._start(record, service_task_definition, service, now)
        # The answer shows the deployment just started (IN_PROGRESS, nothing running yet), as ECS's does.
        self._render(region, record, service, now, advance=not changed)

    def _start(self, record, task_definition, service, now, reason=None):
        for deployment in record["deployments"]:
            if deployment["status"] == "PRIMARY":
                deployment["status"] = "ACTIVE"
                deployment["_drain_from"] = deployment["runningCount"]
        deployment = {
            "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.get("desiredCount", 0),
            "pendingCount": service.get("desiredCount", 0),
            "runningCount": 0,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": reason or "ECS deployment in progress.",
            "networkConfiguration": service.get("networkConfiguration"),
            "capacityProviderStrategy": record["settings"].get("capacityProviderStrategy", []),
            "_started": now,
            "_bad": None,  # decided on first evaluation (the task definition's images)
        }
        record["deployments"].insert(0, deployment)
        return deployment

    def _event(self, record, message, at):
        record["events"].insert(
            0,
            {
                "id": str(uuid.uuid4()),
                "createdAt": time.time() - (self._clock() - at),
                "message": f"(service {record['name']}) {message}",
            },
        )
        del record["events"][MAX_EVENTS:]

    # -- tasks ----------------------------------------------------------------------------------------------------

    def _task_list(self, region, record):
        """(ARN, deployment, lastStatus) of the service's tasks now: each deployment's running and pending ones."""
        desired = record["deployments"][0]["desiredCount"] if record["deployments"] else 0
        self._advance(region, record, desired, self._clock())
        tasks = []
        for deployment in record["deployments"]:
            serial = deployment["id"].rsplit("/", 1)[-1]
            for index in range(deployment["runningCount"] + deployment["pendingCount"]):
                status = "RUNNING" if index < deployment["runningCount"] else "PENDING"
                arn = f"{record['arn_prefix']}:task/{record['cluster']}/{serial}{index:04d}"
                tasks.append((arn, deployment, status))
        return tasks

    def _tasks(self, call, request):
        try:
            asked = json.loads(request.body or b"{}")
        except ValueError:
            return None
        with self._lock:
            if call.operation == "ListTasks":
                if not asked.get("serviceName"):
                    return None
                cluster = str(asked.get("cluster") or "default").rsplit("/", 1)[-1]
                record = self._services.get((call.region, cluster, asked["serviceName"].rsplit("/", 1)[-1]))
                if record is None or not record.get("arn_prefix"):
                    return None
                if asked.get("desiredStatus", "RUNNING") != "RUNNING":
                    return {"taskArns": []}
                return {"taskArns": [arn for arn, _d, _s in self._task_list(call.region, record)]}
            wanted = list(asked.get("tasks") or [])
            known = {}
            for (region, _cluster, _name), record in self._services.items():
                if region == call.region and record.get("arn_prefix") and record["deployments"]:
                    for arn, deployment, status in self._task_list(region, record):
                        known[arn] = (record, deployment, status)
            if not wanted or any(arn not in known for arn in wanted):
                return None
            tasks = []
            for arn in wanted:
                record, deployment, status = known[arn]
                tasks.append(
                    {
                        "taskArn": arn,
                        "clusterArn": record.get("cluster_arn"),
                        "taskDefinitionArn": deployment["taskDefinition"],
                        "lastStatus": status,
                        "desiredStatus": "RUNNING",
                        "group": f"service:{record['name']}",
                        "startedBy": deployment["id"],
                        "launchType": "FARGATE",
                        "containers": [],
                    }
                )
            return {"tasks": tasks, "failures": []}

    # -- the timeline ------------------------------------------------------------------------------------------

    def _advance(self, region, record, desired, now):
        """Bring the record's deployments to time ``now`` (failures, rollbacks, completion, draining)."""
        settings = self.settings
        for _round in range(10):  # a rollback starts another deployment: evaluate it too
            deployments = record["deployments"]
            if not deployments:
                return
            primary = deployments[0]
            if primary["rolloutState"] == "FAILED":  # tripped, nothing to roll back to: ECS launches no more
                return
            if primary["rolloutState"] == "COMPLETED":
                primary["desiredCount"] = primary["runningCount"] = desired  # scaling applies at once
                primary["pendingCount"] = 0
                return
            if primary["_bad"] is None:
                primary["_bad"] = any(
                    image_is_bad(image, settings["bad_images"]) for image in _images(region, primary["taskDefinition"])
                )
            primary["desiredCount"] = desired
            elapsed = now - primary["_started"]
            if primary["_bad"]:
                step = max(settings["task_fail_seconds"], 1e-6)
                failed = int(elapsed / step)
                breaker = (record["settings"].get("deploymentConfiguration") or {}).get(
                    "deploymentCircuitBreaker"
                ) or {}
                threshold = failure_threshold(desired)
                primary.update(runningCount=0, pendingCount=desired)
                if not breaker.get("enable") or failed < threshold:
                    primary["failedTasks"] = failed
                    return
                failed_at = primary["_started"] + threshold * step
                primary.update(
                    failedTasks=threshold,
                    rolloutState="FAILED",
                    rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
                    pendingCount=0,
                )
                self._event(
                    record, f"(deployment {primary['id']}) deployment failed: tasks failed to start.", failed_at
                )
                target = record["last_completed"]
                if not breaker.get("rollback") or target is None:
                    return  # it stays PRIMARY and FAILED
                rollback = self._start(
                    record,
                    target,
                    {"desiredCount": desired, "networkConfiguration": primary.get("networkConfiguration")},
                    failed_at,
                    reason=f"ECS deployment circuit breaker: rolling back to deploymentId {primary['id']}.",
                )
                rollback["_rollback"] = True
                record["rolled"]["taskDefinition"] = target
                _set_moto_task_definition(region, record, target)
                self._event(record, f"(deployment {primary['id']}) rolling back to {target}.", failed_at)
                continue
            deploy, drain = settings["deploy_seconds"], settings["drain_seconds"]
            running = desired if elapsed >= deploy else int(desired * elapsed / deploy) if deploy > 0 else desired
            primary.update(runningCount=running, pendingCount=desired - running)
            drained = 1.0 if elapsed >= deploy + drain else max(0.0, (elapsed - deploy) / drain) if drain > 0 else 1.0
            for old in deployments[1:]:
                start = old.get("_drain_from", old["runningCount"])
                old["runningCount"] = int(start * (1 - drained)) if old["rolloutState"] != "FAILED" else 0
            if elapsed < deploy + drain:
                return
            done_at = primary["_started"] + deploy + drain
            primary.update(
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {primary['id']} completed.",
                runningCount=desired,
                pendingCount=0,
            )
            del deployments[1:]
            record["last_completed"] = primary["taskDefinition"]
            self._event(record, f"(deployment {primary['id']}) deployment completed.", done_at)
            self._event(record, "has reached a steady state.", done_at)
            return

    def _render(self, region, record, service, now, advance=True):
        service.update(record["settings"])
        if "loadBalancers" in record["rolled"]:
            service["loadBalancers"] = record["rolled"]["loadBalancers"]
        if advance:
            self._advance(region, record, service.get("desiredCount", 0), now)
        service["deployments"] = [{k: v for k, v in d.items() if not k.startswith("_")} for d in record["deployments"]]
        primary = record["deployments"][0] if record["deployments"] else None
        if primary is not None:
            service["taskDefinition"] = primary["taskDefinition"]
        service["runningCount"] = sum(d["runningCount"] for d in record["deployments"])
        service["pendingCount"] = sum(d["pendingCount"] for d in record["deployments"])
        service["events"] = [dict(e) for e in record["events"]]


# -- moto's side ----------------------------------------------------------------------------------------------


def _arn_of(task_definition, service):
    """A task definition ARN for ``family:revision`` (what moto keeps after UpdateService)."""
    if not task_definition or str(task_definition).startswith("arn:"):
        return task_definition
    service_arn = service.get("serviceArn") or service.get("clusterArn") or ""
    prefix = service_arn.split(":service/")[0].split(":cluster/")[0]
    return f"{prefix}:task-definition/{task_definition}" if prefix.startswith("arn:") else task_definition


def _backend(region, arn):
    try:
        from moto.ecs.models import ecs_backends
    except ImportError:  # pragma: no cover (the emulator always has moto)
        return None
    account = str(arn or "").split(":")[4] if str(arn or "").count(":") >= 5 else None
    if account is None or account not in ecs_backends:
        return None
    return ecs_backends[account][region]


def _images(region, task_definition):
    """The images of a task definition in moto (none if moto does not know it)."""
    backend = _backend(region, task_definition)
    if backend is None:
        return []
    try:
        definition = backend.describe_task_definition(task_definition)
    except Exception:
        return []
    return [c.get("image", "") for c in definition.container_definitions or []]


def _set_moto_task_definition(region, record, task_definition):
    """After a circuit-breaker rollback the service runs the old task definition again: tell moto too, so later
    UpdateService calls (a forced deployment) start from it."""
    backend = _backend(region, task_definition)
    if backend is None:
        return
    found = backend.services.get(f"{record.get('cluster', '')}:{record['name']}")
    if found is None:
        for key, service in backend.services.items():
            if key.endswith(f":{record['name']}"):
                found = service
                break
    if found is not None:
        found.task_definition = task_definition
