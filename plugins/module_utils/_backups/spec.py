# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The backups tier's rules and layout, pure Python (no AWS call).

``validate(params, region)`` returns every broken rule as a message naming the option (with a prefix, the
role's variable): what AWS Backup would refuse (a schedule that is not a cron expression, a retention shorter
than the cold-storage transition + 90 days, continuous backups kept over 35 days, a copy to the vault's own
region, a vault lock that cannot hold the plans' retention) and what would silently protect nothing.
``plan_document(...)`` / ``selection_document(...)`` build what CreateBackupPlan / CreateBackupSelection take.
"""

from __future__ import annotations

import re

from ..aws_rules import REGION_RE

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
RULE_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
LOCK_MODES = ("compliance", "governance")
BACKUP_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
RESTORE_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
CONTINUOUS_MAX_DAYS = 35  # AWS Backup keeps continuous backups 1-35 days
COLD_MINIMUM_DAYS = 90  # "must be stored in cold storage for a minimum of 90 days" (Lifecycle)

_DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
_MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}


_DOM_SPECIAL = re.compile(r"^(L|LW|([1-9]|[12][0-9]|3[01])W)$")
_DOW_SPECIAL = re.compile(r"^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$", re.IGNORECASE)


def _cron_field(text, low, high, names=(), allow_question=False, special=None):
    """Whether one field of AWS's cron is valid: values, ranges, lists, steps, names, and L/W/# where allowed."""
    if text == "?":
        return allow_question
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*" or (special is not None and special.match(base)):
            continue
        for bound in base.split("-", 1):
            if bound.upper() in names:
                continue
            if not bound.isdigit() or not low <= int(bound) <= high:
                return False
    return True


def cron_problem(expression):
    """Why AWS would refuse ``expression`` as a schedule (``cron(0 3 * * ? *)``), or None."""
    match = re.match(r"^cron\((.+)\)$", str(expression or "").strip())
    if not match:
        return "must be a cron expression, cron(minutes hours day-of-month month day-of-week year)"
    fields = match.group(1).split()
    if len(fields) != 6:
        return f"has {len(fields)} fields; AWS's cron takes 6 (minutes hours day-of-month month day-of-week year)"
    minute, hour, dom, month, dow, year = fields
    checks = (
        ("minutes", _cron_field(minute, 0, 59)),
        ("hours", _cron_field(hour, 0, 23)),
        ("day-of-month", _cron_field(dom, 1, 31, allow_question=True, special=_DOM_SPECIAL)),
        ("month", _cron_field(month, 1, 12, names=_MONTHS)),
        ("day-of-week", _cron_field(dow, 1, 7, names=_DAYS, allow_question=True, special=_DOW_SPECIAL)),
        ("year", _cron_field(year, 1970, 2199)),
    )
    for field_name, ok in checks:
        if not ok:
            return f"its {field_name} field is not valid"
    if (dom == "?") == (dow == "?"):
        return "exactly one of day-of-month and day-of-week must be '?'"
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate(params, region, prefix=""):
    p = params
    errors = []
    name = p.get("name") or ""
    if not NAME_RE.match(name):
        errors.append(f"{prefix}name: {name!r} must be 1-41 lowercase letters, digits and hyphens")
    lock = p.get("vault_lock") or {}
    lock_min = lock_max = None
    if lock:
        mode = lock.get("mode")
        if mode not in LOCK_MODES:
            errors.append(f"{prefix}vault_lock.mode: {mode!r} must be one of {', '.join(LOCK_MODES)}")
        lock_min, lock_max = lock.get("min_retention_days"), lock.get("max_retention_days")
        if lock_min is not None and (not _is_int(lock_min) or lock_min < 1):
            errors.append(f"{prefix}vault_lock.min_retention_days: {lock_min!r} must be at least 1 day")
            lock_min = None
        if lock_max is not None and (not _is_int(lock_max) or lock_max > 36500 or lock_max < 1):
            errors.append(f"{prefix}vault_lock.max_retention_days: {lock_max!r} must be 1 to 36500 days")
            lock_max = None
        if lock_min and lock_max and lock_min > lock_max:
            errors.append(
                f"{prefix}vault_lock.min_retention_days: {lock_min} is more than max_retention_days ({lock_max})"
            )
        days = lock.get("changeable_for_days")
        if mode == "compliance":
            if not _is_int(days) or days < 3:
                errors.append(
                    f"{prefix}vault_lock.changeable_for_days: compliance mode needs a grace time of at least 3 days, got {days!r}"
                )
        elif days is not None:
            errors.append(f"{prefix}vault_lock.changeable_for_days: only compliance mode has a grace time")
    copy_region = p.get("copy_region")
    if copy_region:
        if not REGION_RE.match(str(copy_region)):
            errors.append(f"{prefix}copy_region: {copy_region!r} is not a region name")
        elif copy_region == region:
            errors.append(
                f"{prefix}copy_region: {copy_region} is the vault's own region; a copy for disaster recovery must go to another region"
            )
    plans = p.get("plans") or []
    if not plans:
        errors.append(f"{prefix}plans: at least one backup plan is needed")
    plan_names = set()
    for i, plan in enumerate(plans):
        where = f"{prefix}plans[{i}]"
        plan_name = str(plan.get("name") or "")
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,30}$", plan_name):
            errors.append(f"{where}.name: {plan_name!r} must be 1-31 lowercase letters, digits and hyphens")
        if plan_name in plan_names:
            errors.append(f"{where}.name: {plan_name!r} is listed twice")
        plan_names.add(plan_name)
        rules = plan.get("rules") or []
        if not rules:
            errors.append(f"{where}.rules: a plan needs at least one rule")
        rule_names = set()
        for j, rule in enumerate(rules):
            errors += _rule_errors(f"{where}.rules[{j}]", rule, rule_names, copy_region, lock_min, lock_max)
        tags = plan.get("selection_tags")
        if tags is not None and (not isinstance(tags, dict) or not tags):
            errors.append(
                f"{where}.selection_tags: must name at least one tag (an empty selection protects every resource)"
            )
    testing = p.get("restore_testing") or {}
    if testing:
        problem = cron_problem(testing.get("schedule"))
        if problem:
            errors.append(f"{prefix}restore_testing.schedule: {testing.get('schedule')!r} {problem}")
        hours = testing.get("start_window_hours", 24)
        if not _is_int(hours) or not 1 <= hours <= 168:
            errors.append(f"{prefix}restore_testing.start_window_hours: {hours!r} must be 1 to 168")
    return errors


