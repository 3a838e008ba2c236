# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.platform.plugins.module_utils._network.spec import SpecError
from ansible_collections.stackops.platform.plugins.module_utils._network.spec import derive_subnets
from ansible_collections.stackops.platform.plugins.module_utils._network.spec import validate


def subnet_plan(cidr, azs, offsets=None, prefix_length=24):
    try:
        return derive_subnets(cidr, list(azs), offsets, int(prefix_length))
    except SpecError as error:
        raise AnsibleFilterError(str(error)) from None


def network_spec_errors(spec, region=None, protected=False, prefix="vpc_"):
    """Every rule the network spec breaks, as messages naming the role variables."""
    return validate(dict(spec), region, protected=bool(protected), prefix=prefix)


class FilterModule:
    def filters(self):
        return {"subnet_plan": subnet_plan, "network_spec_errors": network_spec_errors}
