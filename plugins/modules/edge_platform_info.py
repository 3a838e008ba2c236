#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: edge_platform_info
short_description: Find an environment's edge - its CloudFront front end and its alias records
version_added: 0.2.0
description:
  - Finds the distribution M(stackops.platform.edge_platform) made (by its comment C(<platform>-<environment>-frontend))
    and returns its id, domain, status, ETag, aliases, bucket, certificate, TLS policy, web ACL and price class;
    with O(zone), the zone's alias records (the front end's and the API's, failover pairs included).
  - Makes read calls only. Status reports and the front end deploy runbook use it.
author:
  - stackops platform engineers (@stackops)
options:
  zone:
    description: The hosted zone whose alias records to return.
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the front end of prod
  stackops.platform.edge_platform_info:
    platform: eloquent
    environment: prod
    zone: eloquent.example.com
  register: found

- name: Show the distribution
  ansible.builtin.debug:
    msg: "{{ found.edge.frontend.distribution_id }} serves {{ found.edge.frontend.aliases | join(', ') }}"
"""

RETURN = r"""
exists:
  description: Whether the front end's distribution exists.
  returned: always
  type: bool
edge:
  description:
    - C(frontend) (null without a distribution) - distribution_id, distribution_arn, distribution_domain, status,
      etag, aliases, bucket, logs_bucket, certificate_arn, minimum_protocol_version, web_acl_arn, price_class,
      default_root_object.
    - C(zone_id), C(zone_name) and C(records) (alias records - name, type, target, failover, set_identifier,
      health_check_id) when O(zone) is given.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._edge import state as st
from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import CLOUDFRONT_REGION
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_info


def main():
    module = AnsibleAWSModule(argument_spec=dict(zone=dict(type="str"), **INFO_ARGUMENT_SPEC), supports_check_mode=True)

    def read(region):
        found = clients(module, {"cloudfront": ("cloudfront", CLOUDFRONT_REGION), "route53": "route53"})
        edge = st.discover(found, module.params["platform"], module.params["environment"], module.params["zone"])
        return edge["frontend"] is not None, edge

    run_info(module, read, "edge", "edge")


if __name__ == "__main__":
    main()
