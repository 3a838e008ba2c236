# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.platform.plugins.module_utils._security.spec import SpecError
from ansible_collections.stackops.platform.plugins.module_utils._security.spec import derive_groups
from ansible_collections.stackops.platform.plugins.module_utils._security.spec import validate


def security_group_plan(
    app_port,
    database_port=5432,
    cache_port=6379,
    search_port=443,
    search=True,
    bastion_cidrs=None,
    bastion_port=22,
    app_self=False,
    app_egress_all=False,
):
    try:
        return derive_groups(
            app_port=app_port,
            database_port=database_port,
            cache_port=cache_port,
            search_port=search_port,
            search=bool(search),
            bastion_cidrs=list(bastion_cidrs or []),
            bastion_port=bastion_port,
            app_self=bool(app_self),
            app_egress_all=bool(app_egress_all),
        )
    except SpecError as error:
        raise AnsibleFilterError(str(error)) from None


def security_spec_errors(spec, region=None, prefix="security_"):
    """Every rule the security spec breaks, as messages naming the role variables (never a secret value)."""
    return validate(dict(spec), region, prefix=prefix)


class FilterModule:
    def filters(self):
        return {"security_group_plan": security_group_plan, "security_spec_errors": security_spec_errors}
