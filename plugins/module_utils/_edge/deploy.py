# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deploy a front end build to its bucket and CloudFront: preflight -> upload -> delete -> invalidate -> wait.

The build directory is compared with the bucket (ListObjectsV2: key, size, ETag; a single-part upload to an
SSE-S3 bucket has the MD5 of its content as ETag), so only new or changed files are uploaded. Hashed assets
(``app.3f9a1c2e.js``) are immutable and cached for a year; everything else (``index.html`` first of all) is
``no-cache``, so browsers revalidate it and always load the current asset names. Uploads go assets first and the
pages last, deletions after both, so no page ever names an asset that is not there yet or any more.

The invalidation's CallerReference is the digest of the whole build: a re-run of a deploy that was interrupted
after its uploads still invalidates (the newest invalidation does not carry that digest), and a re-run of a
finished deploy changes nothing.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re

from .._storage.state import absent
from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from ..platform import wait_for
from . import state as st
from .spec import Names

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A content hash in the file name: app.3f9a1c2e.js, main-5d41402abc4b2a76.css, chunk.8f14e45fceea167a.woff2
HASHED_RE = re.compile(r"[.-][0-9a-fA-F]{8,}\.[A-Za-z0-9]+(\.map)?$")
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


def local_files(source):
    """``{key: (path, md5, size)}`` of every file under ``source`` (keys with /, no leading slash)."""
    found = {}
    for root, _dirs, files in os.walk(source):
        for name in sorted(files):
            path = os.path.join(root, name)
            key = os.path.relpath(path, source).replace(os.sep, "/")
            digest = hashlib.md5()  # S3's ETag of a single-part upload, not a security use
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            found[key] = (path, digest.hexdigest(), os.path.getsize(path))
    return found


def cache_control(key):
    return IMMUTABLE if HASHED_RE.search(key) else REVALIDATE


def content_type(key):
    guessed, _encoding = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def build_digest(files):
    digest = hashlib.sha256()
    for key in sorted(files):
        digest.update(f"{key}\0{files[key][1]}\n".encode())
    return digest.hexdigest()[:32]


class FrontendDeploy:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        self.c = clients
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        names = Names(params["platform"], params["environment"])
        self.bucket = params.get("bucket") or names.frontend_bucket
        self.comment = names.distribution_comment
        self.distribution = None
        self.uploads = []
        self.deletions = []
        self.invalidation = None
        self.digest = None
        self.files = {}

    @property
    def check_mode(self):
        return self.changes.check_mode

    def run(self):
        with self.phases.phase("preflight"):
            self._preflight()
        with self.phases.phase("upload"):
            self._upload()
        with self.phases.phase("delete"):
            self._delete()
        with self.phases.phase("invalidate"):
            self._invalidate()
        with self.phases.phase("wait"):
            self._wait()

    def _preflight(self):
        source = self.p["source"]
        if not os.path.isdir(source):
            raise PreconditionFailed(f"source: {source} is not a directory (the front end's build output)")
        self.files = local_files(source)
        root = self.p.get("default_root_object") or "index.html"
        if root not in self.files:
            raise PreconditionFailed(
                f"source: {source} has no {root}; the distribution serves it for / and for every client-side route"
            )
        self.digest = build_digest(self.files)
        s3 = self.c["s3"]
        if (
            absent(lambda: s3.head_bucket(Bucket=self.bucket, aws_retry=True), "404", "NoSuchBucket", "NotFound")
            is None
        ):
            raise PreconditionFailed(f"bucket: {self.bucket} does not exist; converge playbooks/edge.yml first")
        if self.p.get("distribution_id"):
            self.distribution = {"Id": self.p["distribution_id"]}
        else:
            self.distribution = st.find_distribution(self.c["cloudfront"], self.comment, [])
            if not self.distribution:
                raise PreconditionFailed(
                    f"distribution_id: no CloudFront distribution {self.comment}; converge playbooks/edge.yml first"
                )
        current = {}
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket):
            for item in page.get("Contents") or []:
                current[item["Key"]] = (item["ETag"].strip('"'), item["Size"])
        for key, (_path, md5, size) in sorted(self.files.items()):
            if current.get(key) != (md5, size):
                self.uploads.append(key)
        if self.p["delete"]:
            self.deletions = sorted(k for k in current if k not in self.files)

    def _upload(self):
        # Assets before pages: a page must never name an asset that is not uploaded yet.
        order = sorted(self.uploads, key=lambda k: (cache_control(k) == REVALIDATE, k.endswith(".html"), k))
        s3 = self.c["s3"]
        for key in order:
            path = self.files[key][0]
            if not self.changes.add(f"upload {key} ({content_type(key)}, {cache_control(key)})"):
                continue
            with open(path, "rb") as body:
                s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type(key),
                    CacheControl=cache_control(key),
                    aws_retry=True,
                )

    def _delete(self):
        s3 = self.c["s3"]
        for start in range(0, len(self.deletions), DELETE_BATCH):
            batch = self.deletions[start : start + DELETE_BATCH]
            for key in batch:
                self.changes.add(f"delete {key}")
            if self.check_mode:
                continue
            found = s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}, aws_retry=True
            )
            errors = found.get("Errors") or []
            if errors:
                raise PreconditionFailed(
                    "could not delete "
                    + ", ".join(f"{e['Key']} ({e.get('Code')})" for e in errors[:5])
                    + (" and more" if len(errors) > 5 else "")
                )

    def _newest_invalidation(self):
        cf = self.c["cloudfront"]
        listing = cf.list_invalidations(DistributionId=self.distribution["Id"], aws_retry=True)
        items = (listing.get("InvalidationList") or {}).get("Items") or []
        if not items:
            return None
        newest = max(items, key=lambda i: i["CreateTime"])
        return cf.get_invalidation(DistributionId=self.distribution["Id"], Id=newest["Id"], aws_retry=True)[
            "Invalidation"
        ]

    def _invalidate(self):
        newest = self._newest_invalidation()
        done = newest and newest["InvalidationBatch"]["CallerReference"] == self.digest
        if done and not self.uploads and not self.deletions:
            self.invalidation = newest
            return
        paths = list(self.p.get("invalidation_paths") or ["/*"])
        if not self.changes.add(f"invalidate {', '.join(paths)} on CloudFront distribution {self.distribution['Id']}"):
            return
        self.invalidation = self.c["cloudfront"].create_invalidation(
            DistributionId=self.distribution["Id"],
            InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": self.digest},
            aws_retry=True,
        )["Invalidation"]

    def _wait(self):
        if not self.invalidation or self.check_mode or not self.p["wait"]:
            return
        if self.invalidation.get("Status") == "Completed":
            return
        cf = self.c["cloudfront"]

        def completed():
            found = cf.get_invalidation(
                DistributionId=self.distribution["Id"], Id=self.invalidation["Id"], aws_retry=True
            )
            self.invalidation = found["Invalidation"]
            return self.invalidation["Status"] == "Completed"

        wait_for(completed, self.p["wait_timeout"], f"invalidation {self.invalidation['Id']} to complete", delay=1.0)

    def result(self):
        return {
            "bucket": self.bucket,
            "distribution_id": (self.distribution or {}).get("Id"),
            "build_digest": self.digest,
            "files": len(self.files),
            "uploaded": self.uploads,
            "deleted": self.deletions,
            "invalidation_id": (self.invalidation or {}).get("Id"),
            "invalidation_status": (self.invalidation or {}).get("Status"),
        }
