# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read a network as it is: one batched describe per resource type, found by identity tags and VPC id."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ..aws_rules import iam_role_name
from ..platform import AmbiguousResource
from ..platform import identity_tags
from ..platform import not_found
from ..platform import paginate
from ..platform import tag_filters
from ..platform import tags_of

TAG_TIER = "stackops:tier"
TAG_AZ = "stackops:az"
TAG_ROUTE_TABLE = "stackops:route-table"
LIVE_NAT_STATES = ("pending", "available")
LIVE_ENDPOINT_STATES = ("pendingacceptance", "pending", "available", "rejected", "failed")


def is_managed(resource, identity):
    tags = tags_of(resource)
    return all(tags.get(k) == v for k, v in identity.items())


class Names:
    """Resource names derived from the network's base name (``<platform>-<environment>``)."""

    def __init__(self, name, region):
        self.base = name
        self.region = region
        self.vpc = name
        self.endpoint_security_group = f"{name}-vpc-endpoints"
        self.flow_log_group = f"/aws/vpc/{name}/flow-logs"
        # IAM is global: the region keeps two regional deployments of one environment apart.
        self.flow_log_role = iam_role_name(f"{name}-flow-logs-{region}")
        self.flow_log_policy = "deliver-flow-logs"
        self.subnet_group = name

    def subnet(self, tier, az):
        return f"{self.base}-{tier}-{az}"

    def route_table(self, key):
        return f"{self.base}-{key}"

    def nat(self, az):
        return f"{self.base}-nat-{az}"

    def endpoint(self, service):
        return f"{self.base}-{service}"


class NetworkState:
    """Everything the network has now. Attributes are raw describe results, indexed for lookups."""

    def __init__(self):
        self.vpc = None
        self.orphan_vpcs = []  # empty VPCs with the network's tags beside ``vpc``
        self.dns_support = None
        self.dns_hostnames = None
        self.azs = {}
        self.subnets = []
        self.internet_gateway = None
        self.nat_gateways = []
        self.addresses = []
        self.route_tables = []
        self.endpoints = []
        self.endpoint_security_group = None
        self.flow_logs = []
        self.log_group = None
        self.log_group_tags = {}
        self.role = None
        self.role_policy = None
        self.db_subnet_group = None
        self.db_subnet_group_tags = {}
        self.cache_subnet_group = None
        self.cache_subnet_group_tags = {}

    @property
    def vpc_id(self):
        return self.vpc["VpcId"] if self.vpc else None

    @property
    def account_id(self):
        return self.vpc.get("OwnerId") if self.vpc else None

    def subnet_by_id(self, subnet_id):
        return next((s for s in self.subnets if s["SubnetId"] == subnet_id), None)


def read_vpc_part(ec2, identity, region, state):
    vpcs = ec2.describe_vpcs(Filters=tag_filters(identity), aws_retry=True)["Vpcs"]
    if len(vpcs) > 1:
        state.vpc, state.orphan_vpcs = _one_vpc(ec2, vpcs, identity)
    else:
        state.vpc = vpcs[0] if vpcs else None
    zones = ec2.describe_availability_zones(Filters=[{"Name": "region-name", "Values": [region]}], aws_retry=True)[
        "AvailabilityZones"
    ]
    state.azs = {z["ZoneName"]: z.get("ZoneId") for z in zones}
    if not state.vpc:
        return
    vpc_filter = [{"Name": "vpc-id", "Values": [state.vpc_id]}]
    state.dns_support = ec2.describe_vpc_attribute(VpcId=state.vpc_id, Attribute="enableDnsSupport", aws_retry=True)[
        "EnableDnsSupport"
    ]["Value"]
    state.dns_hostnames = ec2.describe_vpc_attribute(
        VpcId=state.vpc_id, Attribute="enableDnsHostnames", aws_retry=True
    )["EnableDnsHostnames"]["Value"]
    state.subnets = paginate(ec2, "describe_subnets", "Subnets", Filters=vpc_filter)
    igws = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [state.vpc_id]}], aws_retry=True
    )["InternetGateways"]
    state.internet_gateway = igws[0] if igws else None
    state.nat_gateways = paginate(
        ec2,
        "describe_nat_gateways",
        "NatGateways",
        Filters=vpc_filter + [{"Name": "state", "Values": list(LIVE_NAT_STATES)}],
    )
    state.addresses = ec2.describe_addresses(Filters=tag_filters(identity), aws_retry=True)["Addresses"]
    state.route_tables = paginate(ec2, "describe_route_tables", "RouteTables", Filters=vpc_filter)
    endpoints = paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=vpc_filter)
    state.endpoints = [e for e in endpoints if e["State"].lower() in LIVE_ENDPOINT_STATES]
    state.flow_logs = ec2.describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [state.vpc_id]}], aws_retry=True
    )["FlowLogs"]


