# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The load balancer's access log bucket: private, encrypted, writable by Elastic Load Balancing only, expiring."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ..platform import create_once
from ..platform import not_found
from .spec import bucket_lifecycle
from .spec import bucket_policy


class AccessLogBucket:
    def __init__(self, owner):
        self.o = owner

    def read(self, bucket):
        o = self.o
        s3 = o.c["s3"]
        if not_found(lambda: s3.head_bucket(Bucket=bucket, aws_retry=True), "404", "NoSuchBucket", "NotFound") is None:
            return None
        policy = not_found(lambda: s3.get_bucket_policy(Bucket=bucket, aws_retry=True), "NoSuchBucketPolicy")
        lifecycle = not_found(
            lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket, aws_retry=True), "NoSuchLifecycleConfiguration"
        )
        block = not_found(
            lambda: s3.get_public_access_block(Bucket=bucket, aws_retry=True), "NoSuchPublicAccessBlockConfiguration"
        )
        encryption = not_found(
            lambda: s3.get_bucket_encryption(Bucket=bucket, aws_retry=True),
            "ServerSideEncryptionConfigurationNotFoundError",
        )
        tags = not_found(lambda: s3.get_bucket_tagging(Bucket=bucket, aws_retry=True), "NoSuchTagSet")
        rules = (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        return {
            "policy": json.loads(policy["Policy"]) if policy else None,
            "lifecycle": [
                r.get("Expiration", {}).get("Days")
                for r in (lifecycle or {}).get("Rules", [])
                if r.get("ID") == "expire-access-logs"
            ],
            "block": (block or {}).get("PublicAccessBlockConfiguration"),
            "encryption": [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules],
            "tags": boto3_tag_list_to_ansible_dict((tags or {}).get("TagSet", [])),
        }

    def converge(self):
        o = self.o
        s3, bucket = o.c["s3"], o.bucket
        state = o.bucket_state
        prefix = o.p.get("access_logs_prefix") or ""
        if state is None:
            state = {"policy": None, "lifecycle": [], "block": None, "encryption": [], "tags": {}}
            if o.changes.add(f"create S3 bucket {bucket} for access logs"):
                params = {"Bucket": bucket}
                if o.region != "us-east-1":
                    params["CreateBucketConfiguration"] = {"LocationConstraint": o.region}
                create_once(
                    lambda: s3.create_bucket(**params),
                    lambda: not_found(lambda: s3.head_bucket(Bucket=bucket), "404", "NoSuchBucket", "NotFound"),
                    f"S3 bucket {bucket}",
                    o.warnings,
                )
        block = {
            key: True for key in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        }
        if state["block"] != block and o.changes.add(f"block public access to S3 bucket {bucket}"):
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block, aws_retry=True)
        # Access logs support SSE-S3 only (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
        if state["encryption"] != ["AES256"] and o.changes.add(f"encrypt S3 bucket {bucket} (SSE-S3)"):
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                aws_retry=True,
            )
        policy = bucket_policy(bucket, prefix, o.account, o.region, o.partition)
        if state["policy"] != policy and o.changes.add(f"set the ELB log delivery policy of S3 bucket {bucket}"):
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy), aws_retry=True)
        days = o.p.get("access_logs_days") or 365
        if state["lifecycle"] != [days] and o.changes.add(
            f"expire access logs in S3 bucket {bucket} after {days} days"
        ):
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration=bucket_lifecycle(days), aws_retry=True
            )
        tags = o.resource_tags(bucket)
        if {k: v for k, v in state["tags"].items() if not k.startswith("aws:")} != tags and o.changes.add(
            f"tag S3 bucket {bucket}"
        ):
            s3.put_bucket_tagging(
                Bucket=bucket, Tagging={"TagSet": ansible_dict_to_boto3_tag_list(tags)}, aws_retry=True
            )
