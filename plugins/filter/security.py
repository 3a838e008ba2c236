# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.platform.plugins.module_utils._security.spec import SpecError
from ansible_collections.stackops.platform.plugins.module_utils._security.spec import derive_groups
from ansible_collections.stackops.platform.plugins.module_utils._security.spec import validate


def security_group_plan(
    app_port,
    database_port=5432,
    cache_port=6379,
    search_port=443,
    search=True,
    bastion_cidrs=None,
    bastion_port=22,
    app_self=False,
    app_egress_all=False,
):
    try:
        return derive_groups(
            app_port=app_port,
            database_port=database_port,
            cache_port=cache_port,
            search_port=search_port,
            search=bool(search),
            bastion_cidrs=list(bastion_cidrs or []),
            bastion_port=bastion_port,
            app_self=bool(app_self),
            app_egress_all=bool(app_egress_all),
        )
    except SpecError as error:
        raise AnsibleFilterError(str(error)) from None


def security_spec_errors(spec, region=None, prefix="security_"):
    """Every rule the security spec breaks, as messages naming the role variables (never a secret value)."""
    return validate(dict(spec), region, prefix=prefix)


def security_knob_errors(knobs, prefix="security_"):
    """Rules of the variables the least-privilege groups are derived from, naming those variables (the derived
    ``security_groups[n]...`` would name a structure the user never wrote). ``knobs``: {name: value} without
    the prefix (app_port, database_port, cache_port, search_port, bastion_port, bastion_cidrs)."""
    errors = []
    for name in ("app_port", "database_port", "cache_port", "search_port", "bastion_port"):
        if name not in knobs:
            continue
        value = knobs[name]
        if isinstance(value, str):
            errors.append(f"{prefix}{name}: {value!r} is a string; a port is a number (write it without quotes)")
        elif not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{prefix}{name}: {value!r} is not a port number")
        elif not 1 <= value <= 65535:
            errors.append(f"{prefix}{name}: {value} is outside 1-65535")
    cidrs = knobs.get("bastion_cidrs") or []
    if not isinstance(cidrs, list):
        errors.append(f"{prefix}bastion_cidrs: a list of IPv4 CIDR blocks, such as [203.0.113.0/24]")
        cidrs = []
    for index, cidr in enumerate(cidrs):
        try:
            network = ipaddress.IPv4Network(str(cidr), strict=True)
        except ValueError as error:
            errors.append(f"{prefix}bastion_cidrs[{index}]: {cidr!r} is not an IPv4 CIDR block ({error})")
            continue
        if network.prefixlen == 0:
            errors.append(
                f"{prefix}bastion_cidrs[{index}]: 0.0.0.0/0 opens the bastion port to the whole internet; "
                "give the admin network's CIDR"
            )
    return errors


def security_cross_tier_errors(security, tiers):
    """What the other tiers set that the derived security groups would not let through, naming both variables.

    ``security``: {app_port, database_port, cache_port, search_port, search} as the security tier has them
    (``search``: whether it makes a search group); ``tiers``: {ecs_services (ECS services, or []),
    eks_workloads and eks_ingresses (EKS, or []), eks_security_groups (the groups the EKS cluster is given, or
    None off EKS), database (bool), database_port, cache (bool), cache_port, search (bool), search_enforce_https}.
    """
    errors = []
    app_port = security.get("app_port")
    for index, service in enumerate(tiers.get("ecs_services") or []):
        port = service.get("port") if isinstance(service, dict) else None
        if port is not None and port != app_port:
            errors.append(
                f"cluster_services[{index}].port: {service.get('name')} listens on {port}, but the app security group "
                f"admits security_app_port {app_port} from the load balancer; make them the same"
            )
    errors.extend(_eks_errors(app_port, tiers))
    for tier in ("database", "cache"):
        if tiers.get(tier) and tiers.get(f"{tier}_port") != security.get(f"{tier}_port"):
            errors.append(
                f"{tier}_port: {tiers.get(f'{tier}_port')} is not security_{tier}_port {security.get(f'{tier}_port')}, "
                f"the port the {tier} security group admits from app; make them the same"
            )
    if tiers.get("search"):
        errors.extend(_search_errors(security, tiers))
    return errors


def _eks_errors(app_port, tiers):
    """EKS: what an ALB Ingress sends traffic to, and what the nodes reach the data tiers through.

    An Ingress path names a Service; the load balancer reaches the Service's pods on its target port, the
    workload's ``port``, and the platform's load balancer group (``alb``) reaches the application only on
    security_app_port. The nodes of managed node groups carry the cluster security group, which ``eks_cluster``
    admits wherever the cluster's own groups (cluster_eks_security_groups) are admitted: without ``app`` among
    them, nothing admits the nodes into the database, cache and search groups (docs/cluster-eks.md)."""
    errors = []
    workloads = {}
    for index, workload in enumerate(tiers.get("eks_workloads") or []):
        if isinstance(workload, dict):
            workloads[(workload.get("namespace"), workload.get("name"))] = (index, workload)
    reported = set()
    for ingress_index, ingress in enumerate(tiers.get("eks_ingresses") or []):
        if not isinstance(ingress, dict) or ingress.get("class", "alb") != "alb":
            continue
        for path in ingress.get("paths") or []:
            if not isinstance(path, dict):
                continue
            found = workloads.get((ingress.get("namespace"), path.get("service")))
            if found is None or found[0] in reported:
                continue
            index, workload = found
            port = workload.get("port")
            if isinstance(port, int) and port != app_port:
                reported.add(index)
                errors.append(
                    f"cluster_eks_workloads[{index}].port: {workload.get('name')} listens on {port}, the target port "
                    f"of its Service behind cluster_eks_ingresses[{ingress_index}] ({ingress.get('name')}), but the "
                    f"load balancer group reaches the application on security_app_port {app_port} only; make them "
                    "the same"
                )
    groups = tiers.get("eks_security_groups")
    data_tiers = [t for t in ("database", "cache", "search") if tiers.get(t)]
    if groups is not None and tiers.get("eks_admit", True) and data_tiers and "app" not in groups:
        errors.append(
            f"cluster_eks_security_groups: {list(groups)} has no app; the {', '.join(data_tiers)} security groups "
            "admit app, and the cluster's nodes are admitted wherever the cluster's groups are (the cluster "
            "security group, docs/cluster-eks.md): add app, or the pods cannot reach them"
        )
    return errors


def _search_errors(security, tiers):
    """OpenSearch Service answers on HTTPS 443 (and on HTTP 80 when HTTPS is not enforced), in the group the
    security tier makes only with security_search."""
    if not security.get("search", True):
        return [
            "security_search: false makes no search security group, but search_enabled is true and the search "
            "tier places the domain in it; set security_search: true"
        ]
    port = security.get("search_port")
    ports = (443,) if tiers.get("search_enforce_https", True) else (443, 80)
    if port not in ports:
        return [
            f"security_search_port: {port} is not a port an OpenSearch Service domain answers on "
            f"({' or '.join(map(str, ports))}{'' if len(ports) > 1 else ', HTTPS: search_enforce_https is true'}); "
            "the search group would admit app on a port nothing listens on"
        ]
    return []


class FilterModule:
    def filters(self):
        return {
            "security_group_plan": security_group_plan,
            "security_spec_errors": security_spec_errors,
            "security_knob_errors": security_knob_errors,
            "security_cross_tier_errors": security_cross_tier_errors,
        }
