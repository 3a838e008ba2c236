# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The services' target groups (IP targets, the health check) and their tags."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from .._ecs import state as ecs_state
from ..platform import ReconcileError
from ..platform import create_once
from ..platform import not_found
from ..platform import sync_tags
from .spec import health_check


class TargetGroups:
    def __init__(self, owner):
        self.o = owner

    def view(self, group):
        if not group:
            return None
        return {
            "port": group.get("Port"),
            "target_type": group.get("TargetType"),
            "health_check": {
                "path": group.get("HealthCheckPath"),
                "interval": group.get("HealthCheckIntervalSeconds"),
                "timeout": group.get("HealthCheckTimeoutSeconds"),
                "healthy": group.get("HealthyThresholdCount"),
                "unhealthy": group.get("UnhealthyThresholdCount"),
                "matcher": (group.get("Matcher") or {}).get("HttpCode"),
            },
        }

    def desired(self, target):
        return {"port": target["port"], "target_type": "ip", "health_check": health_check(target)}

    def converge(self):
        o = self.o
        elb = o.c["elbv2"]
        for target in o.p.get("target_groups") or []:
            service, name = target["service"], o.names.target_group(target["service"])
            desired = self.desired(target)
            check = desired["health_check"]
            health = dict(
                HealthCheckProtocol="HTTP",
                HealthCheckPath=check["path"],
                HealthCheckIntervalSeconds=check["interval"],
                HealthCheckTimeoutSeconds=check["timeout"],
                HealthyThresholdCount=check["healthy"],
                UnhealthyThresholdCount=check["unhealthy"],
                Matcher={"HttpCode": check["matcher"]},
            )
            group = o.target_groups.get(service)
            if group is None:
                o.tg_arns[service] = None
                if o.changes.add(f"create target group {name} (ip, port {target['port']}, health {check['path']})"):
                    params = dict(
                        Name=name,
                        Protocol="HTTP",
                        Port=target["port"],
                        VpcId=o.vpc_id,
                        TargetType="ip",
                        Tags=ansible_dict_to_boto3_tag_list(o.resource_tags(name, **{ecs_state.TAG_SERVICE: service})),
                        **health,
                    )
                    o.tg_arns[service] = create_once(
                        lambda params=params: elb.create_target_group(**params),
                        lambda name=name: not_found(
                            lambda: elb.describe_target_groups(Names=[name], aws_retry=True), "TargetGroupNotFound"
                        ),
                        f"target group {name}",
                        o.warnings,
                    )["TargetGroups"][0]["TargetGroupArn"]
                continue
            arn = group["TargetGroupArn"]
            current = self.view(group)
            if current["port"] != desired["port"] or current["target_type"] != "ip":
                raise ReconcileError(
                    f"target_groups: target group {name} has port {current['port']} ({current['target_type']} targets); "
                    f"the spec says {desired['port']} (ip): AWS cannot change that in place; delete the target group "
                    "(and the service using it) or change the service's name"
                )
            if current["health_check"] != check and o.changes.add(
                f"target group {name}: set the health check to {check['path']} every {check['interval']} s"
            ):
                elb.modify_target_group(TargetGroupArn=arn, aws_retry=True, **health)
            self._set_tg_tags(arn, name, service)

    def _set_tg_tags(self, arn, name, service):
        o = self.o
        sync_tags(
            o.changes,
            o.c["elbv2"],
            "elbv2",
            arn,
            f"target group {name}",
            o.tags.get(arn, {}),
            o.resource_tags(name, **{ecs_state.TAG_SERVICE: service}),
            o.purge_tags,
        )
