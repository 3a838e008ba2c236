# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backup plans (created, or updated in place when their rules differ) and their selections (immutable:
replaced when they differ). Plans of the tier that left the spec, and selections no plan names, are deleted
last (the reconciler runs the deferred deletions after every create and update)."""

from __future__ import annotations

from ..platform import client_token
from . import spec as sp
from . import state as st


class Plans:
    def __init__(self, owner):
        self.o = owner

    def read(self):
        o = self.o
        backup = o.clients["backup"]
        o.plans = st.read_plans(backup, f"{o.name}-")
        for name, plan in o.plans.items():
            o.selections[name] = st.read_selections(backup, plan["BackupPlanId"])

    def converge(self):
        o = self.o
        backup = o.clients["backup"]
        wanted = {}
        for plan in o.p["plans"]:
            name = sp.plan_name(o.name, plan)
            wanted[name] = plan
            document = sp.plan_document(o.name, plan, o.vault_name, o.copy_vault_arn)
            current = o.plans.get(name)
            if current is None:
                o.ids[name] = None
                if o.changes.add(f"create backup plan {name}: {sp.describe_plan(document)}"):
                    o.ids[name] = self._create_plan(backup, name, document)
            else:
                o.ids[name] = current["BackupPlanId"]
                if sp.comparable_plan(current["BackupPlan"]) != sp.comparable_plan(document) and o.changes.add(
                    f"update backup plan {name}: {sp.describe_plan(current['BackupPlan'])} to {sp.describe_plan(document)}"
                ):
                    backup.update_backup_plan(BackupPlanId=current["BackupPlanId"], BackupPlan=document, aws_retry=True)
            self._converge_selection(name, plan)
        for name, plan in sorted(o.plans.items()):
            if name in wanted:
                continue
            selections = o.selections.get(name) or {}

            def delete(plan=plan, selections=selections):
                for selection in selections.values():
                    backup.delete_backup_selection(
                        BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"], aws_retry=True
                    )
                backup.delete_backup_plan(BackupPlanId=plan["BackupPlanId"], aws_retry=True)

            o.defer(f"delete backup plan {name} (no longer in the spec) and its selections", delete)

    def _create_plan(self, backup, name, document):
        try:
            return backup.create_backup_plan(
                BackupPlan=document, BackupPlanTags=self.o.tags(name), CreatorRequestId=client_token(), aws_retry=True
            )["BackupPlanId"]
        except backup.exceptions.AlreadyExistsException:
            # "If you call CreateBackupPlan with a plan that is identical to an existing plan, you receive an
            # AlreadyExistsException": the retry of a create whose response was lost. That plan is ours.
            found = st.read_plans(backup, name).get(name)
            if found is None:
                raise
            return found["BackupPlanId"]

    def _converge_selection(self, plan_name, plan):
        o = self.o
        backup = o.clients["backup"]
        document = sp.selection_document(plan, o.role_arn, o.platform_identity)
        current = o.selections.get(plan_name) or {}
        plan_id = o.ids[plan_name]
        found = current.get(document["SelectionName"])
        others = {n: s for n, s in current.items() if n != document["SelectionName"]}
        same = found is not None and sp.comparable_selection(found["BackupSelection"]) == sp.comparable_selection(
            document
        )
        if not same:
            conditions = ", ".join(
                f"{c['ConditionKey'].split('/', 1)[-1]}={c['ConditionValue']}"
                for c in document["Conditions"]["StringEquals"]
            )
            # Selections cannot be changed: the old one goes first, so no resource is backed up twice.
            if found is not None and o.changes.add(
                f"delete backup selection {document['SelectionName']} of {plan_name} (it changed)"
            ):
                backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=found["SelectionId"], aws_retry=True)
            if o.changes.add(
                f"{'replace' if found else 'create'} backup selection {document['SelectionName']} of {plan_name}: "
                f"resources tagged {conditions}"
            ):
                backup.create_backup_selection(
                    BackupPlanId=plan_id, BackupSelection=document, CreatorRequestId=client_token(), aws_retry=True
                )
        for name, selection in sorted(others.items()):
            o.defer(
                f"delete backup selection {name} of {plan_name} (no longer in the spec)",
                lambda s=selection: backup.delete_backup_selection(
                    BackupPlanId=plan_id, SelectionId=s["SelectionId"], aws_retry=True
                ),
            )
