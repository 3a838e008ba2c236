# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules the failover runbooks' inputs follow beyond their types (formats, ranges, combinations).

``{{ inputs | stackops.platform.failover_input_errors('db_failover') }}`` returns every broken rule as a message that
starts with the extra var's name, for the runbooks role's validate step (before any API call).
"""

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._failover.spec import runbook_errors


def failover_input_errors(inputs, runbook):
    return runbook_errors(inputs, runbook)


class FilterModule:
    def filters(self):
        return {"failover_input_errors": failover_input_errors}
