#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: search_domain_info
short_description: Find an environment's OpenSearch domain and return its endpoint
version_added: 0.1.0
description:
  - Reads the domain that M(stackops.platform.search_domain) manages, checks that it carries the tags
    C(stackops:platform), C(stackops:environment) and C(stackops:component=search), and returns the same
    RV(search) structure. Read calls only; the master password is never read.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The domain name. Defaults to C(<platform>-<environment>-search).
    type: str
  master_user_secret_name:
    description: The master password's secret. Defaults to C(<environment>/<platform>/search/master-user).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod search domain
  stackops.platform.search_domain_info:
    platform: brandmon
    environment: prod
    region: us-east-1
  register: found
"""

RETURN = r"""
exists:
  description: Whether the domain exists and carries the environment's tags.
  returned: always
  type: bool
search:
  description: As M(stackops.platform.search_domain) returns it.
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._search import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import identity_tags


def main():
    argument_spec = dict(
        name=dict(type="str"),
        master_user_secret_name=dict(type="str", no_log=False),
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name = params["name"] or f"{params['platform']}-{params['environment']}-search"
    secret_name = (
        params["master_user_secret_name"] or f"{params['environment']}/{params['platform']}/search/master-user"
    )
    identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
    clients = platform_clients(module, {"opensearch": "opensearch", "secretsmanager": "secretsmanager"})
    secret = None
    try:
        domain = st.read_domain(clients["opensearch"], name)
        tags = st.read_tags(clients["opensearch"], domain["ARN"]) if domain else {}
        if domain and any(tags.get(k) != v for k, v in identity.items()):
            domain = None
        if domain and (domain.get("AdvancedSecurityOptions") or {}).get("Enabled"):
            secret = st.read_secret(clients["secretsmanager"], secret_name)
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg="could not read the search domain")
    search = st.summary(domain, secret["ARN"] if secret else None)
    search["domain_name"] = name
    module.exit_json(changed=False, exists=domain is not None, search=search)


if __name__ == "__main__":
    main()
