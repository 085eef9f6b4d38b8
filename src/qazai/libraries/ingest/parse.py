"""Vectorised parsing of raw text cells into typed values, with the local conventions.

Every function takes a Polars string Series and returns ``(values, failed)``: the typed Series
(null where a cell is empty, a null marker, or unparseable) and a boolean mask of the cells that
held something but did not parse. Inference and conversion share these, so a column is always
converted by exactly the rules that inferred its type.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

# Compared after trimming and lower-casing. "х" is the Cyrillic letter, used like "x" in
# Russian statistical tables for "not applicable"; the "#..." values are Excel error cells.
NULL_TOKENS: tuple[str, ...] = (
    "",
    "-",
    "—",
    "–",
    "‐",
    "−",
    "..",
    "...",
    "…",
    "x",
    "х",
    "н/д",
    "n/a",
    "null",
    "nan",
    "#n/a",
    "#div/0!",
    "#value!",
    "#ref!",
    "#name?",
    "#num!",
    "#null!",
)
TRUE_TOKENS: tuple[str, ...] = ("иә", "ия", "да", "yes", "true")
FALSE_TOKENS: tuple[str, ...] = ("жоқ", "нет", "no", "false")

# The spellings a well-formed file uses, for a hash lookup before any trimming or lower-casing.
_BOOLEAN_SPELLINGS: dict[str, bool] = {
    spelling: value
    for tokens, value in ((TRUE_TOKENS, True), (FALSE_TOKENS, False))
    for token in tokens
    for spelling in (token, token.capitalize(), token.upper())
}

MULTIPLIERS: dict[str, float] = {
    "тыс": 1e3,
    "мың": 1e3,
    "thousand": 1e3,
    "млн": 1e6,
    "million": 1e6,
    "mln": 1e6,
    "млрд": 1e9,
    "billion": 1e9,
    "bn": 1e9,
    "трлн": 1e12,
}
_SPACES = "[ \u00a0\u202f\u2009']"
_SUFFIX = r"^(.*?\d)\s*(тыс|мың|thousand|млн|million|mln|млрд|billion|bn|трлн)\.?$"
# 1,643,000 and 1,234.5: a comma followed by exactly three digits groups thousands.
_COMMA_GROUPED = r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$"
# 1.234.567 and 1.234,5 (a single "1.234" stays a decimal point).
_DOT_GROUPED = r"^[+-]?[1-9]\d{0,2}((\.\d{3}){2,}(,\d+)?|(\.\d{3})+,\d+)$"
# 332 720, 1 234,5 with a space, no-break space, narrow no-break space, thin space or apostrophe.
_SPACE_GROUPED = rf"^[+-]?\d{{1,3}}({_SPACES}\d{{3}})+([.,]\d+)?$"
# "332 720" with plain spaces (and spaces around): removing the spaces leaves the number.
_PLAIN_SPACE_GROUPED_INTEGER = r"^ *[+-]?\d{1,3}( \d{3})+ *$"
_PLAIN = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"
# Inference refuses numbers with a leading zero: IINs, BINs, postcodes and phone numbers must
# keep it, so such a column stays text unless the producer overrides it.
LEADING_ZERO = r"^[+-]?0\d"

DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d.%m.%Y")
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
_INT64_LIMIT = 9.2e18


def trimmed(values: pl.Series) -> pl.Series:
    return values.str.strip_chars()


def null_mask(values: pl.Series) -> pl.Series:
    """Cells that mean "no value": empty, missing, or a null marker such as ``-`` or ``..``."""
    return values.is_null() | trimmed(values).str.to_lowercase().is_in(NULL_TOKENS)


def _number_parts(values: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Normalised decimal text, its multiplier (``млн`` -> 1e6) and whether there was a suffix."""
    frame = pl.DataFrame({"v": trimmed(values).str.replace_all("[\u2212\u2012]", "-")})
    lower = pl.col("v").str.to_lowercase()
    suffix = lower.str.extract(_SUFFIX, 2)
    mantissa = pl.when(suffix.is_not_null()).then(lower.str.extract(_SUFFIX, 1)).otherwise(pl.col("v"))
    strip_spaces = pl.col("m").str.replace_all(_SPACES, "")
    normalised = (
        pl.when(pl.col("m").str.contains(_COMMA_GROUPED) & pl.col("s").is_null())
        .then(pl.col("m").str.replace_all(",", "", literal=True))
        .when(pl.col("m").str.contains(_DOT_GROUPED))
        .then(pl.col("m").str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(pl.col("m").str.contains(_SPACE_GROUPED) | pl.col("m").str.contains(_PLAIN))
        .then(strip_spaces.str.replace(",", ".", literal=True))
        .otherwise(None)
    )
    out = (
        frame.with_columns(s=suffix, m=mantissa)
        .with_columns(n=normalised, k=pl.col("s").replace_strict(MULTIPLIERS, default=1.0))
        .select("n", "k", has_suffix=pl.col("s").is_not_null())
    )
    return out["n"], out["k"], out["has_suffix"]


def _tiered(
    values: pl.Series,
    fast: pl.Series,
    slow: Callable[[pl.Series], pl.Series],
) -> tuple[pl.Series, pl.Series]:
    """Keep the cheap parse where it worked and run ``slow`` only on the cells it missed.

    Most cells of a big file are in the common spelling, so the regular expressions of the
    slow path run on a small subset; both paths are vectorised. When most cells miss (a whole
    column written ``332 720``), ``slow`` runs on the column as it is, without the gather and
    scatter. Null markers are looked for only among the cells left unparsed.
    """
    missed = fast.is_null() & values.is_not_null()
    misses = int(missed.sum())
    if not misses:
        return fast, missed
    if misses * 2 > values.len():
        parsed = slow(values).cast(fast.dtype)
        result = pl.select(pl.coalesce(pl.lit(fast), pl.lit(parsed))).to_series().alias(fast.name)
    else:
        indices = missed.arg_true()
        result = fast.scatter(indices, slow(values.gather(indices)).cast(fast.dtype))
    still = result.is_null() & values.is_not_null()
    if not still.any():
        return result, still
    indices = still.arg_true()
    return result, still.scatter(indices, ~null_mask(values.gather(indices)))


def _float_slow(values: pl.Series) -> pl.Series:
    text, multiplier, has_suffix = _number_parts(values)
    number = text.cast(pl.Float64, strict=False) * multiplier
    # 1,05 млн is 1050000.0000000002 in binary floating point; the suffix never adds precision.
    return pl.select(pl.when(has_suffix).then(number.round(6)).otherwise(number)).to_series()


def parse_float(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    # NaN is not a value a producer means to publish; "nan" is a null marker.
    return _tiered(values, values.cast(pl.Float64, strict=False).fill_nan(None), _float_slow)


def _integer_slow(values: pl.Series) -> pl.Series:
    # The commonest local spelling, "332 720" with plain spaces, needs one regular expression
    # and a literal replace, not the full set; other separators take the general path below.
    grouped = values.str.contains(_PLAIN_SPACE_GROUPED_INTEGER)
    quick = pl.select(
        pl.when(grouped).then(values.str.replace_all(" ", "", literal=True)).otherwise(None)
    ).to_series()
    quick_number = quick.cast(pl.Int64, strict=False)
    rest = quick_number.is_null()
    if not rest.any():
        return quick_number
    indices = rest.arg_true()
    number_text, multiplier, _ = _number_parts(values.gather(indices))
    direct = number_text.cast(pl.Int64, strict=False)
    number = (number_text.cast(pl.Float64, strict=False) * multiplier).round(6)
    whole = (number == number.round(0)) & (number.abs() < _INT64_LIMIT)
    as_integer = pl.select(
        pl.when((multiplier == 1.0) & direct.is_not_null())
        .then(direct)
        .when(whole)
        .then(number.round(0).cast(pl.Int64, strict=False))
        .otherwise(None)
    ).to_series()
    return quick_number.scatter(indices, as_integer)


def parse_integer(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    return _tiered(values, values.cast(pl.Int64, strict=False), _integer_slow)


def _boolean_slow(values: pl.Series) -> pl.Series:
    lower = trimmed(values).str.to_lowercase()
    return pl.select(
        pl.when(lower.is_in(TRUE_TOKENS))
        .then(True)
        .when(lower.is_in(FALSE_TOKENS))
        .then(False)
        .otherwise(None)
    ).to_series()


def parse_boolean(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    fast = values.replace_strict(_BOOLEAN_SPELLINGS, default=None, return_dtype=pl.Boolean)
    return _tiered(values, fast, _boolean_slow)


def _date_slow(values: pl.Series) -> pl.Series:
    text = trimmed(values)
    return pl.select(
        pl.coalesce([text.str.to_date(fmt, strict=False, exact=True) for fmt in DATE_FORMATS])
    ).to_series()


def _usual_format(
    values: pl.Series, parse: Callable[[pl.Series, str], pl.Series], formats: tuple[str, ...]
) -> str:
    """The format the first present cells are written in: the fast path for the whole column.

    A file writes its dates one way (``31.12.2023`` in a whole column), so parsing with that
    format first leaves the slow path, which tries every format, to the odd cells only.
    """
    head = values.drop_nulls().head(32)
    for fmt in formats:
        if parse(head, fmt).is_not_null().any():
            return fmt
    return formats[0]


def _to_date(values: pl.Series, fmt: str) -> pl.Series:
    return values.str.to_date(fmt, strict=False, exact=True)


def _to_datetime(values: pl.Series, fmt: str) -> pl.Series:
    return values.str.to_datetime(fmt, time_unit="us", strict=False, exact=True)


def parse_date(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    fmt = _usual_format(values, _to_date, DATE_FORMATS)
    return _tiered(values, _to_date(values, fmt), _date_slow)


def _datetime_slow(values: pl.Series) -> pl.Series:
    text = trimmed(values)
    candidates = [
        text.str.to_datetime(fmt, time_unit="us", strict=False, exact=True) for fmt in DATETIME_FORMATS
    ]
    candidates += [
        text.str.to_date(fmt, strict=False, exact=True).cast(pl.Datetime("us")) for fmt in DATE_FORMATS
    ]
    return pl.select(pl.coalesce(candidates)).to_series()


def parse_datetime(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Datetimes in the listed formats; a plain date is midnight of that day."""
    fast = _to_datetime(values, _usual_format(values, _to_datetime, DATETIME_FORMATS))
    return _tiered(values, fast, _datetime_slow)


def parse_string(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Text is kept as written, trimmed; only an empty cell becomes null (``-`` may be content)."""
    text = trimmed(values)
    result = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
    return result, pl.repeat(False, len(values), eager=True)
