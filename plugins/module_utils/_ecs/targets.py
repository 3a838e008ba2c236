# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The revision a run goes to: for a deploy, the current one with the requested changes (an identical recent
revision reused, else a new one registered); for a rollback, the one asked for or the one that ran before."""

from __future__ import annotations

import copy

from ..platform import PreconditionFailed
from .revisions import REUSE_WINDOW
from .revisions import TAG_FROM
from .revisions import TAG_KIND
from .revisions import TAG_TO
from .revisions import _arn_like
from .revisions import content
from .revisions import family_revisions
from .revisions import images_of
from .revisions import read_definition
from .revisions import revision_number
from .revisions import revision_of
from .revisions import short_image
from .revisions import with_tag


class TargetRevision:
    """Chooses (and for a deploy registers when new) the task definition the service should run."""

    def __init__(self, owner):
        self.o = owner

    def desired_content(self):
        o = self.o
        definition = copy.deepcopy(content(o.current))
        containers = {c["name"]: c for c in definition.get("containerDefinitions") or []}
        for name, image in (o.p.get("images") or {}).items():
            if name not in containers:
                raise PreconditionFailed(
                    f"images.{name}: task definition {revision_of(o.current['taskDefinitionArn'])} has no container "
                    f"{name} (containers: {', '.join(sorted(containers))})"
                )
            containers[name]["image"] = short_image(image, containers[name].get("image"))
        if o.p.get("tag"):
            for container in containers.values():
                container["image"] = with_tag(container.get("image"), o.p["tag"])
        if o.p.get("environment") or o.p.get("secrets"):
            target = self.env_container(containers)
            if o.p.get("environment"):
                env = {e["name"]: e.get("value") for e in target.get("environment") or []}
                env.update({k: str(v) for k, v in o.p["environment"].items()})
                target["environment"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
            if o.p.get("secrets"):
                secrets = {s["name"]: s.get("valueFrom") for s in target.get("secrets") or []}
                secrets.update(o.p["secrets"])
                target["secrets"] = [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())]
        return definition

    def env_container(self, containers):
        o = self.o
        wanted = o.p.get("container")
        if wanted:
            if wanted not in containers:
                raise PreconditionFailed(
                    f"container: no container {wanted} (containers: {', '.join(sorted(containers))})"
                )
            return containers[wanted]
        if o.name in containers:
            return containers[o.name]
        if len(containers) == 1:
            return next(iter(containers.values()))
        raise PreconditionFailed(
            f"container: the task definition has several containers ({', '.join(sorted(containers))}); "
            "say which one the environment and secrets are for"
        )

    def prepare_deploy(self):
        o = self.o
        desired = self.desired_content()
        family = desired["family"]
        if desired == content(o.current):
            o.target, o.target_definition = o.current["taskDefinitionArn"], o.current
            return
        revisions = family_revisions(o.ecs, family)
        for arn in revisions[:REUSE_WINDOW]:  # a revision an interrupted run registered, or an older identical one
            if revision_of(arn) == revision_of(o.current["taskDefinitionArn"]):
                continue
            found = read_definition(o.ecs, arn)
            if found is not None and content(found) == desired:
                o.target, o.target_definition = found["taskDefinitionArn"], found
                return
        latest = max([revision_number(a) for a in revisions] or [revision_number(o.current["taskDefinitionArn"])])
        predicted = f"{family}:{latest + 1}"
        o.target_definition = {
            **desired,
            "taskDefinitionArn": _arn_like(o.current["taskDefinitionArn"], predicted),
        }
        o.target = o.target_definition["taskDefinitionArn"]
        if o.changes.add(f"register task definition {predicted} ({self.image_change(desired)})"):
            params = dict(desired)
            if o.current.get("tagList"):
                params["tags"] = o.current["tagList"]
            registered = o.ecs.register_task_definition(aws_retry=True, **params)["taskDefinition"]
            o.target, o.target_definition = registered["taskDefinitionArn"], registered
            o.registered = True

    def image_change(self, desired):
        o = self.o
        before, after = images_of(o.current), images_of(desired)
        changed = [f"{n}: {before.get(n)} -> {after[n]}" for n in sorted(after) if before.get(n) != after[n]]
        return "; ".join(changed) or "environment or secrets"

    def prepare_rollback(self):
        o = self.o
        current = o.current["taskDefinitionArn"]
        tags = o.service.get("tagMap") or {}
        if o.p.get("revision") is not None:
            family = revision_of(current).rsplit(":", 1)[0]
            wanted = f"{family}:{o.p['revision']}"
            found = read_definition(o.ecs, wanted)
            if found is None:
                raise PreconditionFailed(f"revision: task definition {wanted} does not exist")
            if found.get("status") != "ACTIVE":
                raise PreconditionFailed(f"revision: task definition {wanted} is {found.get('status')}, not ACTIVE")
            o.target, o.target_definition = found["taskDefinitionArn"], found
            return
        if tags.get(TAG_KIND) == "rollback" and revision_of(tags.get(TAG_TO)) == revision_of(current):
            # A rollback already brought the service here: a second run is a no-op, never a flip back.
            o.target, o.target_definition = current, o.current
            o.warnings.append(
                f"{o.name} was already rolled back from {revision_of(tags.get(TAG_FROM))} to {revision_of(current)}; "
                "pass revision to go elsewhere"
            )
            return
        if o.previous_arn is None:
            raise PreconditionFailed(
                f"service {o.name}: no previous revision to roll back to ({revision_of(current)} is the oldest ACTIVE one)"
            )
        found = read_definition(o.ecs, o.previous_arn)
        if found is None or found.get("status") != "ACTIVE":
            raise PreconditionFailed(
                f"service {o.name}: the previous revision {revision_of(o.previous_arn)} is not ACTIVE"
            )
        o.target, o.target_definition = found["taskDefinitionArn"], found