def _rule_errors(where, rule, rule_names, copy_region, lock_min, lock_max):
    errors = []
    rule_name = str(rule.get("name") or "")
    if not RULE_NAME_RE.match(rule_name):
        errors.append(f"{where}.name: {rule_name!r} must be 1-50 letters, digits, '-', '_' or '.'")
    if rule_name in rule_names:
        errors.append(f"{where}.name: {rule_name!r} is listed twice in the plan")
    rule_names.add(rule_name)
    problem = cron_problem(rule.get("schedule"))
    if problem:
        errors.append(f"{where}.schedule: {rule.get('schedule')!r} {problem}")
    start, completion = rule.get("start_window_minutes", 60), rule.get("completion_window_minutes", 180)
    if not _is_int(start) or start < 60:
        errors.append(f"{where}.start_window_minutes: {start!r} must be at least 60 minutes")
    elif not _is_int(completion) or completion < start + 60:
        errors.append(
            f"{where}.completion_window_minutes: {completion!r} must be at least 60 minutes more than the start window ({start})"
        )
    errors += _lifecycle_errors(where, rule, bool(rule.get("continuous")), lock_min, lock_max)
    copies = rule.get("copy", True)
    if rule.get("copy_delete_after_days") is not None or rule.get("copy_cold_storage_after_days") is not None:
        if not copy_region:
            errors.append(f"{where}.copy_delete_after_days: a copy needs copy_region")
        lifecycle = {
            "delete_after_days": rule.get("copy_delete_after_days", rule.get("delete_after_days")),
            "cold_storage_after_days": rule.get("copy_cold_storage_after_days"),
        }
        errors += [
            e.replace(f"{where}.", f"{where}.copy_") for e in _lifecycle_errors(where, lifecycle, False, None, None)
        ]
    if not isinstance(copies, bool):
        errors.append(f"{where}.copy: {copies!r} must be true or false")
    return errors


def _lifecycle_errors(where, rule, continuous, lock_min, lock_max):
    errors = []
    delete, cold = rule.get("delete_after_days"), rule.get("cold_storage_after_days")
    for key, value in (("delete_after_days", delete), ("cold_storage_after_days", cold)):
        if value is not None and (not _is_int(value) or value < 1):
            errors.append(f"{where}.{key}: {value!r} must be a whole number of days, at least 1")
            return errors
    if cold is not None and delete is not None and delete < cold + COLD_MINIMUM_DAYS:
        errors.append(
            f"{where}.delete_after_days: {delete} is shorter than cold_storage_after_days + 90 ({cold + COLD_MINIMUM_DAYS}); "
            "AWS keeps backups in cold storage for at least 90 days"
        )
    if continuous:
        if delete is None or delete > CONTINUOUS_MAX_DAYS:
            errors.append(f"{where}.delete_after_days: continuous backups are kept 1 to 35 days, got {delete!r}")
        if cold is not None:
            errors.append(f"{where}.cold_storage_after_days: continuous backups cannot move to cold storage")
    if delete is not None and lock_min and delete < lock_min:
        errors.append(
            f"{where}.delete_after_days: {delete} is shorter than the vault lock's min_retention_days ({lock_min})"
        )
    if lock_max and (delete is None or delete > lock_max):
        errors.append(
            f"{where}.delete_after_days: {delete!r} is longer than the vault lock's max_retention_days ({lock_max})"
        )
    return errors


