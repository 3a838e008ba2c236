# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Idempotence by intent for the failover procedures: what a started or just-finished failover recorded on its
target (tags), so that a rerun after an interruption never fails over a second time."""

from __future__ import annotations

import datetime

TAG_FROM = "stackops:failover-from"
TAG_STATE = "stackops:failover-state"
TAG_AT = "stackops:failover-at"


def intent(tags, params, what):
    """What a failover recorded on the target says this run should move away from, or None.

    A failover still marked ``started`` was interrupted (or is running): its origin is the intent. One marked
    ``done`` less than ``wait_timeout`` seconds ago may be this very run's, finished by a module process that
    outlived an interrupted ansible-playbook: its origin is the intent too, so that a rerun reports it done
    instead of failing over a second time (a deliberate second failover states ``expected_*``).
    """
    state, origin = tags.get(TAG_STATE), tags.get(TAG_FROM)
    if not origin or state not in ("started", "done"):
        return None, None
    if state == "started":
        return origin, f"{what}: a failover from {origin} was started at {tags.get(TAG_AT, '?')}"
    try:
        at = datetime.datetime.fromisoformat(tags.get(TAG_AT, ""))
    except ValueError:
        return None, None
    age = (_utcnow() - at).total_seconds()
    if age > params["wait_timeout"]:
        return None, None
    return origin, (
        f"{what}: failed over from {origin} {int(age)} s ago (within wait_timeout): taken as this run's failover; "
        "state what is primary now (expected_*) to fail over again"
    )


def stamp():
    return _utcnow().isoformat(timespec="seconds")


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("TagList") or []}


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)


def phase_seconds(phase):
    """Seconds since a running phase began (its ``start`` is ISO 8601 UTC)."""
    started = datetime.datetime.fromisoformat(phase["start"])
    return round((_utcnow() - started).total_seconds(), 3)
