# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restore testing plan: AWS Backup restores the latest recovery point of the vault on a schedule."""

from __future__ import annotations

from ..platform import client_token
from . import state as st


class RestoreTesting:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        if o.p.get("restore_testing"):
            o.testing = st.read_testing_plan(o.clients["backup"], o.testing_name())

    def converge(self):
        o = self.o
        testing = o.p.get("restore_testing")
        if not testing:
            return
        backup = o.clients["backup"]
        name = o.testing_name()
        wanted = {
            "RestoreTestingPlanName": name,
            "ScheduleExpression": testing["schedule"],
            "StartWindowHours": testing.get("start_window_hours", 24),
            "RecoveryPointSelection": {
                "Algorithm": "LATEST_WITHIN_WINDOW",
                "IncludeVaults": [f"arn:{o.partition}:backup:{o.region}:{o.account}:backup-vault:{o.vault_name}"],
                "RecoveryPointTypes": ["SNAPSHOT"],
                "SelectionWindowDays": testing.get("selection_window_days", 7),
            },
        }
        if o.testing is None:
            if o.changes.add(f"create restore testing plan {name} ({testing['schedule']})"):
                backup.create_restore_testing_plan(
                    RestoreTestingPlan=wanted, Tags=o.tags(name), CreatorRequestId=client_token(), aws_retry=True
                )
            return
        current = {k: o.testing.get(k) for k in ("ScheduleExpression", "StartWindowHours", "RecoveryPointSelection")}
        update = {k: v for k, v in wanted.items() if k != "RestoreTestingPlanName"}
        if current != update and o.changes.add(
            f"update restore testing plan {name}: {o.testing.get('ScheduleExpression')} to {testing['schedule']}"
        ):
            backup.update_restore_testing_plan(RestoreTestingPlanName=name, RestoreTestingPlan=update, aws_retry=True)
