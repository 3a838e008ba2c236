# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Scaling one service: its desired count within the autoscaling bounds, and the bounds themselves."""

from __future__ import annotations

from ..platform import PreconditionFailed
from .revisions import poll
from .revisions import read_service
from .revisions import scaling_bounds


class Scale:
    """Changes the bounds first, then the count, then waits for the count to run."""

    def __init__(self, owner):
        self.o = owner

    def scale(self):
        o = self.o
        count, low, high = o.p.get("desired_count"), o.p.get("min_capacity"), o.p.get("max_capacity")
        with o.phases.phase("prepare"):
            o.bounds = scaling_bounds(o.autoscaling, o.cluster, o.name) if o.autoscaling else None
            new_low = low if low is not None else (o.bounds or {}).get("min")
            new_high = high if high is not None else (o.bounds or {}).get("max")
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
        with o.phases.phase("update"):
            if (low is not None or high is not None) and (new_low, new_high) != (
                (o.bounds or {}).get("min"),
                (o.bounds or {}).get("max"),
            ):
                if o.changes.add(f"scale ECS service {o.name} between {new_low} and {new_high} tasks"):
                    o.autoscaling.register_scalable_target(
                        ServiceNamespace="ecs",
                        ResourceId=f"service/{o.cluster}/{o.name}",
                        ScalableDimension="ecs:service:DesiredCount",
                        MinCapacity=new_low,
                        MaxCapacity=new_high,
                        aws_retry=True,
                    )
            before = o.service.get("desiredCount")
            if (
                count is not None
                and count != before
                and o.changes.add(f"ECS service {o.name}: desired count {before} -> {count}")
            ):
                o.ecs.update_service(cluster=o.cluster, service=o.name, desiredCount=count, aws_retry=True)
            o.scaled = {"desired_count": count if count is not None else before, "min": new_low, "max": new_high}
        if o.check_mode or not o.p.get("wait", True) or count is None:
            return
        with o.phases.phase("wait"):

            def settled():
                service = read_service(o.ecs, o.cluster, o.name)
                o.service_now = service
                return service.get("runningCount") == count and len(service.get("deployments") or []) == 1

            poll(settled, o.p.get("wait_timeout") or 600, f"ECS service {o.name} to run {count} tasks")
