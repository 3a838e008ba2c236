#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: storage_buckets
short_description: Converge a platform's S3 buckets (encryption, lifecycle, logging, replication, grants) in one run
version_added: 0.2.0
description:
  - Converges every bucket of O(buckets), named C(<platform>-<environment>-<purpose>) plus C(-<suffix>) when one
    is given, in one module run. Every bucket has public access fully blocked, object ownership enforced (ACLs
    off), a policy denying requests not made over TLS, and default encryption (SSE-S3, or SSE-KMS with the bucket
    key on).
  - Per bucket, as asked - versioning, lifecycle rules (transitions to Standard-IA and the Glacier classes after N
    days, expiry, noncurrent-version expiry; incomplete multipart uploads are aborted after
    C(abort_incomplete_multipart_days)), CORS rules, server access logs to the O(logs_bucket) bucket, an Object
    Lock default retention, event notifications (SQS, SNS, Lambda, EventBridge), read or write grants to IAM roles
    (IRSA and ECS task roles) in the bucket policy.
  - With C(replication), a replica C(<name>-<dr_region>) in O(dr_region) (versioned, encrypted with the DR
    region's key), a replication rule (delete markers too, SSE-KMS objects re-encrypted with the replica key) and
    the IAM role S3 replicates with (O(replication_role_name)).
  - Reads are one ListBuckets plus one Get call per setting of each existing bucket, run side by side; a no-op run
    writes nothing. A name another account owns (S3 bucket names are global) fails with a message naming the
    bucket, before any write.
  - The spec is validated before any API call; every message names the option (C(buckets[2].lifecycle[0].transitions[1].days)).
  - Check mode makes no write call and lists what would change. Buckets are never deleted; each bucket's policy,
    lifecycle, CORS, notification and replication configurations are the module's (replaced as a whole).
author:
  - stackops platform engineers (@stackops)
options:
  buckets:
    description:
      - The buckets. Each is a mapping; only C(purpose) is required.
      - C(purpose) (str) names the bucket (C(<platform>-<environment>-<purpose>)); C(suffix) (str) is appended
        with a hyphen.
      - C(versioning) (bool, default true); C(encryption) C(sse-s3) (default) or C(sse-kms) with C(kms_key) (a key
        or alias ARN, or C(alias/<name>)).
      - C(lifecycle) (list) of rules - C(id), C(prefix), C(transitions) (list of C(days), C(storage_class) among
        STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE; STANDARD_IA and ONEZONE_IA
        at 30 days or more; in order), C(expiration_days) (after the last transition), C(noncurrent_expiration_days).
      - C(abort_incomplete_multipart_days) (int, default 7; 0 turns it off).
      - C(cors) (list) - C(origins) (URLs or C(*)), C(methods), C(headers), C(expose_headers), C(max_age_seconds).
      - C(access_logging) (bool, default true) to the O(logs_bucket) bucket under C(s3/<bucket>/).
      - C(object_lock) - C(mode) (GOVERNANCE or COMPLIANCE) and C(days) or C(years); needs versioning; cannot be
        removed once set.
      - C(notifications) (list) - C(id), C(events), one of C(queue_arn), C(topic_arn), C(lambda_arn), C(prefix),
        C(suffix); C(eventbridge) (bool) sends every event to EventBridge.
      - C(replication) (bool) to O(dr_region); C(replica_kms_key) the DR region's key (default the same alias there).
      - C(grants) (list) - C(role) (IAM role name or ARN), C(access) (read, write, read-write), C(prefix).
      - C(tags) (dict) on this bucket besides O(tags).
    type: list
    elements: dict
    default: []
  logs_bucket:
    description: The C(purpose) of the bucket that receives the other buckets' server access logs (it must use SSE-S3).
    type: str
    default: logs
  dr_region:
    description: The region replicas are made in (the inventory's DR region). Empty when there is none.
    type: str
    default: ""
  replication_role_name:
    description: The IAM role S3 replicates with. Defaults to C(<platform>-<environment>-s3-replication).
    type: str
notes:
  - KMS keys given as aliases are resolved to key ARNs (DescribeKey) in the bucket's region.
  - Grants name IAM roles that must exist (S3 refuses a policy naming an unknown principal); the roles also need
    C(kms:Decrypt)/C(kms:GenerateDataKey) on an SSE-KMS bucket's key, which their own policies give.
extends_documentation_fragment:
  - stackops.platform.platform
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed 001's buckets, documents replicated to the DR region and granted to the bank service
  stackops.platform.storage_buckets:
    platform: moneytrack
    environment: prod
    dr_region: us-west-2
    buckets:
      - purpose: documents
        lifecycle:
          - id: archive
            transitions: [{days: 90, storage_class: GLACIER}]
            noncurrent_expiration_days: 365
        cors:
          - origins: [https://app.moneytrack.example.com]
            methods: [GET, PUT]
        replication: true
        grants:
          - role: moneytrack-prod-us-east-1-irsa-bank-service
            access: read-write
      - purpose: reports
        versioning: false
        lifecycle: [{id: expire, expiration_days: 30}]
      - purpose: backups
        encryption: sse-kms
        kms_key: alias/moneytrack-prod-backups
        lifecycle: [{id: archive, transitions: [{days: 7, storage_class: GLACIER}]}]
      - purpose: logs
        versioning: false
        access_logging: false
        lifecycle: [{id: expire, expiration_days: 365}]
  register: storage
"""

RETURN = r"""
storage:
  description: The buckets as later tiers read them (the C(storage) fact).
  returned: always
  type: dict
  contains:
    buckets:
      description: By purpose - C(name), C(arn), C(region), C(domain_name), C(replica) (name or null), C(replica_region), C(kms_key_arn).
      type: dict
    logs_bucket: {description: The server access logs bucket's name., type: str}
    replication_role_arn: {description: The replication role's ARN (null without replication)., type: str}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bucket demo-local-logs (us-east-1)", "bucket demo-local-documents: replicate to demo-local-documents-us-west-2"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._storage.reconcile import StorageReconciler
from ansible_collections.stackops.platform.plugins.module_utils._storage.spec import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        buckets=dict(type="list", elements="dict", default=[]),
        logs_bucket=dict(type="str", default="logs"),
        dr_region=dict(type="str", default=""),
        replication_role_name=dict(type="str"),
        **IDENTITY_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)

    def make(region):
        dr_region = module.params["dr_region"] or region
        services = {
            "s3": "s3",
            "s3_dr": ("s3", dr_region),
            "kms": "kms",
            "kms_dr": ("kms", dr_region),
            "iam": "iam",
            "sts": "sts",
        }
        return StorageReconciler(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(module, make, "storage", "storage", validate=validate)


if __name__ == "__main__":
    main()
