# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fill a connection secret: the JSON a data tier hands to the services (host, port, database name, ...).

The security tier creates the secret empty (``source: external``), so its ARN exists before the database or the
cache does and task definitions and Deployments can name it in the same ``site.yml`` run; the data tier that owns
the endpoint puts the value. Values are compared as JSON and a new version is put only when one differs. They are
references and endpoints, never passwords: the password stays in its own secret (the RDS-managed master secret,
the AUTH token secret), named here by ARN.
"""

from __future__ import annotations

import json

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from .platform import Changes
from .platform import PreconditionFailed
from .platform import client_token
from .platform import identity_tags
from .platform import paginate
from .platform import tags_of

TAG_SECRET = "stackops:secret-key"  # the security tier's tag on each of its secrets


def find_secret(secretsmanager, platform, environment, key):
    """The ARN of the security tier's secret ``key`` (not one scheduled for deletion), or None."""
    identity = identity_tags(platform, environment, "security")
    filters = [{"Key": "tag-key", "Values": [TAG_SECRET]}, {"Key": "tag-value", "Values": [key]}]
    for secret in paginate(secretsmanager, "list_secrets", "SecretList", Filters=filters):
        tags = tags_of(secret)
        if tags.get(TAG_SECRET) == key and all(tags.get(k) == v for k, v in identity.items()):
            if not secret.get("DeletedDate"):
                return secret["ARN"]
    return None


class ConnectionSecret:
    def __init__(self, params, client, check_mode):
        self.p = params
        self.sm = client
        self.changes = Changes(check_mode)
        self.warnings = []
        self.arn = None
        self.before_snapshot = {}

    def _current(self):
        try:
            found = self.sm.get_secret_value(SecretId=self.arn, aws_retry=True)
        except ClientError as error:  # pylint: disable=duplicate-except
            if is_boto3_error_code("ResourceNotFoundException", e=error):
                return None  # created empty: no version yet
            raise
        try:
            value = json.loads(found.get("SecretString") or "")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def converge(self):
        p = self.p
        self.arn = p.get("secret_arn") or find_secret(self.sm, p["platform"], p["environment"], p["key"])
        if not self.arn:
            problem = (
                f"no secret {p['key']} of the security tier for {p['platform']}-{p['environment']}: add "
                f"{{key: {p['key']}, source: external}} to security_secrets and converge playbooks/security.yml"
            )
            if self.changes.check_mode:
                self.warnings.append(problem + " (check mode: planned as if it did)")
                self.changes.add(f"put the connection details in secret {p['key']}")
                return
            raise PreconditionFailed(problem)
        wanted = {k: v for k, v in sorted((p.get("values") or {}).items()) if v is not None}
        current = self._current()
        self.before_snapshot = {"keys": sorted(current or {}), "values": current}
        if current == wanted:
            return
        changed = sorted(k for k in set(wanted) | set(current or {}) if (current or {}).get(k) != wanted.get(k))
        if self.changes.add(f"put the connection details in secret {p['key']} ({', '.join(changed)})"):
            self.sm.put_secret_value(
                SecretId=self.arn,
                SecretString=json.dumps(wanted, sort_keys=True),
                ClientRequestToken=client_token(),
                aws_retry=True,
            )

    def after(self):
        wanted = {k: v for k, v in sorted((self.p.get("values") or {}).items()) if v is not None}
        return {"keys": sorted(wanted), "values": wanted}

    def result(self):
        return {
            "arn": self.arn,
            "key": self.p["key"],
            "keys": sorted(k for k, v in (self.p.get("values") or {}).items() if v is not None),
        }
