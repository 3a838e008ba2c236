"""S3 replication: the configuration is kept as given, and new objects are copied to the destination bucket.

AWS: GetBucketReplication "Returns the replication configuration of a bucket"
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html): the rules as they were put,
DeleteMarkerReplication, Filter and SourceSelectionCriteria included. Live replication "automatically replicates
new objects as they are written to the bucket" to the destination bucket, re-encrypted with the
ReplicaKmsKeyID when SseKmsEncryptedObjects is enabled; HeadObject then answers x-amz-replication-status
COMPLETED on the source object and REPLICA on the replica
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html).

moto 5.2 answers GetBucketReplication with every rule's DeleteMarkerReplication forced to Disabled, its Filter
forced to an empty prefix and SourceSelectionCriteria dropped, so a converge that compares what it put with what
it reads puts the configuration again on every run; and it replicates nothing. This behaviour lets moto store
the configuration (it still validates it: versioning on both buckets), keeps the document as put and answers
GetBucketReplication with it; after a PutObject to a bucket with an enabled rule it copies the object to the
destination bucket (the destination's default encryption, or the rule's replica key, applies) and records the
replication status that HeadObject and GetObject then carry. CopyObject and multipart uploads are not copied.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs
from urllib.parse import unquote

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _bucket_and_key(request):
    path = unquote(request.environ.get("PATH_INFO", ""))
    parts = path.lstrip("/").split("/", 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


def _find(element, name):
    found = element.find(NS + name)
    return found if found is not None else element.find(name)


def _text(element, name):
    found = _find(element, name) if element is not None else None
    return found.text if found is not None else None


class S3Replication:
    name = "s3-replication"
    summary = (
        "GetBucketReplication answers the configuration as put; new objects are copied to the destination bucket "
        "with x-amz-replication-status COMPLETED (source) and REPLICA (replica)"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html"

    def __init__(self):
        self.configurations = {}  # bucket -> the ReplicationConfiguration document as put (bytes)
        self.statuses = {}  # (bucket, key) -> COMPLETED | REPLICA

    def reset(self):
        self.configurations.clear()
        self.statuses.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "s3":
            return forward(request)
        query = parse_qs(request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
        method = request.environ.get("REQUEST_METHOD", "GET")
        bucket, key = _bucket_and_key(request)
        if "replication" in query and not key:
            return self._configuration(request, forward, method, bucket)
        if method == "PUT" and key and call.operation == "PutObject":
            response = forward(request)
            if response.ok and bucket in self.configurations:
                self._replicate(bucket, key)
            return response
        if method in ("GET", "HEAD") and key and not set(query) - {"versionId", "partNumber", "x-id"}:
            response = forward(request)
            status = self.statuses.get((bucket, key))
            if response.ok and status:
                response.headers = list(response.headers) + [("x-amz-replication-status", status)]
            return response
        if method == "DELETE" and not key and not query:
            response = forward(request)
            if response.ok:
                self.configurations.pop(bucket, None)
            return response
        return forward(request)

    def _configuration(self, request, forward, method, bucket):
        response = forward(request)
        if not response.ok:
            return response
        if method == "PUT":
            self.configurations[bucket] = request.body
        elif method == "DELETE":
            self.configurations.pop(bucket, None)
        elif method == "GET" and bucket in self.configurations:
            body = self.configurations[bucket]
            if not body.lstrip().startswith(b"<?xml"):
                body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
            headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
            response.body = body
            response.headers = headers
        return response

    def _replicate(self, bucket, key):
        from moto.s3.models import s3_backends

        try:
            document = ET.fromstring(self.configurations[bucket])
        except ET.ParseError:
            return
        for account in list(s3_backends):
            backend = s3_backends[account]["global"]
            if bucket not in backend.buckets:
                continue
            source = backend.get_object(bucket, key)
            if source is None:
                return
            for rule in document.iter(NS + "Rule") if document.tag.startswith(NS) else document.iter("Rule"):
                if _text(rule, "Status") != "Enabled":
                    continue
                prefix = _text(_find(rule, "Filter"), "Prefix") if _find(rule, "Filter") is not None else None
                prefix = prefix or _text(rule, "Prefix") or ""
                if not key.startswith(prefix):
                    continue
                destination = _find(rule, "Destination")
                target = (_text(destination, "Bucket") or "").rsplit(":", 1)[-1]
                if target not in backend.buckets:
                    continue
                encryption = _find(destination, "EncryptionConfiguration")
                replica_key = _text(encryption, "ReplicaKmsKeyID") if encryption is not None else None
                backend.put_object(
                    target,
                    key,
                    source.value,
                    encryption="aws:kms" if replica_key else None,
                    kms_key_id=replica_key,
                    disable_notification=True,
                )
                self.statuses[(bucket, key)] = "COMPLETED"
                self.statuses[(target, key)] = "REPLICA"
            return
