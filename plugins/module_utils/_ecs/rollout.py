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

The procedure reads the service and holds the run's state; its parts act: ``targets.py`` (the revision to run),
``update.py`` (UpdateService), ``watch.py`` (the wait, the rollback after a failure), ``scale.py``. The names and
reads they share, which the service lookup uses too, are in ``revisions.py``.
"""

from __future__ import annotations

import datetime

from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from .revisions import ACTIONS
from .revisions import TAG_FROM
from .revisions import TAG_KIND
from .revisions import TAG_TO
from .revisions import _stable
from .revisions import images_of
from .revisions import previous_revision
from .revisions import primary_deployment
from .revisions import read_definition
from .revisions import read_service
from .revisions import revision_number
from .revisions import revision_of
from .revisions import scaling_bounds
from .revisions import short_image
from .revisions import with_tag
from .scale import Scale
from .targets import TargetRevision
from .update import Update
from .watch import Watch

__all__ = [
    "ACTIONS",
    "TAG_FROM",
    "TAG_KIND",
    "TAG_TO",
    "EcsServiceProcedure",
    "_stable",
    "images_of",
    "previous_revision",
    "primary_deployment",
    "read_definition",
    "read_service",
    "revision_number",
    "revision_of",
    "scaling_bounds",
    "short_image",
    "with_tag",
]


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
        self.revision_part = TargetRevision(self)
        self.update_part = Update(self)
        self.watch_part = Watch(self)
        self.scale_part = Scale(self)

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
            self.scale_part.scale()
            return
        with self.phases.phase("prepare"):
            if action == "deploy":
                self.revision_part.prepare_deploy()
            elif action == "rollback":
                self.revision_part.prepare_rollback()
            else:
                self.target, self.target_definition = self.current["taskDefinitionArn"], self.current
        self.update_part.roll(action)

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
