# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Service auto scaling: the scalable target (min and max tasks) and target tracking on CPU and memory."""

from __future__ import annotations

# Target tracking policies per service: option prefix -> (what the changes say, the predefined metric).
SCALING_METRICS = {
    "cpu": ("CPU", "ECSServiceAverageCPUUtilization"),
    "memory": ("memory", "ECSServiceAverageMemoryUtilization"),
}


class Scaling:
    def __init__(self, owner):
        self.o = owner

    def view(self, name):
        o = self.o
        target = o.targets.get(o.names.resource_id(name))
        view = {
            "min": target.get("MinCapacity") if target else None,
            "max": target.get("MaxCapacity") if target else None,
        }
        for metric in SCALING_METRICS:
            policy = o.policies.get(o.names.scaling_policy(name, metric))
            config = (policy or {}).get("TargetTrackingScalingPolicyConfiguration") or {}
            view[f"{metric}_target"] = config.get("TargetValue") if policy else None
        return view

    def converge(self):
        o = self.o
        scaling = o.c["application-autoscaling"]
        for service in o.services:
            name = service["name"]
            resource = o.names.resource_id(name)
            current = self.view(name)
            low, high = service["min_tasks"], service["max_tasks"]
            if (current["min"], current["max"]) != (low, high) and o.changes.add(
                f"scale ECS service {name} between {low} and {high} tasks"
            ):
                scaling.register_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=resource,
                    ScalableDimension="ecs:service:DesiredCount",
                    MinCapacity=low,
                    MaxCapacity=high,
                    aws_retry=True,
                )
            for metric, (label, predefined) in SCALING_METRICS.items():
                target = float(service[f"{metric}_target"]) if service[f"{metric}_target"] else None
                policy_name = o.names.scaling_policy(name, metric)
                if target is None:
                    if current[f"{metric}_target"] is not None and o.changes.add(
                        f"ECS service {name}: stop target tracking on {label}"
                    ):
                        scaling.delete_scaling_policy(
                            PolicyName=policy_name,
                            ServiceNamespace="ecs",
                            ResourceId=resource,
                            ScalableDimension="ecs:service:DesiredCount",
                            aws_retry=True,
                        )
                    continue
                if current[f"{metric}_target"] != target and o.changes.add(
                    f"ECS service {name}: target tracking on {label} at {target:g}%"
                ):
                    # Target tracking on several metrics: scale out when any is above its target, in only when
                    # all are below (AWS: https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html).
                    scaling.put_scaling_policy(
                        PolicyName=policy_name,
                        ServiceNamespace="ecs",
                        ResourceId=resource,
                        ScalableDimension="ecs:service:DesiredCount",
                        PolicyType="TargetTrackingScaling",
                        TargetTrackingScalingPolicyConfiguration={
                            "TargetValue": target,
                            "PredefinedMetricSpecification": {"PredefinedMetricType": predefined},
                            "ScaleOutCooldown": 60,
                            "ScaleInCooldown": 300,
                        },
                        aws_retry=True,
                    )
