"""Deadline arithmetic: working days, and the decision clock that stops while the
provider is asked to complete the application.

Every date here is a calendar date in Europe/Amsterdam (``timeutil.today_local`` and
``timeutil.to_local``): callers convert stored UTC timestamps before they ask.
"""
from __future__ import annotations

from datetime import date, timedelta


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days (Monday to Friday) after ``start``.

    Public holidays are not counted out yet: a deadline may fall on one.
    """
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def decision_due(submitted: date, weeks: int, days_stopped: int = 0) -> date:
    """Submission date + the decision period + the days the clock stood still."""
    return submitted + timedelta(weeks=weeks, days=days_stopped)


def days_stopped(requested: date, resumed: date) -> int:
    """Calendar days the clock stood still between a request and its return (or deadline)."""
    return max(0, (resumed - requested).days)


def resumed_due(due: date, requested: date, resumed: date) -> tuple[date, int]:
    """The decision deadline once the clock runs again: ``due`` (the deadline while it
    stood still) moved by the days it stood still, and that number of days."""
    stopped = days_stopped(requested, resumed)
    return due + timedelta(days=stopped), stopped


def days_left(due: date | None, today: date) -> int | None:
    return None if due is None else (due - today).days
