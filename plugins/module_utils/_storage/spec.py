# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The storage spec: S3 buckets, their names and every rule S3 would refuse, checked before any API call.

Pure Python. The ``storage_buckets`` module runs ``validate`` on its options; the ``storage_spec_errors``
filter runs the same rules with the role's prefix (``storage_buckets[2].lifecycle[0].transitions[1].days``).
Rules follow the Amazon S3 User Guide ("Bucket naming rules", "Transitioning objects using Amazon S3
Lifecycle", "Enabling Amazon S3 server access logging", "Using S3 Object Lock", "Replicating objects",
"Event notification types and destinations") and the API reference (Transition, CORSRule).
"""

from __future__ import annotations

import ipaddress
import re

from ..aws_rules import REGION_RE

ENCRYPTIONS = ("sse-s3", "sse-kms")
# Lifecycle transitions go down this waterfall, never back up ("Supported lifecycle transitions").
STORAGE_CLASS_ORDER = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
# Transition.Days: STANDARD_IA and ONEZONE_IA need objects at least 30 days old; the others take 0 or more.
MIN_TRANSITION_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
ACCESS_LEVELS = ("read", "write", "read-write")
EVENT_TYPES = frozenset(
    """
s3:ObjectCreated:* s3:ObjectCreated:Put s3:ObjectCreated:Post s3:ObjectCreated:Copy
s3:ObjectCreated:CompleteMultipartUpload s3:ObjectRemoved:* s3:ObjectRemoved:Delete
s3:ObjectRemoved:DeleteMarkerCreated s3:ObjectRestore:* s3:ObjectRestore:Post s3:ObjectRestore:Completed
s3:ObjectRestore:Delete s3:ReducedRedundancyLostObject s3:Replication:* s3:Replication:OperationFailedReplication
s3:Replication:OperationNotTracked s3:Replication:OperationMissedThreshold
s3:Replication:OperationReplicatedAfterThreshold s3:LifecycleExpiration:* s3:LifecycleExpiration:Delete
s3:LifecycleExpiration:DeleteMarkerCreated s3:LifecycleTransition s3:IntelligentTiering s3:ObjectTagging:*
s3:ObjectTagging:Put s3:ObjectTagging:Delete s3:ObjectAcl:Put
""".split()
)
DESTINATION_KEYS = {"queue_arn": "sqs", "topic_arn": "sns", "lambda_arn": "lambda"}
MAX_TAGS = 50  # PutBucketTagging: at most 50 tags

BUCKET_KEYS = frozenset(
    """purpose suffix versioning encryption kms_key lifecycle abort_incomplete_multipart_days cors access_logging
    object_lock notifications eventbridge replication replica_kms_key grants tags""".split()
)
RULE_KEYS = frozenset("id prefix transitions expiration_days noncurrent_expiration_days enabled".split())
CORS_KEYS = frozenset("origins methods headers expose_headers max_age_seconds".split())
NOTIFICATION_KEYS = frozenset("id events queue_arn topic_arn lambda_arn prefix suffix".split())
GRANT_KEYS = frozenset("role access prefix".split())

DEFAULTS = {
    "suffix": "",
    "versioning": True,
    "encryption": "sse-s3",
    "kms_key": "",
    "lifecycle": [],
    "abort_incomplete_multipart_days": 7,
    "cors": [],
    "access_logging": True,
    "object_lock": None,
    "notifications": [],
    "eventbridge": False,
    "replication": False,
    "replica_kms_key": "",
    "grants": [],
    "tags": {},
}

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Prefixes and suffixes S3 reserves ("General purpose bucket naming rules").
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$")
_KMS_RE = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/([0-9a-f-]{36}|mrk-[0-9a-f]{32})|alias/[A-Za-z0-9/_-]+)"
    r"|alias/[A-Za-z0-9/_-]+)$"
)
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/([\w+=,.@/-]{1,512})$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):\d{12}:.+$")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def bucket_name(platform, environment, purpose, suffix=""):
    """``<platform>-<environment>-<purpose>`` plus ``-<suffix>`` when one is given."""
    name = f"{platform}-{environment}-{purpose}"
    return f"{name}-{suffix}" if suffix else name


def replica_name(name, dr_region):
    """The replica of ``name`` in the DR region: ``<name>-<dr region>``."""
    return f"{name}-{dr_region}"


def bucket_name_errors(where, name):
    """Why S3 would refuse ``name`` as a general purpose bucket name (empty when it would not)."""
    problems = []
    if not isinstance(name, str) or not _BUCKET_RE.match(name):
        problems.append(
            "must be 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a "
            "letter or digit"
        )
    else:
        if ".." in name or ".-" in name or "-." in name:
            problems.append("must not have two adjacent periods or a period next to a hyphen")
        try:
            ipaddress.IPv4Address(name)
            problems.append("must not be formatted as an IP address")
        except ValueError:
            pass
        if name.startswith(_RESERVED_PREFIXES):
            problems.append(f"must not start with {', '.join(_RESERVED_PREFIXES)} (S3 reserves them)")
        if name.endswith(_RESERVED_SUFFIXES):
            problems.append(f"must not end with {', '.join(_RESERVED_SUFFIXES)} (S3 reserves them)")
    return [f"{where}: bucket name {name!r} {p} (S3 bucket naming rules)" for p in problems]


def normalize_bucket(bucket):
    """One bucket entry with every default filled in (the input is not changed)."""
    found = dict(DEFAULTS)
    found.update({k: v for k, v in (bucket or {}).items() if v is not None or k == "object_lock"})
    found["encryption"] = str(found.get("encryption") or "sse-s3").lower()
    return found


def role_name(value):
    """An IAM role name from a name or a role ARN (``arn:aws:iam::1:role/path/name`` gives ``name``)."""
    match = _ROLE_ARN_RE.match(str(value))
    return match.group(1).rsplit("/", 1)[-1] if match else str(value)


def _lifecycle_errors(where, rules, versioning):
    errors = []
    if not isinstance(rules, list):
        return [f"{where}: must be a list of lifecycle rules"]
    ids = set()
    for index, rule in enumerate(rules):
        here = f"{where}[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{here}: must be a mapping (id, prefix, transitions, expiration_days, ...)")
            continue
        for key in sorted(set(rule) - RULE_KEYS):
            errors.append(f"{here}.{key}: not a lifecycle rule setting ({', '.join(sorted(RULE_KEYS))})")
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not 1 <= len(rule_id) <= 255:
            errors.append(f"{here}.id: {rule_id!r} must be 1-255 characters (the rule's ID)")
        elif rule_id in ids:
            errors.append(f"{here}.id: {rule_id!r} is used by another rule of this bucket")
        ids.add(rule_id)
        last_days, last_rank, last_class = None, -1, None
        transitions = rule.get("transitions") or []
        if not isinstance(transitions, list):
            errors.append(f"{here}.transitions: must be a list of {{days, storage_class}}")
            transitions = []
        for t_index, transition in enumerate(transitions):
            there = f"{here}.transitions[{t_index}]"
            if not isinstance(transition, dict):
                errors.append(f"{there}: must be a mapping with days and storage_class")
                continue
            storage_class = transition.get("storage_class")
            days = transition.get("days")
            if storage_class not in STORAGE_CLASS_ORDER:
                errors.append(
                    f"{there}.storage_class: {storage_class!r} is not one of {', '.join(STORAGE_CLASS_ORDER)}"
                )
                continue
            if not _is_int(days) or days < 0:
                errors.append(f"{there}.days: {days!r} must be a whole number of days, 0 or more")
                continue
            minimum = MIN_TRANSITION_DAYS.get(storage_class, 0)
            if days < minimum:
                errors.append(
                    f"{there}.days: {days} is below S3's minimum of {minimum} days for {storage_class} "
                    "(objects must be at least 30 days old before they move to an infrequent-access class)"
                )
            rank = STORAGE_CLASS_ORDER.index(storage_class)
            if last_days is not None and days <= last_days:
                errors.append(
                    f"{there}.days: {days} must be later than the previous transition ({last_class} after "
                    f"{last_days} days): transitions are in order of days"
                )
            if rank <= last_rank:
                errors.append(
                    f"{there}.storage_class: {storage_class} cannot follow {last_class}; S3 moves objects down "
                    f"{' > '.join(STORAGE_CLASS_ORDER)}, never back up"
                )
            last_days, last_rank, last_class = days, rank, storage_class
        expiration = rule.get("expiration_days")
        if expiration is not None:
            if not _is_int(expiration) or expiration < 1:
                errors.append(f"{here}.expiration_days: {expiration!r} must be 1 day or more")
            elif last_days is not None and expiration <= last_days:
                errors.append(
                    f"{here}.expiration_days: {expiration} must be later than the last transition "
                    f"({last_class} after {last_days} days); S3 refuses an expiry before a transition"
                )
        noncurrent = rule.get("noncurrent_expiration_days")
        if noncurrent is not None:
            if not _is_int(noncurrent) or noncurrent < 1:
                errors.append(f"{here}.noncurrent_expiration_days: {noncurrent!r} must be 1 day or more")
            elif not versioning:
                errors.append(
                    f"{here}.noncurrent_expiration_days: the bucket keeps no noncurrent versions (versioning is off)"
                )
        if not transitions and expiration is None and noncurrent is None:
            errors.append(f"{here}: a rule needs transitions, expiration_days or noncurrent_expiration_days")
        prefix = rule.get("prefix", "")
        if prefix is not None and not isinstance(prefix, str):
            errors.append(f"{here}.prefix: {prefix!r} must be a key prefix (a string)")
    return errors


def _cors_errors(where, rules):
    errors = []
    if not isinstance(rules, list):
        return [f"{where}: must be a list of CORS rules"]
    if len(rules) > 100:
        errors.append(f"{where}: {len(rules)} rules; S3 takes at most 100")
    for index, rule in enumerate(rules):
        here = f"{where}[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{here}: must be a mapping (origins, methods, headers, max_age_seconds)")
            continue
        for key in sorted(set(rule) - CORS_KEYS):
            errors.append(f"{here}.{key}: not a CORS setting ({', '.join(sorted(CORS_KEYS))})")
        origins = rule.get("origins")
        if not isinstance(origins, list) or not origins:
            errors.append(f"{here}.origins: needs at least one origin (https://app.example.com)")
        else:
            for o_index, origin in enumerate(origins):
                if origin != "*" and (not isinstance(origin, str) or not _ORIGIN_RE.match(origin)):
                    errors.append(
                        f"{here}.origins[{o_index}]: {origin!r} is not an origin: a URL with a scheme and a host, no "
                        "path (https://app.example.com, https://*.example.com) or *"
                    )
        methods = rule.get("methods")
        if not isinstance(methods, list) or not methods:
            errors.append(f"{here}.methods: needs at least one of {', '.join(CORS_METHODS)}")
        else:
            for m_index, method in enumerate(methods):
                if method not in CORS_METHODS:
                    errors.append(f"{here}.methods[{m_index}]: {method!r} is not one of {', '.join(CORS_METHODS)}")
        max_age = rule.get("max_age_seconds")
        if max_age is not None and (not _is_int(max_age) or max_age < 0):
            errors.append(f"{here}.max_age_seconds: {max_age!r} must be 0 or more seconds")
    return errors


def _notification_errors(where, items, region):
    errors = []
    if not isinstance(items, list):
        return [f"{where}: must be a list of notifications"]
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{here}: must be a mapping (id, events, queue_arn|topic_arn|lambda_arn, prefix, suffix)")
            continue
        for key in sorted(set(item) - NOTIFICATION_KEYS):
            errors.append(f"{here}.{key}: not a notification setting ({', '.join(sorted(NOTIFICATION_KEYS))})")
        targets = [key for key in DESTINATION_KEYS if item.get(key)]
        if len(targets) != 1:
            errors.append(f"{here}: needs exactly one destination: queue_arn, topic_arn or lambda_arn")
        for key in targets:
            match = _ARN_RE.match(str(item[key]))
            if not match or match.group("service") != DESTINATION_KEYS[key]:
                errors.append(f"{here}.{key}: {item[key]!r} is not an {DESTINATION_KEYS[key].upper()} ARN")
            elif region and match.group("region") != region:
                errors.append(
                    f"{here}.{key}: the destination is in {match.group('region')}; S3 sends events only to "
                    f"destinations in the bucket's region ({region})"
                )
        events = item.get("events")
        if not isinstance(events, list) or not events:
            errors.append(f"{here}.events: needs at least one event type (s3:ObjectCreated:*)")
        else:
            for e_index, event in enumerate(events):
                if event not in EVENT_TYPES:
                    errors.append(f"{here}.events[{e_index}]: {event!r} is not an S3 event type")
    return errors


def _grant_errors(where, grants):
    errors = []
    if not isinstance(grants, list):
        return [f"{where}: must be a list of grants (role, access, prefix)"]
    for index, grant in enumerate(grants):
        here = f"{where}[{index}]"
        if not isinstance(grant, dict):
            errors.append(f"{here}: must be a mapping (role, access, prefix)")
            continue
        for key in sorted(set(grant) - GRANT_KEYS):
            errors.append(f"{here}.{key}: not a grant setting (role, access, prefix)")
        role = grant.get("role")
        if not isinstance(role, str) or not (_ROLE_NAME_RE.match(role) or _ROLE_ARN_RE.match(role)):
            errors.append(f"{here}.role: {role!r} is not an IAM role name or role ARN (an IRSA or ECS task role)")
        access = grant.get("access", "read")
        if access not in ACCESS_LEVELS:
            errors.append(f"{here}.access: {access!r} is not one of {', '.join(ACCESS_LEVELS)}")
    return errors


def validate(params, region=None, prefix=""):
    """Every rule the module options break (``buckets``, ``dr_region``, ...), naming each variable."""

    def var(name):
        return f"{prefix}{name}"

    errors = []
    platform, environment = params.get("platform"), params.get("environment")
    for key, value in (("platform", platform), ("environment", environment)):
        if not isinstance(value, str) or not _LABEL_RE.match(value):
            errors.append(f"{key}: {value!r} must be lowercase letters, digits and hyphens (it goes into bucket names)")
    dr_region = params.get("dr_region") or ""
    if dr_region and not REGION_RE.match(dr_region):
        errors.append(f"{var('dr_region')}: {dr_region!r} is not a region name (us-west-2)")
    buckets = params.get("buckets") or []
    if not isinstance(buckets, list):
        return errors + [f"{var('buckets')}: must be a list of buckets"]
    names, purposes = {}, set()
    logs_purpose = params.get("logs_bucket") or ""
    logs_bucket = None
    for index, raw in enumerate(buckets):
        here = f"{var('buckets')}[{index}]"
        if not isinstance(raw, dict):
            errors.append(f"{here}: must be a mapping with at least a purpose")
            continue
        for key in sorted(set(raw) - BUCKET_KEYS):
            errors.append(f"{here}.{key}: not a bucket setting ({', '.join(sorted(BUCKET_KEYS))})")
        bucket = normalize_bucket(raw)
        purpose = bucket.get("purpose")
        if not isinstance(purpose, str) or not _LABEL_RE.match(purpose):
            errors.append(f"{here}.purpose: {purpose!r} must be lowercase letters, digits and hyphens")
            continue
        suffix = bucket["suffix"]
        if suffix and (not isinstance(suffix, str) or not _LABEL_RE.match(suffix)):
            errors.append(f"{here}.suffix: {suffix!r} must be lowercase letters, digits and hyphens")
            continue
        if purpose == logs_purpose:
            logs_bucket = (index, bucket)
        name = bucket_name(platform or "", environment or "", purpose, suffix)
        name_errors = bucket_name_errors(here, name) if platform and environment else []
        errors += name_errors
        if name in names:
            errors.append(f"{here}: bucket {name} is also {var('buckets')}[{names[name]}]")
        names[name] = index
        purposes.add(purpose)
        if not isinstance(bucket["versioning"], bool):
            errors.append(f"{here}.versioning: {bucket['versioning']!r} must be true or false")
        if bucket["encryption"] not in ENCRYPTIONS:
            errors.append(f"{here}.encryption: {bucket['encryption']!r} is not sse-s3 or sse-kms")
        kms_key = bucket["kms_key"]
        if bucket["encryption"] == "sse-kms" and not kms_key:
            errors.append(f"{here}.kms_key: SSE-KMS needs a KMS key (a purpose of the security tier's keys, or an ARN)")
        elif kms_key and bucket["encryption"] != "sse-kms":
            errors.append(
                f"{here}.kms_key: a KMS key needs encryption sse-kms (the bucket uses {bucket['encryption']})"
            )
        elif kms_key and not _KMS_RE.match(str(kms_key)):
            errors.append(f"{here}.kms_key: {kms_key!r} is not a KMS key ARN, alias ARN or alias/<name>")
        errors += _lifecycle_errors(f"{here}.lifecycle", bucket["lifecycle"], bucket["versioning"] is True)
        abort = bucket["abort_incomplete_multipart_days"]
        if not _is_int(abort) or abort < 0:
            errors.append(f"{here}.abort_incomplete_multipart_days: {abort!r} must be 0 (off) or more days")
        errors += _cors_errors(f"{here}.cors", bucket["cors"])
        lock = bucket["object_lock"]
        if lock:
            if not isinstance(lock, dict):
                errors.append(f"{here}.object_lock: must be a mapping (mode, days or years)")
            else:
                if lock.get("mode") not in LOCK_MODES:
                    errors.append(f"{here}.object_lock.mode: {lock.get('mode')!r} is not GOVERNANCE or COMPLIANCE")
                days, years = lock.get("days"), lock.get("years")
                if (days is None) == (years is None):
                    errors.append(f"{here}.object_lock: give the default retention in days or in years (one of them)")
                for key, value in (("days", days), ("years", years)):
                    if value is not None and (not _is_int(value) or value < 1):
                        errors.append(f"{here}.object_lock.{key}: {value!r} must be 1 or more")
                if not bucket["versioning"]:
                    errors.append(f"{here}.object_lock: Object Lock needs versioning on (S3 cannot lock without it)")
        errors += _notification_errors(f"{here}.notifications", bucket["notifications"], region)
        if not isinstance(bucket["eventbridge"], bool):
            errors.append(f"{here}.eventbridge: {bucket['eventbridge']!r} must be true or false")
        if bucket["replication"]:
            if not bucket["versioning"]:
                errors.append(f"{here}.replication: replication needs versioning on (S3 refuses it without)")
            if not dr_region:
                errors.append(
                    f"{here}.replication: no DR region to replicate to ({var('dr_region')} is empty: put a host of the "
                    "inventory in group dr)"
                )
            elif region and dr_region == region:
                errors.append(
                    f"{here}.replication: the DR region {dr_region} is the bucket's own region; cross-region "
                    "replication needs another region"
                )
            elif platform and environment:
                errors += bucket_name_errors(f"{here}.replication", replica_name(name, dr_region))
            replica_key = bucket["replica_kms_key"]
            if replica_key and not _KMS_RE.match(str(replica_key)):
                errors.append(f"{here}.replica_kms_key: {replica_key!r} is not a KMS key ARN or alias")
            elif (
                bucket["encryption"] == "sse-kms"
                and not replica_key
                and str(kms_key).startswith("arn:")
                and ":alias/" not in str(kms_key)
            ):
                errors.append(
                    f"{here}.replica_kms_key: the bucket's key is a key ARN, which does not exist in {dr_region or 'the DR region'}; "
                    "give the DR region's key (an ARN or alias)"
                )
        elif bucket["replica_kms_key"]:
            errors.append(f"{here}.replica_kms_key: a replica key needs replication on")
        errors += _grant_errors(f"{here}.grants", bucket["grants"])
        tags = bucket["tags"]
        if not isinstance(tags, dict):
            errors.append(f"{here}.tags: must be a mapping")
        else:
            for key in tags:
                if str(key).startswith("aws:"):
                    errors.append(f"{here}.tags: key {key!r} uses the aws: prefix, which AWS reserves")
            if len(tags) + len(params.get("tags") or {}) + 4 > MAX_TAGS:
                errors.append(f"{here}.tags: S3 keeps at most {MAX_TAGS} tags on a bucket")
    if logs_bucket is None:
        wants_logs = [
            i for i, b in enumerate(buckets) if isinstance(b, dict) and normalize_bucket(b).get("access_logging")
        ]
        if wants_logs and logs_purpose:
            errors.append(
                f"{var('buckets')}[{wants_logs[0]}].access_logging: server access logs go to the {logs_purpose!r} "
                f"bucket ({var('logs_bucket')}), which is not in {var('buckets')}; add it or turn access_logging off"
            )
        elif wants_logs:
            errors.append(
                f"{var('buckets')}[{wants_logs[0]}].access_logging: no logs bucket ({var('logs_bucket')} is empty)"
            )
    else:
        index, bucket = logs_bucket
        here = f"{var('buckets')}[{index}]"
        if bucket["encryption"] == "sse-kms":
            errors.append(
                f"{here}.encryption: the server access logs bucket must use sse-s3; S3 does not deliver access logs "
                "to a bucket whose default encryption is SSE-KMS"
            )
        if bucket["object_lock"]:
            errors.append(
                f"{here}.object_lock: S3 does not deliver access logs to a bucket with an Object Lock default retention"
            )
    for key in (params.get("tags") or {}) if isinstance(params.get("tags"), dict) else ():
        if str(key).startswith("aws:"):
            errors.append(f"{var('tags')}: key {key!r} uses the aws: prefix, which AWS reserves")
    return errors


# -- the desired S3 configuration of one bucket (pure: compared with what GetBucket* answer) ---------------------------


def lifecycle_rules(bucket):
    """The bucket's lifecycle rules as PutBucketLifecycleConfiguration takes them (empty: no configuration)."""
    rules = []
    for rule in bucket["lifecycle"]:
        item = {"ID": rule["id"], "Status": "Enabled" if rule.get("enabled", True) else "Disabled"}
        item["Filter"] = {"Prefix": rule.get("prefix") or ""}
        if rule.get("transitions"):
            item["Transitions"] = [{"Days": t["days"], "StorageClass": t["storage_class"]} for t in rule["transitions"]]
        if rule.get("expiration_days") is not None:
            item["Expiration"] = {"Days": rule["expiration_days"]}
        if rule.get("noncurrent_expiration_days") is not None:
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_expiration_days"]}
        rules.append(item)
    if bucket["abort_incomplete_multipart_days"]:
        rules.append(
            {
                "ID": "abort-incomplete-multipart-uploads",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": bucket["abort_incomplete_multipart_days"]},
            }
        )
    return rules


