# -*- coding: utf-8 -*-
# Copyright: stackops.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Maintenance and backup/snapshot windows, as RDS, ElastiCache and OpenSearch spell them.

AWS rules (RDS User Guide, "Maintenance window" and "Backup window"; ElastiCache User Guide,
"Managing maintenance" and "Snapshot window"): a maintenance window is ``ddd:hh24:mi-ddd:hh24:mi`` in UTC
and lasts at least 30 minutes; a backup (snapshot) window is ``hh24:mi-hh24:mi`` in UTC, lasts at least
30 minutes and must not overlap the maintenance window.
"""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAINTENANCE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
WEEK = 7 * 24 * 60
DAY = 24 * 60
MINIMUM_MINUTES = 30


def parse_maintenance(text):
    """``'sun:04:00-sun:05:00'`` -> (start, end) in minutes since Monday 00:00 UTC; None if malformed."""
    match = _MAINTENANCE.match(str(text).lower())
    if not match:
        return None
    day1, h1, m1, day2, h2, m2 = match.groups()
    start = DAYS.index(day1) * DAY + int(h1) * 60 + int(m1)
    end = DAYS.index(day2) * DAY + int(h2) * 60 + int(m2)
    return start, end


def parse_daily(text):
    """``'03:00-04:00'`` -> (start, end) in minutes since 00:00 UTC; None if malformed."""
    match = _DAILY.match(str(text))
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def _length(start, end, period):
    return (end - start) % period


def maintenance_window_errors(name, text):
    """Messages for a malformed or too short maintenance window (``name`` is the variable)."""
    parsed = parse_maintenance(text)
    if parsed is None:
        return [
            f"{name}: {text!r} is not a maintenance window; use ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:04:00-sun:05:00"
        ]
    if _length(*parsed, WEEK) < MINIMUM_MINUTES:
        return [f"{name}: {text!r} lasts less than {MINIMUM_MINUTES} minutes, the shortest window AWS accepts"]
    return []


def daily_window_errors(name, text):
    """Messages for a malformed or too short backup/snapshot window."""
    parsed = parse_daily(text)
    if parsed is None:
        return [f"{name}: {text!r} is not a daily window; use hh24:mi-hh24:mi in UTC, e.g. 03:00-04:00"]
    if _length(*parsed, DAY) < MINIMUM_MINUTES:
        return [f"{name}: {text!r} lasts less than {MINIMUM_MINUTES} minutes, the shortest window AWS accepts"]
    return []


def _minutes(start, end, period):
    """The set of minutes a window covers (windows are short, so sets are cheap and exact)."""
    return {(start + i) % period for i in range(_length(start, end, period))}


def overlap_errors(daily_name, daily_text, maintenance_name, maintenance_text):
    """A message when a daily backup window overlaps the weekly maintenance window (AWS refuses it)."""
    daily = parse_daily(daily_text)
    weekly = parse_maintenance(maintenance_text)
    if daily is None or weekly is None:
        return []
    weekly_minutes = _minutes(*weekly, WEEK)
    for day in range(7):
        if weekly_minutes & {day * DAY + m for m in _minutes(*daily, DAY)}:
            return [
                f"{daily_name}: {daily_text!r} overlaps {maintenance_name} {maintenance_text!r}; AWS requires them apart"
            ]
    return []
