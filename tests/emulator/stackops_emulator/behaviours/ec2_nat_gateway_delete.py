"""DeleteNatGateway disassociates the gateway's Elastic IP addresses (it does not release them).

AWS: "Deleting a NAT gateway disassociates its Elastic IP address, but does not release the address from
your account." (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNatGateway.html, and
https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html#nat-gateway-deleting).
DescribeAddresses then shows the address with no AssociationId, free to be associated again.

moto 5.2 marks the gateway deleted but leaves its address associated with the gateway's network interface,
so a converge cannot tell a free address from one in use. This behaviour lets moto act, then disassociates.
"""

from __future__ import annotations

from urllib.parse import parse_qsl


class Ec2NatGatewayDeleteDisassociates:
    name = "ec2-nat-gateway-delete"
    summary = "DeleteNatGateway disassociates the gateway's Elastic IP addresses (they stay allocated)"
    documented_by = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNatGateway.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.protocol != "ec2" or call.operation != "DeleteNatGateway":
            return forward(request)
        response = forward(request)
        if response.ok:
            params = dict(parse_qsl(request.body.decode("utf-8", "replace")))
            _disassociate(call.region, params.get("NatGatewayId"))
        return response


def _disassociate(region, nat_gateway_id):
    from moto.ec2.models import ec2_backends

    for account in list(ec2_backends):
        backend = ec2_backends[account][region]
        nat = backend.nat_gateways.get(nat_gateway_id)
        if nat is None:
            continue
        for address in nat.address_set:
            allocation = address.get("allocationId")
            try:
                found = backend.address_by_allocation([allocation]) if allocation else []
            except Exception:  # released already: nothing to disassociate
                found = []
            if found and found[0].association_id:
                backend.disassociate_address(association_id=found[0].association_id)
            address.pop("associationId", None)
        return
