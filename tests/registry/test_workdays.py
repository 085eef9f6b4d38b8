"""Working days in Kazakhstan, from the holidays package (2025-2027 verified here)."""

from __future__ import annotations

from datetime import date

import pytest

from qazai.registry.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Friday before Nauryz 2026: 21-25 March are days off (23rd Monday, 24-25 observed).
        (date(2026, 3, 20), 1, date(2026, 3, 26)),
        (date(2026, 3, 20), 10, date(2026, 4, 8)),
        # Independence Day, Wednesday 16 December 2026.
        (date(2026, 12, 14), 5, date(2026, 12, 22)),
        (date(2026, 12, 15), 1, date(2026, 12, 17)),
        # An ordinary week: Monday + 5 = next Monday.
        (date(2026, 11, 2), 5, date(2026, 11, 9)),
        (date(2026, 11, 2), 0, date(2026, 11, 2)),
    ],
)
def test_add_working_days_skips_weekends_and_holidays(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected
    assert working_days_between(start, expected) == days


def test_transferred_days_off_and_working_weekend() -> None:
    # 2025: Friday 3 January was a day off moved from Sunday 5 January, which was worked.
    assert not is_working_day(date(2025, 1, 3))
    assert is_working_day(date(2025, 1, 5))
    assert not is_working_day(date(2026, 1, 2))
    assert is_working_day(date(2026, 1, 5))


def test_the_package_knows_2026() -> None:
    assert not is_working_day(date(2026, 3, 23))  # Nauryz, a Monday
    assert not is_working_day(date(2026, 5, 11))  # Victory Day observed
    assert is_working_day(date(2026, 3, 26))
