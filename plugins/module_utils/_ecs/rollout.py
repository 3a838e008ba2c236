# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Procedures on one ECS service: deploy, roll back, restart, scale; and the reads the service lookup shares.

A deploy is preflight -> register (only when the content is new) -> update -> a bounded wait -> verify:

- The new revision is the service's current task definition with the requested changes. Before registering,
  the family's newest revisions are compared by content, so a rerun after an interrupted run (killed after
  RegisterTaskDefinition, or mid-wait) reuses the revision it registered instead of making another.
- Before UpdateService the service is tagged with what the deploy does (``stackops:deploy-from``,
  ``stackops:deploy-to``, ``stackops:deploy-kind``): that is how the previous revision is known later (ECS keeps
  no history of a service's task definitions) and how a second rollback sees that it already happened.
- The wait is over when the PRIMARY deployment runs the target revision, its rolloutState is COMPLETED (when
  ECS reports one: services with the circuit breaker), it is the only deployment and the service runs its
  desired count. ``aws ecs wait services-stable`` checks only the last two, which are true before a new
  deployment has started and after the circuit breaker rolled one back.
- A deployment the circuit breaker marked FAILED is a failure even though ECS rolled the service back; so is a
  timeout. With ``rollback_on_failure`` the service is returned to the revision it ran before (ECS may have
  done it already) and that is waited for too; the module still fails, saying so.
- No task definition is ever deregistered here: the revision a service runs stays usable.
"""

from __future__ import annotations

import copy
import datetime
import re

from ..platform import Changes
from ..platform import Phases
from ..platform import PlatformError
from ..platform import PreconditionFailed
from ..platform import ResourceTimeout
from ..platform import not_found
from ..platform import wait_for

TAG_FROM = "stackops:deploy-from"
TAG_TO = "stackops:deploy-to"
TAG_KIND = "stackops:deploy-kind"
# RegisterTaskDefinition's parameters that DescribeTaskDefinition returns: what a revision's content is.
REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
# How many of the family's newest revisions are compared with a new one before registering it.
REUSE_WINDOW = 5
_IMAGE_TAG = re.compile(r"^(?P<name>(?:[^/]+/)*[^/:@]+)(?::(?P<tag>[^/@]+))?(?:@(?P<digest>.+))?$")
ACTIONS = ("deploy", "rollback", "restart", "scale", "status")


def _ecs_tags(tags):
    return {t["key"]: t["value"] for t in tags or []}


def revision_of(arn):
    """``family:12`` from a task definition ARN (or ``family:12`` itself)."""
    return str(arn or "").rsplit("/", 1)[-1] or None


def revision_number(arn):
    value = revision_of(arn)
    return int(value.rsplit(":", 1)[1]) if value and ":" in value else None


def with_tag(image, tag):
    """``image`` with its tag replaced by ``tag`` (a digest is dropped: it pins the old content)."""
    match = _IMAGE_TAG.match(image or "")
    name = match.group("name") if match else image.split("@")[0].rsplit(":", 1)[0]
    return f"{name}:{tag}"


def short_image(image, current):
    """``api:1.4.3`` (no registry, the repository the container runs now) becomes the current image's registry and
    path with the new tag: ``<registry>/demo-local/api:1.4.3``. Anything else is used as given."""
    if "/" in image or not current or "/" not in current:
        return image
    prefix, last = current.rsplit("/", 1)
    repository = re.split(r"[:@]", last, maxsplit=1)[0]
    if re.split(r"[:@]", image, maxsplit=1)[0] != repository:
        return image
    return f"{prefix}/{image}"


def content(definition):
    """The registrable content of a described task definition, empty values dropped, for comparison."""
    return {k: definition[k] for k in REGISTER_FIELDS if definition.get(k) not in (None, [], {}, "")}


def images_of(definition):
    return {c["name"]: c.get("image") for c in (definition or {}).get("containerDefinitions") or []}


# -- reads (the lookup uses these too) ---------------------------------------------------------------------------


def read_service(ecs, cluster, name):
    answer = ecs.describe_services(cluster=cluster, services=[name], include=["TAGS"], aws_retry=True)
    found = next((s for s in answer.get("services", []) if s.get("status") != "INACTIVE"), None)
    if found is not None:
        found["tagMap"] = _ecs_tags(found.get("tags"))
    return found


def read_definition(ecs, arn):
    answer = not_found(
        lambda: ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"], aws_retry=True),
        "ClientException",
        "InvalidParameterException",
    )
    if not answer:
        return None
    definition = answer["taskDefinition"]
    definition["tagList"] = answer.get("tags") or []
    return definition


def family_revisions(ecs, family, status="ACTIVE"):
    """ARNs of the family's revisions, newest first (one page: the newest 100)."""
    answer = ecs.list_task_definitions(familyPrefix=family, status=status, sort="DESC", maxResults=100, aws_retry=True)
    return [a for a in answer.get("taskDefinitionArns", []) if revision_of(a).rsplit(":", 1)[0] == family]


def previous_revision(ecs, service, revisions=None):
    """The task definition ARN the service ran before its current one: from the deploy tags when they describe
    the current revision, else the newest ACTIVE revision of the family older than the current one."""
    current = service.get("taskDefinition")
    tags = service.get("tagMap") or {}
    if tags.get(TAG_TO) and revision_of(tags[TAG_TO]) == revision_of(current) and tags.get(TAG_FROM):
        return _arn_like(current, tags[TAG_FROM])
    number = revision_number(current)
    family = revision_of(current).rsplit(":", 1)[0]
    for arn in revisions if revisions is not None else family_revisions(ecs, family):
        if revision_number(arn) is not None and number is not None and revision_number(arn) < number:
            return arn
    return None


def _arn_like(example_arn, revision):
    """The ARN of ``family:N`` in the account and region of ``example_arn``."""
    if str(revision).startswith("arn:"):
        return revision
    return f"{str(example_arn).rsplit('/', 1)[0]}/{revision}"


def primary_deployment(service):
    return next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def scaling_bounds(autoscaling, cluster, name):
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{cluster}/{name}"],
        ScalableDimension="ecs:service:DesiredCount",
        aws_retry=True,
    ).get("ScalableTargets", [])
    if not targets:
        return None
    return {"min": targets[0]["MinCapacity"], "max": targets[0]["MaxCapacity"]}


