#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: vpc_network_info
short_description: Find an environment's network by its tags and return its IDs
version_added: 0.1.0
description:
  - Reads the network that M(stackops.platform.vpc_network) manages, by the tags C(stackops:platform),
    C(stackops:environment) and C(stackops:component=network), and returns the same RV(network) structure.
  - Makes read calls only. Tier playbooks and runbooks use it so they never need the network converged
    in the same run.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: Base name of the network's resources. Defaults to C(<platform>-<environment>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod network
  stackops.platform.vpc_network_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Fail when there is none
  ansible.builtin.assert:
    that: found.exists
    fail_msg: converge the network first (playbooks/network.yml)
"""

RETURN = r"""
exists:
  description: Whether a VPC with the tags exists.
  returned: always
  type: bool
network:
  description: As M(stackops.platform.vpc_network) returns it (subnet ids by tier and AZ, route tables, NAT gateways, ...).
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._network import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import client
from ansible_collections.stackops.platform.plugins.module_utils.platform import identity_tags


def main():
    argument_spec = dict(
        name=dict(type="str"),
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    region = module.region
    if not region:
        module.fail_json(msg="region: no region given (set region, or AWS_REGION in the environment)")
    params = module.params
    identity = identity_tags(params["platform"], params["environment"], "network")
    names = st.Names(params["name"] or f"{params['platform']}-{params['environment']}", region)
    state = st.NetworkState()
    try:
        ec2 = client(module, "ec2")
        st.read_vpc_part(ec2, identity, region, state)
        if state.vpc_id:
            state.endpoint_security_group = st.read_security_group(ec2, state.vpc_id, names.endpoint_security_group)
            st.read_db_subnet_group(client(module, "rds"), names.subnet_group, state)
            st.read_cache_subnet_group(client(module, "elasticache"), names.subnet_group, state)
    except LookupError as error:
        module.fail_json(msg=str(error))
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg="could not read the network")
    module.exit_json(changed=False, exists=bool(state.vpc), network=st.summarize(state, identity, names))


if __name__ == "__main__":
    main()
