"""Vectorised checksums agree with the scalar reference (qazai.core.kzid) and the worked examples."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest

from qazai.core import kzid
from qazai.privacy.checksums import bin_valid, iban_ok, iban_valid, iin_valid, luhn_ok, luhn_valid


def _check(expr_fn, values: list[str]) -> list[bool]:  # type: ignore[no-untyped-def]
    return pl.DataFrame({"v": values}).select(expr_fn(pl.col("v")).alias("v"))["v"].to_list()


@pytest.mark.parametrize("iin", ["900315301237", "851221400572", "780712400909"])
def test_iin_worked_examples_are_valid(iin: str) -> None:
    assert _check(iin_valid, [iin]) == [True]
    assert kzid.is_valid_iin(iin)


def test_iin_second_pass_example_needs_the_second_weights() -> None:
    # 780712400909: the first pass gives 10, the second 9 (py-kz-validators gets this wrong)
    assert _check(iin_valid, ["780712400909", "780712400900"]) == [True, False]


def test_bin_example_is_a_bin_not_an_iin() -> None:
    assert _check(bin_valid, ["040540001230"]) == [True]
    assert _check(iin_valid, ["040540001230"]) == [False]


def test_iin_and_bin_agree_with_core_on_random_numbers() -> None:
    rng = random.Random(7)
    values = [f"{rng.randrange(10**12):012d}" for _ in range(20_000)]
    # plus numbers built to pass the checksum, so the valid branch is exercised heavily
    for _ in range(5_000):
        prefix = f"{rng.randrange(10**11):011d}"
        c = kzid.control_digit(prefix)
        if c is not None:
            values.append(prefix + str(c))
    assert _check(iin_valid, values) == [kzid.is_valid_iin(v) for v in values]
    assert _check(bin_valid, values) == [kzid.is_valid_bin(v) for v in values]


def test_bad_shapes_are_invalid_not_errors() -> None:
    assert _check(iin_valid, ["", "12345", "90031530123x", "9003153012370"]) == [False] * 4
    assert (
        pl.DataFrame({"v": [None]}, schema={"v": pl.String}).select(iin_valid(pl.col("v")).alias("v"))["v"][0]
        is False
    )


def test_luhn_matches_scalar() -> None:
    rng = random.Random(3)
    values = ["4400430123456789", "4111111111111111", "4111111111111112"] + [
        str(rng.randrange(10**15, 10**19)) for _ in range(3000)
    ]
    assert _check(luhn_valid, values) == [luhn_ok(v) for v in values]


def test_iban_matches_scalar_and_example() -> None:
    rng = random.Random(5)
    values = ["KZ739990000000012345", "KZ749990000000012345"] + [
        "KZ" + f"{rng.randrange(100):02d}" + f"{rng.randrange(10**16):016d}" for _ in range(2000)
    ]
    assert _check(iban_valid, values) == [iban_ok(v) for v in values]
    assert iban_ok("KZ73 9990 0000 0001 2345")


def test_hot_path_kinds_agree_with_core_including_leap_days() -> None:
    from qazai.privacy.checksums import iban_mask, luhn_mask, twelve_digit_kind

    rng = random.Random(11)
    values = [f"{rng.randrange(10**12):012d}" for _ in range(5_000)]
    for _ in range(10_000):
        yymmdd = f"{rng.randrange(100):02d}{rng.randint(1, 12):02d}{rng.randint(1, 31):02d}"
        prefix = f"{yymmdd}{rng.randint(1, 6)}{rng.randrange(10**4):04d}"
        c = kzid.control_digit(prefix)
        if c is not None:
            values.append(prefix + str(c))
    for prefix in ("00022950000", "00022930000", "96022940000", "97022940000"):  # 2000/1900 leap rules
        c = kzid.control_digit(prefix)
        if c is not None:
            values.append(prefix + str(c))
    got = twelve_digit_kind(pl.DataFrame({"v": values}), "v").to_list()
    want = ["IIN" if kzid.is_valid_iin(v) else "BIN" if kzid.is_valid_bin(v) else None for v in values]
    assert got == want
    cards = ["4400430123456789", "4111111111111112"]
    assert luhn_mask(pl.DataFrame({"v": cards}), "v").to_list() == [True, False]
    # every length the card pattern admits, 19 nines (the largest value) and too-long strings
    many = [f"{rng.randrange(10**k):0{k}d}" for k in range(13, 21) for _ in range(500)] + [
        "9" * 19,
        "",
        "12a4",
    ]
    assert luhn_mask(pl.DataFrame({"v": many}), "v").to_list() == [luhn_ok(v) and len(v) <= 19 for v in many]
    ibans = ["KZ739990000000012345", "KZ749990000000012345"]
    assert iban_mask(pl.DataFrame({"v": ibans}), "v").to_list() == [True, False]
    # letters in the account part, every length 15..34, broken shapes, nulls
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    many: list[str | None] = []
    for length in range(13, 37):
        for _ in range(200):
            body = "".join(rng.choice(alnum) for _ in range(length - 4))
            many.append(rng.choice(["KZ", "DE", "GB"]) + f"{rng.randrange(100):02d}" + body)
    # a valid one per length: fix the check digits by the scalar rule
    for length in range(15, 35):
        body = "".join(rng.choice(alnum) for _ in range(length - 4))
        check = next(f"{c:02d}" for c in range(100) if iban_ok(f"KZ{c:02d}{body}"))
        many.append(f"KZ{check}{body}")
    many += ["kz739990000000012345", "KZ73 9990 0000 0001 2345", "", None, "KZ7399900000000123ЖЖ"]
    shape = re.compile(r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}$")
    want = [v is not None and bool(shape.match(v)) and iban_ok(v) for v in many]
    assert iban_mask(pl.DataFrame({"v": many}, schema={"v": pl.String}), "v").to_list() == want
    assert sum(want) >= 20
