from __future__ import annotations

import polars as pl
import pytest

from qazai.core.errors import InvalidInput
from qazai.privacy.detectors import detect_column
from qazai.privacy.entities import Entity
from qazai.privacy.transforms import generalise_expr, mask, pseudonym_scalar, pseudonymise, redact

SECRET = b"s" * 32


def test_pseudonym_is_hmac_and_stable_within_scope() -> None:
    values = pl.Series("iin", ["900315301237", " 900315301237", "851221400572", None])
    tokens = pseudonymise(values, SECRET, "health").to_list()
    assert tokens[0] == tokens[1] == pseudonym_scalar("900315301237", SECRET, "health")
    assert tokens[2] != tokens[0]
    assert tokens[3] is None
    assert pseudonymise(values, SECRET, "tax")[0] != tokens[0]  # another scope, another token
    assert pseudonymise(values, b"t" * 32, "health")[0] != tokens[0]  # another key, another token


def test_short_secret_is_refused() -> None:
    with pytest.raises(InvalidInput):
        pseudonymise(pl.Series(["1"]), b"short", "x")


def test_mask_keeps_format() -> None:
    assert mask(pl.Series(["900315301237", "+7 701 123 45 67"]), None).to_list() == [
        "9003********",
        "+7 7** *** ** **",
    ]
    assert mask(pl.Series(["aigerim@mail.kz"]), Entity.EMAIL).to_list() == ["a***@mail.kz"]


@pytest.mark.parametrize(
    ("qi_type", "value", "level", "expected"),
    [
        ("date", "15.03.1990", 1, "1990-03"),
        ("date", "1990-03-15", 2, "1990"),
        ("date", "15.03.1992", 3, "1990-1994"),
        ("age", "37", 2, "30-39"),
        ("kato", "751110000", 2, "75"),
        ("postcode", "A01 P3K4", 1, "A01"),
        ("sex", "М", 1, "*"),
    ],
)
def test_generalisation_levels(qi_type: str, value: str, level: int, expected: str) -> None:
    out = pl.DataFrame({"v": [value]}).select(generalise_expr(pl.col("v"), qi_type, level).alias("v"))
    assert out["v"][0] == expected


def test_redact_replaces_spans_with_placeholders() -> None:
    text = pl.Series(["ИИН 900315301237 и тел 87011234567.", "нет", None, "Жұмабаев Нұрлан пришёл"])
    assert redact(text, detect_column(text)).to_list() == [
        "ИИН [IIN] и тел [PHONE].",
        "нет",
        None,
        "[PERSON] пришёл",
    ]


def test_generalising_per_distinct_value_and_typed_dates_give_the_text_path_results() -> None:
    """Dates typed as Date/Datetime skip parsing, and repeated values are generalised once each;
    every level must equal the plain text path on the same values (nulls kept)."""
    import datetime as dt
    from functools import partial

    from qazai.privacy.deidentification import _generalise_as, _reduce_as, per_value

    days = [dt.date(1950, 1, 1) + dt.timedelta(days=d) for d in range(0, 20_000, 37)] * 3 + [None]
    typed = [
        pl.Series("d", days, dtype=pl.Date),
        pl.Series("d", [None if d is None else dt.datetime(d.year, d.month, d.day, 13, 5) for d in days]),
    ]
    text = pl.Series("d", [None if d is None else d.strftime("%d.%m.%Y") for d in days])
    for level in range(0, 6):
        for fn in (_generalise_as, _reduce_as):
            want = pl.DataFrame([text]).select(fn("date", level, pl.col("d"), pl.String).alias("d"))["d"]
            for series in typed:
                got = per_value(series, partial(fn, "date", level))
                if level == 0:  # level 0 is the value as written
                    assert got.null_count() == want.null_count()
                    continue
                assert got.to_list() == want.to_list(), (fn.__name__, level, series.dtype)
    kato = pl.Series("k", ["751110000", "751110000", None, "711210000"] * 50)
    assert (
        per_value(kato, partial(_generalise_as, "kato", 1)).to_list() == ["7511", "7511", None, "7112"] * 50
    )
