"""AWS Backup beyond moto: plan updates, selections, scheduled jobs, recovery points, copies, restore testing.

moto 5.2 keeps vaults and plans only: UpdateBackupPlan answers 500 (not implemented), CreateBackupSelection
answers 500, and the job and recovery-point reads answer 404, so nothing ever gets backed up. This behaviour
adds them as the AWS Backup API reference documents them
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Operations_AWS_Backup.html):

- UpdateBackupPlan replaces the plan's rules and gives it a new VersionId; a rule keeps its RuleId when its
  RuleName stays (API_UpdateBackupPlan).
- CreateBackupSelection / GetBackupSelection / ListBackupSelections / DeleteBackupSelection: a selection
  belongs to a plan (ResourceNotFoundException otherwise); SelectionName matches ``^[a-zA-Z0-9\\-\\_\\.]{1,50}$``;
  IamRoleArn is required; a retry with the same CreatorRequestId returns the selection it created
  (API_CreateBackupSelection: "allows failed requests to be retried without the risk of running the operation
  twice"). Resources are assigned by ``Resources`` ARNs (``*`` wildcards), ``ListOfTags`` (StringEquals) and
  ``Conditions`` (StringEquals, StringNotEquals, StringLike, StringNotLike on ``aws:ResourceTag/<key>``), all
  conditions ANDed (API_BackupSelection).
- Plans are checked as CreateBackupPlan and UpdateBackupPlan check them: a ScheduleExpression must be a cron
  expression (its L, W and # day forms included), and "Backups transitioned to cold storage must be stored
  in cold storage for a minimum of 90 days" - DeleteAfterDays at least MoveToColdStorageAfterDays + 90
  (API_Lifecycle), for copy actions too.
- Time: a scheduled rule starts a backup job for every resource its plan's selections assign, at each time its
  cron expression names (UTC). Nothing runs by itself here; ``PUT /_stackops/behaviours/backup-jobs``
  ``{"advance_hours": N}`` lets N hours pass: what was recorded moves N hours into the past and every
  scheduled run of those N hours happens at its time. A job writes a recovery point into the rule's vault
  (COMPLETED, encrypted with the vault's key, ``Lifecycle`` and ``CalculatedLifecycle`` from the rule), then
  each copy action a copy job and a recovery point in the destination vault (FAILED, with a message, when
  that vault does not exist). With ``EnableContinuousBackup`` an RDS resource also gets one continuous
  recovery point (``...:recovery-point:continuous:...``). Recovery points past their DeleteAt are deleted.
  ``{"fail_next": {"<resource ARN>": n}}`` makes that resource's next n jobs fail (a FAILED job, no point).
- ListBackupJobs, ListCopyJobs (ByResourceArn, ByState, ByCreatedAfter, ByCreatedBefore),
  ListRecoveryPointsByBackupVault (ByResourceArn, ByBackupPlanId, ByCreatedAfter/Before),
  ListRecoveryPointsByResource, DescribeRecoveryPoint and ListProtectedResources read what happened.
- CreateRestoreTestingPlan / Get / List / Update / Delete keep restore testing plans (API_CreateRestoreTestingPlan);
  their selections are not modelled.

Resources the emulator can back up: RDS DB instances (not Aurora members) and Aurora DB clusters, with their
moto tags. The run happens in the resource's region and account.
"""

from __future__ import annotations

import copy
import datetime
import fnmatch
import json
import re
import threading
import time
import uuid
from urllib.parse import parse_qs
from urllib.parse import unquote

from ..protocols import Response
from ..protocols import error_response

_PLAN = re.compile(r"^/backup/plans/(?P<plan>[^/]+)/?$")
_SELECTIONS = re.compile(r"^/backup/plans/(?P<plan>[^/]+)/selections/?$")
_SELECTION = re.compile(r"^/backup/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$")
_VAULT_POINTS = re.compile(r"^/backup-vaults/(?P<vault>[^/]+)/recovery-points/?$")
_VAULT_POINT = re.compile(r"^/backup-vaults/(?P<vault>[^/]+)/recovery-points/(?P<arn>.+?)/?$")
_RESOURCE_POINTS = re.compile(r"^/resources/(?P<arn>.+)/recovery-points/?$")
_TESTING = re.compile(r"^/restore-testing/plans/?(?P<name>[^/]*)/?$")
SELECTION_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
DAY = 86400