def _one_vpc(ec2, vpcs, identity):
    """(the VPC, [empty ones]) when the network's tags are on several VPCs: a CreateVpc retried after its answer
    was lost leaves an empty second one. Empty: no subnets, no internet gateway, no security group but the
    default one. The one with something in it is the network (or, when all are empty, the first by id); two
    with something in them cannot be told apart and stop the run."""
    ids = [v["VpcId"] for v in vpcs]
    used = set()
    in_vpcs = [{"Name": "vpc-id", "Values": ids}]
    used.update(s["VpcId"] for s in paginate(ec2, "describe_subnets", "Subnets", Filters=in_vpcs))
    for igw in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": ids}], aws_retry=True)[
        "InternetGateways"
    ]:
        used.update(a["VpcId"] for a in igw.get("Attachments", []))
    for group in paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpcs):
        if group["GroupName"] != "default":
            used.add(group["VpcId"])
    if len(used) > 1:
        raise AmbiguousResource(
            f"{len(vpcs)} VPCs carry the tags {identity} and {len(used)} of them hold resources: "
            f"{', '.join(sorted(used))}. Delete the extra ones or retag them."
        )
    keep = next(iter(used)) if used else sorted(ids)[0]
    return next(v for v in vpcs if v["VpcId"] == keep), [v for v in vpcs if v["VpcId"] != keep]


def read_security_group(ec2, vpc_id, group_name):
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [group_name]}],
        aws_retry=True,
    )["SecurityGroups"]
    return groups[0] if groups else None


def read_flow_log_parts(logs, iam, names, state):
    groups = logs.describe_log_groups(logGroupNamePrefix=names.flow_log_group, aws_retry=True)["logGroups"]
    state.log_group = next((g for g in groups if g["logGroupName"] == names.flow_log_group), None)
    if state.log_group:
        arn = state.log_group["arn"].removesuffix(":*")
        state.log_group_tags = logs.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags", {})
    role = not_found(lambda: iam.get_role(RoleName=names.flow_log_role, aws_retry=True), "NoSuchEntity")
    state.role = role["Role"] if role else None
    if state.role:
        policy = not_found(
            lambda: iam.get_role_policy(RoleName=names.flow_log_role, PolicyName=names.flow_log_policy, aws_retry=True),
            "NoSuchEntity",
        )
        document = policy["PolicyDocument"] if policy else None
        state.role_policy = json.loads(document) if isinstance(document, str) else document


def read_db_subnet_group(rds, name, state):
    found = not_found(
        lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=name, aws_retry=True), "DBSubnetGroupNotFoundFault"
    )
    state.db_subnet_group = found["DBSubnetGroups"][0] if found else None
    if state.db_subnet_group:
        tags = rds.list_tags_for_resource(ResourceName=state.db_subnet_group["DBSubnetGroupArn"], aws_retry=True)
        state.db_subnet_group_tags = boto3_tag_list_to_ansible_dict(tags.get("TagList", []))


def read_cache_subnet_group(elasticache, name, state):
    found = not_found(
        lambda: elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name, aws_retry=True),
        "CacheSubnetGroupNotFoundFault",
    )
    state.cache_subnet_group = found["CacheSubnetGroups"][0] if found else None
    if state.cache_subnet_group:
        tags = elasticache.list_tags_for_resource(ResourceName=state.cache_subnet_group["ARN"], aws_retry=True)
        state.cache_subnet_group_tags = boto3_tag_list_to_ansible_dict(tags.get("TagList", []))


