"""Kazakhstan IIN/BIN structure and control digit (see shared PRIVACY.md).

Scalar reference implementation; the privacy engine has a vectorised one and tests that both agree.
"""

from __future__ import annotations

from datetime import date

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def control_digit(first11: str) -> int | None:
    """The control digit for 11 leading digits, or None when no valid number has that prefix."""
    digits = [int(c) for c in first11]
    c = sum(d * w for d, w in zip(digits, _W1, strict=True)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, _W2, strict=True)) % 11
        if c == 10:
            return None
    return c


def has_valid_checksum(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return control_digit(value[:11]) == int(value[11])


def iin_birth_date(value: str) -> date | None:
    """The birth date an IIN encodes, or None when digits 1-7 are not a valid date/century."""
    century_digit = value[6]
    if century_digit not in "123456":
        return None
    century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}[century_digit]
    try:
        return date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return None


def is_valid_iin(value: str) -> bool:
    return has_valid_checksum(value) and iin_birth_date(value) is not None


def is_valid_bin(value: str) -> bool:
    """A BIN: valid checksum, month 01-12, type digit 4/5/6, office digit 0-4."""
    if not has_valid_checksum(value):
        return False
    month = int(value[2:4])
    return 1 <= month <= 12 and value[4] in "456" and value[5] in "01234"
