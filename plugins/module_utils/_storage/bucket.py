# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One S3 bucket: ``Desired`` (what it should be, in the shapes the Put calls take) and ``BucketConverger``
(create it when missing, then one Put call per setting that differs, replication last). The storage tier
converges its buckets with it, and the edge tier its front end's."""

from __future__ import annotations

import json

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass

from ..platform import ReconcileError
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