def summarize(state, identity, names):
    """The network as later tiers consume it: IDs by tier and AZ. Works from discovery alone."""
    managed = [s for s in state.subnets if is_managed(s, identity)]
    subnets = {}
    for subnet in sorted(managed, key=lambda s: (s["AvailabilityZone"], s["CidrBlock"])):
        tier = tags_of(subnet).get(TAG_TIER)
        if tier:
            subnets.setdefault(tier, {})[subnet["AvailabilityZone"]] = {
                "id": subnet["SubnetId"],
                "cidr": subnet["CidrBlock"],
            }
    route_tables = {}
    for table in state.route_tables:
        key = tags_of(table).get(TAG_ROUTE_TABLE)
        if not key or not is_managed(table, identity):
            continue
        tier, _sep, az = key.partition("-")
        if az:
            route_tables.setdefault(tier, {})[az] = table["RouteTableId"]
        else:
            route_tables[tier] = table["RouteTableId"]
    nats = {}
    for nat in state.nat_gateways:
        if is_managed(nat, identity):
            address = (nat.get("NatGatewayAddresses") or [{}])[0]
            az = tags_of(nat).get(TAG_AZ)
            nats[az] = {"id": nat["NatGatewayId"], "public_ip": address.get("PublicIp"), "state": nat["State"]}
    endpoints = {}
    prefix = f"com.amazonaws.{names.region}."
    for endpoint in state.endpoints:
        if is_managed(endpoint, identity):
            endpoints[endpoint["ServiceName"].removeprefix(prefix)] = endpoint["VpcEndpointId"]
    flow_log = next((f for f in state.flow_logs if is_managed(f, identity)), None)
    return {
        "name": names.base,
        "region": names.region,
        "vpc_id": state.vpc_id,
        "cidr": state.vpc["CidrBlock"] if state.vpc else None,
        "azs": sorted({s["AvailabilityZone"] for s in managed}),
        "az_ids": {az: state.azs.get(az) for az in sorted({s["AvailabilityZone"] for s in managed})},
        "subnets": subnets,
        "subnet_ids": {tier: [v["id"] for v in by_az.values()] for tier, by_az in subnets.items()},
        "internet_gateway_id": state.internet_gateway["InternetGatewayId"] if state.internet_gateway else None,
        "nat_gateways": nats,
        "route_tables": route_tables,
        "endpoints": endpoints,
        "endpoint_security_group_id": (
            state.endpoint_security_group["GroupId"] if state.endpoint_security_group else None
        ),
        "flow_log": (
            {
                "id": flow_log["FlowLogId"],
                "log_group": flow_log.get("LogGroupName"),
                "role_arn": flow_log.get("DeliverLogsPermissionArn"),
                "traffic_type": flow_log.get("TrafficType"),
            }
            if flow_log
            else None
        ),
        "db_subnet_group": state.db_subnet_group["DBSubnetGroupName"] if state.db_subnet_group else None,
        "cache_subnet_group": state.cache_subnet_group["CacheSubnetGroupName"] if state.cache_subnet_group else None,
    }


# -- what vpc_network_info returns --------------------------------------------------------------------------------------

INFO_SERVICES = {"ec2": "ec2", "rds": "rds", "elasticache": "elasticache"}


def info(clients, params, region):
    """``(exists, network)``: the environment's network found by its tags, as ``vpc_network`` returns it."""
    identity = identity_tags(params["platform"], params["environment"], "network")
    names = Names(params["name"] or f"{params['platform']}-{params['environment']}", region)
    state = NetworkState()
    ec2 = clients["ec2"]
    read_vpc_part(ec2, identity, region, state)
    if state.vpc_id:
        state.endpoint_security_group = read_security_group(ec2, state.vpc_id, names.endpoint_security_group)
        read_db_subnet_group(clients["rds"], names.subnet_group, state)
        read_cache_subnet_group(clients["elasticache"], names.subnet_group, state)
    return bool(state.vpc), summarize(state, identity, names)
