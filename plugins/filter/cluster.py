# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.platform.plugins.module_utils._alb import spec as alb_spec
from ansible_collections.stackops.platform.plugins.module_utils._ecs import spec as ecs_spec
from ansible_collections.stackops.platform.plugins.module_utils.aws_rules import REGION_RE


def _ecs_var(key):
    if key == "services":
        return "cluster_services"
    if key.startswith("ecr_"):
        return f"cluster_{key}"
    if key == "name":
        return "cluster_name"
    if key == "tags":
        return "cluster_tags"
    return f"cluster_ecs_{key}"


def _alb_var(key):
    if key == "name":
        return "cluster_name"
    if key == "tags":
        return "cluster_tags"
    return f"cluster_alb_{key}"


def _secret_keys(secrets):
    """The known secret keys: the security tier's fact ({key: {arn, name}}), its spec ([{key: ...}]), or None."""
    if isinstance(secrets, dict):
        return set(secrets)
    if isinstance(secrets, list):
        return {s.get("key") for s in secrets if isinstance(s, dict)}
    return None


def cluster_ecs_spec_errors(spec, alb=None, region=None, secrets=None):
    """Every rule the ECS (and load balancer) spec breaks, as messages naming the role variables."""
    if not isinstance(spec, dict):
        raise AnsibleFilterError("cluster_ecs_spec_errors: the input must be the ECS spec (a dict)")
    errors = []
    if region is not None and not REGION_RE.match(str(region)):
        errors.append(f"platform_region: {region!r} is not an AWS region name (e.g. us-east-1)")
    errors += ecs_spec.validate(dict(spec), _ecs_var, _secret_keys(secrets))
    if alb is not None:
        errors += alb_spec.validate(dict(alb), _alb_var)
        errors += alb_rule_errors(spec, alb)
    return errors


def alb_rule_errors(spec, alb):
    """Rules and the default service must name a service of cluster_services that has a port."""
    errors = []
    services = {s.get("name"): s for s in spec.get("services") or [] if isinstance(s, dict)}
    default = alb.get("default_service")
    if default and default in services and not services[default].get("port"):
        errors.append(f"cluster_alb_default_service: {default!r} has no port in cluster_services")
    return errors


def cluster_alb_target_groups(services, rules=None, default_service=None, health_check=None):
    """The target groups of the services the load balancer routes to (the default service and the rules')."""
    health_check = health_check or {}
    routed = [default_service] if default_service else []
    routed += [r.get("service") for r in rules or [] if isinstance(r, dict)]
    groups = []
    for service in services or []:
        if not isinstance(service, dict) or service.get("name") not in routed or not service.get("port"):
            continue
        groups.append(
            {
                "service": service["name"],
                "port": service["port"],
                "health_check_path": service.get("health_check_path") or health_check.get("path") or "/health",
                "health_check_interval": health_check.get("interval", 30),
                "health_check_timeout": health_check.get("timeout", 5),
                "healthy_threshold": health_check.get("healthy_threshold", 2),
                "unhealthy_threshold": health_check.get("unhealthy_threshold", 3),
                "health_check_matcher": str(health_check.get("matcher", "200")),
            }
        )
    return groups


class FilterModule:
    def filters(self):
        return {
            "cluster_ecs_spec_errors": cluster_ecs_spec_errors,
            "cluster_alb_target_groups": cluster_alb_target_groups,
        }
