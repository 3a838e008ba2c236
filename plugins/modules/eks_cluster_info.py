#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eks_cluster_info
short_description: Read an environment's EKS cluster, node groups, add-ons and OIDC provider
version_added: 0.1.0
description:
  - Reads the cluster that M(stackops.platform.eks_cluster) manages (named C(<platform>-<environment>) unless
    O(name) is given) and returns the same RV(cluster) structure, plus the node groups and add-ons as they are.
  - Makes read calls only. Runbooks and tier playbooks run alone use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name. Defaults to C(<platform>-<environment>).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod cluster
  stackops.platform.eks_cluster_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Its endpoint
  ansible.builtin.debug:
    msg: "{{ found.cluster.endpoint }} (Kubernetes {{ found.cluster.version }})"
  when: found.exists
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: As M(stackops.platform.eks_cluster) returns it (name, arn, endpoint, version, oidc provider, node groups, role ARNs).
  returned: always
  type: dict
node_groups:
  description: Node groups by name (instance types, capacity type, sizes, labels, taints, version, status).
  returned: always
  type: dict
addons:
  description: Add-on versions by name.
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._eks import state as st
from ansible_collections.stackops.platform.plugins.module_utils._eks.reconcile import EksReconciler
from ansible_collections.stackops.platform.plugins.module_utils._eks.spec import Names
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients


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
    p = module.params
    name = p["name"] or f"{p['platform']}-{p['environment']}"
    names = Names(name, region)
    state = st.EksState()
    try:
        clients = platform_clients(module, {"eks": "eks", "iam": "iam"})
        st.read_cluster(clients["eks"], name, state)
        if state.cluster:
            st.read_oidc_provider(
                clients["iam"], state.cluster.get("identity", {}).get("oidc", {}).get("issuer"), state
            )
            for role in (names.cluster_role, names.node_role):
                st.read_role(clients["iam"], role, state)
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg=f"could not read the EKS cluster {name}")
    cluster = state.cluster or {}
    roles = {
        k: (state.roles.get(v) or {}).get("role", {}).get("Arn")
        for k, v in (("cluster", names.cluster_role), ("nodes", names.node_role))
    }
    found = {
        "name": name,
        "arn": cluster.get("arn"),
        "endpoint": cluster.get("endpoint"),
        "certificate_authority": (cluster.get("certificateAuthority") or {}).get("data"),
        "version": cluster.get("version"),
        "status": cluster.get("status"),
        "oidc_issuer": cluster.get("identity", {}).get("oidc", {}).get("issuer"),
        "oidc_provider_arn": state.oidc_provider_arn,
        "node_groups": sorted(state.node_groups),
        "addons": {n: a.get("addonVersion") for n, a in sorted(state.addons.items())},
        "cluster_role_arn": roles["cluster"],
        "node_role_arn": roles["nodes"],
    }
    groups = {
        n: dict(EksReconciler._group_view(g), status=g.get("status")) for n, g in sorted(state.node_groups.items())
    }
    module.exit_json(
        changed=False, exists=bool(state.cluster), cluster=found, node_groups=groups, addons=found["addons"]
    )


if __name__ == "__main__":
    main()
