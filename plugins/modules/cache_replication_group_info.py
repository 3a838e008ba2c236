#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cache_replication_group_info
short_description: Find an environment's cache (ElastiCache replication group) and return its endpoints
version_added: 0.1.0
description:
  - Reads the replication group that M(stackops.platform.cache_replication_group) manages, checks that it carries
    the tags C(stackops:platform), C(stackops:environment) and C(stackops:component=cache), and returns the same
    RV(cache) structure (endpoints, port, ARN, the AUTH token secret's ARN - never the token).
  - Makes read calls only. Tier playbooks, status reports and runbooks use it.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The replication group id. Defaults to C(<platform>-<environment>-cache).
    type: str
  auth_token_secret_name:
    description: The AUTH token's secret. Defaults to C(<environment>/<platform>/cache/auth-token).
    type: str
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the prod cache
  stackops.platform.cache_replication_group_info:
    platform: moneytrack
    environment: prod
    region: us-east-1
  register: found

- name: Show its endpoint
  ansible.builtin.debug:
    msg: "{{ found.cache.configuration_endpoint or found.cache.primary_endpoint }}:{{ found.cache.port }}"
"""

RETURN = r"""
exists:
  description: Whether the replication group exists and carries the environment's tags.
  returned: always
  type: bool
cache:
  description: As M(stackops.platform.cache_replication_group) returns it, plus the engine, version, node type and counts.
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._cache import state as st
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import identity_tags


def main():
    argument_spec = dict(
        name=dict(type="str"),
        auth_token_secret_name=dict(type="str", no_log=False),
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name = params["name"] or f"{params['platform']}-{params['environment']}-cache"
    secret_name = params["auth_token_secret_name"] or f"{params['environment']}/{params['platform']}/cache/auth-token"
    identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
    clients = platform_clients(module, {"elasticache": "elasticache", "secretsmanager": "secretsmanager"})
    try:
        group = st.read_group(clients["elasticache"], name)
        tags = st.read_tags(clients["elasticache"], group["ARN"]) if group else {}
        if group and any(tags.get(k) != v for k, v in identity.items()):
            group = None
        node = st.read_node(clients["elasticache"], group) if group else None
        secret = (
            st.read_secret(clients["secretsmanager"], secret_name) if group and group.get("AuthTokenEnabled") else None
        )
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg="could not read the cache")
    cache = {
        "replication_group_id": name,
        "arn": group["ARN"] if group else None,
        "status": group.get("Status") if group else None,
        "auth_secret_arn": secret["ARN"] if secret else None,
        "parameter_group": ((node or {}).get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
        "notification_topic_arn": ((node or {}).get("NotificationConfiguration") or {}).get("TopicArn"),
        "members": st.members(group),
        "engine": (group or {}).get("Engine"),
        "engine_version": (node or {}).get("EngineVersion"),
        "node_type": (group or {}).get("CacheNodeType"),
        "cluster_mode": ("enabled" if group.get("ClusterEnabled") else "disabled") if group else None,
        "num_shards": len(group.get("NodeGroups") or []) if group else 0,
        "replicas_per_shard": st.replicas_per_shard(group) if group else 0,
        "multi_az": (group or {}).get("MultiAZ") == "enabled",
        "transit_encryption": bool((group or {}).get("TransitEncryptionEnabled")),
        "at_rest_encryption": bool((group or {}).get("AtRestEncryptionEnabled")),
    }
    cache.update(st.endpoints(group))
    module.exit_json(changed=False, exists=group is not None, cache=cache)


if __name__ == "__main__":
    main()
