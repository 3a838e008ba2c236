# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a list of S3 buckets: read everything (one ListBuckets, then every existing bucket's settings side
by side), refuse what S3 cannot do (a name another account owns, Object Lock removed, a bucket in another
region) before any write, then write in order: the replication role, the logs bucket, the DR replicas, the
other buckets; each bucket's settings one Put call per setting that differs, replication last.

The reconciler works out every bucket's ``Desired`` (resolving keys and roles) and orders the writes; each
bucket is converged by a ``BucketConverger`` (``bucket.py``, which the edge tier uses for its front end), the
replication role by ``replication_role.py``.
"""

from __future__ import annotations

from ..platform import Changes
from ..platform import ReconcileError
from ..platform import identity_tags
from ..platform import partition_for
from ..platform import resource_tags
from . import spec as sp
from . import state as st
from .bucket import BucketConverger
from .bucket import Desired
from .replication_role import ReplicationRole


def _encryption(algorithm_or_key):
    if algorithm_or_key:
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": algorithm_or_key, "BucketKeyEnabled": True}
    return {"SSEAlgorithm": "AES256"}


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
        self.role_part = ReplicationRole(self)

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
            self.role_state = self.role_part.read()

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
        self.role_part.converge()
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
