#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: storage_buckets_info
short_description: Find an environment's S3 buckets (and their DR replicas) by name and tags
version_added: 0.2.0
description:
  - Lists the account's buckets named C(<platform>-<environment>-*), keeps those tagged C(stackops:platform),
    C(stackops:environment) and C(stackops:component=storage), and reads each one's settings (region, versioning,
    encryption, lifecycle rules, Object Lock, access logging, replication).
  - Makes read calls only. Status reports, the edge tier and runbooks use it.
author:
  - stackops platform engineers (@stackops)
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod buckets
  stackops.platform.storage_buckets_info:
    platform: moneytrack
    environment: prod
  register: found

- name: Show where the documents replicate to
  ansible.builtin.debug:
    msg: "{{ found.buckets.documents.replicates_to }}"
"""

RETURN = r"""
exists:
  description: Whether any bucket of the environment was found.
  returned: always
  type: bool
buckets:
  description:
    - By purpose (a replica's purpose is C(<purpose> replica)) - C(name), C(region), C(versioning),
      C(encryption) (SSE-S3 or SSE-KMS), C(kms_key_arn), C(public_access_blocked), C(lifecycle_rules) (IDs),
      C(object_lock), C(logging_to), C(replicates_to), C(replica_of).
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._storage import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_info


def main():
    module = AnsibleAWSModule(argument_spec=dict(INFO_ARGUMENT_SPEC), supports_check_mode=True)

    def read(region):
        s3 = clients(module, {"s3": "s3"})["s3"]
        found = st.discover(s3, module.params["platform"], module.params["environment"])
        return bool(found), found

    run_info(module, read, "buckets", "buckets")


if __name__ == "__main__":
    main()
