# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Task definitions and services: a new revision only when the content differs, rolling deployments with the
circuit breaker, and the wait for the services that changed."""

from __future__ import annotations

from ..platform import ReconcileError
from ..platform import WaitTimeout
from ..platform import client_token
from ..platform import create_once
from ..platform import sync_tags
from ..platform import wait_for
from . import state as st
from .spec import task_definition_view


def ecs_tag_list(tags):
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


class Services:
    def __init__(self, owner):
        self.o = owner

    def view(self, service):
        """The managed parts of a described service (what update_service changes)."""
        if not service:
            return None
        network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        deployment = service.get("deploymentConfiguration") or {}
        breaker = deployment.get("deploymentCircuitBreaker") or {}
        return {
            "task_definition": (service.get("taskDefinition") or "").rsplit("/", 1)[-1],
            "subnets": sorted(network.get("subnets") or []),
            "security_groups": sorted(network.get("securityGroups") or []),
            "public_ip": network.get("assignPublicIp", "DISABLED"),
            "load_balancers": sorted(
                f"{lb.get('targetGroupArn')}:{lb.get('containerName')}:{lb.get('containerPort')}"
                for lb in service.get("loadBalancers") or []
            ),
            "capacity_provider_strategy": sorted(
                f"{s['capacityProvider']}:{s.get('weight', 0)}:{s.get('base', 0)}"
                for s in service.get("capacityProviderStrategy") or []
            ),
            "minimum_healthy_percent": deployment.get("minimumHealthyPercent"),
            "maximum_percent": deployment.get("maximumPercent"),
            "circuit_breaker": [breaker.get("enable", False), breaker.get("rollback", False)],
            "health_check_grace_period": service.get("healthCheckGracePeriodSeconds")
            if service.get("loadBalancers")
            else None,
        }

    def desired(self, service, definition):
        o = self.o
        target = (o.p.get("target_groups") or {}).get(service["name"])
        port = service.get("port")
        lbs = (
            [{"targetGroupArn": target, "containerName": service["name"], "containerPort": port}]
            if target and port
            else []
        )
        return {
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": o.subnets,
                    "securityGroups": o.group_ids,
                    "assignPublicIp": "DISABLED",
                }
            },
            "loadBalancers": lbs,
            "taskDefinition": definition,
            "capacityProviderStrategy": o.strategy_for(service),
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "maximumPercent": o.p.get("deployment_max_percent") or 200,
                "minimumHealthyPercent": o.p.get("deployment_min_healthy_percent", 100),
            },
            "healthCheckGracePeriodSeconds": service["health_check_grace_period"] if lbs else None,
        }

    def converge(self, service):
        o = self.o
        ecs = o.c["ecs"]
        name = service["name"]
        family = o.names.family(name)
        desired_definition = o.desired_definition(service)
        current_definition = self._definition_in_use(name, family, desired_definition)
        if current_definition and task_definition_view(current_definition) == task_definition_view(desired_definition):
            revision = f"{family}:{current_definition['revision']}"
        else:
            revision = f"{family}:{(current_definition or {}).get('revision', 0) + 1}"
            what = "register" if current_definition is None else "register a new revision of"
            if o.changes.add(
                f"{what} task definition {family} ({_change_summary(current_definition, desired_definition)})"
            ):
                known = (current_definition or {}).get("revision", 0)
                registered = create_once(
                    lambda: ecs.register_task_definition(
                        tags=ecs_tag_list(o.tags(family, **{st.TAG_SERVICE: name})), **desired_definition
                    ),
                    lambda: self._registered_since(family, known, desired_definition),
                    f"task definition {family}",
                    o.warnings,
                )["taskDefinition"]
                revision = f"{family}:{registered['revision']}"
        o.definition_arns[name] = f"arn:{o.partition}:ecs:{o.region}:{o.account}:task-definition/{revision}"
        desired = self.desired(service, revision)
        current = o.current_services.get(name)
        if current is None:
            count = service["desired_tasks"] or service["min_tasks"]
            if o.changes.add(f"create ECS service {name} ({count} tasks of {revision})"):
                params = {k: v for k, v in desired.items() if v not in (None, [])}
                ecs.create_service(
                    cluster=o.names.cluster,
                    serviceName=name,
                    desiredCount=count,
                    schedulingStrategy="REPLICA",
                    deploymentController={"type": "ECS"},
                    propagateTags="SERVICE",
                    enableECSManagedTags=True,
                    clientToken=client_token(),  # a retry after a lost response returns the first service
                    tags=ecs_tag_list(o.tags(name, **{st.TAG_SERVICE: name})),
                    aws_retry=True,
                    **params,
                )
                o.changed_services.append(name)
            return
        before, after = self.view(current), self.view({**desired, "taskDefinition": revision})
        differs = sorted(k for k in after if before.get(k) != after[k])
        update = {}
        if differs:
            update = {k: v for k, v in desired.items() if v is not None}
        count = current.get("desiredCount", 0)
        if not service["min_tasks"] <= count <= service["max_tasks"]:
            update["desiredCount"] = min(max(count, service["min_tasks"]), service["max_tasks"])
            differs.append(f"desired tasks {count} -> {update['desiredCount']}")
        if update and o.changes.add(f"update ECS service {name}: {', '.join(differs)}"):
            if "capacity_provider_strategy" in differs:
                update["forceNewDeployment"] = True
            ecs.update_service(cluster=o.names.cluster, service=name, aws_retry=True, **update)
            o.changed_services.append(name)
        sync_tags(
            o.changes,
            ecs,
            "ecs",
            current["serviceArn"],
            f"ECS service {name}",
            current.get("tagMap"),
            o.tags(name, **{st.TAG_SERVICE: name}),
            o.purge_tags,
        )

    def _registered_since(self, family, known, desired):
        """The revision a RegisterTaskDefinition whose answer was lost made: newer than ``known``, same content."""
        o = self.o
        latest = st.read_task_definition(o.c["ecs"], family)
        if latest and latest["revision"] > known and task_definition_view(latest) == task_definition_view(desired):
            return {"taskDefinition": latest}
        return None

    def _definition_in_use(self, name, family, desired):
        """The latest ACTIVE revision, unless the service runs an older one with the same content: then that
        one, and the newer identical revision (a register retried after its answer was lost) is deregistered,
        so the service is not redeployed for nothing and no stray revision is left."""
        o = self.o
        latest = o.definitions.get(name)
        service = o.current_services.get(name)
        if not latest or not service:
            return latest
        in_use = service.get("taskDefinition", "").rsplit("/", 1)[-1]
        if not in_use.startswith(f"{family}:") or in_use == f"{family}:{latest['revision']}":
            return latest
        view = task_definition_view(latest)
        if view != task_definition_view(desired):
            return latest
        used = st.read_task_definition(o.c["ecs"], in_use)
        if not used or task_definition_view(used) != view:
            return latest
        extra = f"{family}:{latest['revision']}"
        if o.changes.add(
            f"deregister task definition {extra} (the same as {in_use}, which service {name} runs: left by a "
            "register whose answer was lost)"
        ):
            o.c["ecs"].deregister_task_definition(taskDefinition=extra, aws_retry=True)
        return used

    def wait(self):
        """Wait until every changed service has one deployment, COMPLETED, with its desired count running
        (what ``aws ecs wait services-stable`` waits for); a FAILED rollout stops the run."""
        o = self.o
        ecs = o.c["ecs"]

        def stable():
            found = st.read_services(ecs, o.names.cluster, o.changed_services)
            pending = []
            for name in o.changed_services:
                service = found.get(name) or {}
                deployments = service.get("deployments") or []
                primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
                if primary.get("rolloutState") == "FAILED":
                    raise ReconcileError(
                        f"ECS service {name}: the deployment failed ({primary.get('rolloutStateReason')}); the circuit "
                        "breaker rolls back to the last good task definition"
                    )
                if (
                    len(deployments) != 1
                    or primary.get("rolloutState", "COMPLETED") != "COMPLETED"  # absent without the circuit breaker
                    or service.get("runningCount") != service.get("desiredCount")
                ):
                    pending.append(name)
            return not pending

        try:
            wait_for(
                stable,
                o.p.get("wait_timeout") or 600,
                f"ECS services {', '.join(o.changed_services)} to be stable",
            )
        except WaitTimeout as error:
            raise ReconcileError(str(error)) from None


def definition_summary(view):
    if not view:
        return None
    container = view["containers"][0] if view["containers"] else {}
    return {
        "image": container.get("image"),
        "cpu": view["cpu"],
        "memory": view["memory"],
        "ports": [p[0] for p in container.get("ports") or []],
        "environment": container.get("environment"),
        "secrets": sorted(container.get("secrets") or {}),
        "command": container.get("command"),
        "health_check": (container.get("health_check") or {}).get("command"),
        "log_group": (container.get("log") or {}).get("awslogs-group"),
    }


def _change_summary(current, desired):
    if current is None:
        return "new"
    before, after = (
        definition_summary(task_definition_view(current)),
        definition_summary(task_definition_view(desired)),
    )
    changed = [k for k in after if before.get(k) != after[k]]
    if before == after:
        changed = ["roles or settings"]
    if "image" in changed:
        changed[changed.index("image")] = f"image {after['image']}"
    return ", ".join(changed)
