# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._storage.spec import validate


def storage_module_buckets(buckets, alias_base):
    """The role's buckets as the module takes them: a KMS key given as a purpose of the security tier's keys
    (``backups``) becomes that key's alias (``alias/<alias_base>-backups``); ARNs and aliases stay as they are."""

    def key(value):
        if not value or str(value).startswith(("arn:", "alias/")):
            return value
        return f"alias/{alias_base}-{value}"

    found = []
    for entry in buckets or []:
        bucket = dict(entry) if isinstance(entry, dict) else entry
        if isinstance(bucket, dict):
            for option in ("kms_key", "replica_kms_key"):
                if bucket.get(option):
                    bucket[option] = key(bucket[option])
        found.append(bucket)
    return found


def storage_spec_errors(spec, region=None, prefix="storage_"):
    """Every rule the storage spec breaks, as messages naming the role variables (``storage_buckets[1].cors``)."""
    return validate(dict(spec), region, prefix=prefix)


class FilterModule:
    def filters(self):
        return {"storage_spec_errors": storage_spec_errors, "storage_module_buckets": storage_module_buckets}