def _answer(payload, status=200):
    body = json.dumps(payload, default=str).encode()
    return Response(
        status,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Content-Length", str(len(body))),
        ],
        body,
    )


# -- cron (AWS's six fields: minutes hours day-of-month month day-of-week year) ---------------------------------------

_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}


def _field(text, low, high, names=None):
    """The set of values a cron field allows (None for ``?``), or ValueError."""
    if text == "?":
        return None
    values = set()
    for entry in text.split(","):
        part, step = entry, 1
        if "/" in entry:
            part, step_text = entry.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise ValueError(part)
        values.update(range(start, end + 1, step))
    return values


def _value(text, names):
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


_LAST_DOM = re.compile(r"^L(W)?$")
_WEEKDAY_DOM = re.compile(r"^(\d{1,2})W$")
_NTH_DOW = re.compile(r"^(\w+)#([1-5])$")
_LAST_DOW = re.compile(r"^(\w+)L$")


def _day_rule(dom, dow):
    """A predicate for AWS cron's L, W and # forms of day-of-month / day-of-week, or None."""
    import calendar

    def last_day(moment):
        return calendar.monthrange(moment.year, moment.month)[1]

    def weekday_of(moment):
        return (moment.isoweekday() % 7) + 1  # SUN=1 ... SAT=7

    if _LAST_DOM.match(dom):
        return lambda m: m.day == last_day(m)
    found = _WEEKDAY_DOM.match(dom)
    if found:
        day = int(found.group(1))
        if not 1 <= day <= 31:
            raise ValueError(dom)

        def nearest_weekday(m):  # the weekday nearest to that day, within the month
            target = min(day, last_day(m))
            candidate = m.replace(day=target)
            if candidate.isoweekday() == 6:
                target = target - 1 if target > 1 else target + 2
            elif candidate.isoweekday() == 7:
                target = target + 1 if target < last_day(m) else target - 2
            return m.day == target

        return nearest_weekday
    found = _NTH_DOW.match(dow)
    if found:
        wanted, nth = _value(found.group(1), _DAYS), int(found.group(2))
        return lambda m: weekday_of(m) == wanted and (m.day - 1) // 7 + 1 == nth
    found = _LAST_DOW.match(dow)
    if found or dow == "L":
        wanted = _value(found.group(1), _DAYS) if found else 7
        return lambda m: weekday_of(m) == wanted and m.day + 7 > last_day(m)
    return None


