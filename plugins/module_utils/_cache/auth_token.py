# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The replication group's AUTH token: generated once, kept in Secrets Manager, never overwritten; read back only
when a write needs it, and never put into a change sentence, a diff, a warning or the result."""

from __future__ import annotations

import secrets as random_source
import string

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ..platform import client_token
from . import state as st

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 64  # AUTH tokens are 16-128 printable characters


class AuthToken:
    def __init__(self, owner):
        self.o = owner

    def generate(self):
        return "".join(random_source.choice(TOKEN_ALPHABET) for _i in range(TOKEN_LENGTH))

    def converge(self):
        """The AUTH token when a write needs it (create, or setting it on an existing group); None otherwise."""
        o = self.o
        if not o.p["auth_token"]:
            return None
        group = o.state.group
        name = o.p["auth_token_secret_name"]
        sm = o.clients["secretsmanager"]
        needs_value = group is None or not group.get("AuthTokenEnabled")
        if o.state.secret is None:
            rotate = group is not None and group.get("AuthTokenEnabled")
            sentence = f"create secret {name} with a generated AUTH token"
            if rotate:
                sentence += " (the secret was lost: the group's token is rotated to it)"
            if not o.changes.add(sentence):
                return None
            token = self.generate()
            kwargs = {
                "Name": name,
                "SecretString": token,
                "Description": f"AUTH token of {o.names.replication_group}",
            }
            if o.p.get("auth_token_secret_kms_key"):
                kwargs["KmsKeyId"] = o.p["auth_token_secret_kms_key"]
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(o.tags(name))
            kwargs["ClientRequestToken"] = client_token()  # a retry after a lost answer returns the first secret
            created = sm.create_secret(aws_retry=True, **kwargs)
            o.secret_arn = created["ARN"]
            if rotate:
                o.rotate_token = True
            return token
        if needs_value and not o.check_mode:
            return st.read_secret_value(sm, o.secret_arn)
        return None
