"""Maintenance and backup windows: the rules RDS and ElastiCache apply."""

from ansible_collections.stackops.platform.plugins.module_utils import windows


def test_valid_windows_have_no_errors():
    assert windows.maintenance_window_errors("w", "sun:04:00-sun:05:00") == []
    assert windows.maintenance_window_errors("w", "sat:23:30-sun:00:30") == []
    assert windows.daily_window_errors("b", "03:00-04:00") == []
    assert windows.daily_window_errors("b", "23:45-00:15") == []


def test_malformed_and_short_windows_are_named():
    assert "w: 'sunday 4am'" in windows.maintenance_window_errors("w", "sunday 4am")[0]
    assert "less than 30 minutes" in windows.maintenance_window_errors("w", "sun:04:00-sun:04:10")[0]
    assert "hh24:mi-hh24:mi" in windows.daily_window_errors("b", "25:00-26:00")[0]
    assert "less than 30 minutes" in windows.daily_window_errors("b", "03:00-03:20")[0]


def test_overlap_is_found_on_any_day_and_across_midnight():
    assert windows.overlap_errors("b", "04:30-05:30", "m", "sun:04:00-sun:05:00")
    assert windows.overlap_errors("b", "23:30-00:30", "m", "mon:00:00-mon:01:00")
    assert windows.overlap_errors("b", "03:00-04:00", "m", "sun:04:00-sun:05:00") == []
