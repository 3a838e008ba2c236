# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The network tier's ways out: the internet gateway, NAT gateways and their Elastic IPs."""

from __future__ import annotations

from ..platform import ReconcileError
from ..platform import client_token
from ..platform import tag_filters
from ..platform import tag_specifications
from ..platform import wait_for
from . import state as st


class InternetGateway:
    def __init__(self, owner):
        self.o = owner

    def before(self, sym):
        igw = self.o.state.internet_gateway
        if igw:
            sym[igw["InternetGatewayId"]] = "igw"
        return {"internet_gateway": bool(igw)}

    def converge(self):
        o = self.o
        igw = o.state.internet_gateway
        wanted = o.desired["internet_gateway"]
        if igw:
            o.ids["igw"] = igw["InternetGatewayId"]
            if wanted:
                o.ensure_ec2_tags(igw["InternetGatewayId"], "internet gateway", st.tags_of(igw), o.tags(o.names.vpc))
            elif st.is_managed(igw, o.identity):
                self._delete_later(igw)
            return
        if not wanted:
            return
        if not o.changes.add(f"create internet gateway for {o.names.vpc}"):
            return
        # A gateway left detached by an interrupted run is reused, not duplicated.
        leftovers = o.ec2.describe_internet_gateways(Filters=tag_filters(o.identity), aws_retry=True)
        detached = [g for g in leftovers["InternetGateways"] if not g.get("Attachments")]
        if detached:
            igw = detached[0]
        else:
            igw = o.ec2.create_internet_gateway(
                TagSpecifications=tag_specifications("internet-gateway", o.tags(o.names.vpc)), aws_retry=True
            )["InternetGateway"]
        o.ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=o.state.vpc_id, aws_retry=True)
        o.ids["igw"] = igw["InternetGatewayId"]

    def teardown(self):
        if self.o.state.internet_gateway:
            self._delete_later(self.o.state.internet_gateway)

    def _delete_later(self, igw):
        # Stage 1: AWS refuses to detach the gateway while NAT gateways' addresses are still mapped.
        ec2 = self.o.ec2
        igw_id, vpc_id = igw["InternetGatewayId"], self.o.state.vpc_id

        def delete():
            ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id, aws_retry=True)
            ec2.delete_internet_gateway(InternetGatewayId=igw_id, aws_retry=True)

        self.o.defer(f"delete internet gateway {igw_id}", delete, stage=1)


class NatGateways:
    """One NAT gateway per AZ of the layout, each with an Elastic IP of ours (reused when one is free)."""

    def __init__(self, owner):
        self.o = owner

    def before(self, sym):
        nats = {}
        for nat in self.o.state.nat_gateways:
            if st.is_managed(nat, self.o.identity):
                az = st.tags_of(nat).get(st.TAG_AZ)
                nats[az] = sym.get(nat["SubnetId"], nat["SubnetId"])
                sym[nat["NatGatewayId"]] = f"nat/{az}"
        return {"nat_gateways": nats}

    def converge(self):
        o = self.o
        current = {}
        for nat in o.state.nat_gateways:
            if st.is_managed(nat, o.identity):
                current.setdefault(st.tags_of(nat).get(st.TAG_AZ), []).append(nat)
        free_addresses = [a for a in o.state.addresses if not a.get("AssociationId")]
        pending = []
        for az, subnet_key in o.desired["nat_gateways"].items():
            subnet_id = o.ids.get(subnet_key)
            tags = o.tags(o.names.nat(az), **{st.TAG_AZ: az})
            in_az = current.pop(az, [])
            # Only a gateway in the planned public subnet counts; one elsewhere (the subnet was replaced, or
            # someone moved it) is replaced: the new one is created first, routes move to it, then it goes.
            found = [n for n in in_az if subnet_id and n["SubnetId"] == subnet_id]
            for stray in in_az:
                if stray not in found:
                    self._delete_later(stray)
            if found:
                nat = found[0]
                o.ids[f"nat/{az}"] = nat["NatGatewayId"]
                o.ensure_ec2_tags(nat["NatGatewayId"], f"NAT gateway {az}", st.tags_of(nat), tags)
                if nat["State"] == "pending":
                    pending.append(nat["NatGatewayId"])
                for extra in found[1:]:
                    self._delete_later(extra)
                continue
            # An address of ours left free (its gateway was deleted) is used again before a new one is allocated.
            address = next((a for a in free_addresses if st.tags_of(a).get(st.TAG_AZ) == az), None)
            if address:
                free_addresses.remove(address)
            if not o.changes.add(f"create NAT gateway in {subnet_key} (with an Elastic IP)"):
                o.ids[f"nat/{az}"] = None
                continue
            if not address:
                address = o.ec2.allocate_address(
                    Domain="vpc", TagSpecifications=tag_specifications("elastic-ip", tags), aws_retry=True
                )
            nat = o.ec2.create_nat_gateway(
                SubnetId=subnet_id,
                AllocationId=address["AllocationId"],
                ClientToken=client_token(),
                TagSpecifications=tag_specifications("natgateway", tags),
                aws_retry=True,
            )["NatGateway"]
            o.ids[f"nat/{az}"] = nat["NatGatewayId"]
            if nat["State"] != "available":
                pending.append(nat["NatGatewayId"])
        for nats in current.values():
            for nat in nats:
                self._delete_later(nat)
        for address in free_addresses:
            # Ours, associated with nothing and wanted by no gateway: an Elastic IP costs money while idle.
            self._release_later(address, " (no NAT gateway uses it)")
        if pending and not o.changes.check_mode:
            # Routes need the gateways: always wait, within wait_timeout.
            self._wait_states(pending, "available")

    def teardown(self):
        for nat in self.o.state.nat_gateways:
            if st.is_managed(nat, self.o.identity):
                self._delete_later(nat)
        for address in self.o.state.addresses:
            if not address.get("AssociationId"):
                self._release_later(address, "")

    def _release_later(self, address, why):
        ec2 = self.o.ec2
        allocation = address["AllocationId"]
        self.o.defer(
            f"release Elastic IP {address.get('PublicIp', allocation)}{why}",
            lambda: ec2.release_address(AllocationId=allocation, aws_retry=True),
        )

    def _wait_states(self, nat_ids, wanted):
        ec2 = self.o.ec2

        def check():
            nats = ec2.describe_nat_gateways(NatGatewayIds=nat_ids, aws_retry=True)["NatGateways"]
            failed = [n for n in nats if n["State"] == "failed" and wanted != "deleted"]
            if failed:
                reasons = "; ".join(f"{n['NatGatewayId']}: {n.get('FailureMessage', 'failed')}" for n in failed)
                raise ReconcileError(f"NAT gateway creation failed: {reasons}")
            return all(n["State"] == wanted for n in nats)

        wait_for(check, self.o.p["wait_timeout"], f"NAT gateways {', '.join(nat_ids)} to be {wanted}")

    def _delete_later(self, nat):
        ec2 = self.o.ec2
        nat_id = nat["NatGatewayId"]
        allocations = [a["AllocationId"] for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        managed_allocations = {a["AllocationId"] for a in self.o.state.addresses}

        def delete():
            ec2.delete_nat_gateway(NatGatewayId=nat_id, aws_retry=True)
            self._wait_states([nat_id], "deleted")
            for allocation in allocations:
                if allocation in managed_allocations:
                    ec2.release_address(AllocationId=allocation, aws_retry=True)

        self.o.defer(f"delete NAT gateway {nat_id} and release its Elastic IP", delete)
