# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network spec: subnet plans, validation and the desired layout. Pure Python, no AWS calls.

Shared by the ``vpc_network`` module (which validates its options before any API call) and the
``subnet_plan`` / ``network_spec_errors`` filters (which the ``vpc`` role runs before the module, so that
messages name the role variables, ``vpc_subnets[3].cidr``, rather than module options).
"""

from __future__ import annotations

import ipaddress
import re

from ..aws_rules import LOG_RETENTION_DAYS
from ..aws_rules import REGION_RE
from ..aws_rules import reserved_tag_errors

TIERS = ("public", "private", "database")
NAT_MODES = ("none", "single", "one_per_az")
GATEWAY_ENDPOINTS = ("s3", "dynamodb")
# AWS: a VPC's and a subnet's IPv4 block is between /16 and /28.
MIN_PREFIX, MAX_PREFIX = 16, 28
DEFAULT_TIER_OFFSETS = {"public": 1, "private": 10, "database": 20}

_AZ_RE = re.compile(r"^(?P<region>[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d)(?P<zone>[a-z])$")
_ENDPOINT_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")


class SpecError(ValueError):
    """Raised by derivation helpers; ``str()`` names the variable and the rule."""


def _network(value, variable, errors):
    """Parse an IPv4 network. Returns None (and records the error) when it is not a valid, exact CIDR."""
    if not isinstance(value, str) or "/" not in value:
        errors.append(f"{variable}: {value!r} is not an IPv4 CIDR block (expected a.b.c.d/nn)")
        return None
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        errors.append(f"{variable}: {value!r} is not a valid IPv4 CIDR block ({exc})")
        return None
    if str(network) != value:
        errors.append(f"{variable}: {value} has host bits set; the network is {network}")
        return None
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        errors.append(
            f"{variable}: {value} has prefix length /{network.prefixlen}; AWS accepts /{MIN_PREFIX} to /{MAX_PREFIX}"
        )
        return None
    return network


def derive_subnets(cidr, azs, tier_offsets=None, prefix_length=24, tiers=TIERS):
    """Derive a subnet plan from the VPC CIDR: block ``offset + i`` of size ``prefix_length`` per tier and AZ.

    With the defaults this is seed 001's plan: in 10.2.0.0/16, public 10.2.1-3.0/24, private 10.2.10-12.0/24,
    database 10.2.20-22.0/24 for the first three AZs.
    """
    offsets = dict(DEFAULT_TIER_OFFSETS if tier_offsets is None else tier_offsets)
    try:
        vpc = ipaddress.IPv4Network(cidr)
    except ValueError as exc:
        raise SpecError(f"vpc_cidr: {cidr!r} is not a valid IPv4 CIDR block ({exc})") from None
    if not vpc.prefixlen <= prefix_length <= MAX_PREFIX:
        raise SpecError(
            f"vpc_subnet_prefix_length: /{prefix_length} must be between the VPC's /{vpc.prefixlen} and /{MAX_PREFIX} "
            f"(AWS accepts subnets of /{MIN_PREFIX} to /{MAX_PREFIX}, inside the VPC's block)"
        )
    count = 2 ** (prefix_length - vpc.prefixlen)
    plan = []
    for tier in tiers:
        if tier not in offsets:
            continue
        offset = offsets[tier]
        for index, az in enumerate(azs):
            block = offset + index
            if not isinstance(offset, int) or offset < 0 or block >= count:
                raise SpecError(
                    f"vpc_subnet_offsets.{tier}: block {block} does not fit: {cidr} holds {count} /{prefix_length} blocks"
                )
            subnet = ipaddress.IPv4Network(
                (int(vpc.network_address) + block * 2 ** (32 - prefix_length), prefix_length)
            )
            plan.append({"tier": tier, "az": az, "cidr": str(subnet)})
    return plan


def validate(spec, region, protected=False, prefix=""):
    """Every rule the network spec must meet, as a list of messages (empty when valid).

    ``spec`` has the module's option names (cidr, azs, subnets, nat_mode, ...). ``prefix`` is prepended to
    names in messages: the role passes ``vpc_`` so users read the variable they set.
    """
    errors = []

    def var(name):
        return prefix + name

    name = spec.get("name")
    if name is not None and not _NAME_RE.match(str(name)):
        errors.append(
            f"{var('name')}: {name!r} must be 2-40 lowercase letters, digits or hyphens, starting with a letter "
            "(it prefixes every resource name)"
        )

    if region is not None and not REGION_RE.match(str(region)):
        errors.append(f"platform_region: {region!r} is not an AWS region name (e.g. us-east-1)")
        region = None

    vpc = _network(spec.get("cidr"), var("cidr"), errors)

    azs = list(spec.get("azs") or [])
    seen_azs = set()
    for index, az in enumerate(azs):
        match = _AZ_RE.match(str(az))
        if not match:
            errors.append(f"{var('azs')}[{index}]: {az!r} is not an availability zone name (e.g. us-east-1a)")
        elif region and match.group("region") != region:
            errors.append(f"{var('azs')}[{index}]: {az} is not in region {region}")
        if az in seen_azs:
            errors.append(f"{var('azs')}[{index}]: {az} is listed twice")
        seen_azs.add(az)
    if protected and len(seen_azs) < 2:
        errors.append(
            f"{var('azs')}: a protected environment needs at least 2 availability zones, got {len(seen_azs)} "
            "(one AZ outage would take the environment down)"
        )

    subnets = list(spec.get("subnets") or [])
    plan_known = True
    if not subnets and ("subnet_offsets" in spec or "subnet_prefix_length" in spec):
        # The role passes its derivation inputs rather than a plan: derive here, so that a plan that cannot
        # be derived is one more message among the others instead of a templating error.
        subnets, plan_known = _derived_plan(spec, vpc, azs, seen_azs, errors)
    parsed = []
    seen_slots = {}
    for index, subnet in enumerate(subnets):
        where = f"{var('subnets')}[{index}]"
        if not isinstance(subnet, dict):
            errors.append(f"{where}: must be a mapping with tier, az and cidr")
            continue
        tier, az = subnet.get("tier"), subnet.get("az")
        if tier not in TIERS:
            errors.append(f"{where}.tier: {tier!r} is not one of {', '.join(TIERS)}")
        if az not in seen_azs:
            errors.append(f"{where}.az: {az!r} is not one of {var('azs')} ({', '.join(azs) or 'none'})")
        slot = (tier, az)
        if slot in seen_slots:
            errors.append(
                f"{where}: a second {tier} subnet in {az} (the first is {var('subnets')}[{seen_slots[slot]}])"
            )
        seen_slots.setdefault(slot, index)
        network = _network(subnet.get("cidr"), f"{where}.cidr", errors)
        if network is None:
            continue
        if vpc is not None and not network.subnet_of(vpc):
            errors.append(f"{where}.cidr: {network} is outside the VPC CIDR {vpc} ({var('cidr')})")
        for other_index, other in parsed:
            if network.overlaps(other):
                errors.append(f"{where}.cidr: {network} overlaps {var('subnets')}[{other_index}].cidr {other}")
        parsed.append((index, network))

    tiers_by_az = {}
    for subnet in subnets:
        if isinstance(subnet, dict):
            tiers_by_az.setdefault(subnet.get("tier"), set()).add(subnet.get("az"))
    public_azs = tiers_by_az.get("public", set())

    nat_mode = spec.get("nat_mode", "one_per_az")
    if nat_mode not in NAT_MODES:
        errors.append(f"{var('nat_mode')}: {nat_mode!r} is not one of {', '.join(NAT_MODES)}")
    elif not plan_known:
        pass  # no plan to place NAT gateways in; its own message says why
    elif nat_mode != "none" and not public_azs:
        errors.append(
            f"{var('nat_mode')}: {nat_mode} needs public subnets to place NAT gateways in, and there are none"
        )
    elif nat_mode == "one_per_az":
        needing = tiers_by_az.get("private", set()) | (
            tiers_by_az.get("database", set()) if spec.get("database_internet_access") else set()
        )
        for az in sorted(needing - public_azs):
            errors.append(
                f"{var('nat_mode')}: one_per_az needs a public subnet in every AZ with private subnets; {az} has none"
            )
    if spec.get("database_internet_access") and nat_mode == "none":
        errors.append(
            f"{var('database_internet_access')}: the database tier reaches the internet through NAT, and {var('nat_mode')} is none"
        )

    if plan_known and (spec.get("db_subnet_group", True) or spec.get("cache_subnet_group", True)):
        database_azs = tiers_by_az.get("database", set())
        if len(database_azs) < 2:
            errors.append(
                f"{var('subnets')}: the database subnet groups need database subnets in at least 2 AZs, got "
                f"{len(database_azs)} (AWS refuses an RDS subnet group in one AZ); set {var('db_subnet_group')} and "
                f"{var('cache_subnet_group')} to false to have none"
            )

    for index, endpoint in enumerate(spec.get("endpoints") or []):
        if not isinstance(endpoint, str) or not _ENDPOINT_RE.match(endpoint):
            errors.append(
                f"{var('endpoints')}[{index}]: {endpoint!r} is not a service short name such as ecr.api, logs or sts"
            )
        elif endpoint.startswith("com.amazonaws."):
            errors.append(
                f"{var('endpoints')}[{index}]: give the short name ({endpoint.split('.', 3)[-1]}), not {endpoint}"
            )
    if plan_known and spec.get("endpoints") and not tiers_by_az.get("private"):
        errors.append(f"{var('endpoints')}: interface endpoints are placed in private subnets, and there are none")

    if spec.get("flow_logs", True):
        retention = spec.get("flow_logs_retention_days", 90)
        if retention not in LOG_RETENTION_DAYS:
            errors.append(
                f"{var('flow_logs_retention_days')}: {retention!r} is not a retention CloudWatch Logs accepts "
                f"({', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
            )
        interval = spec.get("flow_logs_max_aggregation_interval", 600)
        if interval not in (60, 600):
            errors.append(f"{var('flow_logs_max_aggregation_interval')}: {interval!r} must be 60 or 600 (seconds)")
        traffic = spec.get("flow_logs_traffic_type", "ALL")
        if traffic not in ("ALL", "ACCEPT", "REJECT"):
            errors.append(f"{var('flow_logs_traffic_type')}: {traffic!r} must be ALL, ACCEPT or REJECT")

    errors.extend(reserved_tag_errors(spec.get("tags"), var("tags")))
    return errors


def _derived_plan(spec, vpc, azs, seen_azs, errors):
    """(plan, known): the plan ``derive_subnets`` gives for the role's inputs, or ([], False) with a message."""
    if vpc is None or len(seen_azs) != len(azs) or any(not _AZ_RE.match(str(az)) for az in azs):
        return [], False  # vpc_cidr or vpc_azs is wrong, and says so
    prefix_length = spec.get("subnet_prefix_length", 24)
    if isinstance(prefix_length, bool) or not isinstance(prefix_length, int):
        errors.append(f"vpc_subnet_prefix_length: {prefix_length!r} is not an integer")
        return [], False
    offsets = spec.get("subnet_offsets")
    if offsets is not None:
        if not isinstance(offsets, dict):
            errors.append(f"vpc_subnet_offsets: must be a mapping of tier to block index, got {offsets!r}")
            return [], False
        broken = False
        for tier, offset in offsets.items():
            if tier not in TIERS:
                errors.append(f"vpc_subnet_offsets.{tier}: {tier!r} is not one of {', '.join(TIERS)}")
                broken = True
            elif isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                errors.append(f"vpc_subnet_offsets.{tier}: {offset!r} is not a block index (an integer >= 0)")
                broken = True
        if broken:
            return [], False
    try:
        return derive_subnets(str(vpc), azs, offsets, prefix_length), True
    except SpecError as error:
        errors.append(str(error))
        return [], False


