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

    ``security``: {app_port, database_port, cache_port} as the security tier has them; ``tiers``:
    {ecs_services (ECS services, or []), database (bool), database_port, cache (bool), cache_port}."""
    errors = []
    app_port = security.get("app_port")
    for index, service in enumerate(tiers.get("ecs_services") or []):
        port = service.get("port") if isinstance(service, dict) else None
        if port is not None and port != app_port:
            errors.append(
                f"cluster_services[{index}].port: {service.get('name')} listens on {port}, but the app security group "
                f"admits security_app_port {app_port} from the load balancer; make them the same"
            )
    for tier in ("database", "cache"):
        if tiers.get(tier) and tiers.get(f"{tier}_port") != security.get(f"{tier}_port"):
            errors.append(
                f"{tier}_port: {tiers.get(f'{tier}_port')} is not security_{tier}_port {security.get(f'{tier}_port')}, "
                f"the port the {tier} security group admits from app; make them the same"
            )
    return errors


class FilterModule:
    def filters(self):
        return {
            "security_group_plan": security_group_plan,
            "security_spec_errors": security_spec_errors,
            "security_knob_errors": security_knob_errors,
            "security_cross_tier_errors": security_cross_tier_errors,
        }
