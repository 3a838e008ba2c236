# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._search.spec import validate


def search_spec_errors(spec, prefix="search_"):
    """Every rule the search spec breaks, as messages naming the role variables."""
    errors = validate(dict(spec), prefix=prefix)
    return [e.replace(f"{prefix}kms_key_id", f"{prefix}kms_key") for e in errors]


class FilterModule:
    def filters(self):
        return {"search_spec_errors": search_spec_errors}