def canonical_lifecycle(rules):
    """Rules in one comparable shape (S3 answers Filter/Prefix in a few spellings, and adds defaults)."""
    found = []
    for rule in rules or []:
        item = {"ID": rule.get("ID"), "Status": rule.get("Status")}
        prefix = rule.get("Prefix")
        flt = rule.get("Filter") or {}
        if prefix is None:
            prefix = flt.get("Prefix", (flt.get("And") or {}).get("Prefix", ""))
        item["Prefix"] = prefix or ""
        item["Transitions"] = sorted(
            (t.get("Days"), t.get("StorageClass")) for t in rule.get("Transitions") or [] if t.get("Days") is not None
        )
        item["Expiration"] = (rule.get("Expiration") or {}).get("Days")
        item["Noncurrent"] = (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
        item["Abort"] = (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
        found.append(item)
    return sorted(found, key=lambda r: str(r["ID"]))


def cors_rules(bucket):
    rules = []
    for rule in bucket["cors"]:
        item = {"AllowedOrigins": list(rule["origins"]), "AllowedMethods": list(rule["methods"])}
        item["AllowedHeaders"] = list(rule.get("headers") or ["*"])
        if rule.get("expose_headers"):
            item["ExposeHeaders"] = list(rule["expose_headers"])
        item["MaxAgeSeconds"] = rule.get("max_age_seconds", 3000)
        rules.append(item)
    return rules


def canonical_cors(rules):
    keys = ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders")
    return [
        {**{k: sorted(rule.get(k) or []) for k in keys}, "MaxAgeSeconds": rule.get("MaxAgeSeconds")}
        for rule in rules or []
    ]


def notification_configuration(bucket):
    found = {}
    kinds = {
        "queue_arn": ("QueueConfigurations", "QueueArn"),
        "topic_arn": ("TopicConfigurations", "TopicArn"),
        "lambda_arn": ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
    }
    for index, item in enumerate(bucket["notifications"]):
        for key, (group, arn_key) in kinds.items():
            if not item.get(key):
                continue
            entry = {
                "Id": item.get("id") or f"notification-{index}",
                arn_key: item[key],
                "Events": list(item["events"]),
            }
            rules = [{"Name": n, "Value": item[n]} for n in ("prefix", "suffix") if item.get(n)]
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": rules}}
            found.setdefault(group, []).append(entry)
    if bucket["eventbridge"]:
        found["EventBridgeConfiguration"] = {}
    return found


def canonical_notifications(configuration):
    found = {}
    for group, arn_key in (
        ("QueueConfigurations", "QueueArn"),
        ("TopicConfigurations", "TopicArn"),
        ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ):
        items = []
        for item in (configuration or {}).get(group) or []:
            rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            items.append(
                (
                    item.get("Id"),
                    item.get(arn_key),
                    tuple(sorted(item.get("Events") or [])),
                    tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
                )
            )
        if items:
            found[group] = sorted(items)
    if (configuration or {}).get("EventBridgeConfiguration") is not None:
        found["EventBridge"] = True
    return found


def lock_configuration(bucket):
    lock = bucket["object_lock"]
    if not lock:
        return None
    retention = {"Mode": lock["mode"]}
    if lock.get("days"):
        retention["Days"] = lock["days"]
    else:
        retention["Years"] = lock["years"]
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}


def canonical_lock(configuration):
    if not configuration or configuration.get("ObjectLockEnabled") != "Enabled":
        return None
    retention = (configuration.get("Rule") or {}).get("DefaultRetention") or {}
    return (retention.get("Mode"), retention.get("Days") or None, retention.get("Years") or None)


GRANT_ACTIONS = {
    "read": ["s3:GetObject", "s3:GetObjectVersion"],
    "write": ["s3:PutObject", "s3:DeleteObject"],
    "read-write": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
}


def bucket_policy(partition, name, grants=(), logs_sources=None, extra_statements=()):
    """The bucket's whole policy: deny every request not made over TLS; the grants (IAM role ARNs); for the logs
    bucket, S3's log delivery service; then ``extra_statements`` (a CloudFront origin access control)."""
    bucket_arn = f"arn:{partition}:s3:::{name}"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},  # the same as "*" (IAM policy reference, "AWS JSON policy elements: Principal")
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    for index, grant in enumerate(grants):
        prefix = grant.get("prefix") or ""
        actions = GRANT_ACTIONS[grant.get("access") or "read"]
        statements.append(
            {
                "Sid": f"Grant{index}Objects",
                "Effect": "Allow",
                "Principal": {"AWS": grant["arn"]},
                "Action": actions,
                "Resource": f"{bucket_arn}/{prefix}*",
            }
        )
        statements.append(
            {
                "Sid": f"Grant{index}List",
                "Effect": "Allow",
                "Principal": {"AWS": grant["arn"]},
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
            }
        )
    if logs_sources is not None:
        # "Permissions for log delivery": the logging service principal, limited to this account's buckets.
        statements.append(
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": logs_sources}},
            }
        )
    statements.extend(extra_statements)
    return {"Version": "2012-10-17", "Statement": statements}


def canonical_policy(policy):
    """A policy in one comparable form: one-element lists as scalars, lists sorted, keys sorted."""

    def norm(value):
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            if len(items) == 1:
                return items[0]
            return sorted(items, key=repr)
        return value

    if not policy:
        return None
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return sorted((norm(s) for s in statements), key=lambda s: str(s.get("Sid")))
