# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The bounded wait for a deployment, what counts as its failure, and the return to the revision that ran
before when it fails (``rollback_on_failure``), waited for too."""

from __future__ import annotations

from ..platform import PlatformError
from ..platform import ResourceTimeout
from .revisions import TAG_FROM
from .revisions import TAG_KIND
from .revisions import TAG_TO
from .revisions import _stable
from .revisions import poll
from .revisions import primary_deployment
from .revisions import read_service
from .revisions import revision_of


class Watch:
    """Waits for the target revision; on a failure, rolls back and reports both."""

    def __init__(self, owner):
        self.o = owner

    def wait_and_verify(self, action):
        o = self.o
        timeout = o.p.get("wait_timeout") or 600
        try:
            with o.phases.phase("wait"):
                self.wait_for_revision(o.target, timeout)
        except (ResourceTimeout, PlatformError) as error:
            failure = str(error)
            if action == "rollback" or not o.p.get("rollback_on_failure", True):
                raise
            # What ran before this run; for a rerun that found its deployment in progress, what ran before that.
            fallback = o.service["taskDefinition"]
            if revision_of(fallback) == revision_of(o.target):
                fallback = o.previous_arn
            if fallback is None:
                raise
            self.roll_back_after_failure(fallback, timeout)
            raise PlatformError(
                f"{failure}; the service was rolled back to {revision_of(fallback)} and runs "
                f"{(o.service_now or {}).get('runningCount')} of {(o.service_now or {}).get('desiredCount')} tasks",
                rolled_back_to=revision_of(fallback),
                events=o.events(),
                previous=o.revision_view(o.current),
                target=o.revision_view(o.target_definition),
            ) from None

    def wait_for_revision(self, target, timeout):
        o = self.o

        def check():
            service = read_service(o.ecs, o.cluster, o.name)
            o.service_now = service
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
                o.deployment = primary
                return True
            return False

        poll(check, timeout, f"ECS service {o.name} to run {revision_of(target)} at its desired count")

    def roll_back_after_failure(self, fallback, timeout):
        o = self.o
        with o.phases.phase("rollback"):
            service = read_service(o.ecs, o.cluster, o.name)
            if revision_of(service["taskDefinition"]) != revision_of(fallback):
                if o.changes.add(f"roll back ECS service {o.name}: {revision_of(o.target)} -> {revision_of(fallback)}"):
                    o.ecs.update_service(cluster=o.cluster, service=o.name, taskDefinition=fallback, aws_retry=True)
            else:
                o.changes.add(f"ECS's circuit breaker rolled ECS service {o.name} back to {revision_of(fallback)}")
            o.ecs.tag_resource(
                resourceArn=service["serviceArn"],
                tags=[
                    {"key": TAG_FROM, "value": revision_of(o.target)},
                    {"key": TAG_TO, "value": revision_of(fallback)},
                    {"key": TAG_KIND, "value": "rollback"},
                ],
                aws_retry=True,
            )
            o.rolled_back_to = revision_of(fallback)
        with o.phases.phase("wait for the rollback"):
            self.wait_for_revision(fallback, timeout)
