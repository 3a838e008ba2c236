# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._cache.spec import validate


def cache_spec_errors(spec, prefix="cache_"):
    """Every rule the cache spec breaks, as messages naming the role variables."""
    spec = dict(spec)
    # The role names the KMS key by purpose or ARN (cache_kms_key); the module takes an ARN only.
    renamed = {"kms_key_id": "kms_key"}
    errors = validate(spec, prefix=prefix)
    for option, variable in renamed.items():
        errors = [e.replace(f"{prefix}{option}", f"{prefix}{variable}") for e in errors]
    return errors


class FilterModule:
    def filters(self):
        return {"cache_spec_errors": cache_spec_errors}
