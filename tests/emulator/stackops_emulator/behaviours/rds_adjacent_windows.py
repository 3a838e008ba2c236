"""A backup window may end when the maintenance window starts.

AWS: PreferredBackupWindow "must not conflict with the preferred maintenance window"
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html); windows are ranges of
minutes, and one that ends at 04:00 does not conflict with one that starts at 04:00 (seeds 000 and 002 use
03:00-04:00 with mon:04:00-mon:05:00, and RDS accepts such pairs).

moto 5.2 counts windows that only touch as overlapping and refuses them ("The backup window and maintenance
window must not overlap"). This behaviour keeps moto's check and lets through the pairs that share no
minute. It changes how moto validates rather than a request, so it passes every request on unchanged.
"""

from __future__ import annotations

import re

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK, _DAY = 7 * 24 * 60, 24 * 60


def _minutes(start, end, period):
    return {(start + i) % period for i in range((end - start) % period)}


def share_a_minute(maintenance, backup):
    """True when the daily backup window and the weekly maintenance window overlap (half-open ranges)."""
    weekly = re.match(r"^(\w{3}):(\d\d):(\d\d)-(\w{3}):(\d\d):(\d\d)$", str(maintenance).lower())
    daily = re.match(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$", str(backup))
    if not weekly or not daily or weekly.group(1) not in _DAYS or weekly.group(4) not in _DAYS:
        return True  # not ours to judge: keep moto's answer
    d1, h1, m1, d2, h2, m2 = weekly.groups()
    week = _minutes(
        _DAYS.index(d1) * _DAY + int(h1) * 60 + int(m1), _DAYS.index(d2) * _DAY + int(h2) * 60 + int(m2), _WEEK
    )
    b1, b2, b3, b4 = (int(g) for g in daily.groups())
    day = _minutes(b1 * 60 + b2, b3 * 60 + b4, _DAY)
    return any(week & {n * _DAY + m for m in day} for n in range(7))


def _patch():
    from moto.rds import models

    original = models.valid_preferred_maintenance_window
    if getattr(original, "stackops_adjacent_windows", False):
        return

    def valid_preferred_maintenance_window(maintenance_window, backup_window):
        message = original(maintenance_window, backup_window)
        if message and "must not overlap" in message and not share_a_minute(maintenance_window, backup_window):
            return None
        return message

    valid_preferred_maintenance_window.stackops_adjacent_windows = True
    models.valid_preferred_maintenance_window = valid_preferred_maintenance_window


class RdsAdjacentWindows:
    name = "rds-adjacent-windows"
    summary = "A backup window that ends when the maintenance window starts is accepted (they share no minute)"
    documented_by = (
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.BackupWindow.html"
    )

    def __init__(self):
        _patch()

    def reset(self):
        pass

    def __call__(self, request, forward):
        return forward(request)
