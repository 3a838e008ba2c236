# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read S3 buckets as they are. S3 has no batch describe: one ListBuckets finds which of our names exist, then
each existing bucket's settings are read with one Get call per setting, all buckets' reads side by side on a
small thread pool (boto3 clients are thread-safe). A name that is not ours is probed with HeadBucket, so a name
another account owns is reported before any write. Nothing here writes.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

COMPONENT = "storage"
READ_THREADS = 8

# Each bucket setting: (field, operation, keyword arguments from the response, error codes meaning "none set").
SETTINGS = (
    ("location", "get_bucket_location", None, ()),
    ("versioning", "get_bucket_versioning", None, ()),
    ("encryption", "get_bucket_encryption", None, ("ServerSideEncryptionConfigurationNotFoundError",)),
    ("public_access", "get_public_access_block", None, ("NoSuchPublicAccessBlockConfiguration",)),
    ("ownership", "get_bucket_ownership_controls", None, ("OwnershipControlsNotFoundError",)),
    ("policy", "get_bucket_policy", None, ("NoSuchBucketPolicy",)),
    ("lifecycle", "get_bucket_lifecycle_configuration", None, ("NoSuchLifecycleConfiguration",)),
    ("cors", "get_bucket_cors", None, ("NoSuchCORSConfiguration",)),
    ("logging", "get_bucket_logging", None, ()),
    ("lock", "get_object_lock_configuration", None, ("ObjectLockConfigurationNotFoundError",)),
    ("notifications", "get_bucket_notification_configuration", None, ()),
    ("replication", "get_bucket_replication", None, ("ReplicationConfigurationNotFoundError",)),
    ("tags", "get_bucket_tagging", None, ("NoSuchTagSet",)),
)


def error_code(error):
    """The AWS error code of a botocore ClientError (``NoSuchBucketPolicy``)."""
    return str(error.response.get("Error", {}).get("Code"))


def absent(call, *codes):
    """``call()``, or None when AWS answers one of ``codes`` (the thing does not exist); other errors go up."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) in codes:
            return None
        raise


class BucketState:
    """What S3 says about one bucket; ``exists`` False (and every setting None) when it does not exist."""

    def __init__(self, name):
        self.name = name
        self.exists = False
        self.taken = False  # the name exists but is not this account's
        self.region = None
        self.versioning = None  # "Enabled" | "Suspended" | None (never enabled)
        self.encryption = None  # the first rule of ServerSideEncryptionConfiguration
        self.public_access = None
        self.ownership = None
        self.policy = None  # parsed JSON
        self.lifecycle = None  # list of rules
        self.cors = None
        self.logging = None  # LoggingEnabled
        self.lock = None  # ObjectLockConfiguration
        self.notifications = None
        self.replication = None  # ReplicationConfiguration
        self.tags = {}

    def set(self, field, response):
        if response is None:
            return
        if field == "location":
            self.region = response.get("LocationConstraint") or "us-east-1"
            if self.region == "EU":
                self.region = "eu-west-1"
        elif field == "versioning":
            self.versioning = response.get("Status")
        elif field == "encryption":
            rules = (response.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
            self.encryption = rules[0] if rules else None
        elif field == "public_access":
            self.public_access = response.get("PublicAccessBlockConfiguration")
        elif field == "ownership":
            rules = (response.get("OwnershipControls") or {}).get("Rules") or []
            self.ownership = rules[0].get("ObjectOwnership") if rules else None
        elif field == "policy":
            self.policy = json.loads(response["Policy"]) if response.get("Policy") else None
        elif field == "lifecycle":
            self.lifecycle = response.get("Rules") or []
        elif field == "cors":
            self.cors = response.get("CORSRules") or []
        elif field == "logging":
            self.logging = response.get("LoggingEnabled")
        elif field == "lock":
            self.lock = response.get("ObjectLockConfiguration")
        elif field == "notifications":
            self.notifications = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        elif field == "replication":
            self.replication = response.get("ReplicationConfiguration")
        elif field == "tags":
            self.tags = {t["Key"]: t["Value"] for t in response.get("TagSet") or []}


def owned_bucket_names(s3):
    """Names of every bucket this account owns (one ListBuckets, paginated)."""
    names = set()
    params = {}
    while True:
        page = s3.list_buckets(aws_retry=True, **params)
        names.update(b["Name"] for b in page.get("Buckets") or [])
        token = page.get("ContinuationToken")
        if not token:
            return names
        params = {"ContinuationToken": token}


def _name_taken(s3, name):
    """True when a bucket ``name`` exists (HeadBucket answers 200, 301 or 403) though this account owns none."""
    try:
        s3.head_bucket(Bucket=name, aws_retry=True)
        return True
    except ClientError as error:
        code = error_code(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return not (code in ("404", "NoSuchBucket", "NotFound") or status == 404)


def _read(client, name, operation, codes):
    call = getattr(client, operation)
    if codes:
        return absent(lambda: call(Bucket=name, aws_retry=True), *codes)
    return call(Bucket=name, aws_retry=True)


def read_buckets(targets, owned, head_client):
    """``targets``: ``{name: client}`` (the client of the bucket's region). Returns ``{name: BucketState}``."""
    states = {name: BucketState(name) for name in targets}
    jobs = []
    for name, client in targets.items():
        if name in owned:
            states[name].exists = True
            jobs += [(name, client, field, operation, codes) for field, operation, _kw, codes in SETTINGS]
        else:
            jobs.append((name, head_client, "taken", None, ()))
    if not jobs:
        return states

    def run(job):
        name, client, field, operation, codes = job
        if field == "taken":
            return name, field, _name_taken(client, name)
        return name, field, _read(client, name, operation, codes)

    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(jobs))) as pool:
        for name, field, response in pool.map(run, jobs):
            if field == "taken":
                states[name].taken = response
            else:
                states[name].set(field, response)
    return states


