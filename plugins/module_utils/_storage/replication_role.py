# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM role S3 replication assumes: read from the sources, write to their DR replicas, and use the KMS keys
on both sides. Made, and its inline policy put, only where a bucket replicates."""

from __future__ import annotations

import json
from urllib.parse import unquote

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from ..platform import resource_tags
from . import spec as sp
from . import state as st

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class ReplicationRole:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        """``(role, inline policy document)``, or None when the role does not exist."""
        o = self.o
        iam = o.clients["iam"]
        role = st.absent(lambda: iam.get_role(RoleName=o.role_name, aws_retry=True), "NoSuchEntity")
        if role is None:
            return None
        policy = st.absent(
            lambda: iam.get_role_policy(RoleName=o.role_name, PolicyName="replication", aws_retry=True),
            "NoSuchEntity",
        )
        document = policy["PolicyDocument"] if policy else None
        if isinstance(document, str):
            document = json.loads(unquote(document))
        return role["Role"], document

    def policy(self):
        o = self.o
        sources = [d for d in o.desired.values() if d.replication]
        statements = [
            {
                "Sid": "ReadSource",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": sorted(f"arn:{o.partition}:s3:::{d.name}" for d in sources),
            },
            {
                "Sid": "ReadSourceObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                "Resource": sorted(f"arn:{o.partition}:s3:::{d.name}/*" for d in sources),
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": sorted(f"arn:{o.partition}:s3:::{sp.replica_name(d.name, o.dr_region)}/*" for d in sources),
            },
        ]
        decrypt = sorted({d.replication_keys[0] for d in sources if d.replication_keys[0]})
        encrypt = sorted({d.replication_keys[1] for d in sources if d.replication_keys[1]})
        if decrypt:
            statements.append({"Sid": "DecryptSource", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": decrypt})
        if encrypt:
            statements.append(
                {"Sid": "EncryptReplicas", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": encrypt}
            )
        return {"Version": "2012-10-17", "Statement": statements}

    def converge(self):
        o = self.o
        if not any(d.replication for d in o.desired.values()):
            return
        iam = o.clients["iam"]
        policy = self.policy()
        role, document = o.role_state or (None, None)
        if role is None and o.changes.add(f"create IAM role {o.role_name} (S3 replication to {o.dr_region})"):
            tags = resource_tags(o.identity, o.p.get("tags"), name=o.role_name)
            try:
                iam.create_role(
                    RoleName=o.role_name,
                    AssumeRolePolicyDocument=json.dumps(TRUST),
                    Description=f"S3 replication of {o.p['platform']}-{o.p['environment']} buckets to {o.dr_region}",
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                    aws_retry=True,
                )
            except ClientError as error:
                if st.error_code(error) != "EntityAlreadyExists":  # a create whose response was lost
                    raise
        if sp.canonical_policy(document) != sp.canonical_policy(policy) and o.changes.add(
            f"IAM role {o.role_name}: replication policy for {len([d for d in o.desired.values() if d.replication])} bucket(s)"
        ):
            iam.put_role_policy(
                RoleName=o.role_name, PolicyName="replication", PolicyDocument=json.dumps(policy), aws_retry=True
            )
        o.role_arn = f"arn:{o.partition}:iam::{o.account}:role/{o.role_name}"
