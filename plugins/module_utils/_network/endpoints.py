# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPC endpoints of the network tier and the security group its interface endpoints share."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import client_token
from ..platform import tag_specifications
from ..platform import wait_for
from . import state as st

_ALL_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


class Endpoints:
    """Gateway endpoints on every route table, interface endpoints in the private subnets."""

    def __init__(self, owner):
        self.o = owner

    @property
    def prefix(self):
        return f"com.amazonaws.{self.o.region}."

    def _ours(self):
        return [e for e in self.o.state.endpoints if st.is_managed(e, self.o.identity)]

    def before(self, sym):
        return {"endpoints": {e["ServiceName"].removeprefix(self.prefix): e["VpcEndpointType"] for e in self._ours()}}

    def converge(self):
        o = self.o
        prefix = self.prefix
        current = {e["ServiceName"].removeprefix(prefix): e for e in o.state.endpoints}
        interface = [name for name, kind in o.desired["endpoints"].items() if kind == "Interface"]
        group_id = self._security_group(bool(interface))
        table_ids = sorted(filter(None, (o.ids.get(k) for k in o.desired["route_tables"])))
        private_subnets = sorted(filter(None, (o.ids.get(f"private/{az}") for az in o.p["azs"])))
        pending = []
        for service, kind in o.desired["endpoints"].items():
            tags = o.tags(o.names.endpoint(service))
            endpoint = current.pop(service, None)
            if endpoint is None:
                if not o.changes.add(f"create {kind.lower()} endpoint {service}"):
                    continue
                params = dict(
                    VpcId=o.state.vpc_id,
                    ServiceName=prefix + service,
                    VpcEndpointType=kind,
                    ClientToken=client_token(),
                    TagSpecifications=tag_specifications("vpc-endpoint", tags),
                )
                if kind == "Gateway":
                    params["RouteTableIds"] = table_ids
                else:
                    params.update(SubnetIds=private_subnets, SecurityGroupIds=[group_id], PrivateDnsEnabled=True)
                endpoint = o.ec2.create_vpc_endpoint(**params, aws_retry=True)["VpcEndpoint"]
                if endpoint["State"].lower() != "available":
                    pending.append(endpoint["VpcEndpointId"])
                continue
            endpoint_id = endpoint["VpcEndpointId"]
            o.ensure_ec2_tags(endpoint_id, f"endpoint {service}", st.tags_of(endpoint), tags)
            if kind == "Gateway":
                self._gateway_update(service, endpoint, table_ids)
            else:
                self._interface_update(service, endpoint, private_subnets, group_id)
        for service, endpoint in current.items():
            if st.is_managed(endpoint, o.identity):
                endpoint_id = endpoint["VpcEndpointId"]
                o.defer(
                    f"delete endpoint {service} ({endpoint_id})",
                    lambda endpoint_id=endpoint_id: o.ec2.delete_vpc_endpoints(
                        VpcEndpointIds=[endpoint_id], aws_retry=True
                    ),
                )
        if group_id is None and o.state.endpoint_security_group and not interface:
            self._delete_security_group_later(o.names.endpoint_security_group)
        if pending and o.p["wait"] and not o.changes.check_mode:

            def available():
                found = o.ec2.describe_vpc_endpoints(VpcEndpointIds=pending, aws_retry=True)["VpcEndpoints"]
                return all(e["State"].lower() == "available" for e in found)

            wait_for(available, o.p["wait_timeout"], f"VPC endpoints {', '.join(pending)} to be available")

    def _gateway_update(self, service, endpoint, table_ids):
        have = set(endpoint.get("RouteTableIds", []))
        add, remove = sorted(set(table_ids) - have), sorted(have - set(table_ids))
        if (add or remove) and self.o.changes.add(f"endpoint {service}: route tables +{len(add)} -{len(remove)}"):
            self.o.ec2.modify_vpc_endpoint(
                VpcEndpointId=endpoint["VpcEndpointId"],
                AddRouteTableIds=add,
                RemoveRouteTableIds=remove,
                aws_retry=True,
            )

    def _interface_update(self, service, endpoint, private_subnets, group_id):
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
        if changes and self.o.changes.add(f"endpoint {service}: update subnets and security groups"):
            self.o.ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], **changes, aws_retry=True)

    def _security_group(self, wanted):
        """The security group of interface endpoints: HTTPS from the VPC, no egress. Returns its id."""
        o = self.o
        group = o.state.endpoint_security_group
        if not wanted:
            return None
        name = o.names.endpoint_security_group
        tags = o.tags(name)
        cidr = o.p["cidr"]
        ingress = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": cidr, "Description": "HTTPS from the VPC"}],
            }
        ]
        if group is None:
            if not o.changes.add(f"create security group {name} (443 from {cidr}, no egress)"):
                return None
            group_id = o.ec2.create_security_group(
                GroupName=name,
                Description="Interface VPC endpoints: HTTPS from inside the VPC",
                VpcId=o.state.vpc_id,
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
        o.ensure_ec2_tags(group_id, f"security group {name}", st.tags_of(group), tags)
        have_ingress = _normalise_permissions(group.get("IpPermissions", []))
        if have_ingress != _normalise_permissions(ingress) and o.changes.add(
            f"security group {name}: set ingress to 443 from {cidr}"
        ):
            if group.get("IpPermissions"):
                o.ec2.revoke_security_group_ingress(
                    GroupId=group_id, IpPermissions=_strip(group["IpPermissions"]), aws_retry=True
                )
            o.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress, aws_retry=True)
        if group.get("IpPermissionsEgress") and o.changes.add(f"security group {name}: remove egress"):
            o.ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=_strip(group["IpPermissionsEgress"]), aws_retry=True
            )
        return group_id

    def teardown(self):
        endpoints = [e["VpcEndpointId"] for e in self._ours()]
        if endpoints:
            self.o.defer(f"delete endpoints {', '.join(endpoints)}", lambda: self._delete(endpoints))

    def teardown_security_group(self):
        group = self.o.state.endpoint_security_group
        if group:
            self._delete_security_group_later(group["GroupName"])

    def _delete_security_group_later(self, name):
        # Stage 1: the interface endpoints hold it until they are gone.
        ec2 = self.o.ec2
        group_id = self.o.state.endpoint_security_group["GroupId"]
        self.o.defer(
            f"delete security group {name}",
            lambda: ec2.delete_security_group(GroupId=group_id, aws_retry=True),
            stage=1,
        )

    def _delete(self, endpoint_ids):
        ec2 = self.o.ec2
        ec2.delete_vpc_endpoints(VpcEndpointIds=endpoint_ids, aws_retry=True)

        def gone():
            found = ec2.describe_vpc_endpoints(
                Filters=[{"Name": "vpc-id", "Values": [self.o.state.vpc_id]}], aws_retry=True
            )["VpcEndpoints"]
            return all(e["State"].lower() == "deleted" for e in found if e["VpcEndpointId"] in endpoint_ids)

        # Interface endpoints hold network interfaces in the subnets and the security group until they are gone.
        wait_for(gone, self.o.p["wait_timeout"], f"VPC endpoints {', '.join(endpoint_ids)} to be deleted")


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
