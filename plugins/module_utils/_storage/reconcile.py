# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a list of S3 buckets: read everything (one ListBuckets, then every existing bucket's settings side
by side), refuse what S3 cannot do (a name another account owns, Object Lock removed, a bucket in another
region) before any write, then write in order: the replication role, the logs bucket, the DR replicas, the
other buckets; each bucket's settings one Put call per setting that differs, replication last.

``BucketConverger`` converges one bucket from a ``Desired`` and is what the edge tier uses for its front end.
"""

from __future__ import annotations

import json

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st

PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
OWNERSHIP = "BucketOwnerEnforced"  # ACLs off: the bucket owner owns every object


class Desired:
    """What one bucket should be, in the shapes the Put calls take."""

    def __init__(self, name, region, purpose):
        self.name = name
        self.region = region
        self.purpose = purpose
        self.object_lock = False  # created with Object Lock enabled
        self.ownership = OWNERSHIP  # BucketOwnerPreferred only where a service writes with ACLs (CloudFront logs)
        self.versioning = True
        self.encryption = {"SSEAlgorithm": "AES256"}
        self.policy = None
        self.lifecycle = []
        self.cors = []
        self.logging = None  # {"TargetBucket", "TargetPrefix"}
        self.lock = None
        self.notifications = {}
        self.replication = None
        self.tags = {}
        self.purge_tags = True  # False: tags the bucket has beyond ``tags`` stay
        self.replica_of = None  # the source bucket's name, for a DR replica
        self.replication_keys = (None, None)  # (source key, replica key) the replication role needs


def _encryption(algorithm_or_key):
    if algorithm_or_key:
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": algorithm_or_key, "BucketKeyEnabled": True}
    return {"SSEAlgorithm": "AES256"}


def _canonical_encryption(rule):
    if not rule:
        return None
    default = rule.get("ApplyServerSideEncryptionByDefault") or rule
    algorithm = default.get("SSEAlgorithm")
    key = default.get("KMSMasterKeyID") if algorithm != "AES256" else None
    return (algorithm, key, bool(rule.get("BucketKeyEnabled")) if algorithm != "AES256" else None)


def _canonical_replication(configuration):
    if not configuration:
        return None
    rules = []
    for rule in configuration.get("Rules") or []:
        destination = rule.get("Destination") or {}
        rules.append(
            (
                rule.get("ID"),
                rule.get("Status"),
                rule.get("Priority"),
                ((rule.get("Filter") or {}).get("Prefix") or rule.get("Prefix") or ""),
                (rule.get("DeleteMarkerReplication") or {}).get("Status"),
                destination.get("Bucket"),
                (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
                ((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}).get("Status"),
            )
        )
    return (configuration.get("Role"), sorted(rules, key=repr))


class BucketConverger:
    """Converge one bucket: create it when missing, then each setting that differs (one Put call each)."""

    def __init__(self, desired, state, client, changes):
        self.d = desired
        self.s = state
        self.client = client
        self.changes = changes

    def problems(self):
        """What S3 cannot do for this bucket, as messages (checked for every bucket before any write)."""
        d, s = self.d, self.s
        where = f"bucket {d.name}"
        if s.taken:
            return [
                f"{where}: the name is taken by another AWS account (S3 bucket names are global); set a suffix "
                f"for the {d.purpose} bucket to make its name unique"
            ]
        if not s.exists:
            return []
        found = []
        if s.region and s.region != d.region:
            found.append(f"{where} is in {s.region}, not {d.region}; S3 cannot move a bucket between regions")
        if s.lock and s.lock.get("ObjectLockEnabled") == "Enabled" and not d.lock:
            found.append(f"{where} has Object Lock enabled; S3 cannot turn it off")
        if s.lock and s.lock.get("ObjectLockEnabled") == "Enabled" and not d.versioning:
            found.append(f"{where} has Object Lock, which needs versioning on; S3 cannot suspend it")
        return found

    def view(self, desired=False):
        """A symbolic form of the bucket (for the diff): what is, or what should be."""
        if desired:
            d = self.d
            return {
                "region": d.region,
                "versioning": "Enabled" if d.versioning else self._versioning_after(),
                "encryption": list(_canonical_encryption(d.encryption)),
                "public_access_blocked": True,
                "ownership": d.ownership,
                "policy_statements": [s.get("Sid") for s in (d.policy or {}).get("Statement", [])],
                "lifecycle": sp.canonical_lifecycle(d.lifecycle),
                "cors": sp.canonical_cors(d.cors),
                "logging": (d.logging or {}).get("TargetBucket"),
                "object_lock": list(sp.canonical_lock(d.lock) or []) or None,
                "notifications": sorted(sp.canonical_notifications(d.notifications)),
                "replication": self._replication_target(d.replication),
                "tags": dict(sorted(d.tags.items())),
            }
        s = self.s
        if not s.exists:
            return None
        return {
            "region": s.region,
            "versioning": s.versioning,
            "encryption": list(_canonical_encryption(s.encryption) or []) or None,
            "public_access_blocked": s.public_access == PUBLIC_ACCESS_BLOCKED,
            "ownership": s.ownership,
            "policy_statements": [x.get("Sid") for x in (s.policy or {}).get("Statement", [])],
            "lifecycle": sp.canonical_lifecycle(s.lifecycle),
            "cors": sp.canonical_cors(s.cors),
            "logging": (s.logging or {}).get("TargetBucket"),
            "object_lock": list(sp.canonical_lock(s.lock) or []) or None,
            "notifications": sorted(sp.canonical_notifications(s.notifications)),
            "replication": self._replication_target(s.replication),
            "tags": dict(sorted(s.tags.items())),
        }

    @staticmethod
    def _replication_target(configuration):
        if not configuration:
            return None
        rules = configuration.get("Rules") or []
        return ((rules[0].get("Destination") or {}).get("Bucket") or "").rsplit(":", 1)[-1] if rules else None

    def _versioning_after(self):
        return "Suspended" if self.s.versioning in ("Enabled", "Suspended") else None

    def converge(self):
        d, s, c = self.d, self.s, self.client
        name = d.name
        if not s.exists:
            notes = [d.region]
            if d.object_lock:
                notes.append("Object Lock enabled")
            if self.changes.add(f"create bucket {name} ({', '.join(notes)})"):
                self._create()
        if s.ownership != d.ownership and self.changes.add(f"bucket {name}: object ownership {d.ownership}"):
            c.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": d.ownership}]}, aws_retry=True
            )
        if s.public_access != PUBLIC_ACCESS_BLOCKED and self.changes.add(f"bucket {name}: block all public access"):
            c.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=dict(PUBLIC_ACCESS_BLOCKED), aws_retry=True
            )
        if _canonical_encryption(s.encryption) != _canonical_encryption(d.encryption):
            algorithm = d.encryption["SSEAlgorithm"]
            shown = (
                "SSE-S3" if algorithm == "AES256" else f"SSE-KMS with {d.encryption['KMSMasterKeyID']} (bucket key on)"
            )
            if self.changes.add(f"bucket {name}: default encryption {shown}"):
                c.put_bucket_encryption(
                    Bucket=name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [
                            {
                                "ApplyServerSideEncryptionByDefault": {
                                    k: v for k, v in d.encryption.items() if k != "BucketKeyEnabled"
                                },
                                "BucketKeyEnabled": bool(d.encryption.get("BucketKeyEnabled")),
                            }
                        ]
                    },
                    aws_retry=True,
                )
        wanted = "Enabled" if d.versioning else self._versioning_after()
        if wanted and s.versioning != wanted and self.changes.add(f"bucket {name}: versioning {wanted}"):
            c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": wanted}, aws_retry=True)
        if sp.canonical_lock(s.lock) != sp.canonical_lock(d.lock) and d.lock:
            mode, days, years = sp.canonical_lock(d.lock)
            period = f"{days} days" if days else f"{years} years"
            if self.changes.add(f"bucket {name}: Object Lock default retention {mode} {period}"):
                c.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=d.lock, aws_retry=True)
        if sp.canonical_policy(s.policy) != sp.canonical_policy(d.policy):
            sids = ", ".join(x["Sid"] for x in d.policy["Statement"])
            if self.changes.add(f"bucket {name}: policy ({sids})"):
                c.put_bucket_policy(Bucket=name, Policy=json.dumps(d.policy), aws_retry=True)
        if sp.canonical_lifecycle(s.lifecycle) != sp.canonical_lifecycle(d.lifecycle):
            if d.lifecycle:
                ids = ", ".join(r["ID"] for r in d.lifecycle)
                if self.changes.add(f"bucket {name}: lifecycle rules {ids}"):
                    c.put_bucket_lifecycle_configuration(
                        Bucket=name, LifecycleConfiguration={"Rules": d.lifecycle}, aws_retry=True
                    )
            elif self.changes.add(f"bucket {name}: remove the lifecycle rules"):
                c.delete_bucket_lifecycle(Bucket=name, aws_retry=True)
        if sp.canonical_cors(s.cors) != sp.canonical_cors(d.cors):
            if d.cors:
                origins = sorted({o for r in d.cors for o in r["AllowedOrigins"]})
                if self.changes.add(f"bucket {name}: CORS for {', '.join(origins)}"):
                    c.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": d.cors}, aws_retry=True)
            elif self.changes.add(f"bucket {name}: remove the CORS rules"):
                c.delete_bucket_cors(Bucket=name, aws_retry=True)
        current_logging = s.logging or None
        if (current_logging or None) != (d.logging or None) and not (
            current_logging
            and d.logging
            and current_logging.get("TargetBucket") == d.logging["TargetBucket"]
            and current_logging.get("TargetPrefix") == d.logging["TargetPrefix"]
        ):
            status = {"LoggingEnabled": d.logging} if d.logging else {}
            sentence = (
                f"bucket {name}: server access logs to {d.logging['TargetBucket']}/{d.logging['TargetPrefix']}"
                if d.logging
                else f"bucket {name}: server access logging off"
            )
            if self.changes.add(sentence):
                c.put_bucket_logging(Bucket=name, BucketLoggingStatus=status, aws_retry=True)
        if sp.canonical_notifications(s.notifications) != sp.canonical_notifications(d.notifications):
            kinds = sorted(k for k in d.notifications) or ["none"]
            if self.changes.add(f"bucket {name}: event notifications ({', '.join(kinds)})"):
                c.put_bucket_notification_configuration(
                    Bucket=name, NotificationConfiguration=d.notifications, aws_retry=True
                )
        # PutBucketTagging replaces the whole set: without purge_tags, the bucket's other tags are put back.
        tags = d.tags if d.purge_tags else {**s.tags, **d.tags}
        if s.tags != tags and self.changes.add(f"bucket {name}: tags {', '.join(sorted(tags))}"):
            c.put_bucket_tagging(
                Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}, aws_retry=True
            )

    def converge_replication(self):
        d, s, name = self.d, self.s, self.d.name
        if _canonical_replication(s.replication) == _canonical_replication(d.replication):
            return
        if d.replication:
            target = self._replication_target(d.replication)
            if self.changes.add(f"bucket {name}: replicate to {target}"):
                self.client.put_bucket_replication(Bucket=name, ReplicationConfiguration=d.replication, aws_retry=True)
        elif self.changes.add(f"bucket {name}: replication off"):
            self.client.delete_bucket_replication(Bucket=name, aws_retry=True)

    def _create(self):
        d = self.d
        kwargs = {"Bucket": d.name, "ObjectOwnership": d.ownership}
        if d.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": d.region}
        if d.object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        try:
            self.client.create_bucket(aws_retry=True, **kwargs)
        except ClientError as error:
            if st.error_code(error) == "BucketAlreadyOwnedByYou":
                return  # a create whose response was lost: the bucket is ours
            if st.error_code(error) == "BucketAlreadyExists":
                raise ReconcileError(
                    f"bucket {d.name}: the name is taken by another AWS account (S3 bucket names are global); set a "
                    f"suffix for the {d.purpose} bucket to make its name unique"
                ) from None
            raise
        # The settings a new bucket has: owner enforced (set at create), versioning never enabled.
        self.s.exists = True
        self.s.ownership = d.ownership


class StorageReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.clients = clients
        self.s3 = clients["s3"]
        self.changes = Changes(check_mode)
        self.warnings = []
        self.partition = partition_for(region)
        self.identity = identity_tags(params["platform"], params["environment"], st.COMPONENT)
        self.dr_region = params.get("dr_region") or ""
        self.buckets = [sp.normalize_bucket(b) for b in params.get("buckets") or []]
        self.role_name = (
            params.get("replication_role_name") or f"{params['platform']}-{params['environment']}-s3-replication"
        )
        self.role_arn = None
        self.desired = {}  # name -> Desired
        self.convergers = {}
        self.before_snapshot = {}
        self.account = None
        self.keys = {}  # (region, key) -> ARN
        self.role_state = None  # (role, inline policy document) or None

    @property
    def check_mode(self):
        return self.changes.check_mode

    # -- names and desired state -------------------------------------------------------------------------------------

    def name_of(self, bucket):
        return sp.bucket_name(self.p["platform"], self.p["environment"], bucket["purpose"], bucket["suffix"])

    def tags(self, bucket, name):
        user = dict(self.p.get("tags") or {})
        user.update(bucket.get("tags") or {})
        return resource_tags(self.identity, user, name=name, **{"stackops:purpose": bucket["purpose"]})

    def _key_arn(self, region, key, where):
        if not key:
            return None
        if (region, key) in self.keys:
            return self.keys[(region, key)]
        if key.startswith("arn:") and ":key/" in key:
            self.keys[(region, key)] = key
            return key
        kms = self.clients["kms"] if region == self.region else self.clients["kms_dr"]
        found = st.absent(lambda: kms.describe_key(KeyId=key, aws_retry=True), "NotFoundException")
        if found is None:
            if self.check_mode:
                self.warnings.append(f"{where}: KMS key {key} does not exist in {region} yet (converge security first)")
                arn = f"<{key} in {region}>"
            else:
                raise ReconcileError(
                    f"{where}: KMS key {key} does not exist in {region}; converge the security tier there first"
                )
        else:
            arn = found["KeyMetadata"]["Arn"]
        self.keys[(region, key)] = arn
        return arn

    def _role_arn(self, role, where):
        if str(role).startswith("arn:"):
            return role
        found = st.absent(lambda: self.clients["iam"].get_role(RoleName=role, aws_retry=True), "NoSuchEntity")
        if found is None:
            if self.check_mode:
                self.warnings.append(f"{where}: IAM role {role} does not exist yet")
                return f"arn:{self.partition}:iam::{self.account}:role/{role}"
            raise ReconcileError(
                f"{where}: IAM role {role} does not exist; S3 refuses a bucket policy naming an unknown principal "
                "(converge the cluster tier, which makes the task and IRSA roles, first)"
            )
        return found["Role"]["Arn"]

    def _logs(self):
        logs = self.p.get("logs_bucket") or ""
        for bucket in self.buckets:
            if bucket["purpose"] == logs:
                return bucket
        return None

    def plan(self):
        """Every bucket's Desired (sources, logs, replicas), after the reads that resolve keys and roles."""
        logs = self._logs()
        logs_name = self.name_of(logs) if logs else None
        for index, bucket in enumerate(self.buckets):
            where = f"buckets[{index}]"
            name = self.name_of(bucket)
            d = Desired(name, self.region, bucket["purpose"])
            d.versioning = bucket["versioning"]
            d.object_lock = bool(bucket["object_lock"])
            d.lock = sp.lock_configuration(bucket)
            key = (
                self._key_arn(self.region, bucket["kms_key"], f"{where}.kms_key")
                if bucket["encryption"] == "sse-kms"
                else None
            )
            d.encryption = _encryption(key)
            grants = []
            for g_index, grant in enumerate(bucket["grants"]):
                grants.append({**grant, "arn": self._role_arn(grant["role"], f"{where}.grants[{g_index}].role")})
            d.policy = sp.bucket_policy(
                self.partition, name, grants, logs_sources=self.account if bucket is logs else None
            )
            d.lifecycle = sp.lifecycle_rules(bucket)
            d.cors = sp.cors_rules(bucket)
            if bucket["access_logging"] and logs_name and bucket is not logs:
                d.logging = {"TargetBucket": logs_name, "TargetPrefix": f"s3/{name}/"}
            d.notifications = sp.notification_configuration(bucket)
            d.tags = self.tags(bucket, name)
            d.purge_tags = self.p.get("purge_tags", True)
            self.desired[name] = d
            if bucket["replication"]:
                self._plan_replica(bucket, d, key, where)

    def _plan_replica(self, bucket, source, source_key, where):
        replica = sp.replica_name(source.name, self.dr_region)
        r = Desired(replica, self.dr_region, f"{bucket['purpose']} replica")
        r.replica_of = source.name
        replica_key = None
        if bucket["encryption"] == "sse-kms":
            wanted = bucket["replica_kms_key"] or bucket["kms_key"]
            if wanted.startswith("arn:") and ":alias/" in wanted:
                wanted = "alias/" + wanted.split(":alias/", 1)[1]
            replica_key = self._key_arn(self.dr_region, wanted, f"{where}.replica_kms_key")
        r.encryption = _encryption(replica_key)
        r.policy = sp.bucket_policy(self.partition, replica)
        r.lifecycle = source.lifecycle
        r.tags = {**self.tags(bucket, replica), "stackops:replica-of": source.name}
        r.purge_tags = self.p.get("purge_tags", True)
        self.desired[replica] = r
        rule = {
            "ID": "dr",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": f"arn:{self.partition}:s3:::{replica}"},
        }
        if source_key:
            rule["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
            rule["Destination"]["EncryptionConfiguration"] = {"ReplicaKmsKeyID": replica_key}
        source.replication = {
            "Role": f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}",
            "Rules": [rule],
        }
        source.replication_keys = (source_key, replica_key)

    # -- reads ---------------------------------------------------------------------------------------------------------

    def read(self):
        self.account = st.account_id(self.clients["sts"])
        self.plan()
        owned = st.owned_bucket_names(self.s3)
        targets = {
            name: (self.s3 if d.region == self.region else self.clients["s3_dr"]) for name, d in self.desired.items()
        }
        states = st.read_buckets(targets, owned, self.s3)
        for name, d in self.desired.items():
            self.convergers[name] = BucketConverger(d, states[name], targets[name], self.changes)
        if any(d.replication for d in self.desired.values()):
            self.role_state = self._read_role()

    def _read_role(self):
        iam = self.clients["iam"]
        role = st.absent(lambda: iam.get_role(RoleName=self.role_name, aws_retry=True), "NoSuchEntity")
        if role is None:
            return None
        policy = st.absent(
            lambda: iam.get_role_policy(RoleName=self.role_name, PolicyName="replication", aws_retry=True),
            "NoSuchEntity",
        )
        document = policy["PolicyDocument"] if policy else None
        if isinstance(document, str):
            from urllib.parse import unquote

            document = json.loads(unquote(document))
        return role["Role"], document

    # -- the replication role --------------------------------------------------------------------------------------------

    def role_policy(self):
        sources = [d for d in self.desired.values() if d.replication]
        statements = [
            {
                "Sid": "ReadSource",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": sorted(f"arn:{self.partition}:s3:::{d.name}" for d in sources),
            },
            {
                "Sid": "ReadSourceObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                "Resource": sorted(f"arn:{self.partition}:s3:::{d.name}/*" for d in sources),
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": sorted(
                    f"arn:{self.partition}:s3:::{sp.replica_name(d.name, self.dr_region)}/*" for d in sources
                ),
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

    def _converge_role(self):
        if not any(d.replication for d in self.desired.values()):
            return
        iam = self.clients["iam"]
        policy = self.role_policy()
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role, document = self.role_state or (None, None)
        if role is None and self.changes.add(f"create IAM role {self.role_name} (S3 replication to {self.dr_region})"):
            tags = resource_tags(self.identity, self.p.get("tags"), name=self.role_name)
            try:
                iam.create_role(
                    RoleName=self.role_name,
                    AssumeRolePolicyDocument=json.dumps(trust),
                    Description=f"S3 replication of {self.p['platform']}-{self.p['environment']} buckets to {self.dr_region}",
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                    aws_retry=True,
                )
            except ClientError as error:
                if st.error_code(error) != "EntityAlreadyExists":  # a create whose response was lost
                    raise
        if sp.canonical_policy(document) != sp.canonical_policy(policy) and self.changes.add(
            f"IAM role {self.role_name}: replication policy for {len([d for d in self.desired.values() if d.replication])} bucket(s)"
        ):
            iam.put_role_policy(
                RoleName=self.role_name, PolicyName="replication", PolicyDocument=json.dumps(policy), aws_retry=True
            )
        self.role_arn = f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"

    # -- converge -----------------------------------------------------------------------------------------------------------

    def before(self):
        return {"buckets": {name: c.view() for name, c in sorted(self.convergers.items())}}

    def after(self):
        return {"buckets": {name: c.view(desired=True) for name, c in sorted(self.convergers.items())}}

    def check(self):
        problems = []
        for converger in self.convergers.values():
            problems += converger.problems()
        if problems:
            raise ReconcileError("cannot converge the buckets: " + "; ".join(problems))

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self.check()
        self._converge_role()
        logs = self._logs()
        logs_name = self.name_of(logs) if logs else None
        order = sorted(
            self.convergers.values(),
            key=lambda c: (c.d.name != logs_name, c.d.replica_of is None, c.d.name),
        )
        for converger in order:
            converger.converge()
        for converger in order:
            converger.converge_replication()

    def result(self):
        found = {}
        for name, d in self.desired.items():
            if d.replica_of:
                continue
            replica = next((r.name for r in self.desired.values() if r.replica_of == name), None)
            found[d.purpose] = {
                "name": name,
                "arn": f"arn:{self.partition}:s3:::{name}",
                "region": d.region,
                "domain_name": f"{name}.s3.{d.region}.amazonaws.com",
                "replica": replica,
                "replica_region": self.dr_region if replica else None,
                "kms_key_arn": d.encryption.get("KMSMasterKeyID"),
            }
        logs = self._logs()
        return {
            "buckets": found,
            "logs_bucket": self.name_of(logs) if logs else None,
            "replication_role_arn": self.role_arn
            or (f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}" if self.role_state else None),
        }
