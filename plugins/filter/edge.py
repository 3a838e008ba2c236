# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import validate


def edge_spec_errors(spec, region=None, prefix="edge_"):
    """Every rule the edge spec breaks, as messages naming the role variables (``edge_frontend_domain``)."""
    return validate(dict(spec), region, prefix=prefix)


class FilterModule:
    def filters(self):
        return {"edge_spec_errors": edge_spec_errors}
