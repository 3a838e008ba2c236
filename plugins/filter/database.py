# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._database.spec import validate


def database_spec_errors(spec, region=None, prefix="database_"):
    """Every rule the database spec breaks, as messages naming the role variables."""
    return validate(dict(spec), region, prefix=prefix)


class FilterModule:
    def filters(self):
        return {"database_spec_errors": database_spec_errors}
