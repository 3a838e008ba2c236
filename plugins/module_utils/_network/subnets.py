# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Subnets and route tables of the network tier: found by CIDR and by the route-table tag."""

from __future__ import annotations

from ..platform import client_token
from ..platform import tag_specifications
from . import state as st

ANYWHERE = "0.0.0.0/0"


def route_target(route):
    return (
        route.get("NatGatewayId")
        or route.get("GatewayId")
        or route.get("TransitGatewayId")
        or route.get("NetworkInterfaceId")
    )


class Subnets:
    """Every subnet of the spec, found by CIDR; ours that left the spec go only with ``purge_subnets``."""

    def __init__(self, owner):
        self.o = owner

    def before(self, sym):
        subnets = {}
        for subnet in self.o.state.subnets:
            if st.is_managed(subnet, self.o.identity):
                key = f"{st.tags_of(subnet).get(st.TAG_TIER)}/{subnet['AvailabilityZone']}"
                subnets[key] = subnet["CidrBlock"]
                sym[subnet["SubnetId"]] = key
        return {"subnets": subnets}

    def converge(self):
        o = self.o
        by_cidr = {s["CidrBlock"]: s for s in o.state.subnets}
        wanted = set()
        for subnet in o.p["subnets"]:
            tier, az, cidr = subnet["tier"], subnet["az"], subnet["cidr"]
            key = f"{tier}/{az}"
            wanted.add(cidr)
            extra = {st.TAG_TIER: tier}
            if tier == "public":
                extra["kubernetes.io/role/elb"] = "1"
            elif tier == "private":
                extra["kubernetes.io/role/internal-elb"] = "1"
            tags = o.tags(o.names.subnet(tier, az), **extra)
            existing = by_cidr.get(cidr)
            if existing:
                o.ids[key] = existing["SubnetId"]
                o.ensure_ec2_tags(existing["SubnetId"], f"subnet {key}", st.tags_of(existing), tags)
                continue
            if o.changes.add(f"create subnet {key} {cidr}"):
                created = o.ec2.create_subnet(
                    VpcId=o.state.vpc_id,
                    CidrBlock=cidr,
                    AvailabilityZone=az,
                    TagSpecifications=tag_specifications("subnet", tags),
                    aws_retry=True,
                )["Subnet"]
                o.ids[key] = created["SubnetId"]
            else:
                o.ids[key] = None
        for subnet in o.state.subnets:
            if subnet["CidrBlock"] in wanted or not st.is_managed(subnet, o.identity):
                continue
            label = f"subnet {subnet['SubnetId']} ({subnet['CidrBlock']}, {subnet['AvailabilityZone']})"
            if o.p["purge_subnets"]:
                self._delete_later(subnet, f"delete {label}")
            else:
                o.warnings.append(
                    f"{label} is tagged as part of this network but not in the spec; set purge_subnets to delete it"
                )

    def teardown(self):
        for subnet in self.o.state.subnets:
            self._delete_later(
                subnet, f"delete subnet {subnet['SubnetId']} ({subnet['CidrBlock']}, {subnet['AvailabilityZone']})"
            )

    def _delete_later(self, subnet, sentence):
        subnet_id = subnet["SubnetId"]
        self.o.defer(
            sentence,
            lambda subnet_id=subnet_id: self.o.ec2.delete_subnet(SubnetId=subnet_id, aws_retry=True),
            stage=2,
        )