# -- documents ---------------------------------------------------------------------------------------------------------


def plan_name(name, plan):
    return f"{name}-{plan['name']}"


def lifecycle(delete, cold):
    found = {}
    if cold:
        found["MoveToColdStorageAfterDays"] = cold
    if delete:
        found["DeleteAfterDays"] = delete
    return found


def plan_document(name, plan, vault_name, copy_vault_arn):
    rules = []
    for rule in plan["rules"]:
        entry = {
            "RuleName": rule["name"],
            "TargetBackupVaultName": vault_name,
            "ScheduleExpression": rule["schedule"],
            "StartWindowMinutes": rule.get("start_window_minutes") or 60,
            "CompletionWindowMinutes": rule.get("completion_window_minutes") or 180,
            "Lifecycle": lifecycle(rule.get("delete_after_days"), rule.get("cold_storage_after_days")),
            "EnableContinuousBackup": bool(rule.get("continuous")),
        }
        if copy_vault_arn and rule.get("copy", True):
            entry["CopyActions"] = [
                {
                    "DestinationBackupVaultArn": copy_vault_arn,
                    "Lifecycle": lifecycle(
                        rule.get("copy_delete_after_days") or rule.get("delete_after_days"),
                        rule.get("copy_cold_storage_after_days"),
                    ),
                }
            ]
        rules.append(entry)
    return {"BackupPlanName": plan_name(name, plan), "Rules": rules}


def _life(value):
    return tuple(
        sorted((k, v) for k, v in (value or {}).items() if k in ("MoveToColdStorageAfterDays", "DeleteAfterDays") and v)
    )


def comparable_plan(document):
    """The parts of a plan document we set, normalised (GetBackupPlan adds RuleId, defaults, timezone)."""
    rules = []
    for rule in document.get("Rules") or []:
        rules.append(
            (
                rule["RuleName"],
                rule.get("TargetBackupVaultName"),
                rule.get("ScheduleExpression"),
                rule.get("StartWindowMinutes"),
                rule.get("CompletionWindowMinutes"),
                _life(rule.get("Lifecycle")),
                bool(rule.get("EnableContinuousBackup")),
                tuple(
                    (c["DestinationBackupVaultArn"], _life(c.get("Lifecycle"))) for c in rule.get("CopyActions") or []
                ),
            )
        )
    return sorted(rules)


def selection_document(plan, role_arn, identity):
    tags = plan.get("selection_tags") or {
        k: v for k, v in identity.items() if k in ("stackops:platform", "stackops:environment")
    }
    return {
        "SelectionName": f"{plan['name']}-tags"[:50],
        "IamRoleArn": role_arn,
        "Resources": ["*"],
        "Conditions": {
            "StringEquals": [
                {"ConditionKey": f"aws:ResourceTag/{k}", "ConditionValue": v} for k, v in sorted(tags.items())
            ]
        },
    }


def comparable_selection(selection):
    conditions = selection.get("Conditions") or {}
    return (
        selection.get("SelectionName"),
        selection.get("IamRoleArn"),
        tuple(sorted(selection.get("Resources") or [])),
        tuple(
            (op, tuple(sorted((c["ConditionKey"], c["ConditionValue"]) for c in entries or [])))
            for op, entries in sorted(conditions.items())
            if entries
        ),
        tuple(sorted((c["ConditionKey"], c["ConditionValue"]) for c in selection.get("ListOfTags") or [])),
    )


def describe_plan(document):
    parts = []
    for rule in document.get("Rules") or []:
        life = rule.get("Lifecycle") or {}
        text = f"{rule['RuleName']} {rule.get('ScheduleExpression')} keep {life.get('DeleteAfterDays', 'forever')} d"
        if life.get("MoveToColdStorageAfterDays"):
            text += f" (cold after {life['MoveToColdStorageAfterDays']} d)"
        if rule.get("EnableContinuousBackup"):
            text += " + continuous"
        if rule.get("CopyActions"):
            text += " copy to " + ", ".join(c["DestinationBackupVaultArn"].split(":")[3] for c in rule["CopyActions"])
        parts.append(text)
    return "; ".join(parts)
