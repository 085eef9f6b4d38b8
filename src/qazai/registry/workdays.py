"""Working days in Kazakhstan: Monday to Friday, minus public holidays, plus transferred working days.

Holidays come from the maintained ``holidays`` package (``country_holidays("KZ")``), which models the
days off moved by government decree ("Day off (substituted from 05.01.2025)") and the observed
days when a holiday falls on a weekend. The weekend day a day off was moved *from* becomes a
working day; the package names it in the holiday's name, and we read it from there.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ALMATY = ZoneInfo("Asia/Almaty")
_SUBSTITUTED_FROM = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


@lru_cache(maxsize=32)
def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, weekend days that are working days) of ``year``."""
    table = holidays.country_holidays("KZ", years=year, language="en_US")
    days_off: set[date] = set()
    working_weekend: set[date] = set()
    for day, name in table.items():
        days_off.add(day)
        for part in str(name).split(";"):
            match = _SUBSTITUTED_FROM.search(part)
            if match:
                month, dom, yr = int(match.group(1)), int(match.group(2)), int(match.group(3))
                working_weekend.add(date(yr, month, dom))
    return frozenset(days_off), frozenset(working_weekend)


def holiday_name(day: date) -> str | None:
    """The holiday's name (English) if ``day`` is a public holiday or a day off in Kazakhstan."""
    table = holidays.country_holidays("KZ", years=day.year, language="en_US")
    name = table.get(day)
    return None if name is None else str(name)


def is_working_day(day: date) -> bool:
    days_off, working_weekend = _year(day.year)
    # A transferred working day may sit in the neighbouring year's decree (early January).
    working_weekend = working_weekend | _year(day.year + 1)[1] | _year(day.year - 1)[1]
    if day in working_weekend:
        return True
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is day zero).

    "Within 10 working days of submission on Friday 20 March 2026" ends on the 10th working day
    after it, skipping the weekend and the Nauryz holidays (21-25 March 2026).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def local_date(moment: datetime) -> date:
    """The calendar date in Astana/Almaty time, which is what a deadline in working days counts."""
    return moment.astimezone(ALMATY).date()
