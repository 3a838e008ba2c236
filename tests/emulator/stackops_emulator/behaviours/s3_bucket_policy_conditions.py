"""Bucket policies: a statement applies only when its conditions hold; requests arrive over TLS.

AWS (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition"): a statement whose
Condition block does not match the request context does not apply, Deny or Allow. The usual S3 guard
"Deny s3:* when aws:SecureTransport is false" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html,
"Enforce encryption of data in transit") therefore denies plain-HTTP requests only.

moto 5.2 evaluates bucket policies on object requests but treats a condition operator it does not know (Bool,
StringLike, ArnLike, ...) as matched, so that guard denies every PutObject and GetObject with 403. The emulator
stands in for S3's HTTPS endpoints (the SDKs and the CLI use HTTPS); the transport between a test and the
emulator is a test detail. This behaviour replaces moto's bucket check: each statement's action and resource are
matched, its conditions evaluated against a request context with ``aws:SecureTransport`` ``true`` (Bool,
String*, Arn* operators; a statement with an operator this does not know does not apply), an applicable Deny
wins over an Allow.
"""

from __future__ import annotations

import fnmatch
import json

CONTEXT = {"aws:securetransport": "true"}


def _values(value):
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in (value if isinstance(value, list) else [value])]


def _condition_holds(operator, key, expected):
    actual = CONTEXT.get(key.lower())
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if actual is None:
        return if_exists
    wanted = _values(expected)
    if operator == "Bool":
        return actual.lower() in [w.lower() for w in wanted]
    if operator in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual not in wanted
    if operator in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    return None  # an operator this does not evaluate


def _matches(patterns, value):
    return any(fnmatch.fnmatchcase(value, p) for p in (patterns if isinstance(patterns, list) else [patterns]))


def evaluate(policy_text, action, resource):
    from moto.iam.access_control import PermissionResult

    try:
        statements = json.loads(policy_text).get("Statement") or []
    except ValueError:
        return PermissionResult.NEUTRAL
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if "Action" in statement and not _matches(statement["Action"], action):
            continue
        if "NotAction" in statement and _matches(statement["NotAction"], action):
            continue
        if "Resource" in statement and not _matches(statement["Resource"], resource):
            continue
        holds = True
        for operator, pairs in (statement.get("Condition") or {}).items():
            for key, expected in pairs.items():
                result = _condition_holds(operator, key, expected)
                if not result:
                    holds = False
        if not holds:
            continue
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        allowed = True
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


class S3BucketPolicyConditions:
    name = "s3-bucket-policy-conditions"
    summary = "Bucket policy statements apply only when their conditions hold (requests count as HTTPS)"
    documented_by = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"

    def __init__(self):
        from moto.iam.access_control import PermissionResult
        from moto.s3.models import FakeBucket

        def get_permission(bucket, action, resource):
            if bucket.policy is None:
                return PermissionResult.NEUTRAL
            policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
            return evaluate(policy, action, resource)

        FakeBucket.get_permission = get_permission

    def reset(self):
        pass

    def __call__(self, request, forward):
        return forward(request)
