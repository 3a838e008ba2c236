#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: connection_secret
short_description: Put a data tier's connection details in the security tier's connection secret
version_added: 0.2.0
description:
  - The security tier creates the connection secrets empty (C(database_connection), C(cache_connection) in
    C(security_secrets), C(source=external)), so their ARNs exist before the database and the cache do; ECS task
    definitions and Kubernetes workloads name them in the same C(site.yml) run. The database and cache roles run
    this module to put the JSON value (endpoints, ports, names and the ARN of the secret that holds the password
    or token) once those exist.
  - The value is compared as JSON; a new version is put only when a key differs. Check mode writes nothing.
  - Passwords are never put here. They stay in their own secret (the RDS-managed master secret, the AUTH token
    secret), which the value names by ARN.
author:
  - stackops platform engineers (@stackops)
options:
  key:
    description: The secret's key in C(security_secrets) (its C(stackops:secret-key) tag).
    type: str
    required: true
  secret_arn:
    description: The secret's ARN, when it is not found by its tags.
    type: str
  values:
    description: The connection details (JSON keys to values); null values are left out.
    type: dict
    required: true
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Hand the services the database's connection details
  stackops.platform.connection_secret:
    platform: moneytrack
    environment: prod
    key: database_connection
    values:
      engine: postgres
      host: "{{ database.endpoint }}"
      port: "{{ database.port }}"
      dbname: app
      username: postgres
      master_secret_arn: "{{ database.master_user_secret_arn }}"
"""

RETURN = r"""
connection:
  description: The secret that holds the details.
  returned: always
  type: dict
  contains:
    arn: {description: The secret's ARN., type: str}
    key: {description: The secret's key in C(security_secrets)., type: str}
    keys: {description: The JSON keys of the value., type: list, elements: str}
changes:
  description: What changed (in check mode, what would change).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils.connection import ConnectionSecret
from ansible_collections.stackops.platform.plugins.module_utils.platform import client as platform_client
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    argument_spec = dict(
        platform=dict(type="str", required=True),
        environment=dict(type="str", required=True),
        key=dict(type="str", required=True, no_log=False),
        secret_arn=dict(type="str", no_log=False),
        values=dict(type="dict", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_reconciler(
        module,
        lambda region: ConnectionSecret(
            module.params, platform_client(module, "secretsmanager", region), module.check_mode
        ),
        "connection secret",
        "connection",
    )


if __name__ == "__main__":
    main()