def parse_cron(expression):
    """``cron(0 3 * * ? *)`` -> a predicate on UTC datetimes; ValueError when AWS would refuse it."""
    match = re.match(r"^cron\((.+)\)$", str(expression or "").strip())
    if not match:
        raise ValueError("not a cron() expression")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError("a cron expression has six fields")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError("one of day-of-month and day-of-week must be '?'")
    special = _day_rule(fields[2], fields[4])
    minutes = _field(fields[0], 0, 59)
    hours = _field(fields[1], 0, 23)
    days = None if special or fields[2] == "?" else _field(fields[2], 1, 31)
    months = _field(fields[3], 1, 12, _MONTHS)
    weekdays = None if special or fields[4] == "?" else _field(fields[4], 1, 7, _DAYS)
    years = _field(fields[5], 1970, 2199)
    if minutes is None or hours is None or months is None:
        raise ValueError("only day-of-month or day-of-week may be '?'")

    def matches(moment):
        weekday = (moment.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
        return (
            moment.minute in minutes
            and moment.hour in hours
            and moment.month in months
            and (years is None or moment.year in years)
            and (days is None or moment.day in days)
            and (weekdays is None or weekday in weekdays)
            and (special is None or special(moment))
        )

    return matches


def fire_times(expression, start, end):
    """Every minute in (start, end] (epoch seconds) the cron expression names."""
    matches = parse_cron(expression)
    moment = datetime.datetime.fromtimestamp(start - start % 60 + 60, datetime.UTC)
    stop = datetime.datetime.fromtimestamp(end, datetime.UTC)
    found = []
    while moment <= stop:
        if matches(moment):
            found.append(moment.timestamp())
        moment += datetime.timedelta(minutes=1)
    return found


def plan_problems(plan):
    """What CreateBackupPlan / UpdateBackupPlan refuse in a plan document."""
    for rule in plan.get("Rules") or []:
        name = rule.get("RuleName")
        expression = rule.get("ScheduleExpression")
        if expression:
            try:
                parse_cron(expression)
            except ValueError as error:
                return f"Rule {name}: invalid ScheduleExpression {expression!r} ({error})"
        lifecycles = [rule.get("Lifecycle") or {}] + [(c.get("Lifecycle") or {}) for c in rule.get("CopyActions") or []]
        for lifecycle in lifecycles:
            cold, delete = lifecycle.get("MoveToColdStorageAfterDays"), lifecycle.get("DeleteAfterDays")
            if cold is not None and delete is not None and delete < cold + 90:
                return (
                    f"Rule {name}: DeleteAfterDays ({delete}) must be at least 90 days more than "
                    f"MoveToColdStorageAfterDays ({cold})"
                )
    return None


# -- moto's objects ---------------------------------------------------------------------------------------------------


def _backends(service):
    module = __import__(f"moto.{service}.models", fromlist=[f"{service}_backends"])
    return getattr(module, f"{service}_backends")


def _backup_backend(region, account=None):
    backends = _backends("backup")
    for acct in [account] if account else list(backends):
        if acct in backends:
            return backends[acct][region]
    return None


def _plan(region, plan_id):
    backend = _backup_backend(region)
    plan = backend.plans.get(plan_id) if backend else None
    return plan if plan is not None and plan.deletion_date is None else None


def _vault(region, name, account=None):
    backend = _backup_backend(region, account)
    return backend.vaults.get(name) if backend else None


def _resources(region):
    """(arn, type, name, tags) of every resource of the region that AWS Backup could protect here."""
    found = []
    backends = _backends("rds")
    for account in list(backends):
        backend = backends[account][region]
        for cluster in backend.clusters.values():
            found.append((cluster.arn, "Aurora", cluster.db_cluster_identifier, _tags(cluster.tags)))
        for database in backend.databases.values():
            if getattr(database, "db_cluster_identifier", None):
                continue  # Aurora members are backed up with their cluster
            found.append((database.arn, "RDS", database.db_instance_identifier, _tags(database.tags)))
    return found


def _tags(tags):
    return {t["Key"]: t["Value"] for t in tags or []}


def _selected(selection, resource):
    arn, _type, _name, tags = resource
    spec = selection
    if any(fnmatch.fnmatchcase(arn, pattern) for pattern in spec.get("NotResources") or []):
        return False
    listed = any(fnmatch.fnmatchcase(arn, pattern) for pattern in spec.get("Resources") or [])
    by_tags = False
    for condition in spec.get("ListOfTags") or []:
        key = condition["ConditionKey"].removeprefix("aws:ResourceTag/")
        if tags.get(key) == condition["ConditionValue"]:
            by_tags = True
    conditions = spec.get("Conditions") or {}
    checks = []
    for operator, entries in conditions.items():
        for entry in entries or []:
            key = entry["ConditionKey"].removeprefix("aws:ResourceTag/")
            value, wanted = tags.get(key), entry["ConditionValue"]
            if operator == "StringEquals":
                checks.append(value == wanted)
            elif operator == "StringNotEquals":
                checks.append(value != wanted)
            elif operator == "StringLike":
                checks.append(value is not None and fnmatch.fnmatchcase(value, wanted))
            elif operator == "StringNotLike":
                checks.append(value is None or not fnmatch.fnmatchcase(value, wanted))
    if checks and not spec.get("Resources") and not spec.get("ListOfTags"):
        return all(checks)  # conditions alone: every resource matching all of them
    return (listed or by_tags) and all(checks)


def _epoch(text):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class BackupJobs:
    name = "backup-jobs"
    summary = (
        "AWS Backup: UpdateBackupPlan, selections, scheduled jobs and recovery points (advance the clock with "
        "PUT /_stackops/behaviours/backup-jobs), copies to other regions, restore testing plans"
    )
    documented_by = "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupSelection.html"

    def __init__(self):
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with getattr(self, "_lock", threading.RLock()):
            self.selections = {}  # plan id -> {selection id: record}
            self.jobs = []  # backup jobs (every region; "region" key)
            self.copy_jobs = []
            self.points = []  # recovery points (every region)
            self.testing = {}  # (region, name) -> restore testing plan
            self.fail_next = {}

    # -- control ------------------------------------------------------------------------------------------------

    def configure(self, payload):
        with self._lock:
            for arn, count in (payload.get("fail_next") or {}).items():
                self.fail_next[arn] = int(count)
            hours = float(payload.get("advance_hours") or 0)
            if hours > 0:
                self._advance(hours * 3600)
            return {
                "jobs": len(self.jobs),
                "copy_jobs": len(self.copy_jobs),
                "recovery_points": len(self.points),
            }

    def _advance(self, seconds):
        now = time.time()
        for record in self.jobs + self.copy_jobs + self.points:
            for key in ("CreationDate", "CompletionDate", "StartBy"):
                if record.get(key) is not None:
                    record[key] -= seconds
            lifecycle = record.get("CalculatedLifecycle") or {}
            for key in list(lifecycle):
                lifecycle[key] -= seconds
        runs = []
        backends = _backends("backup")
        for account in list(backends):
            for region in list(backends[account].keys()):
                backend = backends[account][region]
                for plan in list(backend.plans.values()):
                    if plan.deletion_date is not None:
                        continue
                    for rule in plan.backup_plan.get("Rules") or []:
                        for moment in fire_times(rule.get("ScheduleExpression"), now - seconds, now):
                            runs.append((moment, account, region, plan, rule))
        for moment, account, region, plan, rule in sorted(runs, key=lambda r: r[0]):
            for selection in (self.selections.get(plan.backup_plan_id) or {}).values():
                for resource in _resources(region):
                    if _selected(selection["BackupSelection"], resource):
                        self._run(moment, account, region, plan, rule, selection, resource)
        self.points = [p for p in self.points if (p.get("CalculatedLifecycle") or {}).get("DeleteAt", now + 1) > now]

    def _run(self, moment, account, region, plan, rule, selection, resource):
        arn, kind, name = resource[:3]
        vault = _vault(region, rule["TargetBackupVaultName"], account)
        created_by = {
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "BackupPlanVersion": plan.version_id,
            "BackupRuleId": rule.get("RuleId"),
        }
        job = {
            "region": region,
            "AccountId": account,
            "BackupJobId": str(uuid.uuid4()).upper(),
            "BackupVaultName": rule["TargetBackupVaultName"],
            "BackupVaultArn": vault.backup_vault_arn if vault else None,
            "ResourceArn": arn,
            "ResourceType": kind,
            "ResourceName": name,
            "CreationDate": moment,
            "StartBy": moment + 60 * int(rule.get("StartWindowMinutes") or 480),
            "IamRoleArn": selection["BackupSelection"].get("IamRoleArn"),
            "CreatedBy": created_by,
            "BackupType": "",
        }
        self.jobs.append(job)
        if vault is None or self.fail_next.get(arn, 0) > 0:
            if vault is not None:
                self.fail_next[arn] -= 1
            job.update(
                State="FAILED",
                StatusMessage="Backup vault does not exist" if vault is None else "Backup job failed (emulator fault)",
                PercentDone="0.0",
            )
            return
        if rule.get("EnableContinuousBackup") and kind in ("RDS", "Aurora"):
            self._continuous(moment, region, vault, rule, resource, created_by, job)
        point = self._point(moment, region, vault, rule.get("Lifecycle"), resource, created_by, job["IamRoleArn"])
        job.update(State="COMPLETED", CompletionDate=moment + 300, RecoveryPointArn=point["RecoveryPointArn"],
                   PercentDone="100.0", BackupSizeInBytes=point["BackupSizeInBytes"])  # fmt: skip
        for action in rule.get("CopyActions") or []:
            self._copy(moment, account, vault, point, action, resource, created_by)

    def _point(self, moment, region, vault, lifecycle, resource, created_by, role, source_vault=None, arn=None):
        resource_arn, kind, name = resource[:3]
        account = vault.backup_vault_arn.split(":")[4]
        if arn is None:
            service = "rds"
            arn = f"arn:aws:{service}:{region}:{account}:{'cluster-' if kind == 'Aurora' else ''}snapshot:awsbackup:job-{uuid.uuid4()}"
        lifecycle = dict(lifecycle or {})
        calculated = {}
        if lifecycle.get("MoveToColdStorageAfterDays"):
            calculated["MoveToColdStorageAt"] = moment + lifecycle["MoveToColdStorageAfterDays"] * DAY
        if lifecycle.get("DeleteAfterDays"):
            calculated["DeleteAt"] = moment + lifecycle["DeleteAfterDays"] * DAY
        point = {
            "region": region,
            "RecoveryPointArn": arn,
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "ResourceArn": resource_arn,
            "ResourceType": kind,
            "ResourceName": name,
            "CreatedBy": created_by,
            "IamRoleArn": role,
            "Status": "COMPLETED",
            "CreationDate": moment,
            "CompletionDate": moment + 300,
            "BackupSizeInBytes": 5 * 1024**3,
            "Lifecycle": lifecycle,
            "CalculatedLifecycle": calculated,
            "EncryptionKeyArn": vault.encryption_key_arn,
            "IsEncrypted": True,
            "StorageClass": "WARM",
        }
        if source_vault:
            point["SourceBackupVaultArn"] = source_vault
        self.points.append(point)
        return point

    def _continuous(self, moment, region, vault, rule, resource, created_by, job):
        for point in self.points:
            if (
                point["ResourceArn"] == resource[0]
                and point["BackupVaultArn"] == vault.backup_vault_arn
                and ":continuous:" in point["RecoveryPointArn"]
            ):
                return
        account = vault.backup_vault_arn.split(":")[4]
        arn = f"arn:aws:backup:{region}:{account}:recovery-point:continuous:{resource[2]}-{uuid.uuid4().hex[:8]}"
        self._point(moment, region, vault, rule.get("Lifecycle"), resource, created_by, job["IamRoleArn"], arn=arn)

    def _copy(self, moment, account, vault, point, action, resource, created_by):
        destination = action["DestinationBackupVaultArn"]
        parts = destination.split(":")
        dest_region, dest_account, dest_name = parts[3], parts[4], parts[-1]
        dest_vault = _vault(dest_region, dest_name, dest_account)
        copy_job = {
            "region": vault.backup_vault_arn.split(":")[3],
            "AccountId": account,
            "CopyJobId": str(uuid.uuid4()).upper(),
            "SourceBackupVaultArn": vault.backup_vault_arn,
            "SourceRecoveryPointArn": point["RecoveryPointArn"],
            "DestinationBackupVaultArn": destination,
            "ResourceArn": resource[0],
            "ResourceType": resource[1],
            "ResourceName": resource[2],
            "CreationDate": moment + 300,
            "IamRoleArn": point["IamRoleArn"],
            "CreatedBy": created_by,
        }
        self.copy_jobs.append(copy_job)
        if dest_vault is None:
            copy_job.update(State="FAILED", StatusMessage=f"Destination backup vault {destination} does not exist")
            return
        copied = self._point(
            moment + 600, dest_region, dest_vault, action.get("Lifecycle"), resource, created_by,
            point["IamRoleArn"], source_vault=vault.backup_vault_arn,
            arn=point["RecoveryPointArn"].replace(f":{point['region']}:", f":{dest_region}:", 1),
        )  # fmt: skip
        copy_job.update(
            State="COMPLETED", CompletionDate=moment + 900, DestinationRecoveryPointArn=copied["RecoveryPointArn"]
        )

    # -- requests -----------------------------------------------------------------------------------------------

    def __call__(self, request, forward):
        call = request.call
        if call.service != "backup":
            return forward(request)
        op = call.operation
        handler = getattr(self, f"_op_{op}", None)
        if op in ("CreateBackupPlan",):
            problem = plan_problems(json.loads(request.body or b"{}").get("BackupPlan") or {})
            if problem:
                return error_response(call, 400, "InvalidParameterValueException", problem)
            return forward(request)
        if handler is None:
            return forward(request)
        path = unquote(request.environ.get("PATH_INFO", ""))
        query = {k: v[0] for k, v in parse_qs(request.environ.get("QUERY_STRING", "")).items()}
        body = json.loads(request.body or b"{}") if request.body else {}
        with self._lock:
            return handler(call, path, query, body)

    def _op_UpdateBackupPlan(self, call, path, query, body):
        plan = _plan(call.region, _PLAN.match(path).group("plan"))
        if plan is None:
            return error_response(call, 400, "ResourceNotFoundException", "Failed reading Backup plan")
        document = copy.deepcopy(body.get("BackupPlan") or {})
        problem = plan_problems(document)
        if problem:
            return error_response(call, 400, "InvalidParameterValueException", problem)
        old_ids = {r["RuleName"]: r.get("RuleId") for r in plan.backup_plan.get("Rules") or []}
        for rule in document.get("Rules") or []:
            rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
            rule.setdefault("StartWindowMinutes", 480)
            rule.setdefault("CompletionWindowMinutes", 10080)
            rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
            rule["RuleId"] = old_ids.get(rule["RuleName"]) or str(uuid.uuid4())
        plan.backup_plan = document
        plan.advanced_backup_settings = document.get("AdvancedBackupSettings") or []
        plan.version_id = uuid.uuid4().hex + uuid.uuid4().hex[:16]
        return _answer(
            {
                "BackupPlanId": plan.backup_plan_id,
                "BackupPlanArn": plan.backup_plan_arn,
                "CreationDate": plan.creation_date,
                "VersionId": plan.version_id,
            }
        )

    def _op_CreateBackupSelection(self, call, path, query, body):
        plan_id = _SELECTIONS.match(path).group("plan")
        if _plan(call.region, plan_id) is None:
            return error_response(call, 400, "ResourceNotFoundException", f"Backup plan {plan_id} not found")
        selection = body.get("BackupSelection") or {}
        if not SELECTION_NAME.match(selection.get("SelectionName") or ""):
            return error_response(call, 400, "InvalidParameterValueException", "Invalid SelectionName")
        if not selection.get("IamRoleArn"):
            return error_response(call, 400, "InvalidParameterValueException", "IamRoleArn is required")
        mine = self.selections.setdefault(plan_id, {})
        token = body.get("CreatorRequestId")
        for selection_id, record in mine.items():
            if token and record.get("CreatorRequestId") == token:
                return _answer(
                    {"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": record["CreationDate"]}
                )
        selection_id = str(uuid.uuid4())
        mine[selection_id] = {
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "BackupSelection": selection,
            "CreationDate": time.time(),
            "CreatorRequestId": token,
        }
        return _answer(
            {"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": mine[selection_id]["CreationDate"]}
        )

    def _selection(self, call, path):
        match = _SELECTION.match(path)
        record = (self.selections.get(match.group("plan")) or {}).get(match.group("selection"))
        return record

    def _op_GetBackupSelection(self, call, path, query, body):
        record = self._selection(call, path)
        if record is None:
            return error_response(call, 400, "ResourceNotFoundException", "Backup selection not found")
        return _answer({k: v for k, v in record.items() if v is not None})

    def _op_DeleteBackupSelection(self, call, path, query, body):
        match = _SELECTION.match(path)
        found = (self.selections.get(match.group("plan")) or {}).pop(match.group("selection"), None)
        if found is None:
            return error_response(call, 400, "ResourceNotFoundException", "Backup selection not found")
        return _answer({})

    def _op_ListBackupSelections(self, call, path, query, body):
        plan_id = _SELECTIONS.match(path).group("plan")
        if _plan(call.region, plan_id) is None:
            return error_response(call, 400, "ResourceNotFoundException", f"Backup plan {plan_id} not found")
        found = [
            {
                "SelectionId": r["SelectionId"],
                "SelectionName": r["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": r["CreationDate"],
                "CreatorRequestId": r.get("CreatorRequestId"),
                "IamRoleArn": r["BackupSelection"]["IamRoleArn"],
            }
            for r in (self.selections.get(plan_id) or {}).values()
        ]
        return _answer({"BackupSelectionsList": found})

    @staticmethod
    def _window(records, query, key="CreationDate"):
        after, before = _epoch(query.get("createdAfter")), _epoch(query.get("createdBefore"))
        return [r for r in records if (after is None or r[key] >= after) and (before is None or r[key] <= before)]

    @staticmethod
    def _public(record):
        return {k: v for k, v in record.items() if k != "region" and v is not None}

    def _op_ListBackupJobs(self, call, path, query, body):
        jobs = [j for j in self.jobs if j["region"] == call.region]
        if query.get("resourceArn"):
            jobs = [j for j in jobs if j["ResourceArn"] == query["resourceArn"]]
        if query.get("state"):
            jobs = [j for j in jobs if j.get("State") == query["state"]]
        if query.get("backupVaultName"):
            jobs = [j for j in jobs if j["BackupVaultName"] == query["backupVaultName"]]
        jobs = self._window(jobs, query)
        return _answer({"BackupJobs": [self._public(j) for j in sorted(jobs, key=lambda j: -j["CreationDate"])]})

    def _op_ListCopyJobs(self, call, path, query, body):
        jobs = [j for j in self.copy_jobs if j["region"] == call.region]
        if query.get("resourceArn"):
            jobs = [j for j in jobs if j["ResourceArn"] == query["resourceArn"]]
        if query.get("state"):
            jobs = [j for j in jobs if j.get("State") == query["state"]]
        jobs = self._window(jobs, query)
        return _answer({"CopyJobs": [self._public(j) for j in sorted(jobs, key=lambda j: -j["CreationDate"])]})

    def _op_ListRecoveryPointsByBackupVault(self, call, path, query, body):
        name = _VAULT_POINTS.match(path).group("vault")
        if _vault(call.region, name) is None:
            return error_response(call, 400, "ResourceNotFoundException", f"Backup vault {name} not found")
        points = [p for p in self.points if p["region"] == call.region and p["BackupVaultName"] == name]
        if query.get("resourceArn"):
            points = [p for p in points if p["ResourceArn"] == query["resourceArn"]]
        if query.get("backupPlanId"):
            points = [p for p in points if p["CreatedBy"].get("BackupPlanId") == query["backupPlanId"]]
        points = self._window(points, query)
        return _answer({"RecoveryPoints": [self._public(p) for p in sorted(points, key=lambda p: -p["CreationDate"])]})

    def _op_ListRecoveryPointsByResource(self, call, path, query, body):
        arn = _RESOURCE_POINTS.match(path).group("arn")
        points = [p for p in self.points if p["region"] == call.region and p["ResourceArn"] == arn]
        found = [
            {
                "RecoveryPointArn": p["RecoveryPointArn"],
                "CreationDate": p["CreationDate"],
                "Status": p["Status"],
                "EncryptionKeyArn": p["EncryptionKeyArn"],
                "BackupSizeBytes": p["BackupSizeInBytes"],
                "BackupVaultName": p["BackupVaultName"],
                "IsParent": False,
                "ResourceName": p["ResourceName"],
            }
            for p in sorted(points, key=lambda p: -p["CreationDate"])
        ]
        return _answer({"RecoveryPoints": found})

    def _op_DescribeRecoveryPoint(self, call, path, query, body):
        match = _VAULT_POINT.match(path)
        for point in self.points:
            if point["RecoveryPointArn"] == match.group("arn") and point["BackupVaultName"] == match.group("vault"):
                return _answer(self._public(point))
        return error_response(call, 400, "ResourceNotFoundException", "Recovery point not found")

    def _op_ListProtectedResources(self, call, path, query, body):
        latest = {}
        for point in self.points:
            if point["region"] != call.region or point.get("SourceBackupVaultArn"):
                continue
            if (
                point["ResourceArn"] not in latest
                or point["CreationDate"] > latest[point["ResourceArn"]]["CreationDate"]
            ):
                latest[point["ResourceArn"]] = point
        results = [
            {
                "ResourceArn": arn,
                "ResourceType": p["ResourceType"],
                "LastBackupTime": p["CreationDate"],
                "ResourceName": p["ResourceName"],
                "LastBackupVaultArn": p["BackupVaultArn"],
                "LastRecoveryPointArn": p["RecoveryPointArn"],
            }
            for arn, p in sorted(latest.items())
        ]
        return _answer({"Results": results})

    # Restore testing plans.
    def _op_CreateRestoreTestingPlan(self, call, path, query, body):
        plan = dict(body.get("RestoreTestingPlan") or {})
        name = plan.get("RestoreTestingPlanName") or ""
        if not re.match(r"^[a-zA-Z0-9_]{1,50}$", name):
            return error_response(
                call, 400, "InvalidParameterValueException", "RestoreTestingPlanName: letters, digits, underscores"
            )
        key = (call.region, name)
        if key in self.testing:
            if self.testing[key].get("CreatorRequestId") == body.get("CreatorRequestId") and body.get(
                "CreatorRequestId"
            ):
                existing = self.testing[key]
                return _answer(
                    {
                        "CreationTime": existing["CreationTime"],
                        "RestoreTestingPlanArn": existing["RestoreTestingPlanArn"],
                        "RestoreTestingPlanName": name,
                    }
                )
            return error_response(call, 400, "AlreadyExistsException", f"Restore testing plan {name} already exists")
        try:
            parse_cron(plan.get("ScheduleExpression"))
        except ValueError as error:
            return error_response(call, 400, "InvalidParameterValueException", f"ScheduleExpression: {error}")
        account = _backup_backend(call.region).account_id
        plan.update(
            RestoreTestingPlanArn=f"arn:aws:backup:{call.region}:{account}:restore-testing-plan:{name}-{uuid.uuid4().hex[:6]}",
            CreationTime=time.time(),
            CreatorRequestId=body.get("CreatorRequestId"),
            Tags=body.get("Tags") or {},
        )
        plan.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
        plan.setdefault("StartWindowHours", 24)
        self.testing[key] = plan
        return _answer(
            {
                "CreationTime": plan["CreationTime"],
                "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                "RestoreTestingPlanName": name,
            }
        )

    def _op_GetRestoreTestingPlan(self, call, path, query, body):
        plan = self.testing.get((call.region, _TESTING.match(path).group("name")))
        if plan is None:
            return error_response(call, 400, "ResourceNotFoundException", "Restore testing plan not found")
        return _answer({"RestoreTestingPlan": {k: v for k, v in plan.items() if k != "Tags" and v is not None}})

    def _op_ListRestoreTestingPlans(self, call, path, query, body):
        found = [
            {
                k: p.get(k)
                for k in (
                    "RestoreTestingPlanArn",
                    "RestoreTestingPlanName",
                    "CreationTime",
                    "ScheduleExpression",
                    "ScheduleExpressionTimezone",
                    "StartWindowHours",
                    "LastUpdateTime",
                )
                if p.get(k) is not None
            }
            for (region, _n), p in sorted(self.testing.items())
            if region == call.region
        ]
        return _answer({"RestoreTestingPlans": found})

    def _op_UpdateRestoreTestingPlan(self, call, path, query, body):
        name = _TESTING.match(path).group("name")
        plan = self.testing.get((call.region, name))
        if plan is None:
            return error_response(call, 400, "ResourceNotFoundException", "Restore testing plan not found")
        update = body.get("RestoreTestingPlan") or {}
        if update.get("ScheduleExpression"):
            try:
                parse_cron(update["ScheduleExpression"])
            except ValueError as error:
                return error_response(call, 400, "InvalidParameterValueException", f"ScheduleExpression: {error}")
        plan.update({k: v for k, v in update.items() if v is not None})
        plan["LastUpdateTime"] = time.time()
        return _answer({"CreationTime": plan["CreationTime"], "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                        "RestoreTestingPlanName": name, "UpdateTime": plan["LastUpdateTime"]})  # fmt: skip

    def _op_DeleteRestoreTestingPlan(self, call, path, query, body):
        if self.testing.pop((call.region, _TESTING.match(path).group("name")), None) is None:
            return error_response(call, 400, "ResourceNotFoundException", "Restore testing plan not found")
        return Response(204, [("x-amzn-RequestId", str(uuid.uuid4()))], b"")
