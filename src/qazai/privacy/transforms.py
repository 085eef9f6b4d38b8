"""Column transforms: mask, keyed pseudonym, generalisation hierarchies, free-text redaction.

All are vectorised: Polars expressions, and DuckDB's SHA-256 for HMAC over a whole column.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import polars as pl

from qazai.core.errors import InvalidInput
from qazai.privacy.entities import Entity, placeholder

SUPPRESSED = "*"
PSEUDONYM_PREFIX = "pid_"
PSEUDONYM_HEX = 20  # 80 bits: collisions negligible below billions of distinct values

# Maximum generalisation level per quasi-identifier type (the level at which everything is "*").
MAX_LEVEL: dict[str, int] = {
    "date": 5,
    "age": 4,
    "number": 4,
    "kato": 3,
    "postcode": 3,
    "sex": 1,
    "categorical": 1,
}


def scope_key(secret: bytes, scope: str) -> bytes:
    """The per-scope key: one IIN gives one token in every library of a scope, different
    tokens in different scopes. Irreversible without ``secret``."""
    if len(secret) < 16:
        raise InvalidInput("the pseudonymisation secret must be at least 16 bytes")
    return hmac.new(secret, b"qazai-pseudonym-scope:" + scope.encode("utf-8"), hashlib.sha256).digest()


def pseudonym_scalar(value: str, secret: bytes, scope: str) -> str:
    """Reference implementation of one token (tests check the vectorised one against it)."""
    digest = hmac.new(scope_key(secret, scope), _normalise_scalar(value).encode("utf-8"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX]


def _normalise_scalar(value: str) -> str:
    return " ".join(value.split()).casefold()


def _normalise(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def pseudonymise(values: pl.Series, secret: bytes, scope: str) -> pl.Series:
    """HMAC-SHA256(scope_key, normalised value) per cell, computed by DuckDB over the column.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) with a 64-byte block; nulls stay null.
    """
    key = scope_key(secret, scope).ljust(64, b"\x00")
    ipad = bytes(b ^ 0x36 for b in key).hex()
    opad = bytes(b ^ 0x5C for b in key).hex()
    frame = values.cast(pl.String, strict=False).to_frame("v").select(_normalise(pl.col("v")).alias("v"))
    con = duckdb.connect()
    try:
        con.register("src", frame.to_arrow())
        out = con.sql(
            f"""
            SELECT CASE WHEN v IS NULL THEN NULL ELSE
              '{PSEUDONYM_PREFIX}' || substr(
                sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(v)))), 1, {PSEUDONYM_HEX}
              ) END AS t
            FROM src
            """
        ).to_arrow_table()
    finally:
        con.close()
    result = pl.from_arrow(out)
    assert isinstance(result, pl.DataFrame)
    return result["t"].cast(pl.String).alias(values.name)


def mask(values: pl.Series, entity: Entity | None) -> pl.Series:
    """Format-preserving mask: separators and length stay, letters/digits become ``*``.
    E-mails keep the first character and the domain; others keep the first 4 characters
    (``9003********``)."""
    v = pl.col("v")
    if entity is Entity.EMAIL:
        expr = v.str.replace(r"^([^@])[^@]*@", "${1}***@")
    else:
        expr = v.str.slice(0, 4) + v.str.slice(4).str.replace_all(r"[\p{L}\p{N}]", "*")
    return values.cast(pl.String, strict=False).to_frame("v").select(expr)["v"].alias(values.name)


# -- generalisation ---------------------------------------------------------------------------

_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%Y.%m.%d", "%d-%m-%Y", "%Y/%m/%d")


def parse_date(expr: pl.Expr, dtype: pl.DataType | None = None) -> pl.Expr:
    """``expr`` as a Date: a Date column as it is, a Datetime by its date, text in any of the
    usual formats (``dd.mm.yyyy``, ISO, ...)."""
    if dtype is not None and dtype == pl.Date:
        return expr
    if dtype is not None and isinstance(dtype, pl.Datetime):
        return expr.dt.date()
    text = expr.cast(pl.String).str.strip_chars().str.slice(0, 10)
    return pl.coalesce([text.str.strptime(pl.Date, f, strict=False) for f in _DATE_FORMATS])


def _band(number: pl.Expr, width: int) -> pl.Expr:
    low = (number // width) * width
    return low.cast(pl.Int64).cast(pl.String) + "-" + (low + width - 1).cast(pl.Int64).cast(pl.String)


def generalise_expr(expr: pl.Expr, qi_type: str, level: int, dtype: pl.DataType | None = None) -> pl.Expr:
    """The value of a quasi-identifier at a generalisation ``level`` (0 = as is, max = "*").
    ``dtype`` is the column's type when known (a Date column needs no parsing)."""
    top = MAX_LEVEL.get(qi_type, 1)
    text = expr.cast(pl.String)
    if level <= 0:
        return text
    if level >= top:
        return pl.when(expr.is_null()).then(None).otherwise(pl.lit(SUPPRESSED))
    if qi_type == "date":
        d = parse_date(expr, dtype)
        year = d.dt.year()
        return {
            1: d.dt.strftime("%Y-%m"),
            2: year.cast(pl.String),
            3: _band(year, 5),
            4: _band(year, 10),
        }[level]
    if qi_type in ("age", "number"):
        n = text.str.replace_all(r"[\s\u00a0]", "").str.replace(",", ".").cast(pl.Float64, strict=False)
        widths = {1: 5, 2: 10, 3: 20} if qi_type == "age" else {1: 10, 2: 100, 3: 1000}
        return _band(n.floor(), widths[level])
    if qi_type == "kato":
        digits = text.str.replace_all(r"\D", "")
        return digits.str.slice(0, 4) if level == 1 else digits.str.slice(0, 2)
    if qi_type == "postcode":
        compact = text.str.replace_all(r"\s", "").str.to_uppercase()
        return compact.str.slice(0, 3) if level == 1 else compact.str.slice(0, 1)
    return text


# -- redaction of free text ---------------------------------------------------------------------


def redact(values: pl.Series, findings: pl.DataFrame) -> pl.Series:
    """Replace each finding's span (``row, start, end, entity``; non-overlapping) with its
    placeholder (``[IIN]``, ``[PERSON]``...)."""
    text = values.cast(pl.String, strict=False)
    if findings.height == 0:
        return text
    base = text.to_frame("t").with_row_index("row")
    spans = (
        findings.select("row", "start", "end", "entity")
        .sort("row", "start")
        .join(base, on="row", how="left")
        .with_columns(pl.col("end").shift(1).over("row").fill_null(0).alias("prev_end"))
        .with_columns(
            (
                pl.col("t").str.slice(pl.col("prev_end"), pl.col("start") - pl.col("prev_end"))
                + pl.col("entity").replace_strict({e.value: placeholder(e) for e in Entity})
            ).alias("piece")
        )
    )
    rebuilt = spans.group_by("row").agg(
        pl.col("piece").str.join(""), pl.col("end").max().alias("last"), pl.col("t").first()
    )
    rebuilt = rebuilt.select("row", (pl.col("piece") + pl.col("t").str.slice(pl.col("last"))).alias("new"))
    out = base.join(rebuilt, on="row", how="left").sort("row")
    return out.select(pl.coalesce("new", "t"))["new"].alias(values.name)
