# -*- coding: utf-8 -*-
# Copyright: stackops.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values AWS accepts that more than one tier validates against (pure Python, no AWS calls)."""

from __future__ import annotations

import hashlib
import re

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy, retentionInDays).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# A region name: us-east-1, eu-central-2, us-gov-west-1, us-isob-east-1.
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")

# An IAM role ARN in any partition (CreateRole names: letters, digits and +=,.@_- , paths with /).
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def reserved_tag_errors(tags, where):
    """Tag keys the user may not set: ``aws:`` (AWS refuses them, in any case) and ``stackops:`` (the identity
    tags this collection sets itself). ``where`` is the variable (``vpc_tags``)."""
    errors = []
    for key in tags or {}:
        if str(key).lower().startswith("aws:"):
            errors.append(f"{where}: key {key!r} uses the aws: prefix, which AWS reserves")
        elif str(key).startswith("stackops:"):
            errors.append(f"{where}: key {key!r} uses the stackops: prefix, which this collection sets itself")
    return errors


# CreateRole: "RoleName ... Maximum length of 64" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
IAM_ROLE_NAME_MAX = 64


def iam_role_name(name):
    """A role name IAM accepts: ``name`` when it has at most 64 characters, otherwise its beginning and a hash of
    the whole name. Cutting alone would give two long names that share their first 64 characters one role; the
    hash keeps them apart, and the same name gives the same role on every run."""
    if len(name) <= IAM_ROLE_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{name[: IAM_ROLE_NAME_MAX - len(digest) - 1].rstrip('-')}-{digest}"
