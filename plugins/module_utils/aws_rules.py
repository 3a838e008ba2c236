# -*- coding: utf-8 -*-
# Copyright: stackops.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values AWS accepts that more than one tier validates against (pure Python, no AWS calls)."""

from __future__ import annotations

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
