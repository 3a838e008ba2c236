# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The search spec: validation of an Amazon OpenSearch Service domain (seed 002).

Pure Python, no AWS calls; shared by the ``search_domain`` module and the ``search_spec_errors`` filter.
Rules follow the OpenSearch Service developer guide ("Sizing domains", "Configuring a multi-AZ domain",
"Fine-grained access control", "Amazon OpenSearch Service quotas" for EBS volume sizes) and the
CreateDomain API reference.
"""

from __future__ import annotations

import re

from ..aws_rules import reserved_tag_errors

ENGINE_VERSIONS = (
    "OpenSearch_1.3",
    "OpenSearch_2.3",
    "OpenSearch_2.5",
    "OpenSearch_2.7",
    "OpenSearch_2.9",
    "OpenSearch_2.11",
    "OpenSearch_2.13",
    "OpenSearch_2.15",
    "OpenSearch_2.17",
    "OpenSearch_2.19",
)
# Instance families the service offers (current generation) and their sizes.
INSTANCE_TYPES = {
    "t3": ("small", "medium"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge"),
    "m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"),
    "m7g": ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "c5": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "c6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"),
    "c7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge"),
    "r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge"),
    "r6gd": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r7g": ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
}
# Largest EBS volume per node, by instance size (OpenSearch Service quotas, "EBS volume size quotas";
# the r6g/m6g figures, which the other families match within the size class).
MIN_VOLUME_GIB = 10
MAX_VOLUME_GIB = {
    "small": 100,
    "medium": 200,
    "large": 1024,
    "xlarge": 1536,
    "2xlarge": 3072,
    "4xlarge": 6144,
    "8xlarge": 12288,
    "9xlarge": 12288,
    "12xlarge": 18432,
    "16xlarge": 24576,
    "18xlarge": 24576,
}
VOLUME_TYPES = ("gp3", "gp2", "io1")
TLS_POLICIES = (
    "Policy-Min-TLS-1-2-2019-07",
    "Policy-Min-TLS-1-2-PFS-2023-10",
    "Policy-Min-TLS-1-0-2019-07",
)
MAX_INSTANCES = 80  # data nodes per domain (default quota)
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{2,27}$")  # DomainName: 3-28, lowercase letter first
_TYPE_RE = re.compile(r"^([a-z0-9]+)\.([a-z0-9]+)\.search$")
_SG_RE = re.compile(r"^sg-[0-9a-f]{8,17}$")
_SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_KMS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/([0-9a-f-]{36}|mrk-[0-9a-f]{32})$")
_USER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def _int(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def validate(spec, prefix=""):
    """Every rule ``spec`` breaks (module option names), naming each variable with ``prefix``."""

    def var(name):
        return f"{prefix}{name}"

    errors = []
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        errors.append(
            f"{var('name')}: {name!r} must be 3-28 lowercase letters, digits or hyphens, starting with a letter "
            "(OpenSearch domain names)"
        )
    version = spec.get("engine_version")
    if version not in ENGINE_VERSIONS:
        errors.append(
            f"{var('engine_version')}: {version!r} is not an engine version OpenSearch Service offers ({', '.join(ENGINE_VERSIONS)})"
        )
    instance_type = str(spec.get("instance_type"))
    match = _TYPE_RE.match(instance_type)
    size = None
    if not match or match.group(2) not in INSTANCE_TYPES.get(match.group(1), ()):
        errors.append(
            f"{var('instance_type')}: {instance_type!r} is not an OpenSearch instance type (e.g. r6g.large.search)"
        )
    else:
        size = match.group(2)
    count = spec.get("instance_count")
    if not _int(count, 1, MAX_INSTANCES):
        errors.append(f"{var('instance_count')}: {count!r} must be 1 to {MAX_INSTANCES} data nodes")
        count = None
    azs = spec.get("availability_zone_count", 3)
    if spec.get("zone_awareness"):
        if azs not in (2, 3):
            errors.append(f"{var('availability_zone_count')}: {azs!r} must be 2 or 3 with zone awareness")
        elif count is not None and count % azs:
            errors.append(
                f"{var('instance_count')}: {count} data nodes do not spread evenly over {azs} AZs; with zone "
                f"awareness use a multiple of {var('availability_zone_count')} ({azs})"
            )
        subnets = spec.get("subnet_ids")
        if subnets and azs in (2, 3) and len(subnets) != azs:
            errors.append(
                f"{var('subnet_ids')}: a zone-aware VPC domain takes one subnet per AZ ({azs}), got {len(subnets)}"
            )
    volume_type = spec.get("volume_type", "gp3")
    if volume_type not in VOLUME_TYPES:
        errors.append(f"{var('volume_type')}: {volume_type!r} is not one of {', '.join(VOLUME_TYPES)}")
    volume = spec.get("volume_size")
    high = MAX_VOLUME_GIB.get(size, 24576)
    if not _int(volume, MIN_VOLUME_GIB, high):
        errors.append(
            f"{var('volume_size')}: {volume!r} GiB is out of range for {instance_type} ({MIN_VOLUME_GIB} to {high} GiB per node)"
        )
    if spec.get("tls_security_policy") not in TLS_POLICIES:
        errors.append(
            f"{var('tls_security_policy')}: {spec.get('tls_security_policy')!r} is not one of {', '.join(TLS_POLICIES)}"
        )
    hour = spec.get("automated_snapshot_start_hour", 0)
    if not _int(hour, 0, 23):
        errors.append(f"{var('automated_snapshot_start_hour')}: {hour!r} must be an hour, 0 to 23 (UTC)")
    kms = spec.get("kms_key_id")
    if kms and not spec.get("encryption_at_rest"):
        errors.append(f"{var('kms_key_id')}: a KMS key needs {var('encryption_at_rest')} on")
    if kms and not _KMS_ARN_RE.match(str(kms)):
        errors.append(f"{var('kms_key_id')}: {kms!r} is not a KMS key ARN")
    if spec.get("fine_grained_access_control"):
        for option in ("encryption_at_rest", "node_to_node_encryption", "enforce_https"):
            if not spec.get(option):
                errors.append(
                    f"{var('fine_grained_access_control')}: needs {var(option)} on (OpenSearch Service requires it)"
                )
        user = spec.get("master_user_name")
        if not isinstance(user, str) or not _USER_RE.match(user):
            errors.append(
                f"{var('master_user_name')}: {user!r} must be 1-64 letters, digits or _.- starting with a letter"
            )
        if not spec.get("master_user_secret_name"):
            errors.append(
                f"{var('master_user_secret_name')}: fine-grained access control keeps the master password in this secret"
            )
    for index, group in enumerate(spec.get("security_group_ids") or []):
        if not _SG_RE.match(str(group)):
            errors.append(f"{var('security_group_ids')}[{index}]: {group!r} is not a security group id (sg-...)")
    for index, subnet in enumerate(spec.get("subnet_ids") or []):
        if not _SUBNET_RE.match(str(subnet)):
            errors.append(f"{var('subnet_ids')}[{index}]: {subnet!r} is not a subnet id (subnet-...)")
    errors.extend(reserved_tag_errors(spec.get("tags"), var("tags")))
    return errors


def version_key(version):
    return tuple(int(p) for p in str(version).split("_", 1)[-1].split(".") if p.isdigit())