class RouteTables:
    """One route table per key of the layout (tagged with it), its subnets and its default route."""

    def __init__(self, owner):
        self.o = owner

    def _ours(self):
        for table in self.o.state.route_tables:
            key = st.tags_of(table).get(st.TAG_ROUTE_TABLE)
            if key and st.is_managed(table, self.o.identity):
                yield key, table

    def before(self, sym):
        tables = {}
        for key, table in self._ours():
            default = next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == ANYWHERE), None)
            target = route_target(default) if default else None
            tables[key] = {
                "subnets": sorted(
                    sym.get(a["SubnetId"], a["SubnetId"]) for a in table["Associations"] if a.get("SubnetId")
                ),
                "default_route": sym.get(target, target),
            }
        return {"route_tables": tables}

    def converge(self):
        o = self.o
        vpc_id = o.state.vpc_id
        tables = dict(self._ours())
        association_of = {}  # subnet id -> (association id, route table id)
        for table in o.state.route_tables:
            for association in table.get("Associations", []):
                if association.get("SubnetId"):
                    association_of[association["SubnetId"]] = (
                        association["RouteTableAssociationId"],
                        table["RouteTableId"],
                    )
        for key, want in o.desired["route_tables"].items():
            tags = o.tags(o.names.route_table(key), **{st.TAG_ROUTE_TABLE: key})
            table = tables.pop(key, None)
            if table is None:
                if o.changes.add(f"create route table {key}"):
                    table = o.ec2.create_route_table(
                        VpcId=vpc_id,
                        ClientToken=client_token(),
                        TagSpecifications=tag_specifications("route-table", tags),
                        aws_retry=True,
                    )["RouteTable"]
                else:
                    table = {"RouteTableId": None, "Routes": [], "Associations": [], "Tags": []}
            else:
                o.ensure_ec2_tags(table["RouteTableId"], f"route table {key}", st.tags_of(table), tags)
            table_id = table["RouteTableId"]
            o.ids[key] = table_id
            self._routes(key, table, want["default_route"])
            self._associations(key, table, want["subnets"], association_of)
        for key, table in tables.items():
            self._delete_later(key, table)

    def _associations(self, key, table, subnet_keys, association_of):
        o = self.o
        table_id = table["RouteTableId"]
        for subnet_key in subnet_keys:
            subnet_id = o.ids.get(subnet_key)
            current = association_of.get(subnet_id) if subnet_id else None
            if current and current[1] == table_id and table_id:
                continue
            if current:
                if o.changes.add(f"move {subnet_key} to route table {key}"):
                    o.ec2.replace_route_table_association(
                        AssociationId=current[0], RouteTableId=table_id, aws_retry=True
                    )
            elif o.changes.add(f"associate {subnet_key} with route table {key}"):
                o.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id, aws_retry=True)
        wanted_subnets = {o.ids.get(k) for k in subnet_keys}
        for association in table.get("Associations", []):
            subnet_id = association.get("SubnetId")
            if subnet_id and subnet_id not in wanted_subnets:
                association_id = association["RouteTableAssociationId"]
                if o.changes.add(f"disassociate subnet {subnet_id} from route table {key}"):
                    o.ec2.disassociate_route_table(AssociationId=association_id, aws_retry=True)

    def _routes(self, key, table, default_route):
        o = self.o
        table_id = table["RouteTableId"]
        target_id = o.ids.get(default_route) if default_route else None
        for route in table.get("Routes", []):
            if route.get("Origin") != "CreateRoute" or route.get("DestinationPrefixListId"):
                continue  # local routes and gateway-endpoint routes belong to AWS
            destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            if destination == ANYWHERE and default_route:
                continue
            if o.changes.add(f"delete route {destination} from route table {key}"):
                if route.get("DestinationCidrBlock"):
                    o.ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=destination, aws_retry=True)
                else:
                    o.ec2.delete_route(RouteTableId=table_id, DestinationIpv6CidrBlock=destination, aws_retry=True)
        if not default_route:
            return
        current = next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == ANYWHERE), None)
        current_target = route_target(current) if current else None
        if current and current_target == target_id and target_id and current.get("State") != "blackhole":
            return
        target = {"GatewayId": target_id} if default_route == "igw" else {"NatGatewayId": target_id}
        if current:
            if o.changes.add(f"point route table {key} 0.0.0.0/0 at {default_route}"):
                o.ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, **target, aws_retry=True)
        elif o.changes.add(f"route table {key}: 0.0.0.0/0 via {default_route}"):
            o.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, **target, aws_retry=True)

    def teardown(self):
        for key, table in self._ours():
            self._delete_later(key, table)

    def _delete_later(self, key, table):
        ec2 = self.o.ec2
        table_id = table["RouteTableId"]

        def delete():
            for association in table.get("Associations", []):
                if association.get("SubnetId"):
                    ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"], aws_retry=True)
            ec2.delete_route_table(RouteTableId=table_id, aws_retry=True)

        self.o.defer(f"delete route table {key} ({table_id})", delete)