def account_id(sts):
    return sts.get_caller_identity(aws_retry=True)["Account"]


def discover(s3, platform, environment):
    """The environment's buckets found by name prefix and identity tags, with every setting read.

    Returns ``{purpose: summary}`` (a replica's purpose is ``<purpose> replica``)."""
    prefix = f"{platform}-{environment}-"
    names = sorted(n for n in owned_bucket_names(s3) if n.startswith(prefix))
    if not names:
        return {}
    tags = read_buckets({n: s3 for n in names}, set(names), s3)
    found = {}
    for name, state in tags.items():
        if state.tags.get("stackops:platform") != platform or state.tags.get("stackops:environment") != environment:
            continue
        if state.tags.get("stackops:component") != COMPONENT:
            continue
        purpose = state.tags.get("stackops:purpose") or name[len(prefix) :]
        if state.tags.get("stackops:replica-of"):
            purpose = f"{purpose} replica"
        found[purpose] = summary(state)
    return found


def summary(state):
    encryption = (state.encryption or {}).get("ApplyServerSideEncryptionByDefault") or {}
    rules = (state.replication or {}).get("Rules") or []
    target = ((rules[0].get("Destination") or {}).get("Bucket") or "").rsplit(":", 1)[-1] if rules else None
    return {
        "name": state.name,
        "region": state.region,
        "versioning": state.versioning or "Disabled",
        "encryption": "SSE-KMS" if encryption.get("SSEAlgorithm") == "aws:kms" else "SSE-S3" if encryption else None,
        "kms_key_arn": encryption.get("KMSMasterKeyID"),
        "public_access_blocked": bool(state.public_access) and all(state.public_access.values()),
        "lifecycle_rules": [r.get("ID") for r in state.lifecycle or []],
        "object_lock": bool(state.lock and state.lock.get("ObjectLockEnabled") == "Enabled"),
        "logging_to": (state.logging or {}).get("TargetBucket"),
        "replicates_to": target,
        "replica_of": state.tags.get("stackops:replica-of"),
    }
