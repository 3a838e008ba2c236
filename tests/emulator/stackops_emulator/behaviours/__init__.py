"""Behaviours the emulator adds on top of moto, each matching the AWS documentation it names.

A behaviour is a callable ``behaviour(request, forward) -> Response`` with ``name``, ``summary``,
``documented_by`` and ``reset()``. It may answer a request itself, change it, or pass it on with
``forward(request)``. Order matters: the first behaviour sees the request first.
"""

from .ec2_client_token import Ec2ClientTokenIdempotency
from .ec2_sg_rule_description import Ec2SecurityGroupRuleDescription
from .eks_addons import EksAddons
from .eks_kube_endpoint import EksKubeEndpoint
from .eks_updates import EksUpdates


def all_behaviours():
    return [Ec2ClientTokenIdempotency(), Ec2SecurityGroupRuleDescription()] + eks_behaviours()


def eks_behaviours():
    return [EksAddons(), EksUpdates(), EksKubeEndpoint()]
