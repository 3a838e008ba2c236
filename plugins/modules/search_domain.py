#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: search_domain
short_description: Converge an Amazon OpenSearch Service domain in a VPC
version_added: 0.1.0
description:
  - Converges one OpenSearch Service domain (seed 002) - engine version, data node type and count, zone
    awareness over 2 or 3 AZs, EBS (gp3) size, encryption at rest (a KMS key), node-to-node encryption, HTTPS
    enforced with a TLS policy, VPC placement in the database subnets with the security tier's C(search)
    group, the automated snapshot hour, and fine-grained access control with a master user whose password is
    generated once and kept in Secrets Manager.
  - Configuration changes are made with UpdateDomainConfig and engine upgrades with UpgradeDomain, each
    waited for within O(wait_timeout). What AWS cannot do in place (a lower engine version, encryption or
    fine-grained access control off, another KMS key, a public domain into a VPC) is refused after the reads
    and before any write.
  - The spec is validated before any API call. The master password never appears in the result, the diff or
    the change list. Check mode makes no write call.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The domain name (3-28 lowercase letters, digits, hyphens).
    type: str
    required: true
  engine_version:
    description: The engine version, C(OpenSearch_2.11) and so on. Upgraded in place, never downgraded.
    type: str
    default: OpenSearch_2.11
  instance_type:
    description: The data node type (C(r6g.large.search), ...).
    type: str
    default: r6g.large.search
  instance_count:
    description: Data nodes, 1-80; a multiple of O(availability_zone_count) with zone awareness.
    type: int
    default: 3
  zone_awareness:
    description: Spread the nodes (and replica shards) over O(availability_zone_count) AZs.
    type: bool
    default: true
  availability_zone_count:
    description: AZs with zone awareness, 2 or 3.
    type: int
    default: 3
  volume_type:
    description: EBS volume type.
    type: str
    default: gp3
    choices: [gp3, gp2, io1]
  volume_size:
    description: EBS volume per node in GiB (10 up to the instance size's quota, 1024 for a C(large)).
    type: int
    default: 100
  encryption_at_rest:
    description: Encryption at rest (cannot be turned off).
    type: bool
    default: true
  kms_key_id:
    description: ARN of the KMS key for encryption at rest; the AWS managed key when omitted.
    type: str
  node_to_node_encryption:
    description: TLS between nodes (cannot be turned off).
    type: bool
    default: true
  enforce_https:
    description: Refuse plain HTTP.
    type: bool
    default: true
  tls_security_policy:
    description: The endpoint's TLS policy.
    type: str
    default: Policy-Min-TLS-1-2-2019-07
  subnet_ids:
    description: The domain's subnets, one per AZ with zone awareness (the network tier's database subnets). Needed to create it.
    type: list
    elements: str
    default: []
  security_group_ids:
    description: Its security groups (the security tier's C(search) group). Needed to create it.
    type: list
    elements: str
    default: []
  automated_snapshot_start_hour:
    description: Hour (UTC) of the daily automated snapshot.
    type: int
    default: 3
  fine_grained_access_control:
    description: Fine-grained access control with an internal master user (needs encryption at rest, node-to-node and HTTPS).
    type: bool
    default: false
  master_user_name:
    description: The master user's name.
    type: str
    default: admin
  master_user_secret_name:
    description: The Secrets Manager secret holding the master password (generated once). Required with O(fine_grained_access_control).
    type: str
  master_user_secret_kms_key:
    description: KMS key (ARN or alias) of that secret.
    type: str
  access_policies:
    description:
      - The domain's resource-based access policy (a JSON document), set at creation.
      - None by default (VPC security groups and fine-grained access control decide).
    type: json
notes:
  - Nothing is ever deleted by this module.
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - stackops.platform.platform.variable_prefix
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 002's OpenSearch domain
  stackops.platform.search_domain:
    name: brandmon-prod-search
    platform: brandmon
    environment: prod
    engine_version: OpenSearch_2.11
    instance_type: r6g.large.search
    instance_count: 3
    availability_zone_count: 3
    volume_size: 100
    subnet_ids: "{{ vpc_network.subnet_ids.database }}"
    security_group_ids: ["{{ security_group_ids.search }}"]
    kms_key_id: "{{ security_kms_keys.data.arn }}"
    fine_grained_access_control: true
    master_user_secret_name: prod/brandmon/search/master-user
  register: search
"""

RETURN = r"""
search:
  description: The domain as later tiers read it (the C(search) fact).
  returned: always
  type: dict
  contains:
    domain_name: {description: The domain's name., type: str}
    arn: {description: Its ARN (null in check mode before it exists)., type: str}
    endpoint: {description: The VPC endpoint., type: str}
    engine_version: {description: The engine version., type: str}
    instance_type: {description: Data node type., type: str}
    instance_count: {description: Data nodes., type: int}
    zone_awareness: {description: Zone awareness on., type: bool}
    master_user_secret_arn: {description: ARN of the master password's secret (never the password)., type: str}
changes:
  description: What changed (in check mode, what would change). Never the password.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._search.reconcile import SearchReconciler
from ansible_collections.stackops.platform.plugins.module_utils._search.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        engine_version=dict(type="str", default="OpenSearch_2.11"),
        instance_type=dict(type="str", default="r6g.large.search"),
        instance_count=dict(type="int", default=3),
        zone_awareness=dict(type="bool", default=True),
        availability_zone_count=dict(type="int", default=3),
        volume_type=dict(type="str", default="gp3", choices=["gp3", "gp2", "io1"]),
        volume_size=dict(type="int", default=100),
        encryption_at_rest=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        node_to_node_encryption=dict(type="bool", default=True),
        enforce_https=dict(type="bool", default=True),
        tls_security_policy=dict(type="str", default="Policy-Min-TLS-1-2-2019-07"),
        subnet_ids=dict(type="list", elements="str", default=[]),
        security_group_ids=dict(type="list", elements="str", default=[]),
        automated_snapshot_start_hour=dict(type="int", default=3),
        fine_grained_access_control=dict(type="bool", default=False),
        master_user_name=dict(type="str", default="admin"),
        master_user_secret_name=dict(type="str", no_log=False),
        master_user_secret_kms_key=dict(type="str", no_log=False),
        access_policies=dict(type="json"),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    services = {"opensearch": "opensearch", "secretsmanager": "secretsmanager"}
    run_reconciler(
        module,
        lambda _region: SearchReconciler(module.params, platform_clients(module, services), module.check_mode),
        "search",
        "search",
        validate=lambda params, _region: validate(params, prefix=params["variable_prefix"]),
    )


if __name__ == "__main__":
    main()
