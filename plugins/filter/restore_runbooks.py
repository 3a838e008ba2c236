# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules the snapshot, restore and DR drill runbooks' inputs follow beyond their types.

``{{ inputs | stackops.platform.restore_runbook_input_errors('db_restore') }}`` returns every broken rule as a
message that starts with the extra var's name, for the runbooks role's validate step (before any API call).
"""

from __future__ import annotations

import datetime
import re

_IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
_SNAPSHOT = re.compile(r"^(rds:)?[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")
_SNAPSHOT_ARN = re.compile(r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:(rds:)?[A-Za-z][A-Za-z0-9-]*$")
_TAG_VALUE = re.compile(r"^[\w\s.:/=+\-@]{1,256}$")
_CLASS = re.compile(r"^db\.[a-z0-9]+\.(micro|small|medium|large|xlarge|\d{1,2}xlarge)$")
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
RUNBOOKS = ("db_snapshot", "db_restore", "dr_drill")
_BOOLS = ("true", "false", "yes", "no", "1", "0", "on", "off")


def _set(value):
    return value is not None and value != ""


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _bounded(errors, inputs, name, low, high, required=False, why=""):
    value = inputs.get(name)
    if not _set(value):
        if required:
            errors.append(f"{name}: required{why}")
        return None
    number = _int(value)
    if number is None:
        errors.append(f"{name}: {value!r} is not a whole number")
    elif not low <= number <= high:
        errors.append(f"{name}: {number} is out of range ({low} to {high})")
    return number


def _bool(errors, inputs, name):
    value = inputs.get(name)
    if _set(value) and not isinstance(value, bool) and str(value).lower() not in _BOOLS:
        errors.append(f"{name}: {value!r} is not true or false")


def _identifier(errors, inputs, name, required=False):
    value = inputs.get(name)
    if not _set(value):
        if required:
            errors.append(f"{name}: required (-e {name}=IDENTIFIER)")
        return
    if not _IDENTIFIER.match(str(value)):
        errors.append(
            f"{name}: {value!r} is not an RDS instance identifier (1-63 letters, digits and hyphens, a letter first, "
            "no -- and no hyphen last)"
        )


def _time(text):
    try:
        moment = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017


def restore_runbook_input_errors(inputs, runbook):
    if runbook not in RUNBOOKS:
        return [f"runbook: {runbook!r} is not one of {', '.join(RUNBOOKS)}"]
    inputs = dict(inputs or {})
    errors = []
    _bounded(errors, inputs, "wait_timeout", 1, 86400)
    if runbook == "db_snapshot":
        _identifier(errors, inputs, "instance")
        reason = inputs.get("reason")
        if not _set(reason):
            errors.append("reason: required, say why (-e 'reason=before release 1.4.3'); it is tagged on the snapshot")
        elif not _TAG_VALUE.match(str(reason)):
            errors.append(f"reason: {reason!r} must be 1-256 letters, digits, spaces and _ . : / = + - @ (a tag value)")
        by = inputs.get("requested_by")
        if _set(by) and not _TAG_VALUE.match(str(by)):
            errors.append(f"requested_by: {by!r} must be letters, digits, spaces and _ . : / = + - @ (a tag value)")
        name = inputs.get("snapshot_identifier")
        if _set(name) and not _SNAPSHOT.match(str(name)):
            errors.append(
                f"snapshot_identifier: {name!r} is not a snapshot identifier (letters, digits, hyphens, a letter first)"
            )
        confirm, instance = inputs.get("confirm"), inputs.get("instance")
        if _set(confirm) and _set(instance) and str(confirm) != str(instance):
            errors.append(f"confirm: {confirm!r} does not match instance {instance!r} (pass -e confirm={instance})")
    if runbook == "db_restore":
        _identifier(errors, inputs, "source")
        _identifier(errors, inputs, "target", required=True)
        if _set(inputs.get("source")) and inputs.get("source") == inputs.get("target"):
            errors.append("target: must differ from source (a restore goes into a new identifier)")
        snapshot, when = inputs.get("snapshot"), inputs.get("restore_time")
        if _set(snapshot) == _set(when):
            errors.append(
                "snapshot: give one of snapshot (-e snapshot=ID, an ARN or latest) or restore_time "
                "(-e restore_time=2026-12-05T03:00:00Z or latest)"
            )
        if (
            _set(snapshot)
            and snapshot != "latest"
            and not (_SNAPSHOT.match(str(snapshot)) or _SNAPSHOT_ARN.match(str(snapshot)))
        ):
            errors.append(f"snapshot: {snapshot!r} is not a snapshot identifier or ARN (or latest)")
        if _set(when) and when != "latest":
            moment = _time(when)
            if moment is None:
                errors.append(f"restore_time: {when!r} is not an ISO 8601 time (2026-12-05T03:00:00Z) or latest")
            elif moment > datetime.datetime.now(datetime.timezone.utc):  # noqa: UP017
                errors.append(f"restore_time: {when} is in the future")
        cls = inputs.get("instance_class")
        if _set(cls) and not _CLASS.match(str(cls)):
            errors.append(f"instance_class: {cls!r} is not an RDS instance class (db.<family>.<size>)")
        for name in ("multi_az", "repoint"):
            _bool(errors, inputs, name)
        services = inputs.get("services")
        if _set(services):
            listed = services if isinstance(services, list) else [s.strip() for s in str(services).split(",")]
            for index, name in enumerate(listed):
                if not _SERVICE.match(str(name)):
                    errors.append(f"services[{index}]: {name!r} is not a service name")
            if str(inputs.get("repoint")).lower() not in ("true", "yes", "1", "on"):
                errors.append("services: a restart follows a repoint; add -e repoint=true (or leave services out)")
        confirm, target = inputs.get("confirm"), inputs.get("target")
        if _set(confirm) and _set(target) and str(confirm) != str(target):
            errors.append(f"confirm: {confirm!r} does not match target {target!r} (pass -e confirm={target})")
    if runbook == "dr_drill":
        _identifier(errors, inputs, "drill_identifier")
        _bool(errors, inputs, "keep")
        why = " (the environment's objectives, in the inventory: minutes)"
        _bounded(errors, inputs, "platform_rto_minutes", 1, 100000, required=True, why=why)
        _bounded(errors, inputs, "platform_rpo_minutes", 1, 100000, required=True, why=why)
        if not _set(inputs.get("source_region")):
            errors.append("source_region: the primary region is unknown (the inventory needs a host in group primary)")
        elif inputs.get("source_region") == inputs.get("region"):
            errors.append(
                f"source_region: the drill restores in another region than the primary's {inputs['source_region']}"
            )
        confirm, target = inputs.get("confirm"), inputs.get("drill_identifier")
        if _set(confirm) and _set(target) and str(confirm) != str(target):
            errors.append(f"confirm: {confirm!r} does not match drill_identifier {target!r} (pass -e confirm={target})")
    return errors


class FilterModule:
    def filters(self):
        return {"restore_runbook_input_errors": restore_runbook_input_errors}
