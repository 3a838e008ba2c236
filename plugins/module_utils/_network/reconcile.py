# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a whole network tier in one pass: read everything once, then create, update and delete.

Order: VPC → internet gateway → subnets → NAT gateways → route tables → endpoints → flow logs →
subnet groups, then the deletions in reverse dependency order. In check mode nothing after the reads
runs; resources that do not exist yet have ``None`` for an ID.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import Changes
from ..platform import client_token
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from ..platform import tag_changes
from ..platform import tag_filters
from ..platform import tag_specifications
from ..platform import wait_for
from . import state as st
from .spec import layout

ANYWHERE = "0.0.0.0/0"


class ReconcileError(Exception):
    """A problem the user must solve (the message says how); nothing further is attempted."""


class NetworkReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.ec2 = clients["ec2"]
        self.logs = clients["logs"]
        self.iam = clients["iam"]
        self.rds = clients["rds"]
        self.elasticache = clients["elasticache"]
        self.identity = identity_tags(params["platform"], params["environment"], "network")
        self.names = st.Names(params["name"], region)
        self.absent = params.get("state") == "absent"
        self.desired = None if self.absent else layout(params)
        self.changes = Changes(check_mode)
        self.warnings = []
        self.state = st.NetworkState()
        # symbolic key ("public/us-east-1a", "nat/us-east-1a", "igw", route table key) -> AWS id
        self.ids = {}
        self._deferred = []  # deletions, run last: by stage (what depends on what), then in the order added
        self.before_snapshot = {}

    # -- reading --------------------------------------------------------------------------------------------

    def read(self):
        state = self.state
        st.read_vpc_part(self.ec2, self.identity, self.region, state)
        if state.vpc_id:
            state.endpoint_security_group = st.read_security_group(
                self.ec2, state.vpc_id, self.names.endpoint_security_group
            )
        if self.absent or self.desired["flow_logs"] or state.flow_logs:
            st.read_flow_log_parts(self.logs, self.iam, self.names, state)
        st.read_db_subnet_group(self.rds, self.names.subnet_group, state)
        st.read_cache_subnet_group(self.elasticache, self.names.subnet_group, state)
        return state

    def before(self):
        """The current network in the symbolic form of ``spec.layout`` (``--diff``'s ``before``)."""
        state = self.state
        if not state.vpc:
            return {}
        sym = {}
        subnets = {}
        for subnet in state.subnets:
            if st.is_managed(subnet, self.identity):
                key = f"{st.tags_of(subnet).get(st.TAG_TIER)}/{subnet['AvailabilityZone']}"
                subnets[key] = subnet["CidrBlock"]
                sym[subnet["SubnetId"]] = key
        nats = {}
        for nat in state.nat_gateways:
            if st.is_managed(nat, self.identity):
                az = st.tags_of(nat).get(st.TAG_AZ)
                nats[az] = sym.get(nat["SubnetId"], nat["SubnetId"])
                sym[nat["NatGatewayId"]] = f"nat/{az}"
        if state.internet_gateway:
            sym[state.internet_gateway["InternetGatewayId"]] = "igw"
        tables = {}
        for table in state.route_tables:
            key = st.tags_of(table).get(st.TAG_ROUTE_TABLE)
            if not key or not st.is_managed(table, self.identity):
                continue
            default = next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == ANYWHERE), None)
            target = _route_target(default) if default else None
            tables[key] = {
                "subnets": sorted(
                    sym.get(a["SubnetId"], a["SubnetId"]) for a in table["Associations"] if a.get("SubnetId")
                ),
                "default_route": sym.get(target, target),
            }
        prefix = f"com.amazonaws.{self.region}."
        endpoints = {
            e["ServiceName"].removeprefix(prefix): e["VpcEndpointType"]
            for e in state.endpoints
            if st.is_managed(e, self.identity)
        }
        flow_log = next((f for f in state.flow_logs if st.is_managed(f, self.identity)), None)
        groups = {}
        for key, group, field in (
            ("db_subnet_group", state.db_subnet_group, "SubnetIdentifier"),
            ("cache_subnet_group", state.cache_subnet_group, "SubnetIdentifier"),
        ):
            groups[key] = sorted(sym.get(s[field], s[field]) for s in group["Subnets"]) if group else None
        return {
            "cidr": state.vpc["CidrBlock"],
            "subnets": subnets,
            "internet_gateway": bool(state.internet_gateway),
            "nat_gateways": nats,
            "route_tables": tables,
            "endpoints": endpoints,
            "flow_logs": (
                {
                    "traffic_type": flow_log["TrafficType"],
                    "retention_days": (state.log_group or {}).get("retentionInDays"),
                    "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
                }
                if flow_log
                else None
            ),
            **groups,
        }

    def after(self):
        if self.absent:
            return {}
        after = dict(self.desired)
        after["route_tables"] = {
            key: {"subnets": sorted(table["subnets"]), "default_route": table["default_route"]}
            for key, table in self.desired["route_tables"].items()
        }
        for key in ("db_subnet_group", "cache_subnet_group"):
            if after[key] is not None:
                after[key] = sorted(after[key])
        return after

    # -- helpers --------------------------------------------------------------------------------------------

    def _tags(self, name=None, **extra):
        return resource_tags(self.identity, self.p["tags"], name=name, **extra)

    def _ensure_ec2_tags(self, resource_id, label, current, desired):
        to_set, to_unset = tag_changes(current, desired, self.p["purge_tags"])
        if to_set and self.changes.add(f"tag {label}: set {', '.join(sorted(to_set))}"):
            self.ec2.create_tags(Resources=[resource_id], Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)
        if to_unset and self.changes.add(f"tag {label}: remove {', '.join(sorted(to_unset))}"):
            self.ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in to_unset], aws_retry=True)

    def _defer(self, sentence, action, stage=0):
        """Run ``action`` after every create and update. Stage 0 holds what nothing else of ours depends on
        (endpoints, NAT gateways, route tables, subnet groups, flow logs); stage 1 what those use (the endpoint
        security group; the internet gateway, which AWS refuses to detach while NAT addresses are mapped);
        stage 2 the subnets, which every other resource sits in."""
        self._deferred.append((stage, len(self._deferred), sentence, action))

    # -- the steps --------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self._check_preconditions()
        self.vpc()
        self.internet_gateway()
        self.subnets()
        self.nat_gateways()
        self.route_tables()
        self.endpoints()
        self.flow_logs()
        self.subnet_groups()
        for _stage, _order, sentence, action in sorted(self._deferred, key=lambda d: d[:2]):
            if self.changes.add(sentence):
                action()
        if self.changes and not self.changes.check_mode:
            self.read()  # what is there now, for the return value

    def teardown(self):
        """``state: absent``: delete every resource of the network, dependents first, the VPC last.

        Stops before any write when the VPC holds things this module did not make (another tier's security
        groups, subnets of someone else): AWS would refuse to delete the VPC halfway through otherwise."""
        self.read()
        self.before_snapshot = self.before()
        state = self.state
        if state.vpc:
            self._check_nothing_foreign()
        if state.db_subnet_group and self._managed_tags(state.db_subnet_group_tags):
            name = state.db_subnet_group["DBSubnetGroupName"]
            self._defer(
                f"delete DB subnet group {name}",
                lambda: self.rds.delete_db_subnet_group(DBSubnetGroupName=name, aws_retry=True),
            )
        if state.cache_subnet_group and self._managed_tags(state.cache_subnet_group_tags):
            cache_name = state.cache_subnet_group["CacheSubnetGroupName"]
            self._defer(
                f"delete ElastiCache subnet group {cache_name}",
                lambda: self.elasticache.delete_cache_subnet_group(CacheSubnetGroupName=cache_name, aws_retry=True),
            )
        for flow_log in state.flow_logs:
            if st.is_managed(flow_log, self.identity):
                flow_log_id = flow_log["FlowLogId"]
                self._defer(
                    f"delete flow log {flow_log_id}",
                    lambda flow_log_id=flow_log_id: self.ec2.delete_flow_logs(FlowLogIds=[flow_log_id], aws_retry=True),
                )
        if state.role and self._managed_tags(st.tags_of(state.role)):
            self._defer(f"delete IAM role {self.names.flow_log_role}", self._delete_flow_log_role, stage=1)
        if state.log_group and self._managed_tags(state.log_group_tags):
            group_name = self.names.flow_log_group
            self._defer(
                f"delete log group {group_name}",
                lambda: self.logs.delete_log_group(logGroupName=group_name, aws_retry=True),
                stage=1,
            )
        if state.vpc:
            self._teardown_vpc()
        for _stage, _order, sentence, action in sorted(self._deferred, key=lambda d: d[:2]):
            if self.changes.add(sentence):
                action()
        if self.changes and not self.changes.check_mode:
            self.state = st.NetworkState()
            self.read()

    def _check_nothing_foreign(self):
        vpc_id = self.state.vpc_id
        foreign = [
            f"subnet {s['SubnetId']} ({s['CidrBlock']})"
            for s in self.state.subnets
            if not st.is_managed(s, self.identity)
        ]
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], aws_retry=True)
        ours = self.names.endpoint_security_group
        foreign += [
            f"security group {g['GroupName']} ({g['GroupId']})"
            for g in groups["SecurityGroups"]
            if g["GroupName"] not in ("default", ours)
        ]
        if foreign:
            raise ReconcileError(
                f"state=absent: the VPC {vpc_id} still holds {', '.join(foreign)}, which this module did not make. "
                "Tear down the tiers that use the network first (security, cluster, database, ...); nothing was deleted."
            )

    def _teardown_vpc(self):
        state = self.state
        endpoints = [e["VpcEndpointId"] for e in state.endpoints if st.is_managed(e, self.identity)]
        if endpoints:
            self._defer(f"delete endpoints {', '.join(endpoints)}", lambda: self._delete_endpoints(endpoints))
        for nat in state.nat_gateways:
            if st.is_managed(nat, self.identity):
                self._delete_nat_later(nat)
        for address in state.addresses:
            if not address.get("AssociationId"):
                allocation = address["AllocationId"]
                self._defer(
                    f"release Elastic IP {address.get('PublicIp', allocation)}",
                    lambda allocation=allocation: self.ec2.release_address(AllocationId=allocation, aws_retry=True),
                )
        for table in state.route_tables:
            key = st.tags_of(table).get(st.TAG_ROUTE_TABLE)
            if not key or not st.is_managed(table, self.identity):
                continue

            def delete(table=table):
                for association in table.get("Associations", []):
                    if association.get("SubnetId"):
                        self.ec2.disassociate_route_table(
                            AssociationId=association["RouteTableAssociationId"], aws_retry=True
                        )
                self.ec2.delete_route_table(RouteTableId=table["RouteTableId"], aws_retry=True)

            self._defer(f"delete route table {key} ({table['RouteTableId']})", delete)
        group = state.endpoint_security_group
        if group:
            group_id = group["GroupId"]
            self._defer(
                f"delete security group {group['GroupName']}",
                lambda: self.ec2.delete_security_group(GroupId=group_id, aws_retry=True),
                stage=1,
            )
        igw = state.internet_gateway
        if igw:
            igw_id, vpc_id = igw["InternetGatewayId"], state.vpc_id

            def delete_igw():
                self.ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id, aws_retry=True)
                self.ec2.delete_internet_gateway(InternetGatewayId=igw_id, aws_retry=True)

            self._defer(f"delete internet gateway {igw_id}", delete_igw, stage=1)
        for subnet in state.subnets:
            subnet_id = subnet["SubnetId"]
            self._defer(
                f"delete subnet {subnet_id} ({subnet['CidrBlock']}, {subnet['AvailabilityZone']})",
                lambda subnet_id=subnet_id: self.ec2.delete_subnet(SubnetId=subnet_id, aws_retry=True),
                stage=2,
            )
        vpc_id = state.vpc_id
        self._defer(
            f"delete VPC {self.names.vpc} {vpc_id}",
            lambda: self.ec2.delete_vpc(VpcId=vpc_id, aws_retry=True),
            stage=3,
        )

    def _delete_endpoints(self, endpoint_ids):
        self.ec2.delete_vpc_endpoints(VpcEndpointIds=endpoint_ids, aws_retry=True)

        def gone():
            found = self.ec2.describe_vpc_endpoints(
                Filters=[{"Name": "vpc-id", "Values": [self.state.vpc_id]}], aws_retry=True
            )["VpcEndpoints"]
            return all(e["State"].lower() == "deleted" for e in found if e["VpcEndpointId"] in endpoint_ids)

        # Interface endpoints hold network interfaces in the subnets and the security group until they are gone.
        wait_for(gone, self.p["wait_timeout"], f"VPC endpoints {', '.join(endpoint_ids)} to be deleted")

    def _check_preconditions(self):
        unknown = [az for az in self.p["azs"] if az not in self.state.azs]
        if unknown:
            raise ReconcileError(
                f"azs: {', '.join(unknown)} is not an availability zone of {self.region} "
                f"(it has {', '.join(sorted(self.state.azs))})"
            )
        vpc = self.state.vpc
        if vpc and vpc["CidrBlock"] != self.p["cidr"]:
            raise ReconcileError(
                f"cidr: the VPC {vpc['VpcId']} has CIDR {vpc['CidrBlock']}, the spec says {self.p['cidr']}. AWS cannot "
                "change a VPC's primary CIDR: restore the old value, or delete the network and converge again."
            )
        by_cidr = {s["CidrBlock"]: s for s in self.state.subnets}
        for subnet in self.p["subnets"]:
            existing = by_cidr.get(subnet["cidr"])
            if existing and existing["AvailabilityZone"] != subnet["az"]:
                raise ReconcileError(
                    f"subnets: {subnet['cidr']} exists as {existing['SubnetId']} in {existing['AvailabilityZone']}, the spec "
                    f"puts it in {subnet['az']}. A subnet cannot move between AZs: change the CIDR or delete the subnet."
                )

    def vpc(self):
        vpc = self.state.vpc
        tags = self._tags(self.names.vpc)
        if vpc is None:
            if self.changes.add(f"create VPC {self.names.vpc} {self.p['cidr']}"):
                vpc = self.ec2.create_vpc(
                    CidrBlock=self.p["cidr"], TagSpecifications=tag_specifications("vpc", tags), aws_retry=True
                )["Vpc"]
                self.ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
                self.state.vpc = vpc
                self.state.dns_support, self.state.dns_hostnames = True, False
        else:
            self._ensure_ec2_tags(vpc["VpcId"], f"VPC {vpc['VpcId']}", st.tags_of(vpc), tags)
        for attribute, current in (
            ("EnableDnsSupport", self.state.dns_support),
            ("EnableDnsHostnames", self.state.dns_hostnames),
        ):
            if current is not True and self.changes.add(f"set VPC {attribute} true"):
                self.ec2.modify_vpc_attribute(VpcId=self.state.vpc_id, **{attribute: {"Value": True}}, aws_retry=True)

    def internet_gateway(self):
        igw = self.state.internet_gateway
        wanted = self.desired["internet_gateway"]
        if igw:
            self.ids["igw"] = igw["InternetGatewayId"]
            if wanted:
                self._ensure_ec2_tags(
                    igw["InternetGatewayId"], "internet gateway", st.tags_of(igw), self._tags(self.names.vpc)
                )
            elif st.is_managed(igw, self.identity):
                vpc_id, igw_id = self.state.vpc_id, igw["InternetGatewayId"]

                def delete():
                    self.ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id, aws_retry=True)
                    self.ec2.delete_internet_gateway(InternetGatewayId=igw_id, aws_retry=True)

                self._defer(f"delete internet gateway {igw_id}", delete, stage=1)
            return
        if not wanted:
            return
        if not self.changes.add(f"create internet gateway for {self.names.vpc}"):
            return
        # A gateway left detached by an interrupted run is reused, not duplicated.
        leftovers = self.ec2.describe_internet_gateways(Filters=tag_filters(self.identity), aws_retry=True)
        detached = [g for g in leftovers["InternetGateways"] if not g.get("Attachments")]
        if detached:
            igw = detached[0]
        else:
            igw = self.ec2.create_internet_gateway(
                TagSpecifications=tag_specifications("internet-gateway", self._tags(self.names.vpc)), aws_retry=True
            )["InternetGateway"]
        self.ec2.attach_internet_gateway(
            InternetGatewayId=igw["InternetGatewayId"], VpcId=self.state.vpc_id, aws_retry=True
        )
        self.ids["igw"] = igw["InternetGatewayId"]

    def subnets(self):
        by_cidr = {s["CidrBlock"]: s for s in self.state.subnets}
        wanted = set()
        for subnet in self.p["subnets"]:
            tier, az, cidr = subnet["tier"], subnet["az"], subnet["cidr"]
            key = f"{tier}/{az}"
            wanted.add(cidr)
            extra = {st.TAG_TIER: tier}
            if tier == "public":
                extra["kubernetes.io/role/elb"] = "1"
            elif tier == "private":
                extra["kubernetes.io/role/internal-elb"] = "1"
            tags = self._tags(self.names.subnet(tier, az), **extra)
            existing = by_cidr.get(cidr)
            if existing:
                self.ids[key] = existing["SubnetId"]
                self._ensure_ec2_tags(existing["SubnetId"], f"subnet {key}", st.tags_of(existing), tags)
                continue
            if self.changes.add(f"create subnet {key} {cidr}"):
                created = self.ec2.create_subnet(
                    VpcId=self.state.vpc_id,
                    CidrBlock=cidr,
                    AvailabilityZone=az,
                    TagSpecifications=tag_specifications("subnet", tags),
                    aws_retry=True,
                )["Subnet"]
                self.ids[key] = created["SubnetId"]
            else:
                self.ids[key] = None
        for subnet in self.state.subnets:
            if subnet["CidrBlock"] in wanted or not st.is_managed(subnet, self.identity):
                continue
            label = f"subnet {subnet['SubnetId']} ({subnet['CidrBlock']}, {subnet['AvailabilityZone']})"
            if self.p["purge_subnets"]:
                subnet_id = subnet["SubnetId"]
                self._defer(
                    f"delete {label}",
                    lambda subnet_id=subnet_id: self.ec2.delete_subnet(SubnetId=subnet_id, aws_retry=True),
                    stage=2,
                )
            else:
                self.warnings.append(
                    f"{label} is tagged as part of this network but not in the spec; set purge_subnets to delete it"
                )

    def nat_gateways(self):
        wanted = self.desired["nat_gateways"]
        current = {}
        for nat in self.state.nat_gateways:
            if st.is_managed(nat, self.identity):
                current.setdefault(st.tags_of(nat).get(st.TAG_AZ), []).append(nat)
        free_addresses = [a for a in self.state.addresses if not a.get("AssociationId")]
        pending = []
        for az, subnet_key in wanted.items():
            subnet_id = self.ids.get(subnet_key)
            tags = self._tags(self.names.nat(az), **{st.TAG_AZ: az})
            in_az = current.pop(az, [])
            # Only a gateway in the planned public subnet counts; one elsewhere (the subnet was replaced, or
            # someone moved it) is replaced: the new one is created first, routes move to it, then it goes.
            found = [n for n in in_az if subnet_id and n["SubnetId"] == subnet_id]
            for stray in in_az:
                if stray not in found:
                    self._delete_nat_later(stray)
            if found:
                nat = found[0]
                self.ids[f"nat/{az}"] = nat["NatGatewayId"]
                self._ensure_ec2_tags(nat["NatGatewayId"], f"NAT gateway {az}", st.tags_of(nat), tags)
                if nat["State"] == "pending":
                    pending.append(nat["NatGatewayId"])
                for extra in found[1:]:
                    self._delete_nat_later(extra)
                continue
            # An address of ours left free (its gateway was deleted) is used again before a new one is allocated.
            address = next((a for a in free_addresses if st.tags_of(a).get(st.TAG_AZ) == az), None)
            if address:
                free_addresses.remove(address)
            if not self.changes.add(f"create NAT gateway in {subnet_key} (with an Elastic IP)"):
                self.ids[f"nat/{az}"] = None
                continue
            if not address:
                address = self.ec2.allocate_address(
                    Domain="vpc", TagSpecifications=tag_specifications("elastic-ip", tags), aws_retry=True
                )
            nat = self.ec2.create_nat_gateway(
                SubnetId=subnet_id,
                AllocationId=address["AllocationId"],
                ClientToken=client_token(),
                TagSpecifications=tag_specifications("natgateway", tags),
                aws_retry=True,
            )["NatGateway"]
            self.ids[f"nat/{az}"] = nat["NatGatewayId"]
            if nat["State"] != "available":
                pending.append(nat["NatGatewayId"])
        for nats in current.values():
            for nat in nats:
                self._delete_nat_later(nat)
        for address in free_addresses:
            # Ours, associated with nothing and wanted by no gateway: an Elastic IP costs money while idle.
            allocation = address["AllocationId"]
            self._defer(
                f"release Elastic IP {address.get('PublicIp', allocation)} (no NAT gateway uses it)",
                lambda allocation=allocation: self.ec2.release_address(AllocationId=allocation, aws_retry=True),
            )
        if pending and not self.changes.check_mode:
            # Routes need the gateways: always wait, within wait_timeout.
            self._wait_nat_states(pending, "available")

    def _wait_nat_states(self, nat_ids, wanted):
        def check():
            nats = self.ec2.describe_nat_gateways(NatGatewayIds=nat_ids, aws_retry=True)["NatGateways"]
            failed = [n for n in nats if n["State"] == "failed" and wanted != "deleted"]
            if failed:
                reasons = "; ".join(f"{n['NatGatewayId']}: {n.get('FailureMessage', 'failed')}" for n in failed)
                raise ReconcileError(f"NAT gateway creation failed: {reasons}")
            return all(n["State"] == wanted for n in nats)

        wait_for(check, self.p["wait_timeout"], f"NAT gateways {', '.join(nat_ids)} to be {wanted}")

    def _delete_nat_later(self, nat):
        nat_id = nat["NatGatewayId"]
        allocations = [a["AllocationId"] for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        managed_allocations = {a["AllocationId"] for a in self.state.addresses}

        def delete():
            self.ec2.delete_nat_gateway(NatGatewayId=nat_id, aws_retry=True)
            self._wait_nat_states([nat_id], "deleted")
            for allocation in allocations:
                if allocation in managed_allocations:
                    self.ec2.release_address(AllocationId=allocation, aws_retry=True)

        self._defer(f"delete NAT gateway {nat_id} and release its Elastic IP", delete)

    def route_tables(self):
        vpc_id = self.state.vpc_id
        tables = {}
        association_of = {}  # subnet id -> (association id, route table id)
        for table in self.state.route_tables:
            key = st.tags_of(table).get(st.TAG_ROUTE_TABLE)
            if key and st.is_managed(table, self.identity):
                tables[key] = table
            for association in table.get("Associations", []):
                if association.get("SubnetId"):
                    association_of[association["SubnetId"]] = (
                        association["RouteTableAssociationId"],
                        table["RouteTableId"],
                    )
        for key, want in self.desired["route_tables"].items():
            tags = self._tags(self.names.route_table(key), **{st.TAG_ROUTE_TABLE: key})
            table = tables.pop(key, None)
            if table is None:
                if self.changes.add(f"create route table {key}"):
                    table = self.ec2.create_route_table(
                        VpcId=vpc_id,
                        ClientToken=client_token(),
                        TagSpecifications=tag_specifications("route-table", tags),
                        aws_retry=True,
                    )["RouteTable"]
                else:
                    table = {"RouteTableId": None, "Routes": [], "Associations": [], "Tags": []}
            else:
                self._ensure_ec2_tags(table["RouteTableId"], f"route table {key}", st.tags_of(table), tags)
            table_id = table["RouteTableId"]
            self.ids[key] = table_id
            self._routes(key, table, want["default_route"])
            for subnet_key in want["subnets"]:
                subnet_id = self.ids.get(subnet_key)
                current = association_of.get(subnet_id) if subnet_id else None
                if current and current[1] == table_id and table_id:
                    continue
                if current:
                    if self.changes.add(f"move {subnet_key} to route table {key}"):
                        self.ec2.replace_route_table_association(
                            AssociationId=current[0], RouteTableId=table_id, aws_retry=True
                        )
                elif self.changes.add(f"associate {subnet_key} with route table {key}"):
                    self.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id, aws_retry=True)
            wanted_subnets = {self.ids.get(k) for k in want["subnets"]}
            for association in table.get("Associations", []):
                subnet_id = association.get("SubnetId")
                if subnet_id and subnet_id not in wanted_subnets:
                    association_id = association["RouteTableAssociationId"]
                    if self.changes.add(f"disassociate subnet {subnet_id} from route table {key}"):
                        self.ec2.disassociate_route_table(AssociationId=association_id, aws_retry=True)
        for key, table in tables.items():
            table_id = table["RouteTableId"]

            def delete(table=table, table_id=table_id):
                for association in table.get("Associations", []):
                    if association.get("SubnetId"):
                        self.ec2.disassociate_route_table(
                            AssociationId=association["RouteTableAssociationId"], aws_retry=True
                        )
                self.ec2.delete_route_table(RouteTableId=table_id, aws_retry=True)

            self._defer(f"delete route table {key} ({table_id})", delete)

    def _routes(self, key, table, default_route):
        table_id = table["RouteTableId"]
        target_id = self.ids.get(default_route) if default_route else None
        for route in table.get("Routes", []):
            if route.get("Origin") != "CreateRoute" or route.get("DestinationPrefixListId"):
                continue  # local routes and gateway-endpoint routes belong to AWS
            destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            if destination == ANYWHERE and default_route:
                continue
            if self.changes.add(f"delete route {destination} from route table {key}"):
                if route.get("DestinationCidrBlock"):
                    self.ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=destination, aws_retry=True)
                else:
                    self.ec2.delete_route(RouteTableId=table_id, DestinationIpv6CidrBlock=destination, aws_retry=True)
        if not default_route:
            return
        current = next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == ANYWHERE), None)
        current_target = _route_target(current) if current else None
        if current and current_target == target_id and target_id and current.get("State") != "blackhole":
            return
        target = {"GatewayId": target_id} if default_route == "igw" else {"NatGatewayId": target_id}
        if current:
            if self.changes.add(f"point route table {key} 0.0.0.0/0 at {default_route}"):
                self.ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, **target, aws_retry=True)
        elif self.changes.add(f"route table {key}: 0.0.0.0/0 via {default_route}"):
            self.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, **target, aws_retry=True)

    def endpoints(self):
        prefix = f"com.amazonaws.{self.region}."
        current = {e["ServiceName"].removeprefix(prefix): e for e in self.state.endpoints}
        interface = [name for name, kind in self.desired["endpoints"].items() if kind == "Interface"]
        group_id = self._endpoint_security_group(bool(interface))
        table_ids = sorted(filter(None, (self.ids.get(k) for k in self.desired["route_tables"])))
        private_subnets = sorted(filter(None, (self.ids.get(f"private/{az}") for az in self.p["azs"])))
        pending = []
        for service, kind in self.desired["endpoints"].items():
            tags = self._tags(self.names.endpoint(service))
            endpoint = current.pop(service, None)
            if endpoint is None:
                if not self.changes.add(f"create {kind.lower()} endpoint {service}"):
                    continue
                params = dict(
                    VpcId=self.state.vpc_id,
                    ServiceName=prefix + service,
                    VpcEndpointType=kind,
                    ClientToken=client_token(),
                    TagSpecifications=tag_specifications("vpc-endpoint", tags),
                )
                if kind == "Gateway":
                    params["RouteTableIds"] = table_ids
                else:
                    params.update(SubnetIds=private_subnets, SecurityGroupIds=[group_id], PrivateDnsEnabled=True)
                endpoint = self.ec2.create_vpc_endpoint(**params, aws_retry=True)["VpcEndpoint"]
                if endpoint["State"].lower() != "available":
                    pending.append(endpoint["VpcEndpointId"])
                continue
            endpoint_id = endpoint["VpcEndpointId"]
            self._ensure_ec2_tags(endpoint_id, f"endpoint {service}", st.tags_of(endpoint), tags)
            if kind == "Gateway":
                have = set(endpoint.get("RouteTableIds", []))
                add, remove = sorted(set(table_ids) - have), sorted(have - set(table_ids))
                if (add or remove) and self.changes.add(f"endpoint {service}: route tables +{len(add)} -{len(remove)}"):
                    self.ec2.modify_vpc_endpoint(
                        VpcEndpointId=endpoint_id, AddRouteTableIds=add, RemoveRouteTableIds=remove, aws_retry=True
                    )
            else:
                have = set(endpoint.get("SubnetIds", []))
                add, remove = sorted(set(private_subnets) - have), sorted(have - set(private_subnets))
                groups = {g["GroupId"] for g in endpoint.get("Groups", [])}
                changes = {}
                if add:
                    changes["AddSubnetIds"] = add
                if remove:
                    changes["RemoveSubnetIds"] = remove
                if group_id and groups != {group_id}:
                    changes["AddSecurityGroupIds"] = [group_id] if group_id not in groups else []
                    changes["RemoveSecurityGroupIds"] = sorted(groups - {group_id})
                if changes and self.changes.add(f"endpoint {service}: update subnets and security groups"):
                    self.ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **changes, aws_retry=True)
        for service, endpoint in current.items():
            if st.is_managed(endpoint, self.identity):
                endpoint_id = endpoint["VpcEndpointId"]
                self._defer(
                    f"delete endpoint {service} ({endpoint_id})",
                    lambda endpoint_id=endpoint_id: self.ec2.delete_vpc_endpoints(
                        VpcEndpointIds=[endpoint_id], aws_retry=True
                    ),
                )
        if group_id is None and self.state.endpoint_security_group and not interface:
            stale = self.state.endpoint_security_group["GroupId"]
            self._defer(
                f"delete security group {self.names.endpoint_security_group}",
                lambda: self.ec2.delete_security_group(GroupId=stale, aws_retry=True),
                stage=1,
            )
        if pending and self.p["wait"] and not self.changes.check_mode:

            def available():
                found = self.ec2.describe_vpc_endpoints(VpcEndpointIds=pending, aws_retry=True)["VpcEndpoints"]
                return all(e["State"].lower() == "available" for e in found)

            wait_for(available, self.p["wait_timeout"], f"VPC endpoints {', '.join(pending)} to be available")

    def _endpoint_security_group(self, wanted):
        """The security group of interface endpoints: HTTPS from the VPC, no egress. Returns its id."""
        group = self.state.endpoint_security_group
        if not wanted:
            return None
        name = self.names.endpoint_security_group
        tags = self._tags(name)
        ingress = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": self.p["cidr"], "Description": "HTTPS from the VPC"}],
            }
        ]
        if group is None:
            if not self.changes.add(f"create security group {name} (443 from {self.p['cidr']}, no egress)"):
                return None
            group_id = self.ec2.create_security_group(
                GroupName=name,
                Description="Interface VPC endpoints: HTTPS from inside the VPC",
                VpcId=self.state.vpc_id,
                TagSpecifications=tag_specifications("security-group", tags),
                aws_retry=True,
            )["GroupId"]
            group = {
                "GroupId": group_id,
                "IpPermissions": [],
                "IpPermissionsEgress": [_ALL_EGRESS],
                "Tags": ansible_dict_to_boto3_tag_list(tags),
            }
        group_id = group["GroupId"]
        self._ensure_ec2_tags(group_id, f"security group {name}", st.tags_of(group), tags)
        have_ingress = _normalise_permissions(group.get("IpPermissions", []))
        if have_ingress != _normalise_permissions(ingress) and self.changes.add(
            f"security group {name}: set ingress to 443 from {self.p['cidr']}"
        ):
            if group.get("IpPermissions"):
                self.ec2.revoke_security_group_ingress(
                    GroupId=group_id, IpPermissions=_strip(group["IpPermissions"]), aws_retry=True
                )
            self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress, aws_retry=True)
        if group.get("IpPermissionsEgress") and self.changes.add(f"security group {name}: remove egress"):
            self.ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=_strip(group["IpPermissionsEgress"]), aws_retry=True
            )
        return group_id

    def flow_logs(self):
        want = self.desired["flow_logs"]
        state = self.state
        managed = [f for f in state.flow_logs if st.is_managed(f, self.identity)]
        if not want:
            for flow_log in managed:
                flow_log_id = flow_log["FlowLogId"]
                self._defer(
                    f"delete flow log {flow_log_id}",
                    lambda flow_log_id=flow_log_id: self.ec2.delete_flow_logs(FlowLogIds=[flow_log_id], aws_retry=True),
                )
            if state.role:
                self._defer(f"delete IAM role {self.names.flow_log_role}", self._delete_flow_log_role)
            return
        role_arn = self._flow_log_role()
        self._flow_log_group(want)
        desired = {
            "LogGroupName": self.names.flow_log_group,
            "TrafficType": want["traffic_type"],
            "MaxAggregationInterval": want["max_aggregation_interval"],
            "DeliverLogsPermissionArn": role_arn,
        }
        tags = self._tags(f"{self.names.base}-flow-logs")
        matching = [f for f in managed if all(f.get(k) == v for k, v in desired.items())]
        for flow_log in managed:
            if flow_log not in matching[:1]:
                flow_log_id = flow_log["FlowLogId"]
                # Flow logs cannot be modified: a changed one is replaced (the new one is created first).
                self._defer(
                    f"delete flow log {flow_log_id} (replaced)",
                    lambda flow_log_id=flow_log_id: self.ec2.delete_flow_logs(FlowLogIds=[flow_log_id], aws_retry=True),
                )
        if matching:
            self._ensure_ec2_tags(matching[0]["FlowLogId"], "flow log", st.tags_of(matching[0]), tags)
            return
        if self.changes.add(f"create flow log ({want['traffic_type']}) to {self.names.flow_log_group}"):
            result = self.ec2.create_flow_logs(
                ResourceIds=[state.vpc_id],
                ResourceType="VPC",
                LogDestinationType="cloud-watch-logs",
                ClientToken=client_token(),
                TagSpecifications=tag_specifications("vpc-flow-log", tags),
                **desired,
                aws_retry=True,
            )
            if result.get("Unsuccessful"):
                raise ReconcileError(f"flow log creation failed: {result['Unsuccessful']}")

    def _flow_log_policies(self):
        partition = partition_for(self.region)
        account = self.state.account_id or "*"
        group_arn = f"arn:{partition}:logs:{self.region}:{account}:log-group:{self.names.flow_log_group}"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{self.region}:{account}:vpc-flow-log/*"},
                    },
                }
            ],
        }
        permissions = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                    ],
                    "Resource": [group_arn, f"{group_arn}:*"],
                }
            ],
        }
        return trust, permissions

    def _flow_log_role(self):
        role = self.state.role
        name = self.names.flow_log_role
        trust, permissions = self._flow_log_policies()
        tags = self._tags(name)
        if role is None:
            if not self.changes.add(f"create IAM role {name} for flow log delivery"):
                return None
            role = self.iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description=f"VPC flow logs of {self.names.base} in {self.region} to CloudWatch Logs",
                Tags=ansible_dict_to_boto3_tag_list(tags),
                aws_retry=True,
            )["Role"]
        else:
            current_trust = role.get("AssumeRolePolicyDocument")
            if isinstance(current_trust, str):
                current_trust = json.loads(current_trust)
            if _canonical(current_trust) != _canonical(trust) and self.changes.add(
                f"IAM role {name}: update trust policy"
            ):
                self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust), aws_retry=True)
            to_set, to_unset = tag_changes(st.tags_of(role), tags, self.p["purge_tags"])
            if to_set and self.changes.add(f"tag IAM role {name}: set {', '.join(sorted(to_set))}"):
                self.iam.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)
            if to_unset and self.changes.add(f"tag IAM role {name}: remove {', '.join(sorted(to_unset))}"):
                self.iam.untag_role(RoleName=name, TagKeys=to_unset, aws_retry=True)
        if _canonical(self.state.role_policy) != _canonical(permissions) and self.changes.add(
            f"IAM role {name}: set policy {self.names.flow_log_policy}"
        ):
            self.iam.put_role_policy(
                RoleName=name,
                PolicyName=self.names.flow_log_policy,
                PolicyDocument=json.dumps(permissions),
                aws_retry=True,
            )
        return role["Arn"]

    def _delete_flow_log_role(self):
        name = self.names.flow_log_role
        if self.state.role_policy is not None:
            self.iam.delete_role_policy(RoleName=name, PolicyName=self.names.flow_log_policy, aws_retry=True)
        self.iam.delete_role(RoleName=name, aws_retry=True)

    def _flow_log_group(self, want):
        group = self.state.log_group
        name = self.names.flow_log_group
        tags = self._tags()
        kms = self.p.get("flow_logs_kms_key_arn")
        if group is None:
            if not self.changes.add(f"create log group {name} (retention {want['retention_days']} days)"):
                return
            params = {"logGroupName": name, "tags": tags}
            if kms:
                params["kmsKeyId"] = kms
            self.logs.create_log_group(**params, aws_retry=True)
            self.logs.put_retention_policy(logGroupName=name, retentionInDays=want["retention_days"], aws_retry=True)
            return
        if group.get("retentionInDays") != want["retention_days"] and self.changes.add(
            f"log group {name}: retention {group.get('retentionInDays')} → {want['retention_days']} days"
        ):
            self.logs.put_retention_policy(logGroupName=name, retentionInDays=want["retention_days"], aws_retry=True)
        if kms and group.get("kmsKeyId") != kms and self.changes.add(f"log group {name}: encrypt with {kms}"):
            self.logs.associate_kms_key(logGroupName=name, kmsKeyId=kms, aws_retry=True)
        arn = group["arn"].removesuffix(":*")
        to_set, to_unset = tag_changes(self.state.log_group_tags, tags, self.p["purge_tags"])
        if to_set and self.changes.add(f"tag log group {name}: set {', '.join(sorted(to_set))}"):
            self.logs.tag_resource(resourceArn=arn, tags=to_set, aws_retry=True)
        if to_unset and self.changes.add(f"tag log group {name}: remove {', '.join(sorted(to_unset))}"):
            self.logs.untag_resource(resourceArn=arn, tagKeys=to_unset, aws_retry=True)

    def subnet_groups(self):
        database = [self.ids.get(k) for k in (self.desired["db_subnet_group"] or [])]
        name = self.names.subnet_group
        tags = self._tags(name)
        description = f"{self.names.base} database subnets"
        state = self.state
        if self.desired["db_subnet_group"] is not None:
            group = state.db_subnet_group
            if group is None:
                if self.changes.add(f"create DB subnet group {name}"):
                    self.rds.create_db_subnet_group(
                        DBSubnetGroupName=name,
                        DBSubnetGroupDescription=description,
                        SubnetIds=database,
                        Tags=ansible_dict_to_boto3_tag_list(tags),
                        aws_retry=True,
                    )
            else:
                have = {s["SubnetIdentifier"] for s in group["Subnets"]}
                if have != set(database) and self.changes.add(f"DB subnet group {name}: set subnets"):
                    self.rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=database, aws_retry=True)
                arn = group["DBSubnetGroupArn"]
                to_set, to_unset = tag_changes(state.db_subnet_group_tags, tags, self.p["purge_tags"])
                if to_set and self.changes.add(f"tag DB subnet group {name}"):
                    self.rds.add_tags_to_resource(
                        ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True
                    )
                if to_unset and self.changes.add(f"untag DB subnet group {name}"):
                    self.rds.remove_tags_from_resource(ResourceName=arn, TagKeys=to_unset, aws_retry=True)
        elif state.db_subnet_group and self._managed_tags(state.db_subnet_group_tags):
            self._defer(
                f"delete DB subnet group {name}",
                lambda: self.rds.delete_db_subnet_group(DBSubnetGroupName=name, aws_retry=True),
            )
        if self.desired["cache_subnet_group"] is not None:
            group = state.cache_subnet_group
            if group is None:
                if self.changes.add(f"create ElastiCache subnet group {name}"):
                    self.elasticache.create_cache_subnet_group(
                        CacheSubnetGroupName=name,
                        CacheSubnetGroupDescription=description,
                        SubnetIds=database,
                        Tags=ansible_dict_to_boto3_tag_list(tags),
                        aws_retry=True,
                    )
            else:
                have = {s["SubnetIdentifier"] for s in group["Subnets"]}
                if have != set(database) and self.changes.add(f"ElastiCache subnet group {name}: set subnets"):
                    self.elasticache.modify_cache_subnet_group(
                        CacheSubnetGroupName=name, SubnetIds=database, aws_retry=True
                    )
                arn = group["ARN"]
                to_set, to_unset = tag_changes(state.cache_subnet_group_tags, tags, self.p["purge_tags"])
                if to_set and self.changes.add(f"tag ElastiCache subnet group {name}"):
                    self.elasticache.add_tags_to_resource(
                        ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True
                    )
                if to_unset and self.changes.add(f"untag ElastiCache subnet group {name}"):
                    self.elasticache.remove_tags_from_resource(ResourceName=arn, TagKeys=to_unset, aws_retry=True)
        elif state.cache_subnet_group and self._managed_tags(state.cache_subnet_group_tags):
            self._defer(
                f"delete ElastiCache subnet group {name}",
                lambda: self.elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name, aws_retry=True),
            )

    def _managed_tags(self, tags):
        return all(tags.get(k) == v for k, v in self.identity.items())

    def result(self):
        return st.summarize(self.state, self.identity, self.names)


_ALL_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANYWHERE}]}


def _route_target(route):
    return (
        route.get("NatGatewayId")
        or route.get("GatewayId")
        or route.get("TransitGatewayId")
        or route.get("NetworkInterfaceId")
    )


def _strip(permissions):
    """Security group permissions as describe returns them, minus the read-only fields revoke refuses."""
    keep = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")
    return [{k: v for k, v in p.items() if k in keep and v not in (None, [])} for p in permissions]


def _normalise_permissions(permissions):
    rules = set()
    for permission in permissions:
        for ip_range in permission.get("IpRanges", []):
            rules.add(
                (permission.get("IpProtocol"), permission.get("FromPort"), permission.get("ToPort"), ip_range["CidrIp"])
            )
    return rules


def _canonical(document):
    """A policy document in a comparable form: JSON with sorted keys, single statements as lists."""
    if document is None:
        return None

    def normal(value):
        if isinstance(value, dict):
            return {k: normal(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [normal(v) for v in value]
            return items[0] if len(items) == 1 else sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
        return value

    return json.dumps(normal(document), sort_keys=True)
