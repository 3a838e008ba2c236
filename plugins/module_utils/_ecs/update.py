# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The act: UpdateService to the target revision (the service tagged first with what the deploy does), or a
new deployment of the same revision; nothing when the service already runs the target."""

from __future__ import annotations

from .revisions import TAG_FROM
from .revisions import TAG_KIND
from .revisions import TAG_TO
from .revisions import _stable
from .revisions import primary_deployment
from .revisions import revision_of


class Update:
    """Starts the deployment a run needs and hands the wait to the watch."""

    def __init__(self, owner):
        self.o = owner

    def roll(self, action):
        o = self.o
        current = o.service["taskDefinition"]
        primary = primary_deployment(o.service)
        if revision_of(o.target) != revision_of(current):
            self.start(action, force=False)
        elif primary.get("rolloutState") == "IN_PROGRESS" and not _stable(o.service, o.target):
            # An interrupted run (or someone else) already started this deployment: wait for it, start no other.
            o.warnings.append(
                f"a deployment of {revision_of(o.target)} is already in progress ({primary.get('id')}): waiting for it"
            )
        elif action == "restart" or o.p.get("force_new_deployment"):
            self.start(action, force=True)
        elif _stable(o.service, o.target):
            o.deployment = primary
            return  # already there: nothing to do, nothing to wait for
        if o.check_mode or not o.p.get("wait", True):
            return
        o.watch_part.wait_and_verify(action)

    def start(self, action, force):
        o = self.o
        what = {"deploy": "deploy", "rollback": "roll back", "restart": "restart"}[action]
        sentence = f"{what} ECS service {o.name}: {revision_of(o.service['taskDefinition'])}" + (
            f" -> {revision_of(o.target)}" if not force else " (new tasks, same revision)"
        )
        with o.phases.phase("update"):
            if not o.changes.add(sentence):
                return
            if not force:
                self.tag_service(
                    kind="rollback" if action == "rollback" else "deploy", source=o.service["taskDefinition"]
                )
            answer = o.ecs.update_service(
                cluster=o.cluster,
                service=o.name,
                taskDefinition=o.target,
                forceNewDeployment=bool(force),
                aws_retry=True,
            )["service"]
            o.deployment = primary_deployment(answer)

    def tag_service(self, kind, source):
        o = self.o
        tags = {TAG_FROM: revision_of(source), TAG_TO: revision_of(o.target), TAG_KIND: kind}
        o.ecs.tag_resource(
            resourceArn=o.service["serviceArn"],
            tags=[{"key": k, "value": v} for k, v in tags.items()],
            aws_retry=True,
        )
