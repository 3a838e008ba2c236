# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECS cluster: created with its capacity providers, default strategy and Container Insights, or those
updated; its tags kept."""

from __future__ import annotations

from ..platform import create_once
from ..platform import sync_tags
from . import state as st
from .services import ecs_tag_list


class Cluster:
    """The cluster as the spec wants it, as it is, and the calls between the two."""

    def __init__(self, owner):
        self.o = owner

    def cluster_view(self, cluster):
        if not cluster:
            return None
        settings = {s["name"]: s["value"] for s in cluster.get("settings") or []}
        return {
            "capacity_providers": sorted(cluster.get("capacityProviders") or []),
            "strategy": [
                {"capacity_provider": s["capacityProvider"], "weight": s.get("weight", 0), "base": s.get("base", 0)}
                for s in cluster.get("defaultCapacityProviderStrategy") or []
            ],
            "container_insights": settings.get("containerInsights", "disabled"),
        }

    def desired_cluster(self):
        o = self.o
        return {
            "capacity_providers": sorted(o.p.get("capacity_providers") or ["FARGATE", "FARGATE_SPOT"]),
            "strategy": [
                {"capacity_provider": s["capacity_provider"], "weight": s.get("weight", 1), "base": s.get("base", 0)}
                for s in o.p.get("capacity_provider_strategy")
                or [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]
            ],
            "container_insights": "enabled" if o.p.get("container_insights", True) else "disabled",
        }

    def converge(self):
        o = self.o
        ecs = o.c["ecs"]
        desired = self.desired_cluster()
        name = o.names.cluster
        strategy = [
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in desired["strategy"]
        ]
        settings = [{"name": "containerInsights", "value": desired["container_insights"]}]
        if o.cluster is None:
            if o.changes.add(
                f"create ECS cluster {name} ({', '.join(desired['capacity_providers'])}, Container Insights {desired['container_insights']})"
            ):
                o.cluster = create_once(
                    lambda: ecs.create_cluster(
                        clusterName=name,
                        capacityProviders=desired["capacity_providers"],
                        defaultCapacityProviderStrategy=strategy,
                        settings=settings,
                        tags=ecs_tag_list(o.tags(name)),
                    ),
                    lambda: self.find(name),
                    f"ECS cluster {name}",
                    o.warnings,
                )["cluster"]
            return
        current = self.cluster_view(o.cluster)
        if (current["capacity_providers"], current["strategy"]) != (desired["capacity_providers"], desired["strategy"]):
            if o.changes.add(f"ECS cluster {name}: capacity providers {', '.join(desired['capacity_providers'])}"):
                ecs.put_cluster_capacity_providers(
                    cluster=name,
                    capacityProviders=desired["capacity_providers"],
                    defaultCapacityProviderStrategy=strategy,
                    aws_retry=True,
                )
        if current["container_insights"] != desired["container_insights"] and o.changes.add(
            f"ECS cluster {name}: Container Insights {desired['container_insights']}"
        ):
            ecs.update_cluster(cluster=name, settings=settings, aws_retry=True)
        sync_tags(
            o.changes,
            ecs,
            "ecs",
            o.cluster["clusterArn"],
            f"ECS cluster {name}",
            o.cluster.get("tagMap"),
            o.tags(name),
            o.purge_tags,
        )

    def find(self, name):
        o = self.o
        found = st.read_cluster(o.c["ecs"], name)
        return {"cluster": found} if found else None