def _stable(service, target):
    """Done: the PRIMARY deployment runs ``target``, COMPLETED (when reported), alone, at the desired count."""
    primary = primary_deployment(service)
    return (
        revision_of(primary.get("taskDefinition")) == revision_of(target)
        and primary.get("rolloutState", "COMPLETED") == "COMPLETED"
        and len(service.get("deployments") or []) == 1
        and primary.get("runningCount") == service.get("desiredCount")
        and service.get("runningCount") == service.get("desiredCount")
    )


class EcsServiceProcedure:
    """One procedure on one service; ``run()`` does it, ``result()`` reports it."""

    def __init__(self, params, clients, check_mode):
        self.p = params
        self.ecs = clients["ecs"]
        self.autoscaling = clients.get("application-autoscaling")
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.cluster, self.name = params["cluster"], params["service"]
        self.service = None
        self.current = None  # the task definition the service runs at the start
        self.target = None  # the task definition it should run at the end
        self.target_definition = None
        self.previous_arn = None
        self.registered = False
        self.deployment = {}
        self.rolled_back_to = None
        self.started = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017
        self.before_snapshot = {}
        self.bounds = None
        self.scaled = None
        self.service_now = None

    @property
    def check_mode(self):
        return self.changes.check_mode

    # -- the procedure ---------------------------------------------------------------------------------------------

    def run(self):
        action = self.p["action"]
        with self.phases.phase("preflight"):
            self.read()
        if action == "status":
            return
        if action == "scale":
            self.scale()
            return
        with self.phases.phase("prepare"):
            if action == "deploy":
                self.prepare_deploy()
            elif action == "rollback":
                self.prepare_rollback()
            else:
                self.target, self.target_definition = self.current["taskDefinitionArn"], self.current
        self.roll(action)

    def read(self):
        self.service = read_service(self.ecs, self.cluster, self.name)
        if self.service is None:
            raise PreconditionFailed(f"service: no ECS service {self.name} in cluster {self.cluster}")
        self.current = read_definition(self.ecs, self.service["taskDefinition"])
        if self.current is None:
            raise PreconditionFailed(
                f"service {self.name}: its task definition {self.service['taskDefinition']} is gone"
            )
        self.previous_arn = previous_revision(self.ecs, self.service)
        self.before_snapshot = self.view(self.current)

    def view(self, definition):
        primary = primary_deployment(self.service)
        return {
            "task_definition": revision_of(definition.get("taskDefinitionArn")),
            "images": images_of(definition),
            "environment": {
                c["name"]: sorted(e["name"] for e in c.get("environment") or [])
                for c in definition.get("containerDefinitions") or []
            },
            "secrets": {
                c["name"]: sorted(s["name"] for s in c.get("secrets") or [])
                for c in definition.get("containerDefinitions") or []
            },
            "desired_count": self.service.get("desiredCount"),
            "deployment": primary.get("rolloutState"),
        }

    # -- deploy: the revision ---------------------------------------------------------------------------------------

    def desired_content(self):
        definition = copy.deepcopy(content(self.current))
        containers = {c["name"]: c for c in definition.get("containerDefinitions") or []}
        for name, image in (self.p.get("images") or {}).items():
            if name not in containers:
                raise PreconditionFailed(
                    f"images.{name}: task definition {revision_of(self.current['taskDefinitionArn'])} has no container "
                    f"{name} (containers: {', '.join(sorted(containers))})"
                )
            containers[name]["image"] = short_image(image, containers[name].get("image"))
        if self.p.get("tag"):
            for container in containers.values():
                container["image"] = with_tag(container.get("image"), self.p["tag"])
        if self.p.get("environment") or self.p.get("secrets"):
            target = self.env_container(containers)
            if self.p.get("environment"):
                env = {e["name"]: e.get("value") for e in target.get("environment") or []}
                env.update({k: str(v) for k, v in self.p["environment"].items()})
                target["environment"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
            if self.p.get("secrets"):
                secrets = {s["name"]: s.get("valueFrom") for s in target.get("secrets") or []}
                secrets.update(self.p["secrets"])
                target["secrets"] = [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())]
        return definition

    def env_container(self, containers):
        wanted = self.p.get("container")
        if wanted:
            if wanted not in containers:
                raise PreconditionFailed(
                    f"container: no container {wanted} (containers: {', '.join(sorted(containers))})"
                )
            return containers[wanted]
        if self.name in containers:
            return containers[self.name]
        if len(containers) == 1:
            return next(iter(containers.values()))
        raise PreconditionFailed(
            f"container: the task definition has several containers ({', '.join(sorted(containers))}); "
            "say which one the environment and secrets are for"
        )

    def prepare_deploy(self):
        desired = self.desired_content()
        family = desired["family"]
        if desired == content(self.current):
            self.target, self.target_definition = self.current["taskDefinitionArn"], self.current
            return
        revisions = family_revisions(self.ecs, family)
        for arn in revisions[:REUSE_WINDOW]:  # a revision an interrupted run registered, or an older identical one
            if revision_of(arn) == revision_of(self.current["taskDefinitionArn"]):
                continue
            found = read_definition(self.ecs, arn)
            if found is not None and content(found) == desired:
                self.target, self.target_definition = found["taskDefinitionArn"], found
                return
        latest = max([revision_number(a) for a in revisions] or [revision_number(self.current["taskDefinitionArn"])])
        predicted = f"{family}:{latest + 1}"
        self.target_definition = {
            **desired,
            "taskDefinitionArn": _arn_like(self.current["taskDefinitionArn"], predicted),
        }
        self.target = self.target_definition["taskDefinitionArn"]
        if self.changes.add(f"register task definition {predicted} ({self.image_change(desired)})"):
            params = dict(desired)
            if self.current.get("tagList"):
                params["tags"] = self.current["tagList"]
            registered = self.ecs.register_task_definition(aws_retry=True, **params)["taskDefinition"]
            self.target, self.target_definition = registered["taskDefinitionArn"], registered
            self.registered = True

    def image_change(self, desired):
        before, after = images_of(self.current), images_of(desired)
        changed = [f"{n}: {before.get(n)} -> {after[n]}" for n in sorted(after) if before.get(n) != after[n]]
        return "; ".join(changed) or "environment or secrets"

    # -- rollback: the revision --------------------------------------------------------------------------------------

    def prepare_rollback(self):
        current = self.current["taskDefinitionArn"]
        tags = self.service.get("tagMap") or {}
        if self.p.get("revision") is not None:
            family = revision_of(current).rsplit(":", 1)[0]
            wanted = f"{family}:{self.p['revision']}"
            found = read_definition(self.ecs, wanted)
            if found is None:
                raise PreconditionFailed(f"revision: task definition {wanted} does not exist")
            if found.get("status") != "ACTIVE":
                raise PreconditionFailed(f"revision: task definition {wanted} is {found.get('status')}, not ACTIVE")
            self.target, self.target_definition = found["taskDefinitionArn"], found
            return
        if tags.get(TAG_KIND) == "rollback" and revision_of(tags.get(TAG_TO)) == revision_of(current):
            # A rollback already brought the service here: a second run is a no-op, never a flip back.
            self.target, self.target_definition = current, self.current
            self.warnings.append(
                f"{self.name} was already rolled back from {revision_of(tags.get(TAG_FROM))} to {revision_of(current)}; "
                "pass revision to go elsewhere"
            )
            return
        if self.previous_arn is None:
            raise PreconditionFailed(
                f"service {self.name}: no previous revision to roll back to ({revision_of(current)} is the oldest ACTIVE one)"
            )
        found = read_definition(self.ecs, self.previous_arn)
        if found is None or found.get("status") != "ACTIVE":
            raise PreconditionFailed(
                f"service {self.name}: the previous revision {revision_of(self.previous_arn)} is not ACTIVE"
            )
        self.target, self.target_definition = found["taskDefinitionArn"], found

    # -- update and wait ---------------------------------------------------------------------------------------------

    def roll(self, action):
        current = self.service["taskDefinition"]
        primary = primary_deployment(self.service)
        if revision_of(self.target) != revision_of(current):
            self.start(action, force=False)
        elif primary.get("rolloutState") == "IN_PROGRESS" and not _stable(self.service, self.target):
            # An interrupted run (or someone else) already started this deployment: wait for it, start no other.
            self.warnings.append(
                f"a deployment of {revision_of(self.target)} is already in progress ({primary.get('id')}): waiting for it"
            )
        elif action == "restart" or self.p.get("force_new_deployment"):
            self.start(action, force=True)
        elif _stable(self.service, self.target):
            self.deployment = primary
            return  # already there: nothing to do, nothing to wait for
        if self.check_mode or not self.p.get("wait", True):
            return
        self.wait_and_verify(action)

    def start(self, action, force):
        what = {"deploy": "deploy", "rollback": "roll back", "restart": "restart"}[action]
        sentence = f"{what} ECS service {self.name}: {revision_of(self.service['taskDefinition'])}" + (
            f" -> {revision_of(self.target)}" if not force else " (new tasks, same revision)"
        )
        with self.phases.phase("update"):
            if not self.changes.add(sentence):
                return
            if not force:
                self.tag_service(
                    kind="rollback" if action == "rollback" else "deploy", source=self.service["taskDefinition"]
                )
            answer = self.ecs.update_service(
                cluster=self.cluster,
                service=self.name,
                taskDefinition=self.target,
                forceNewDeployment=bool(force),
                aws_retry=True,
            )["service"]
            self.deployment = primary_deployment(answer)

    def tag_service(self, kind, source):
        tags = {TAG_FROM: revision_of(source), TAG_TO: revision_of(self.target), TAG_KIND: kind}
        self.ecs.tag_resource(
            resourceArn=self.service["serviceArn"],
            tags=[{"key": k, "value": v} for k, v in tags.items()],
            aws_retry=True,
        )

    def wait_and_verify(self, action):
        timeout = self.p.get("wait_timeout") or 600
        try:
            with self.phases.phase("wait"):
                self.wait_for_revision(self.target, timeout)
        except (ResourceTimeout, PlatformError) as error:
            failure = str(error)
            if action == "rollback" or not self.p.get("rollback_on_failure", True):
                raise
            # What ran before this run; for a rerun that found its deployment in progress, what ran before that.
            fallback = self.service["taskDefinition"]
            if revision_of(fallback) == revision_of(self.target):
                fallback = self.previous_arn
            if fallback is None:
                raise
            self.roll_back_after_failure(fallback, timeout)
            raise PlatformError(
                f"{failure}; the service was rolled back to {revision_of(fallback)} and runs "
                f"{(self.service_now or {}).get('runningCount')} of {(self.service_now or {}).get('desiredCount')} tasks",
                rolled_back_to=revision_of(fallback),
                events=self.events(),
                previous=self.revision_view(self.current),
                target=self.revision_view(self.target_definition),
            ) from None

    def wait_for_revision(self, target, timeout):
        def check():
            service = read_service(self.ecs, self.cluster, self.name)
            self.service_now = service
            ours = next(
                (
                    d
                    for d in service.get("deployments") or []
                    if revision_of(d.get("taskDefinition")) == revision_of(target)
                ),
                None,
            )
            if ours is not None and ours.get("rolloutState") == "FAILED":
                raise PlatformError(
                    f"deployment {ours.get('id')} of {revision_of(target)} failed: {ours.get('rolloutStateReason')} "
                    f"({ours.get('failedTasks', 0)} failed tasks; ECS's circuit breaker stopped it)"
                )
            primary = primary_deployment(service)
            if revision_of(primary.get("taskDefinition")) != revision_of(target):
                raise PlatformError(
                    f"the service's PRIMARY deployment is now {revision_of(primary.get('taskDefinition'))}, not "
                    f"{revision_of(target)} ({primary.get('rolloutStateReason') or 'another deployment replaced it'})"
                )
            if _stable(service, target):
                self.deployment = primary
                return True
            return False

        wait_for(
            check,
            timeout,
            f"ECS service {self.name} to run {revision_of(target)} at its desired count",
            delay=1.0,
            max_delay=2.0,
        )

    def roll_back_after_failure(self, fallback, timeout):
        with self.phases.phase("rollback"):
            service = read_service(self.ecs, self.cluster, self.name)
            if revision_of(service["taskDefinition"]) != revision_of(fallback):
                if self.changes.add(
                    f"roll back ECS service {self.name}: {revision_of(self.target)} -> {revision_of(fallback)}"
                ):
                    self.ecs.update_service(
                        cluster=self.cluster, service=self.name, taskDefinition=fallback, aws_retry=True
                    )
            else:
                self.changes.add(
                    f"ECS's circuit breaker rolled ECS service {self.name} back to {revision_of(fallback)}"
                )
            self.ecs.tag_resource(
                resourceArn=service["serviceArn"],
                tags=[
                    {"key": TAG_FROM, "value": revision_of(self.target)},
                    {"key": TAG_TO, "value": revision_of(fallback)},
                    {"key": TAG_KIND, "value": "rollback"},
                ],
                aws_retry=True,
            )
            self.rolled_back_to = revision_of(fallback)
        with self.phases.phase("wait for the rollback"):
            self.wait_for_revision(fallback, timeout)

    # -- scale -----------------------------------------------------------------------------------------------------

    def scale(self):
        count, low, high = self.p.get("desired_count"), self.p.get("min_capacity"), self.p.get("max_capacity")
        with self.phases.phase("prepare"):
            self.bounds = scaling_bounds(self.autoscaling, self.cluster, self.name) if self.autoscaling else None
            new_low = low if low is not None else (self.bounds or {}).get("min")
            new_high = high if high is not None else (self.bounds or {}).get("max")
            if new_low is not None and new_high is not None and new_low > new_high:
                raise PreconditionFailed(f"min_capacity: {new_low} is above max_capacity {new_high}")
            if count is not None and new_low is not None and count < new_low:
                raise PreconditionFailed(
                    f"desired_count: {count} is below the autoscaling minimum {new_low} (pass min_capacity to lower it)"
                )
            if count is not None and new_high is not None and count > new_high:
                raise PreconditionFailed(
                    f"desired_count: {count} is above the autoscaling maximum {new_high} (pass max_capacity to raise it)"
                )
        with self.phases.phase("update"):
            if (low is not None or high is not None) and (new_low, new_high) != (
                (self.bounds or {}).get("min"),
                (self.bounds or {}).get("max"),
            ):
                if self.changes.add(f"scale ECS service {self.name} between {new_low} and {new_high} tasks"):
                    self.autoscaling.register_scalable_target(
                        ServiceNamespace="ecs",
                        ResourceId=f"service/{self.cluster}/{self.name}",
                        ScalableDimension="ecs:service:DesiredCount",
                        MinCapacity=new_low,
                        MaxCapacity=new_high,
                        aws_retry=True,
                    )
            before = self.service.get("desiredCount")
            if (
                count is not None
                and count != before
                and self.changes.add(f"ECS service {self.name}: desired count {before} -> {count}")
            ):
                self.ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=count, aws_retry=True)
            self.scaled = {"desired_count": count if count is not None else before, "min": new_low, "max": new_high}
        if self.check_mode or not self.p.get("wait", True) or count is None:
            return
        with self.phases.phase("wait"):

            def settled():
                service = read_service(self.ecs, self.cluster, self.name)
                self.service_now = service
                return service.get("runningCount") == count and len(service.get("deployments") or []) == 1

            wait_for(
                settled, self.p.get("wait_timeout") or 600, f"ECS service {self.name} to run {count} tasks", delay=1.0
            )

    # -- the result ------------------------------------------------------------------------------------------------

    def events(self):
        service = self.service_now or self.service or {}
        since = self.started - datetime.timedelta(seconds=5)
        found = []
        for event in service.get("events") or []:
            created = event.get("createdAt")
            if isinstance(created, datetime.datetime) and created < since:
                continue
            found.append({"at": str(created), "message": event.get("message")})
        return list(reversed(found))

    def revision_view(self, definition):
        if not definition:
            return None
        arn = definition.get("taskDefinitionArn")
        return {
            "task_definition": revision_of(arn),
            "revision": revision_number(arn),
            "arn": arn,
            "images": images_of(definition),
        }

    def after(self):
        if self.p["action"] in ("deploy", "rollback", "restart") and self.target_definition:
            view = self.view(self.target_definition)
            view["task_definition"] = revision_of(self.target)
            return view
        view = dict(self.before_snapshot)
        if self.scaled:
            view["desired_count"] = self.scaled["desired_count"]
        return view

    def result(self):
        service = self.service_now or self.service or {}
        primary = primary_deployment(service)
        result = {
            "cluster": self.cluster,
            "service": self.name,
            "action": self.p["action"],
            "previous": self.revision_view(self.current),
            "current": self.revision_view(self.target_definition or self.current),
            "previous_revision": revision_of(self.previous_arn),
            "registered": self.registered,
            "desired_count": service.get("desiredCount"),
            "running_count": service.get("runningCount"),
            "deployment": {
                "id": primary.get("id"),
                "rollout_state": primary.get("rolloutState"),
                "task_definition": revision_of(primary.get("taskDefinition")),
                "running_count": primary.get("runningCount"),
                "failed_tasks": primary.get("failedTasks"),
            },
            "deployments": [
                {
                    "id": d.get("id"),
                    "status": d.get("status"),
                    "rollout_state": d.get("rolloutState"),
                    "task_definition": revision_of(d.get("taskDefinition")),
                    "running_count": d.get("runningCount"),
                    "desired_count": d.get("desiredCount"),
                    "failed_tasks": d.get("failedTasks"),
                }
                for d in service.get("deployments") or []
            ],
            "events": self.events(),
        }
        if self.p["action"] == "scale" or self.p["action"] == "status":
            bounds = (
                self.bounds
                if self.bounds is not None
                else (scaling_bounds(self.autoscaling, self.cluster, self.name) if self.autoscaling else None)
            )
            result["autoscaling"] = {
                "min": (self.scaled or bounds or {}).get("min"),
                "max": (self.scaled or bounds or {}).get("max"),
            }
        return result