def layout(spec):
    """The desired network in symbolic form (no AWS IDs): what ``--diff`` shows as ``after``.

    Keys: ``subnets`` {"tier/az": cidr}, ``nat_gateways`` {az: "public/az"}, ``route_tables``
    {key: {"subnets": [...], "default_route": target or None}}, ``endpoints`` {service: type}.
    """
    subnets = {f"{s['tier']}/{s['az']}": s["cidr"] for s in spec["subnets"]}
    by_tier = {tier: [s["az"] for s in spec["subnets"] if s["tier"] == tier] for tier in TIERS}
    public_azs = by_tier["public"]
    nat_mode = spec.get("nat_mode", "one_per_az")
    if nat_mode == "one_per_az":
        nats = {az: f"public/{az}" for az in public_azs}
    elif nat_mode == "single" and public_azs:
        nats = {public_azs[0]: f"public/{public_azs[0]}"}
    else:
        nats = {}

    def nat_for(az):
        if not nats:
            return None
        return f"nat/{az}" if az in nats else f"nat/{next(iter(nats))}"

    route_tables = {}
    if public_azs:
        route_tables["public"] = {"subnets": [f"public/{az}" for az in public_azs], "default_route": "igw"}
    for az in by_tier["private"]:
        route_tables[f"private-{az}"] = {"subnets": [f"private/{az}"], "default_route": nat_for(az)}
    for az in by_tier["database"]:
        route = nat_for(az) if spec.get("database_internet_access") else None
        route_tables[f"database-{az}"] = {"subnets": [f"database/{az}"], "default_route": route}

    endpoints = {"s3": "Gateway"}
    for name in spec.get("endpoints") or []:
        endpoints[name] = "Gateway" if name in GATEWAY_ENDPOINTS else "Interface"

    flow_logs = None
    if spec.get("flow_logs", True):
        flow_logs = {
            "traffic_type": spec.get("flow_logs_traffic_type", "ALL"),
            "retention_days": spec.get("flow_logs_retention_days", 90),
            "max_aggregation_interval": spec.get("flow_logs_max_aggregation_interval", 600),
        }
    return {
        "cidr": spec["cidr"],
        "subnets": subnets,
        "internet_gateway": bool(public_azs),
        "nat_gateways": nats,
        "route_tables": route_tables,
        "endpoints": endpoints,
        "flow_logs": flow_logs,
        "db_subnet_group": [f"database/{az}" for az in by_tier["database"]]
        if spec.get("db_subnet_group", True)
        else None,
        "cache_subnet_group": [f"database/{az}" for az in by_tier["database"]]
        if spec.get("cache_subnet_group", True)
        else None,
    }
