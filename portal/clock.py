"""Deadline arithmetic: working days, and the decision clock that stops while the
provider is asked to complete the application.

Every date here is a calendar date in Europe/Amsterdam (``timeutil.today_local`` and
``timeutil.to_local``): callers convert stored UTC timestamps before they ask.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The days of ``year`` that the Algemene termijnenwet (art. 3) treats as Sundays:
    New Year's Day, Good Friday, Easter and Whit Monday, Ascension Day, King's Day, both
    Christmas days, and 5 May every year (the holidays package has Liberation Day only in
    the years it is a day off for everyone, once every five)."""
    days = set(holidays.country_holidays("NL", years=year))
    days.add(date(year, 5, 5))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start``: Monday to Friday, not counting the
    public holidays of the Algemene termijnenwet, so a deadline never ends on one."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
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
